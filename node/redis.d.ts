// Types of kompliant-webhooks/redis.

import type { Claim, Guard } from './index.js';

/** The default key prefix, `kompliant:webhook:`. */
export declare const DEFAULT_PREFIX: string;
/** The default retention of a processed id, in seconds (7 days, the retry horizon). */
export declare const DEFAULT_RETENTION_SECONDS: number;

/** What RedisGuard needs of a client: ioredis's `call` or node-redis's `sendCommand`. */
export type RedisClientLike =
  | { call(command: string, ...args: string[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> };

/** RedisGuard options. */
export interface RedisGuardOptions {
  /** Key prefix (default `kompliant:webhook:`); one per Kompliant account sharing a Redis. */
  prefix?: string;
  /** How long a processed id is remembered, in seconds (default 7 days). */
  retentionSeconds?: number;
  /** When given, replaces the lease the adapter asks for in every claim. */
  leaseSeconds?: number;
}

/**
 * A duplicate guard in Redis over a node-redis (v4+) or ioredis client you supply: claim is
 * `SET key in-progress NX PX lease`, complete `SET key done PX retention`, release a Lua
 * compare-and-delete (a completed id is never released). Redis errors reject.
 */
export declare class RedisGuard implements Guard {
  /** @throws {TypeError} for a client that is neither; {RangeError} for a bad duration. */
  constructor(client: RedisClientLike, options?: RedisGuardOptions);
  /** The key prefix. */
  readonly prefix: string;
  /** The Redis key of `webhookId`. */
  key(webhookId: string): string;
  /** Claims `webhookId` for `leaseSeconds` (or the guard's own lease). */
  claim(webhookId: string, leaseSeconds?: number): Promise<Claim>;
  /** Records `webhookId` as processed. */
  complete(webhookId: string): Promise<void>;
  /** Deletes `webhookId`'s claim while in progress. */
  release(webhookId: string): Promise<void>;
}

export default RedisGuard;
