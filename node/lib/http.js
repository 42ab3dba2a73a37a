'use strict';
// What the three middlewares share: reading the raw body with a size cap, and turning one
// delivery into an HTTP answer (200, or the error's suggested status and public message).
// Every status and public text is the core's (ErrorCode::http_status / public_message,
// decided::HANDLER_FAILURE_STATUS).

const binding = require('./native.js');
const { WebhookError, InternalError, native } = require('./errors.js');
const { WebhookReceiver } = require('./receiver.js');
const { checkFunction } = require('./internal.js');
const guards = require('./guard.js');
const bytes = require('./bytes.js');

/**
 * Checks middleware options; returns a function giving the receiver for a request. An
 * adapter calls it ONCE per request (a `receiver` function may reload a keyring file) and
 * uses that receiver for both the body limit and the decryption.
 */
function receiverSource(options, where) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object`);
  checkFunction(`${where}: options.onWebhook`, options.onWebhook);
  if (options.onError !== undefined) checkFunction(`${where}: options.onError`, options.onError);
  if (options.guard !== undefined && options.guard !== null) guards.checkGuard(where, options.guard);
  guards.optionalSeconds(`${where}: options.leaseSeconds`, options.leaseSeconds);
  const { receiver } = options;
  if (receiver instanceof WebhookReceiver) return () => receiver;
  if (typeof receiver === 'function') {
    return () => {
      const r = receiver();
      if (!(r instanceof WebhookReceiver)) throw new TypeError(`${where}: options.receiver() must return a WebhookReceiver`);
      return r;
    };
  }
  throw new TypeError(`${where}: options.receiver must be a WebhookReceiver or a function returning one`);
}

/** The default `onError`: one line on stderr with the code and the operator message. */
function logError(err) {
  const code = err?.code ?? err?.name ?? 'ERROR';
  console.error(`kompliant-webhooks: webhook refused or failed: ${code}: ${err?.message ?? err}`);
}

/**
 * Reads a Node stream into a Buffer (lib/bytes.js), stopping after `limit + 1` bytes: the core then refuses
 * the body as BODY_TOO_LARGE (413) without this layer deciding anything.
 */
function readNodeStream(stream, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const done = (err, value) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk) => {
      const buf = typeof chunk === 'string' ? bytes.utf8(chunk) : chunk;
      chunks.push(buf);
      size += buf.length;
      if (size > limit) {
        stream.pause();
        done(null, bytes.concat(chunks, size));
      }
    };
    const onEnd = () => done(null, bytes.concat(chunks, size));
    const onError = (err) => done(err);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** As readNodeStream, for a WHATWG ReadableStream (fetch `Request.body`). */
async function readWebStream(body, limit) {
  if (!body) return bytes.empty();
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return bytes.concat(chunks, size);
}

/**
 * The HTTP answer for a refused delivery: a `WebhookError`'s own status and public message;
 * anything else (a failing `receiver` function, a consumed body) is a receiver-side fault,
 * answered as the core answers `INTERNAL`.
 */
function refusal(err) {
  if (err instanceof WebhookError) return { status: err.httpStatus, text: err.publicMessage };
  const internal = binding.httpAnswer('INTERNAL');
  return { status: internal.status, text: internal.publicMessage };
}

/** The answer when the user's handler throws or rejects: the core's HANDLER_FAILURE_STATUS. */
function handlerFailure() {
  const answer = binding.handlerFailureAnswer();
  return { status: answer.status, text: answer.publicMessage };
}

const OK = { status: 200, text: 'ok' };

/**
 * The receiver for one request: `getReceiver()` called once. Resolves to `{ receiver }`, or
 * to `{ answer }` (a refusal, reported to `onError`) if the `receiver` function throws.
 */
async function receiverFor(getReceiver, options, context) {
  try {
    return { receiver: getReceiver() };
  } catch (err) {
    await report(options.onError ?? logError, err, context);
    return { answer: refusal(err) };
  }
}

/**
 * Refuses a request whose body cannot be verified (already consumed): `err` goes to
 * `onError` and the answer is the core's `INTERNAL` one.
 */
async function refuse(err, options, context) {
  await report(options.onError ?? logError, err, context);
  return refusal(err);
}

/** An adapter's `responseStatus` when its handler cannot answer with a response of its own. */
const noResponse = () => null;

/**
 * Decrypts `body` with `receiver` (from `receiverFor`) and runs `onWebhook(webhook,
 * ...context)`. Resolves to `{ status, text, handlerResult? }`: 200 after the handler; the
 * error's suggested status and public message if the webhook is refused (503 for an unknown
 * key: Kompliant retries); HANDLER_FAILURE_STATUS (500) if the handler throws or rejects,
 * whatever the error (Kompliant retries later). `onError` sees every failure.
 * `responseStatus(handlerResult, ...context)` is the adapter's reading of the status of a
 * response the handler answered with itself (`null`: none), for the core's handler-failure
 * rule when a guard is used.
 */
async function deliver(receiver, body, options, context, responseStatus = noResponse) {
  const onError = options.onError ?? logError;
  let webhook;
  try {
    // decryptAsync: in kompliant-webhooks/edge its AES-GCM is WebCrypto's (in Node, decrypt).
    webhook = await receiver.decryptAsync(body);
  } catch (err) {
    await report(onError, err, context);
    return refusal(err);
  }
  if (options.guard !== undefined && options.guard !== null) return deliverGuarded(webhook, options, context, responseStatus);
  try {
    const handlerResult = await options.onWebhook(webhook, ...context);
    return { ...OK, handlerResult };
  } catch (err) {
    await report(onError, err, context);
    return handlerFailure();
  }
}

/** An answer from a core outcome. */
function answerFor(outcome, extra) {
  return { status: outcome.httpStatus, text: outcome.publicMessage, outcome, ...extra };
}

/**
 * The lease of a delivery's claim: a guard's own fixed `leaseSeconds` (RedisGuard's option,
 * which replaces the adapter's in its claims and renewals), else the adapter's, else the
 * core's default.
 */
function leaseFor(guard, options) {
  return typeof guard.leaseSeconds === 'number' ? guard.leaseSeconds : (options.leaseSeconds ?? undefined);
}

/**
 * The core's guarded flow (`GuardFlow`) for a verified webhook, with the guard's I/O done
 * here: claim with the flow's fresh token → the handler only if ACQUIRED, the claim renewed
 * every `renewIntervalMs` while it runs (unless `options.renew === false`) → complete after
 * success, release after failure (the core's `handlerSucceeded`: the handler threw, or
 * answered with a response of status >= 400) → the core's answer. A duplicate is answered
 * from the core's outcome (200 processed, 503 in progress or guard full) without calling the
 * handler; a failed claim is an INTERNAL (500) answer, reported to onError; a failed renew,
 * complete or release is reported and does not change the answer; a claim lost while the
 * handler ran (the webhook may have been processed twice) is reported as an InternalError
 * carrying the core's message.
 */
async function deliverGuarded(webhook, options, context, responseStatus) {
  const onError = options.onError ?? logError;
  const reportError = (err) => report(onError, err, context);
  const { guard } = options;
  let flow;
  let skip;
  try {
    flow = native(() => new binding.GuardFlow(webhook.id, leaseFor(guard, options)));
    let claim;
    try {
      claim = await guard.claim(webhook.id, flow.token, flow.leaseSeconds);
    } catch (err) {
      throw guards.guardFailure('claim', err);
    }
    skip = native(() => flow.claimed(guards.claimString(claim)));
  } catch (err) {
    await reportError(err);
    return refusal(err);
  }
  if (skip) return answerFor(guards.frozenOutcome(skip));
  if (typeof guard.begin === 'function') return deliverInTransaction(webhook, options, context, responseStatus, flow);

  const renewal = options.renew === false ? null : guards.renewWhileRunning(guard, flow, reportError);
  let handlerResult;
  let raised = false;
  try {
    handlerResult = await options.onWebhook(webhook, ...context);
  } catch (err) {
    raised = true;
    await reportError(err);
  }
  await renewal?.stop();
  const succeeded = guards.handlerSucceeded(raised, raised ? null : responseStatus(handlerResult, ...context));
  const method = flow.settle(succeeded);
  let held = null;
  let guardFailed = false;
  try {
    held = await guard[method](webhook.id, flow.token);
  } catch (err) {
    guardFailed = true;
    await reportError(guards.guardFailure(method, err));
  }
  const finished = flow.finish(succeeded, typeof held === 'string' ? held : null, guardFailed, renewal?.lost ?? false);
  if (finished.guardError) await reportError(new InternalError(finished.guardError));
  if (finished.claimLost) await reportError(new InternalError(`internal error: ${finished.message}`));
  return answerFor(guards.frozenOutcome(finished.outcome), raised ? {} : { handlerResult });
}

/**
 * The rest of the guarded flow in transactional mode (a guard with `begin()`, e.g.
 * `PostgresGuard#transactional()`), once claimed: `begin()` opens the handler's transaction →
 * the handler gets `{ db }` (its client) as its last argument, the claim renewed on the guard
 * (another connection) while it runs → after success, the transaction's `complete()` records
 * the webhook as processed IN that transaction and commits only on HELD (LOST rolls back:
 * answered 503, Kompliant retries); after failure (the core's rule), ROLLBACK then the
 * guard's release → the core's `finishInTransaction` answer. If the transaction cannot be
 * opened or completed, the claim is released so a retry need not wait for the lease.
 */
async function deliverInTransaction(webhook, options, context, responseStatus, flow) {
  const onError = options.onError ?? logError;
  const reportError = (err) => report(onError, err, context);
  const { guard } = options;
  const releaseQuietly = async () => {
    try {
      await guard.release(webhook.id, flow.token);
    } catch (err) {
      await reportError(guards.guardFailure('release', err));
    }
  };
  let tx;
  try {
    tx = await guard.begin();
  } catch (err) {
    const failure = guards.guardFailure('begin', err);
    await reportError(failure);
    await releaseQuietly();
    return refusal(failure);
  }
  const renewal = options.renew === false ? null : guards.renewWhileRunning(guard, flow, reportError);
  let handlerResult;
  let raised = false;
  try {
    handlerResult = await options.onWebhook(webhook, ...context, { db: tx.db });
  } catch (err) {
    raised = true;
    await reportError(err);
  }
  // No renewal starts from here on, but one in flight may be waiting for a pool client that
  // only this transaction's end gives back (a pool of one, or every client in a transaction):
  // it is awaited after the transaction ended. Its answer no longer matters (LOST on a
  // completed or released id changes nothing).
  const renewalStopped = renewal?.stop();
  const succeeded = guards.handlerSucceeded(raised, raised ? null : responseStatus(handlerResult, ...context));
  let held = null;
  let guardFailed = false;
  if (succeeded) {
    try {
      held = await tx.complete(webhook.id, flow.token);
    } catch (err) {
      guardFailed = true;
      await reportError(guards.guardFailure('complete', err));
      await releaseQuietly();
    }
  } else {
    try {
      await tx.rollback();
    } catch (err) {
      await reportError(guards.guardFailure('rollback', err));
    }
    try {
      held = await guard.release(webhook.id, flow.token);
    } catch (err) {
      guardFailed = true;
      await reportError(guards.guardFailure('release', err));
    }
  }
  await renewalStopped;
  const finished = flow.finishInTransaction(succeeded, typeof held === 'string' ? held : null, guardFailed);
  if (finished.guardError) await reportError(new InternalError(finished.guardError));
  if (finished.claimLost) await reportError(new InternalError(`internal error: ${finished.message}`));
  return answerFor(guards.frozenOutcome(finished.outcome), raised ? {} : { handlerResult });
}

async function report(onError, err, context) {
  try {
    await onError(err, ...context);
  } catch (hookErr) {
    logError(hookErr);
  }
}

module.exports = { receiverSource, receiverFor, readNodeStream, readWebStream, deliver, refuse, logError };
