// Types of kompliant-webhooks/postgres.

import type { Claim, Guard, GuardTransaction, Held, TransactionalGuard } from './index.js';

/** The default table, `kompliant_webhook_claims` (the core's). */
export declare const DEFAULT_TABLE: string;
/** The default retention of a processed id, in seconds (the core's: 7 days, the retry horizon). */
export declare const DEFAULT_RETENTION_SECONDS: number;

/**
 * What PostgresGuard needs of a pool: `pg`'s `Pool` (the package does not depend on `pg`;
 * you create, configure and end the pool).
 */
export interface PoolLike {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  connect(): Promise<{
    query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
    release(err?: Error | boolean): void;
    on(event: 'error', listener: (err: Error) => void): unknown;
    off(event: 'error', listener: (err: Error) => void): unknown;
  }>;
}

/** PostgresGuard options. */
export interface PostgresGuardOptions {
  /**
   * The table (default `kompliant_webhook_claims`): `name` or `schema.name`, each part
   * lower-case letters, digits and `_`, not starting with a digit, at most 63 bytes (the
   * core's rule; anything else is an `InvalidConfigurationError`).
   */
  table?: string;
  /** How long a processed id is remembered, in seconds (default 7 days). */
  retentionSeconds?: number;
  /**
   * When given, replaces the adapter's lease in every claim and renewal (the adapters then
   * renew at its pace), so every process uses the same.
   */
  leaseSeconds?: number;
}

/**
 * A duplicate guard in PostgreSQL over a `pg.Pool` you supply, speaking the core's protocol:
 * one row per webhook id (`in-progress` with the claim's token and lease, or `done` until
 * the retention ends), claim, renew, complete and release each one atomic statement of the
 * core's, fenced by the token; times are the server's. Database errors reject; an answer that
 * is not the protocol's is an `InternalError`.
 */
export declare class PostgresGuard implements Guard {
  /**
   * @throws {TypeError} for a pool that is not one; {InvalidConfigurationError} for a bad
   * table name; {RangeError} for a bad duration.
   */
  constructor(pool: PoolLike, options?: PostgresGuardOptions);
  /** The table. */
  readonly table: string;
  /** The guard's own lease in seconds (the `leaseSeconds` option), or `null`. */
  readonly leaseSeconds: number | null;
  /** The retention of a processed id, in seconds. */
  readonly retentionSeconds: number;
  /** The core's DDL for this table (two statements), as `createTable()` runs it. */
  readonly createTableSql: string;
  /** Creates the table and its index if missing, in one transaction. */
  createTable(): Promise<void>;
  /** Claims `webhookId` under `token` for `leaseSeconds` (or the guard's own lease). */
  claim(webhookId: string, token: string, leaseSeconds?: number): Promise<Claim>;
  /** Extends `token`'s claim; `LOST` (nothing changed) if it is no longer its own. */
  renew(webhookId: string, token: string, leaseSeconds?: number): Promise<Held>;
  /** Records `webhookId` as processed if `token` holds it or its lapsed claim is free. */
  complete(webhookId: string, token: string): Promise<Held>;
  /** Deletes `token`'s claim on `webhookId` (never a completed id nor another's claim). */
  release(webhookId: string, token: string): Promise<Held>;
  /**
   * The retention cleanup: deletes rows whose lease or retention ended, `batch` (default
   * 1000) per statement until one deletes fewer; resolves the number deleted.
   */
  cleanup(options?: { batch?: number }): Promise<number>;
  /**
   * The transactional mode, for an adapter's `guard`: the handler gets `{ db }`, a client in
   * the transaction in which the webhook is marked processed, as its last argument.
   */
  transactional(): TransactionalPostgresGuard;
}

/** A PostgresGuard in transactional mode (from `PostgresGuard#transactional()`). */
export declare class TransactionalPostgresGuard implements TransactionalGuard {
  private constructor();
  /** The PostgresGuard it runs over. */
  readonly guard: PostgresGuard;
  readonly leaseSeconds: number | null;
  claim(webhookId: string, token: string, leaseSeconds?: number): Promise<Claim>;
  renew(webhookId: string, token: string, leaseSeconds?: number): Promise<Held>;
  complete(webhookId: string, token: string): Promise<Held>;
  release(webhookId: string, token: string): Promise<Held>;
  /** Opens a transaction (`BEGIN`) on a client of the pool. */
  begin(): Promise<GuardTransaction>;
}

export default PostgresGuard;
