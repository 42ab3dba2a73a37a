'use strict';

const binding = require('./native.js');
const { native, nativeAsync } = require('./errors.js');
const { checkString, secretArg } = require('./internal.js');
const { profileOptions } = require('./receiver.js');
const bytes = require('./bytes.js');
const host = require('./host.js');

const METADATA_FIELDS = ['id', 'eventType', 'timestamp', 'accountId', 'schemaVersion', 'keyId'];

/** An encrypted webhook; the same sealed envelope is re-sent on every redelivery. */
class SealedEnvelope {
  #native;

  constructor(nativeEnvelope) {
    if (!(nativeEnvelope instanceof binding.SealedEnvelope)) {
      throw new TypeError('SealedEnvelope objects come from sealWebhook()');
    }
    this.#native = nativeEnvelope;
  }

  /** The metadata (in clear in the envelope, authenticated by the tag). */
  get metadata() {
    return this.#native.metadata;
  }

  /** The base64 `data` field. */
  get data() {
    return this.#native.data;
  }

  /** The HTTP request body for delivery attempt `retryCount` (0 for the first). */
  body(retryCount = 0) {
    if (typeof retryCount !== 'number') throw new TypeError('retryCount must be a number');
    const body = native(() => this.#native.body(retryCount));
    // The WebAssembly build hands out views of its shared memory, which fetch, streams and
    // structuredClone refuse: give such a body its own copy.
    return typeof SharedArrayBuffer === 'function' && body.buffer instanceof SharedArrayBuffer ? bytes.copy(body) : body;
  }
}

/**
 * Encrypts `payload` (a string, bytes, or an object serialised with `JSON.stringify`) for
 * `metadata.keyId` with `secret` (base64 or 32 bytes), exactly as Kompliant does. For tests
 * and fixtures. `options.profile` picks the wire profile; `options.nonce` (12 bytes) is for
 * reproducible fixtures only.
 */
function sealWebhook(metadata, payload, secret, options = {}) {
  if (typeof metadata !== 'object' || metadata === null) throw new TypeError('metadata must be an object');
  const meta = {};
  for (const field of METADATA_FIELDS) meta[field] = checkString(`metadata.${field}`, metadata[field]);
  let payloadBytes;
  if (typeof payload === 'string') payloadBytes = bytes.utf8(payload);
  else if (payload instanceof Uint8Array) payloadBytes = payload;
  else if (typeof payload === 'object' && payload !== null) payloadBytes = bytes.utf8(JSON.stringify(payload));
  else throw new TypeError('payload must be a string, a Uint8Array or an object');
  const s = secretArg('secret', secret);
  const nativeOptions = { ...profileOptions(options.profile) };
  if (options.nonce !== undefined) {
    if (!(options.nonce instanceof Uint8Array)) throw new TypeError('options.nonce must be a Uint8Array');
    nativeOptions.nonce = bytes.copy(options.nonce);
  }
  return new SealedEnvelope(native(() => binding.seal(meta, payloadBytes, s, nativeOptions)));
}

/**
 * A fresh random 32-byte webhook secret as base64, for tests and fixtures (real secrets come
 * from `KompliantClient.createWebhookKey` / `rotateWebhookKey`).
 */
function generateWebhookSecret() {
  return native(() => binding.generateSecret());
}

/**
 * Adds `keyId` to the keyring file at `path` (created if needed) as the key in use: the
 * store step of `rotateWebhookKey`. Every other key not yet retired is marked retired now
 * (kept, so redeliveries sealed with it still decrypt), and keys retired longer than
 * `options.retentionSeconds` ago (default 7 days, Kompliant's retry horizon) are removed, except
 * keys that may still be ACTIVE (those this write retires and those the rotation before retired). The same
 * key id with the same secret makes it the key in use again; with a different secret it is an
 * `InvalidKeyError`. Written under an OS file lock shared by every process, to a temporary
 * file with mode 0600 renamed over the old one, so readers (`Keyring.watch` in a running
 * receiver) never see a partial file. Runs off the event loop.
 */
async function addToKeyringFile(path, keyId, secret, options = {}) {
  const p = path instanceof URL ? host.filePath(path) : checkString('path', path);
  checkString('keyId', keyId);
  const s = secretArg('secret', secret);
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { retentionSeconds } = options;
  if (retentionSeconds !== undefined && (typeof retentionSeconds !== 'number' || !Number.isFinite(retentionSeconds) || retentionSeconds < 0)) {
    throw new RangeError('options.retentionSeconds must be a finite, non-negative number of seconds');
  }
  const pending = native(() => binding.addToKeyringFile(p, keyId, s, retentionSeconds));
  return nativeAsync(pending);
}

module.exports = { sealWebhook, SealedEnvelope, generateWebhookSecret, addToKeyringFile };
