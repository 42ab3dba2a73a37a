'use strict';

const binding = require('./native.js');
const { native } = require('./errors.js');
const { WRAP, UNWRAP, INSPECT, REDACTED, checkString, secretArg } = require('./internal.js');

/**
 * The webhook keys a receiver accepts, `keyId → secret`. Receivers built on a keyring see
 * keys added later. Secrets live in native memory (wiped when freed) and are never printed:
 * `util.inspect`, `JSON.stringify` and `String()` show the key ids and `[REDACTED]`.
 */
class Keyring {
  #native;

  /** An empty keyring, or one holding `keys` (`{keyId: base64 secret or 32 bytes}`). */
  constructor(keys) {
    this.#native = new binding.Keyring();
    if (keys !== undefined && keys !== null) {
      if (typeof keys !== 'object' || Array.isArray(keys)) {
        throw new TypeError('keys must be an object mapping key ids to secrets');
      }
      for (const [keyId, secret] of Object.entries(keys)) this.add(keyId, secret);
    }
  }

  static [WRAP](nativeKeyring) {
    const keyring = new Keyring();
    keyring.#native = nativeKeyring;
    return keyring;
  }

  static [UNWRAP](keyring) {
    return keyring.#native;
  }

  /**
   * Every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of `env` (default
   * `process.env`) as key `whk_<YYYYMMDD>_<NN>`. A malformed name or value is an
   * `InvalidKeyError`, never silently skipped.
   */
  static fromEnv(env = process.env) {
    if (typeof env !== 'object' || env === null) throw new TypeError('env must be an object');
    const vars = {};
    for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
    return Keyring[WRAP](native(() => binding.Keyring.fromEnvVars(vars)));
  }

  /** A keyring from JSON text (or an object) `{"whk_…": "<base64 secret>", …}`. */
  static fromJson(json) {
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    if (typeof text !== 'string') throw new TypeError('json must be a string or an object');
    return Keyring[WRAP](native(() => binding.Keyring.fromJson(text)));
  }

  /** A keyring from a JSON file (see `fromJson`); `IoError` if it cannot be read. */
  static fromFile(path) {
    const p = path instanceof URL ? require('node:url').fileURLToPath(path) : checkString('path', path);
    return Keyring[WRAP](native(() => binding.Keyring.fromFile(p)));
  }

  /** Adds (or replaces) `keyId` with a base64 secret or its 32 raw bytes; returns this keyring. */
  add(keyId, secret) {
    checkString('keyId', keyId);
    const s = secretArg('secret', secret);
    native(() => this.#native.add(keyId, s));
    return this;
  }

  /** Removes `keyId`; whether it was present. */
  remove(keyId) {
    return this.#native.remove(checkString('keyId', keyId));
  }

  /**
   * Retires `keyId` after a rotation: redeliveries of webhooks sealed before the rotation
   * still carry its id, so it keeps decrypting for `keepForSeconds` (default 7 days, the
   * retry horizon); the keyring drops it then. Whether the key was present. A compromised key
   * is `remove`d instead.
   */
  retire(keyId, keepForSeconds) {
    checkString('keyId', keyId);
    if (keepForSeconds !== undefined && (typeof keepForSeconds !== 'number' || !Number.isFinite(keepForSeconds) || keepForSeconds < 0)) {
      throw new RangeError('keepForSeconds must be a finite, non-negative number of seconds');
    }
    return native(() => this.#native.retire(keyId, keepForSeconds));
  }

  /** The retired keys still held, `[{ keyId, expiresAt: Date }]` sorted by key id. */
  retiredKeys() {
    return this.#native.retiredKeys().map((r) => Object.freeze({ keyId: r.keyId, expiresAt: new Date(r.expiresAtMs) }));
  }

  /** Whether the keyring holds `keyId`. */
  has(keyId) {
    return this.#native.has(checkString('keyId', keyId));
  }

  /** The key ids held, sorted. */
  keyIds() {
    return this.#native.keyIds();
  }

  /** Number of keys held. */
  get size() {
    return this.#native.size;
  }

  toJSON() {
    return { keyIds: this.keyIds(), secrets: REDACTED };
  }

  toString() {
    return `Keyring(${this.keyIds().join(', ')}) ${REDACTED}`;
  }

  [INSPECT](depth, options, inspect) {
    return `Keyring ${inspect(this.toJSON(), options)}`;
  }
}

module.exports = { Keyring };
