// Types of kompliant-webhooks/redis.

import type { Claim, Guard, Held } from './index.js';

/** The default key prefix, `kompliant:webhook:` (the core's). */
export declare const DEFAULT_PREFIX: string;
/** The default retention of a processed id, in seconds (the core's: 7 days, the retry horizon). */
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
  /**
   * When given, replaces the adapter's lease in every claim and renewal (the adapters then
   * renew at its pace), so every process uses the same.
   */
  leaseSeconds?: number;
}

/**
 * A duplicate guard in Redis over a node-redis (v4+) or ioredis client you supply, speaking
 * the core's protocol: each id is one key, `prefix + id`, holding `in-progress:<token>` while
 * claimed (expiring with the lease) or `done` once processed (expiring after the retention);
 * claim, renew, complete and release are the core's four Lua scripts (EVALSHA, with EVAL
 * when Redis lacks the script), fenced by the claim's token. Redis errors reject; an answer
 * that is not the protocol's is an `InternalError`.
 */
export declare class RedisGuard implements Guard {
  /** @throws {TypeError} for a client that is neither; {RangeError} for a bad duration. */
  constructor(client: RedisClientLike, options?: RedisGuardOptions);
  /** The key prefix. */
  readonly prefix: string;
  /** The guard's own lease in seconds (the `leaseSeconds` option), or `null`. */
  readonly leaseSeconds: number | null;
  /** The Redis key of `webhookId`. */
  key(webhookId: string): string;
  /** Claims `webhookId` under `token` for `leaseSeconds` (or the guard's own lease). */
  claim(webhookId: string, token: string, leaseSeconds?: number): Promise<Claim>;
  /** Extends `token`'s claim; `LOST` (nothing changed) if it is no longer its own. */
  renew(webhookId: string, token: string, leaseSeconds?: number): Promise<Held>;
  /** Records `webhookId` as processed if `token` holds it or its lapsed claim is free. */
  complete(webhookId: string, token: string): Promise<Held>;
  /** Deletes `token`'s claim on `webhookId` (never a completed id nor another's claim). */
  release(webhookId: string, token: string): Promise<Held>;
}

export default RedisGuard;
