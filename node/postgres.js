'use strict';
// kompliant-webhooks/postgres: a duplicate guard in PostgreSQL for receivers running as several
// processes or on several machines, over a `pg.Pool` you supply (the package does not depend
// on `pg`), and its transactional mode, where the handler's own writes and the "processed"
// mark commit together or not at all.
//
//   const { Pool } = require('pg');
//   const { PostgresGuard } = require('kompliant-webhooks/postgres');
//   const guard = new PostgresGuard(new Pool({ connectionString: process.env.DATABASE_URL }));
//   await guard.createTable();
//   app.use('/webhooks', webhookMiddleware({ receiver, guard: guard.transactional(),
//     onWebhook: async (webhook, req, res, { db }) => { await db.query('INSERT …'); } }));
//
// The protocol is the core's (kompliant_webhooks::postgres, through the native module): the
// table's DDL, its name rule and the five statements (claim, renew, complete, release,
// cleanup), each one atomic statement answering one row; the answers are checked by the core.
// Nothing of the protocol is written again here.

const binding = require('./lib/native.js');
const { native } = require('./lib/errors.js');
const { DEFAULT_CLAIM_LEASE_SECONDS, millis } = require('./lib/guard.js');
const { INSPECT, checkString } = require('./lib/internal.js');

/** The default table name (the core's `postgres::DEFAULT_TABLE`). */
const DEFAULT_TABLE = binding.postgresDefaultTable();
/** The default retention of a processed id, in seconds (the core's: 7 days, the retry horizon). */
const DEFAULT_RETENTION_SECONDS = binding.postgresDefaultRetentionSeconds();
/** The default number of rows `cleanup()` deletes per statement. */
const DEFAULT_CLEANUP_BATCH = 1000;

function checkPool(pool) {
  if (typeof pool !== 'object' || pool === null || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
    throw new TypeError('pool must be a pg.Pool (an object with query() and connect())');
  }
  return pool;
}

/** The one-column answer of a statement's single row, as text. */
function answerOf(result, column = 'answer') {
  return String(result?.rows?.[0]?.[column]);
}

/**
 * Checks out a client of `pool` for one transaction: an 'error' listener keeps a connection
 * that dies while checked out from crashing the process (it is marked broken instead), and
 * `end()` gives it back to the pool, destroying it if it broke.
 */
async function checkout(pool) {
  const client = await pool.connect();
  let broken = null;
  const onError = (err) => {
    broken ??= err;
  };
  client.on('error', onError);
  let ended = false;
  return {
    client,
    fail(err) {
      broken ??= err ?? new Error('the transaction failed');
    },
    end() {
      if (ended) return;
      ended = true;
      client.off('error', onError);
      client.release(broken ?? undefined);
    },
  };
}

/**
 * A `Guard` in PostgreSQL. Options: `table` (default `kompliant_webhook_claims`; `name` or
 * `schema.name`, checked by the core), `retentionSeconds` (default 7 days), `leaseSeconds`
 * (when given, replaces the adapter's lease in every claim and renewal). Database errors
 * propagate (a failed claim is answered 500 and Kompliant retries).
 */
class PostgresGuard {
  #pool;
  #sql;
  #retentionMs;
  #leaseMs;

  constructor(pool, options = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    this.#pool = checkPool(pool);
    const table = options.table ?? DEFAULT_TABLE;
    if (typeof table !== 'string') throw new TypeError('table must be a string');
    this.#sql = Object.freeze(native(() => binding.postgresStatements(table)));
    this.#retentionMs = millis('retentionSeconds', options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS);
    this.#leaseMs = options.leaseSeconds === undefined ? null : millis('leaseSeconds', options.leaseSeconds);
  }

  /** The table's name. */
  get table() {
    return this.#sql.table;
  }

  /** The guard's own lease in seconds (the `leaseSeconds` option), or `null`. */
  get leaseSeconds() {
    return this.#leaseMs === null ? null : Number(this.#leaseMs) / 1000;
  }

  /** The retention of a processed id, in seconds. */
  get retentionSeconds() {
    return Number(this.#retentionMs) / 1000;
  }

  /** The core's DDL for this guard's table (two statements), as `createTable()` runs it. */
  get createTableSql() {
    return this.#sql.createTable;
  }

  /** Creates the table and its index if missing (the core's DDL, in one transaction). */
  async createTable() {
    const tx = await checkout(this.#pool);
    try {
      await tx.client.query('BEGIN');
      await tx.client.query(this.#sql.createTable);
      await tx.client.query('COMMIT');
    } catch (err) {
      await tx.client.query('ROLLBACK').catch(() => {});
      tx.fail(err);
      throw err;
    } finally {
      tx.end();
    }
  }

  /** Claims `webhookId` under `token`: a `Claim`. */
  async claim(webhookId, token, leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS) {
    const result = await this.#pool.query(this.#sql.claim, [checkString('webhookId', webhookId), checkString('token', token), this.#lease(leaseSeconds)]);
    return native(() => binding.checkClaim(answerOf(result)));
  }

  /** Extends `token`'s claim on `webhookId`: `HELD` or `LOST`. */
  async renew(webhookId, token, leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS) {
    const result = await this.#pool.query(this.#sql.renew, [checkString('webhookId', webhookId), checkString('token', token), this.#lease(leaseSeconds)]);
    return held('renew', result);
  }

  /** Records `webhookId` as processed for the retention window: `HELD` or `LOST`. */
  async complete(webhookId, token) {
    return completeOn(this.#pool, this.#sql, this.#retentionMs, webhookId, token);
  }

  /** Gives up `token`'s claim on `webhookId`: `HELD` or `LOST`. */
  async release(webhookId, token) {
    const result = await this.#pool.query(this.#sql.release, [checkString('webhookId', webhookId), checkString('token', token)]);
    return held('release', result);
  }

  /**
   * The retention cleanup: deletes the rows whose lease or retention ended, `batch` (default
   * 1000) per statement until a statement deletes fewer; resolves the number deleted. Run it
   * now and then (e.g. hourly).
   */
  async cleanup(options = {}) {
    const batch = options?.batch ?? DEFAULT_CLEANUP_BATCH;
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError('batch must be a positive integer');
    let total = 0;
    for (;;) {
      const deleted = Number(answerOf(await this.#pool.query(this.#sql.cleanup, [batch]), 'deleted'));
      total += deleted;
      if (!(deleted >= batch)) return total;
    }
  }

  /**
   * The transactional mode: a guard for the adapters whose handler gets, as its last
   * argument, `{ db }`, a client of the pool inside the transaction in which the webhook is
   * marked processed. Commit happens only if the mark is recorded for this claim.
   */
  transactional() {
    return new TransactionalPostgresGuard(this, this.#pool, this.#sql, this.#retentionMs);
  }

  #lease(leaseSeconds) {
    return this.#leaseMs ?? millis('leaseSeconds', leaseSeconds);
  }

  toString() {
    return `PostgresGuard(table=${JSON.stringify(this.table)}, retentionSeconds=${this.retentionSeconds}, leaseSeconds=${this.leaseSeconds})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

function held(method, result) {
  return native(() => binding.checkHeld(method, answerOf(result)));
}

async function completeOn(queryable, sql, retentionMs, webhookId, token) {
  const result = await queryable.query(sql.complete, [checkString('webhookId', webhookId), checkString('token', token), retentionMs]);
  return held('complete', result);
}

/**
 * A PostgresGuard in transactional mode: the four guard methods are the guard's (on the pool,
 * each statement committed alone), and `begin()` opens the handler's transaction.
 */
class TransactionalPostgresGuard {
  #guard;
  #pool;
  #sql;
  #retentionMs;

  constructor(guard, pool, sql, retentionMs) {
    this.#guard = guard;
    this.#pool = pool;
    this.#sql = sql;
    this.#retentionMs = retentionMs;
  }

  /** The PostgresGuard this mode runs over. */
  get guard() {
    return this.#guard;
  }

  get leaseSeconds() {
    return this.#guard.leaseSeconds;
  }

  claim(webhookId, token, leaseSeconds) {
    return this.#guard.claim(webhookId, token, leaseSeconds);
  }

  renew(webhookId, token, leaseSeconds) {
    return this.#guard.renew(webhookId, token, leaseSeconds);
  }

  complete(webhookId, token) {
    return this.#guard.complete(webhookId, token);
  }

  release(webhookId, token) {
    return this.#guard.release(webhookId, token);
  }

  /**
   * Opens a transaction on a client of the pool (`BEGIN`): a `GuardTransaction`, whose `db` the
   * handler writes with and whose `complete()` or `rollback()` ends it.
   */
  async begin() {
    const tx = await checkout(this.#pool);
    try {
      await tx.client.query('BEGIN');
    } catch (err) {
      tx.fail(err);
      tx.end();
      throw err;
    }
    return new GuardTransaction(tx, this.#sql, this.#retentionMs);
  }

  toString() {
    return `${this.#guard.toString()}.transactional()`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

/** One open transaction of the transactional mode; ended by `complete()` or `rollback()`. */
class GuardTransaction {
  #tx;
  #sql;
  #retentionMs;

  constructor(tx, sql, retentionMs) {
    this.#tx = tx;
    this.#sql = sql;
    this.#retentionMs = retentionMs;
  }

  /** The client inside the transaction (a `pg.PoolClient`); do not COMMIT or ROLLBACK it. */
  get db() {
    return this.#tx.client;
  }

  /**
   * Runs the core's complete statement in the transaction, then COMMIT if it answered
   * `HELD`, ROLLBACK if `LOST`; resolves the answer. Rejects (after a ROLLBACK attempt) if
   * the statement or the COMMIT failed: then nothing may have been committed.
   */
  async complete(webhookId, token) {
    const { client } = this.#tx;
    try {
      const answer = await completeOn(client, this.#sql, this.#retentionMs, webhookId, token);
      await client.query(answer === 'HELD' ? 'COMMIT' : 'ROLLBACK');
      return answer;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      this.#tx.fail(err);
      throw err;
    } finally {
      this.#tx.end();
    }
  }

  /** ROLLBACK (a failed handler): nothing of the transaction is kept. */
  async rollback() {
    try {
      await this.#tx.client.query('ROLLBACK');
    } catch (err) {
      this.#tx.fail(err);
      throw err;
    } finally {
      this.#tx.end();
    }
  }
}

module.exports = { PostgresGuard, TransactionalPostgresGuard, DEFAULT_TABLE, DEFAULT_RETENTION_SECONDS, default: PostgresGuard };
Object.defineProperty(module.exports, '__esModule', { value: true });
