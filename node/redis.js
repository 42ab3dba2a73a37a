'use strict';
// kompliant-webhooks/redis: a duplicate guard in Redis for receivers running as several
// processes or on several machines, over a client you supply (node-redis v4+ or ioredis).
//
//   const { createClient } = require('redis');
//   const { RedisGuard } = require('kompliant-webhooks/redis');
//   const redis = await createClient({ url: process.env.REDIS_URL }).connect();
//   app.use('/webhooks', webhookMiddleware({ receiver, guard: new RedisGuard(redis), onWebhook }));
//
// The protocol is the core's (kompliant_webhooks::redis, through the native module): each
// webhook id is one key, `prefix + id`, holding `in-progress:<token>` while claimed or
// `done` once processed; claim, renew, complete and release are its four Lua scripts (each
// reads and writes one key, so it is atomic), run with EVALSHA (EVAL when Redis does not
// have the script yet). Their answers are checked by the core. Nothing of the protocol is
// written again here.

const { createHash } = require('node:crypto');
const binding = require('./lib/native.js');
const { native } = require('./lib/errors.js');
const { DEFAULT_CLAIM_LEASE_SECONDS, millis } = require('./lib/guard.js');
const { INSPECT, checkString } = require('./lib/internal.js');

const PROTOCOL = binding.redisProtocol();

/** The default key prefix (the core's `redis::DEFAULT_PREFIX`). */
const DEFAULT_PREFIX = PROTOCOL.defaultPrefix;
/** The default retention of a processed id, in seconds (the core's: 7 days, the retry horizon). */
const DEFAULT_RETENTION_SECONDS = PROTOCOL.defaultRetentionSeconds;

/** A script of the protocol with its SHA-1 (what EVALSHA names it by). */
function script(source) {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') });
}
const SCRIPTS = Object.freeze({
  claim: script(PROTOCOL.claim),
  renew: script(PROTOCOL.renew),
  complete: script(PROTOCOL.complete),
  release: script(PROTOCOL.release),
});

/** A function sending one command (`[name, ...args]`) with the client's own API. */
function commandSender(client) {
  if (typeof client !== 'object' || client === null) throw new TypeError('client must be a node-redis or ioredis client');
  if (typeof client.call === 'function') return (args) => client.call(...args); // ioredis
  if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args); // node-redis v4+
  throw new TypeError('client must be a node-redis (v4 or later) or ioredis client: it has neither call() nor sendCommand()');
}

/** A reply as text (either client may answer a Buffer). */
function text(reply) {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}

/**
 * A `Guard` in Redis. Options: `prefix` (default `kompliant:webhook:`; one per Kompliant
 * account if several share a Redis), `retentionSeconds` (default 7 days), `leaseSeconds`
 * (when given, replaces the adapter's lease in every claim and renewal, so every process
 * uses the same; the adapters then renew at its pace). Redis errors propagate (a failed
 * claim is answered 500 and Kompliant retries).
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
    return this.prefix + checkString('webhookId', webhookId);
  }

  /** The guard's own lease in seconds (the `leaseSeconds` option), or `null`. */
  get leaseSeconds() {
    return this.#leaseMs === null ? null : Number(this.#leaseMs) / 1000;
  }

  /** Claims `webhookId` under `token` (the CLAIM script): a `Claim`. */
  async claim(webhookId, token, leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS) {
    const reply = await this.#run(SCRIPTS.claim, webhookId, token, this.#lease(leaseSeconds));
    return native(() => binding.checkClaim(text(reply)));
  }

  /** Extends `token`'s claim on `webhookId` (the RENEW script): `HELD` or `LOST`. */
  async renew(webhookId, token, leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS) {
    return this.#held('renew', await this.#run(SCRIPTS.renew, webhookId, token, this.#lease(leaseSeconds)));
  }

  /** Records `webhookId` as processed for the retention window (the COMPLETE script): `HELD` or `LOST`. */
  async complete(webhookId, token) {
    return this.#held('complete', await this.#run(SCRIPTS.complete, webhookId, token, this.#retentionMs));
  }

  /** Gives up `token`'s claim on `webhookId` (the RELEASE script): `HELD` or `LOST`. */
  async release(webhookId, token) {
    return this.#held('release', await this.#run(SCRIPTS.release, webhookId, token));
  }

  #lease(leaseSeconds) {
    return this.#leaseMs ?? millis('leaseSeconds', leaseSeconds);
  }

  #held(method, reply) {
    return native(() => binding.checkHeld(method, text(reply)));
  }

  /** Runs a script on the key of `webhookId` with `token` (and `ms`): EVALSHA, else EVAL. */
  async #run(s, webhookId, token, ms) {
    const args = ['1', this.key(webhookId), checkString('token', token), ...(ms === undefined ? [] : [ms])];
    try {
      return await this.#send(['EVALSHA', s.sha, ...args]);
    } catch (err) {
      if (!String(err?.message).startsWith('NOSCRIPT')) throw err;
      return this.#send(['EVAL', s.source, ...args]);
    }
  }

  toString() {
    return `RedisGuard(prefix=${JSON.stringify(this.prefix)}, retentionSeconds=${Number(this.#retentionMs) / 1000}, leaseSeconds=${this.leaseSeconds})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

module.exports = { RedisGuard, DEFAULT_PREFIX, DEFAULT_RETENTION_SECONDS, default: RedisGuard };
Object.defineProperty(module.exports, '__esModule', { value: true });
