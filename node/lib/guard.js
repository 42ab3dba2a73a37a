'use strict';
// The duplicate guard: the core's MemoryGuard (fenced claims: every call names the claim's
// token), and the core's parsing, decisions and answers for guards written in JavaScript
// (which may be async: lib/http.js awaits them and drives the core's GuardFlow).

const binding = require('./native.js');
const { native, InternalError } = require('./errors.js');
const { INSPECT, checkString } = require('./internal.js');

/** Every claim string a guard may answer (the core's `Claim`), in documentation order. */
const CLAIMS = Object.freeze(binding.claims());

/** The core's default lease of a claim, in seconds (300). */
const DEFAULT_CLAIM_LEASE_SECONDS = binding.DEFAULT_CLAIM_LEASE_SECONDS;

/** The methods every guard has, each taking the claim's token after the webhook id. */
const GUARD_METHODS = Object.freeze(['claim', 'renew', 'complete', 'release']);

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

  /** Claims `webhookId` under `token` for `leaseSeconds` (default 300): one of `CLAIMS`. */
  claim(webhookId, token, leaseSeconds) {
    checkString('webhookId', webhookId);
    checkString('token', token);
    const lease = optionalSeconds('leaseSeconds', leaseSeconds);
    return native(() => this.#native.claim(webhookId, token, lease));
  }

  /**
   * Extends `token`'s claim on `webhookId` to `leaseSeconds` (default 300) from now: `HELD`,
   * or `LOST` (nothing changed) when `token` no longer holds it.
   */
  renew(webhookId, token, leaseSeconds) {
    checkString('webhookId', webhookId);
    checkString('token', token);
    const lease = optionalSeconds('leaseSeconds', leaseSeconds);
    return native(() => this.#native.renew(webhookId, token, lease));
  }

  /**
   * Records `webhookId` as processed (remembered for the retention window) if `token` holds
   * the claim, or its lapsed claim is still free: `HELD`; otherwise `LOST`, nothing changed.
   */
  complete(webhookId, token) {
    checkString('webhookId', webhookId);
    checkString('token', token);
    return native(() => this.#native.complete(webhookId, token));
  }

  /**
   * Gives up `token`'s claim on `webhookId` after a failure: `HELD`; `LOST` (nothing changed)
   * for another holder's claim or a completed id.
   */
  release(webhookId, token) {
    checkString('webhookId', webhookId);
    checkString('token', token);
    return native(() => this.#native.release(webhookId, token));
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

/**
 * `seconds` as the whole milliseconds a store's script or statement takes (the core's
 * `millis`, at least 1), as a decimal string; a RangeError naming `name` if bad.
 */
function millis(name, seconds) {
  if (typeof seconds !== 'number') throw new RangeError(`${name} must be a finite, positive number of seconds`);
  return native(() => binding.redisMillis(name, seconds));
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
  const o = native(() => binding.claimOutcome(claimString(claim)));
  return o ? frozenOutcome(o) : null;
}

/** `claim` if it is a string (the core parses it); an `InternalError` for any other value. */
function claimString(claim) {
  if (typeof claim !== 'string') {
    throw new InternalError(`internal error: the duplicate guard's claim() answered a ${claim === null ? 'null' : typeof claim}, not one of ${CLAIMS.join(', ')}`);
  }
  return claim;
}

/** The outcome of a claimed delivery once the handler ran (`PROCESSED` or `HANDLER_FAILED`). */
function outcomeAfterHandler(succeeded) {
  return frozenOutcome(binding.handlerOutcome(Boolean(succeeded)));
}

/**
 * Whether a handler succeeded, the core's one rule (`ReceiveOutcome::handler_succeeded`): it
 * failed when it threw or rejected (`raised`), or answered with a response whose status is
 * 400 or more (`status`; `null`/`undefined` when it answered nothing of its own).
 */
function handlerSucceeded(raised, status) {
  const s = typeof status === 'number' && Number.isInteger(status) && status >= 0 ? status : null;
  return binding.handlerSucceeded(Boolean(raised), s === null ? undefined : Math.min(s, 0xffffffff));
}

/** Checks a `guard` option: an object with claim, renew, complete and release functions. */
function checkGuard(where, guard) {
  if (typeof guard !== 'object' || guard === null) throw new TypeError(`${where}: options.guard must be a guard object`);
  for (const method of GUARD_METHODS) {
    if (typeof guard[method] !== 'function') {
      throw new TypeError(
        `${where}: options.guard has no ${method}() method; a guard needs claim(webhookId, token, leaseSeconds), ` +
          'renew(webhookId, token, leaseSeconds), complete(webhookId, token) and release(webhookId, token) ' +
          '(claims are fenced by a token and renewed while the handler runs)',
      );
    }
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

/**
 * Renews `flow`'s claim every `flow.renewIntervalMs` while a handler runs (an unref'd timer,
 * one renewal at a time). A `LOST` answer stops the renewals and is remembered (`lost`); a
 * renewal that fails (or answers nonsense) goes to `report` and the next one is tried.
 * `stop()` ends the renewals and waits for one in flight.
 */
function renewWhileRunning(guard, flow, report) {
  let lost = false;
  let stopped = false;
  let inFlight = null;
  const renewOnce = async () => {
    let held;
    try {
      held = await guard.renew(flow.webhookId, flow.token, flow.leaseSeconds);
    } catch (err) {
      if (!stopped) await report(guardFailure('renew', err));
      return;
    }
    try {
      if (!native(() => flow.renewed(typeof held === 'string' ? held : String(held)))) {
        lost = true;
        clearInterval(timer);
      }
    } catch (err) {
      await report(err);
    }
  };
  const timer = setInterval(() => {
    if (inFlight || stopped || lost) return;
    inFlight = renewOnce().finally(() => {
      inFlight = null;
    });
  }, flow.renewIntervalMs);
  timer.unref?.();
  return {
    get lost() {
      return lost;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

module.exports = {
  MemoryGuard,
  CLAIMS,
  DEFAULT_CLAIM_LEASE_SECONDS,
  outcomeForClaim,
  outcomeAfterHandler,
  handlerSucceeded,
  checkGuard,
  guardFailure,
  optionalSeconds,
  frozenOutcome,
  claimString,
  renewWhileRunning,
  millis,
};
