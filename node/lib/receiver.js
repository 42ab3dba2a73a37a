'use strict';

const binding = require('./native.js');
const { native } = require('./errors.js');
const { UNWRAP, checkString } = require('./internal.js');
const { Keyring } = require('./keyring.js');
const { Webhook, CREATE } = require('./webhook.js');
const { buildPayload, shapeCache } = require('./payload.js');
const bytes = require('./bytes.js');

/** Slots of a receiver's first tape array (64 KiB; a 16 KiB payload takes 2,000 to 4,000). */
const TAPE_SLOTS = 8192;
/** Largest tape array a receiver keeps for the next calls (1 MiB; larger tapes are made per call). */
const MAX_KEPT_TAPE_SLOTS = 131072;

const RAW_BODY_HELP =
  'decrypt() needs the raw request body exactly as received (a Buffer, Uint8Array or string), ' +
  'but got an already-parsed object. Pass the bytes received, unchanged: a body that was altered ' +
  'or truncated, decoded with a wrong charset, or rebuilt from a model that dropped or changed ' +
  'fields fails verification. Use the package middleware (kompliant-webhooks/express, ' +
  '/fastify, /fetch), or read the raw body yourself: express.raw({ type: "application/json" }) ' +
  'instead of express.json() on the webhook route, `await request.arrayBuffer()` in a fetch ' +
  'handler, or a Fastify content-type parser with parseAs: "buffer".';

/** Throws a TypeError unless `obj` has only the `known` own keys (a typo never goes unnoticed). */
function checkKeys(name, obj, known) {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new TypeError(`${name} has no option ${JSON.stringify(key)} (known: ${known.join(', ')})`);
  }
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Native options from the package's receiver/seal `profile` option: a built-in name, or a
 * custom profile `{ name, tagPosition?, aad? }` whose values go to the core's
 * `WireProfile::from_names` unchanged. Only the types are checked here (a `TypeError`); the
 * core judges the values (an `InvalidConfigurationError` for an unknown name, tag position
 * or field, or an empty separator). `aad` absent, `{}` or `{ separator }` without `fields`:
 * the documented six fields; `'none'` or `{ fields: [] }`: no AAD.
 */
function profileOptions(profile) {
  if (profile === undefined || profile === null) return {};
  if (typeof profile === 'string') return { profile };
  if (!isPlainObject(profile)) throw new TypeError('profile must be a built-in profile name or a custom profile object');
  checkKeys('profile', profile, ['name', 'tagPosition', 'aad']);
  const { name, tagPosition, aad } = profile;
  checkString('profile.name', name);
  if (tagPosition !== undefined) checkString('profile.tagPosition', tagPosition);
  let aadFields;
  let aadSeparator;
  if (aad === 'none') {
    aadFields = [];
  } else if (aad !== undefined) {
    if (!isPlainObject(aad)) throw new TypeError("profile.aad must be 'none' or an object { fields?, separator? }");
    checkKeys('profile.aad', aad, ['fields', 'separator']);
    if (aad.fields !== undefined) {
      if (!Array.isArray(aad.fields)) throw new TypeError('profile.aad.fields must be an array of field names');
      aadFields = aad.fields.map((f, i) => checkString(`profile.aad.fields[${i}]`, f));
    }
    if (aad.separator !== undefined) aadSeparator = checkString('profile.aad.separator', aad.separator);
  }
  return { customProfile: { name, tagPosition, aadFields, aadSeparator } };
}

/** A number option, or undefined when absent; a `TypeError` for any other type. */
function optionalNumber(name, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  return value;
}

/** The body as the native side takes it: a Uint8Array, or a string. */
function bodyArg(body) {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && body instanceof SharedArrayBuffer)) {
    return new Uint8Array(body);
  }
  if (body === undefined || body === null) {
    throw new TypeError(`decrypt() got no body (${body}). ${RAW_BODY_HELP}`);
  }
  throw new TypeError(RAW_BODY_HELP);
}

/**
 * Verifies and decrypts webhook bodies with the keys of a `Keyring`. `decrypt` is
 * synchronous (it takes microseconds) and safe to call from any request handler.
 */
class WebhookReceiver {
  #native;
  /** The native receiver as a plain handle, for `binding.decrypt` (the fast call). */
  #handle;
  #keyring;
  /** The array the native side writes payload tapes into (bindings/js-shared/src/tape.rs). */
  #tape = new Float64Array(TAPE_SLOTS);
  /** The object shapes of this receiver's payloads (lib/payload.js). */
  #shapes;

  /**
   * A receiver over `keyring` (shared: keys added to it later are used at once). Options:
   * `profile` (a built-in name or a custom profile), `maxBodyBytes` (default 8 MiB),
   * `maxAgeSeconds` and `maxFutureSkewSeconds` (both off by default: redeliveries come days
   * later). An option of the wrong type is a `TypeError`; a value the core refuses (the
   * core's `ReceiverOptions::check`, `WireProfile::named` / `from_names`) an
   * `InvalidConfigurationError`.
   */
  constructor(keyring, options = {}) {
    if (!(keyring instanceof Keyring)) throw new TypeError('WebhookReceiver needs a Keyring');
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const nativeOptions = {
      ...profileOptions(options.profile),
      maxBodyBytes: optionalNumber('maxBodyBytes', options.maxBodyBytes),
      maxAgeSeconds: optionalNumber('maxAgeSeconds', options.maxAgeSeconds),
      maxFutureSkewSeconds: optionalNumber('maxFutureSkewSeconds', options.maxFutureSkewSeconds),
    };
    this.#native = native(() => new binding.WebhookReceiver(Keyring[UNWRAP](keyring), nativeOptions));
    const handle = this.#native.handle();
    this.#handle = handle;
    this.#shapes = shapeCache((id) => binding.shapeKeys(handle, id));
    this.#keyring = keyring;
  }

  /** The keyring (shared with the caller). */
  get keyring() {
    return this.#keyring;
  }

  /** Largest body accepted, in bytes. */
  get maxBodyBytes() {
    return this.#native.maxBodyBytes;
  }

  /** The wire profile's name. */
  get profile() {
    return this.#native.profileName;
  }

  /**
   * Verifies and decrypts one raw request body. `options.now` (a `Date` or milliseconds)
   * replaces the clock for the opt-in time window. Throws a `WebhookError` subclass with
   * the stable `code`, the `httpStatus` to answer with and a `publicMessage`.
   */
  decrypt(body, options) {
    const arg = bodyArg(body);
    const nowMs = nowOption(options);
    const tape = this.#tape;
    return this.#webhook(
      native(() =>
        typeof arg === 'string'
          ? binding.decryptString(this.#handle, arg, tape, nowMs)
          : binding.decrypt(this.#handle, arg, tape, nowMs),
      ),
    );
  }

  /**
   * `decrypt` as a Promise: the same checks, result and errors (a rejection). Where the
   * binding has a host AES-GCM (kompliant-webhooks/edge: WebCrypto, native and much faster
   * than the WebAssembly core's software AES), the core checks everything but AES-GCM and
   * the host runs that step; elsewhere (the Node entry) it is `decrypt`.
   */
  async decryptAsync(body, options) {
    if (binding.hostAead === undefined) return this.decrypt(body, options);
    const arg = bodyArg(body);
    const nowMs = nowOption(options);
    const sealed = native(() =>
      typeof arg === 'string' ? binding.openSealedString(this.#handle, arg, nowMs) : binding.openSealed(this.#handle, arg, nowMs),
    );
    let plaintext;
    try {
      plaintext = await binding.hostAead(sealed);
    } catch (err) {
      sealed.free(); // checkOpened takes (and frees) it; after a host failure nothing does
      throw err;
    }
    // The core checks the plaintext (UTF-8, a JSON object within its limits, the time
    // window) without building anything; the payload object is the runtime's JSON.parse of
    // the checked text, faster there than the tape built in WebAssembly (docs/decided.md).
    const parts = native(() => binding.checkOpened(sealed, plaintext));
    return Webhook[CREATE](['', parts, plaintext], JSON.parse(bytes.utf8Text(plaintext)));
  }

  /** The Webhook of a binding's decrypt result, its payload built from this receiver's tape. */
  #webhook(decrypted) {
    // The payload is built now: the next call writes its tape into the same array.
    const payload = buildPayload(decrypted, this.#tape, this.#shapes);
    const spilled = decrypted[4];
    if (spilled !== undefined && spilled.length <= MAX_KEPT_TAPE_SLOTS) this.#tape = new Float64Array(spilled.length * 2);
    return Webhook[CREATE](decrypted, payload);
  }
}

/** Milliseconds of `options.now` (a `Date` or a number), or undefined; a `TypeError` for any other. */
function nowOption(options) {
  if (options === undefined || options === null || options.now === undefined) return undefined;
  const nowMs = options.now instanceof Date ? options.now.getTime() : options.now;
  if (typeof nowMs !== 'number' || Number.isNaN(nowMs)) throw new TypeError('options.now must be a Date or a number of milliseconds');
  return nowMs;
}

module.exports = { WebhookReceiver, profileOptions, RAW_BODY_HELP };
