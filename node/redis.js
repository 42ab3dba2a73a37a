'use strict';
// kompliant-webhooks/redis: a duplicate guard in Redis for receivers running as several
// processes or on several machines, over a client you supply (node-redis v4+ or ioredis).
//
//   const { createClient } = require('redis');
//   const { RedisGuard } = require('kompliant-webhooks/redis');
//   const redis = await createClient({ url: process.env.REDIS_URL }).connect();
//   app.use('/webhooks', webhookMiddleware({ receiver, guard: new RedisGuard(redis), onWebhook }));
//
// Each webhook id is one key, `prefix + id`: claim is `SET key in-progress NX PX lease`
// (atomic in Redis), complete is `SET key done PX retention`, release a Lua script deleting
// the key only while it holds `in-progress`, so a completed id is never released.

const { DEFAULT_CLAIM_LEASE_SECONDS, optionalSeconds } = require('./lib/guard.js');
const { INSPECT } = require('./lib/internal.js');

/** The default key prefix. */
const DEFAULT_PREFIX = 'kompliant:webhook:';
/** The default retention of a processed id, in seconds: 7 days, the retry horizon. */
const DEFAULT_RETENTION_SECONDS = 7 * 24 * 60 * 60;

const IN_PROGRESS = 'in-progress';
const DONE = 'done';
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

function millis(name, seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`${name} must be a finite, positive number of seconds`);
  }
  return String(Math.max(1, Math.round(seconds * 1000)));
}

/** A function sending one command (`[name, ...args]`) with the client's own API. */
function commandSender(client) {
  if (typeof client !== 'object' || client === null) throw new TypeError('client must be a node-redis or ioredis client');
  if (typeof client.call === 'function') return (args) => client.call(...args); // ioredis
  if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args); // node-redis v4+
  throw new TypeError('client must be a node-redis (v4 or later) or ioredis client: it has neither call() nor sendCommand()');
}

/**
 * A `Guard` in Redis. Options: `prefix` (default `kompliant:webhook:`; one per Kompliant
 * account if several share a Redis), `retentionSeconds` (default 7 days), `leaseSeconds`
 * (when given, replaces the lease the adapter asks for, so every process uses the same).
 * Redis errors propagate (a failed claim is answered 500 and Kompliant retries).
 */
class RedisGuard {
  #send;
  #retentionMs;
  #leaseMs;

  constructor(client, options = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    this.#send = commandSender(client);
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof this.prefix !== 'string') throw new TypeError('prefix must be a string');
    this.#retentionMs = millis('retentionSeconds', options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS);
    this.#leaseMs = options.leaseSeconds === undefined ? null : millis('leaseSeconds', options.leaseSeconds);
  }

  /** The Redis key of `webhookId`. */
  key(webhookId) {
    return this.prefix + webhookId;
  }

  /** Claims `webhookId` (SET NX PX): a `Claim`. */
  async claim(webhookId, leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS) {
    const key = this.key(webhookId);
    const leaseMs = this.#leaseMs ?? millis('leaseSeconds', optionalSeconds('leaseSeconds', leaseSeconds) || 0.001);
    // A key that expires between SET NX and GET is free again: try once more.
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await this.#send(['SET', key, IN_PROGRESS, 'NX', 'PX', leaseMs])) !== null) return 'ACQUIRED';
      const current = await this.#send(['GET', key]);
      if (current === null || current === undefined) continue;
      return String(current) === DONE ? 'ALREADY_COMPLETED' : 'IN_PROGRESS';
    }
    return 'IN_PROGRESS';
  }

  /** Records `webhookId` as processed for the retention window. */
  async complete(webhookId) {
    await this.#send(['SET', this.key(webhookId), DONE, 'PX', this.#retentionMs]);
  }

  /** Deletes `webhookId`'s claim while it is in progress (never a completed id). */
  async release(webhookId) {
    await this.#send(['EVAL', RELEASE, '1', this.key(webhookId), IN_PROGRESS]);
  }

  toString() {
    return `RedisGuard(prefix=${JSON.stringify(this.prefix)}, retentionSeconds=${Number(this.#retentionMs) / 1000}, leaseSeconds=${this.#leaseMs === null ? 'null' : Number(this.#leaseMs) / 1000})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

module.exports = { RedisGuard, DEFAULT_PREFIX, DEFAULT_RETENTION_SECONDS, default: RedisGuard };
Object.defineProperty(module.exports, '__esModule', { value: true });
