'use strict';

const binding = require('./native.js');
const { native, fromNative } = require('./errors.js');
const { WRAP, UNWRAP, INSPECT, REDACTED, checkString, checkFunction, secretArg } = require('./internal.js');
const host = require('./host.js');

/**
 * The package event for a native keyring-file event:
 * `{ type: 'reloaded', path, keyIds, message }` or `{ type: 'problem', path, error, message }`.
 */
function keyringFileEvent(e) {
  if (e.type === 'reloaded') {
    return Object.freeze({ type: 'reloaded', path: e.path, keyIds: Object.freeze([...(e.keyIds ?? [])]), message: e.message });
  }
  const error = fromNative(new Error(e.error ?? ''));
  return Object.freeze({ type: 'problem', path: e.path, error, message: e.message });
}

/**
 * What the native watch calls (on the JS thread, queued: never inside a decrypt). Never
 * throws: an exception from `onEvent` would otherwise be an uncaught exception.
 */
function keyringFileListener(onEvent) {
  return (nativeEvent) => {
    let event;
    try {
      event = keyringFileEvent(nativeEvent);
      if (onEvent) {
        onEvent(event);
      } else if (event.type === 'problem') {
        host.emitWarning(event.message, 'KOMPLIANT_KEYRING_FILE');
      } else {
        host.debugLog(event.message);
      }
    } catch (err) {
      try {
        host.emitWarning(`kompliant-webhooks: the onEvent listener of Keyring.watch threw: ${err instanceof Error ? err.message : String(err)}`, 'KOMPLIANT_KEYRING_LISTENER');
      } catch {
        // Nothing left to report with; the keyring carries on either way.
      }
    }
  };
}

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
   * `InvalidKeyError`, never silently skipped, and so is an environment with no such
   * variable (an empty keyring would refuse every webhook).
   */
  static fromEnv(env = host.processEnv()) {
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

  /**
   * A keyring from a JSON file (see `fromJson`), read once; `Keyring.watch` follows the file.
   * `IoError` if it is missing or cannot be read; `InvalidKeyError` if it is not a regular
   * file (a directory, a FIFO: never opened), not UTF-8, or holds no key.
   */
  static fromFile(path) {
    const p = path instanceof URL ? host.filePath(path) : checkString('path', path);
    return Keyring[WRAP](native(() => binding.Keyring.fromFile(p)));
  }

  /**
   * A keyring that follows the keyring file at `path`: a key another process adds (the store
   * step of a rotation, `addToKeyringFile`), retires or removes is picked up by a later
   * decrypt without a restart. The file is checked (a `stat`) at most once per
   * `options.intervalMs` milliseconds (default 1000), and at once when a webhook names a key id
   * the keyring does not hold; it is read only when it changed. A file that becomes invalid
   * (half-written, corrupt, deleted, a directory, a FIFO) keeps the last good keys, and the
   * problem is reported once. Reports go to `options.onEvent(event)`, called on the main
   * thread shortly after the decrypt that noticed the change (never inside it):
   * `{ type: 'reloaded', path, keyIds, message }` or `{ type: 'problem', path, error, message }`
   * (`error` is an `InvalidKeyError` or `IoError`). Without `onEvent`, problems are
   * `process.emitWarning` warnings with code `KOMPLIANT_KEYRING_FILE` and reloads go to
   * `util.debuglog('kompliant')` (`NODE_DEBUG=kompliant`). An exception thrown by `onEvent` is
   * reported as a warning with code `KOMPLIANT_KEYRING_LISTENER` and changes nothing else.
   * Errors as `fromFile`: the file must load now.
   */
  static watch(path, options = {}) {
    const p = path instanceof URL ? host.filePath(path) : checkString('path', path);
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { intervalMs, onEvent } = options;
    if (intervalMs !== undefined && (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0)) {
      throw new RangeError('options.intervalMs must be a finite, non-negative number of milliseconds');
    }
    if (onEvent !== undefined) checkFunction('options.onEvent', onEvent);
    const listener = keyringFileListener(onEvent);
    return Keyring[WRAP](native(() => binding.Keyring.watch(p, intervalMs, listener)));
  }

  /** The file this keyring follows (made by `Keyring.watch`), or null. */
  get watchedPath() {
    return this.#native.watchedPath ?? null;
  }

  /**
   * Adds `keyId` with a base64 secret or its 32 raw bytes; returns this keyring. Adding a
   * key id it holds with the same secret changes nothing; with a different secret it is an
   * `InvalidKeyError` (key ids are unique per account only): `remove` it first to replace it.
   * On a watched keyring, keys added by hand are replaced at the file's next change.
   */
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
