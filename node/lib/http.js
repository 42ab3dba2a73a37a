'use strict';
// What the three middlewares share: reading the raw body with a size cap, and turning one
// delivery into an HTTP answer (200, or the error's suggested status and public message).

const { WebhookError } = require('./errors.js');
const { WebhookReceiver } = require('./receiver.js');
const { checkFunction } = require('./internal.js');

/** Checks middleware options; returns a function giving the receiver for a request. */
function receiverSource(options, where) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object`);
  checkFunction(`${where}: options.onWebhook`, options.onWebhook);
  if (options.onError !== undefined) checkFunction(`${where}: options.onError`, options.onError);
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
 * Reads a Node stream into a Buffer, stopping after `limit + 1` bytes: the core then refuses
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
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      size += buf.length;
      if (size > limit) {
        stream.pause();
        done(null, Buffer.concat(chunks, size));
      }
    };
    const onEnd = () => done(null, Buffer.concat(chunks, size));
    const onError = (err) => done(err);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** As readNodeStream, for a WHATWG ReadableStream (fetch `Request.body`). */
async function readWebStream(body, limit) {
  if (!body) return Buffer.alloc(0);
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
  return Buffer.concat(chunks, size);
}

/** The HTTP answer for a refused delivery. */
function refusal(err) {
  if (err instanceof WebhookError) return { status: err.httpStatus, text: err.publicMessage };
  return { status: 500, text: 'webhook receiver error' };
}

const OK = { status: 200, text: 'ok' };
const HANDLER_FAILED = { status: 500, text: 'webhook handler failed' };

/**
 * Decrypts `body` and runs `onWebhook(webhook, ...context)`. Resolves to
 * `{ status, text, handlerResult? }`: 200 after the handler; the error's suggested status
 * and public message if the webhook is refused (503 for an unknown key: Kompliant retries);
 * 500 if the handler throws (Kompliant retries later). `onError` sees every failure.
 */
async function deliver(getReceiver, body, options, context) {
  const onError = options.onError ?? logError;
  let webhook;
  try {
    webhook = getReceiver().decrypt(body);
  } catch (err) {
    await report(onError, err, context);
    return refusal(err);
  }
  try {
    const handlerResult = await options.onWebhook(webhook, ...context);
    return { ...OK, handlerResult };
  } catch (err) {
    await report(onError, err, context);
    return HANDLER_FAILED;
  }
}

async function report(onError, err, context) {
  try {
    await onError(err, ...context);
  } catch (hookErr) {
    logError(hookErr);
  }
}

module.exports = { receiverSource, readNodeStream, readWebStream, deliver, logError };
