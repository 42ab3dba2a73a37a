'use strict';
// The duplicate guard: the core's MemoryGuard, and the core's claim parsing and answers for
// guards written in JavaScript (which may be async: adapters await them).

const binding = require('./native.js');
const { native, InternalError } = require('./errors.js');
const { INSPECT, checkString } = require('./internal.js');

/** Every claim string a guard may answer (the core's `Claim`), in documentation order. */
const CLAIMS = Object.freeze(binding.claims());

/** The core's default lease of a claim, in seconds (300). */
const DEFAULT_CLAIM_LEASE_SECONDS = binding.DEFAULT_CLAIM_LEASE_SECONDS;

function optionalSeconds(name, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite, non-negative number of seconds`);
  }
  return value;
}

/**
 * The core's in-process duplicate guard: remembers which webhook ids are being processed (for
 * their lease) and which were processed (for `retentionSeconds`, default 7 days), holding at
 * most `maxEntries` ids (default 1,000,000; when full it answers `AT_CAPACITY` and forgets
 * nothing early). For a receiver running as one process; several processes need a shared
 * guard (`kompliant-webhooks/redis`).
 */
class MemoryGuard {
  #native;

  constructor(options = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { maxEntries, retentionSeconds } = options;
    if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || maxEntries < 1)) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.#native = native(() => new binding.MemoryGuard(maxEntries, optionalSeconds('retentionSeconds', retentionSeconds)));
  }

  /** Claims `webhookId` for `leaseSeconds` (default 300): one of `CLAIMS`. */
  claim(webhookId, leaseSeconds) {
    checkString('webhookId', webhookId);
    const lease = optionalSeconds('leaseSeconds', leaseSeconds);
    return native(() => this.#native.claim(webhookId, lease));
  }

  /** Records `webhookId` as processed (remembered for the retention window). */
  complete(webhookId) {
    checkString('webhookId', webhookId);
    native(() => this.#native.complete(webhookId));
  }

  /** Gives up the claim on `webhookId` after a failure; never forgets a completed id. */
  release(webhookId) {
    checkString('webhookId', webhookId);
    native(() => this.#native.release(webhookId));
  }

  /** Number of ids held. */
  get size() {
    return this.#native.size;
  }

  /** Largest number of ids held. */
  get maxEntries() {
    return this.#native.maxEntries;
  }

  /** How long a completed id is remembered, in seconds. */
  get retentionSeconds() {
    return this.#native.retentionSeconds;
  }

  toString() {
    return `MemoryGuard(size=${this.size}, maxEntries=${this.maxEntries}, retentionSeconds=${this.retentionSeconds})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

function frozenOutcome(o) {
  return Object.freeze({
    name: o.name,
    httpStatus: o.httpStatus,
    publicMessage: o.publicMessage,
    isDuplicate: o.isDuplicate,
    willBeRedelivered: o.willBeRedelivered,
  });
}

/**
 * The outcome of a delivery not processed because of `claim` (parsed by the core), or `null`
 * for `ACQUIRED`. An `InternalError` for anything that is not a claim string.
 */
function outcomeForClaim(claim) {
  if (typeof claim !== 'string') {
    throw new InternalError(`internal error: the duplicate guard's claim() answered a ${claim === null ? 'null' : typeof claim}, not one of ${CLAIMS.join(', ')}`);
  }
  const o = native(() => binding.claimOutcome(claim));
  return o ? frozenOutcome(o) : null;
}

/** The outcome of a claimed delivery once the handler ran (`PROCESSED` or `HANDLER_FAILED`). */
function outcomeAfterHandler(succeeded) {
  return frozenOutcome(binding.handlerOutcome(Boolean(succeeded)));
}

/** Checks a `guard` option: an object with claim, complete and release functions. */
function checkGuard(where, guard) {
  if (typeof guard !== 'object' || guard === null) throw new TypeError(`${where}: options.guard must be a guard object`);
  for (const method of ['claim', 'complete', 'release']) {
    if (typeof guard[method] !== 'function') throw new TypeError(`${where}: options.guard has no ${method}() method`);
  }
  return guard;
}

/**
 * An `InternalError` (500) for a guard method that threw or rejected: the message names the
 * error's class only (a store's error text may quote its address or credentials); the
 * original is the `cause`.
 */
function guardFailure(method, err) {
  const kind = err?.constructor?.name ?? typeof err;
  return new InternalError(`internal error: the duplicate guard's ${method}() failed (${kind})`, undefined, undefined, { cause: err });
}

module.exports = { MemoryGuard, CLAIMS, DEFAULT_CLAIM_LEASE_SECONDS, outcomeForClaim, outcomeAfterHandler, checkGuard, guardFailure, optionalSeconds };
