'use strict';
// Symbols shared by the package's own modules (not exported to users).

/** `Class[WRAP](native)`: a package object around a native one. */
const WRAP = Symbol('kompliant-webhooks.wrap');
/** `Class[UNWRAP](obj)`: the native object inside a package object. */
const UNWRAP = Symbol('kompliant-webhooks.unwrap');
/** util.inspect's hook, without loading node:util. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
/** What every redacted secret prints as. */
const REDACTED = '[REDACTED]';

function checkString(name, value) {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

function checkFunction(name, value) {
  if (typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

/** A secret for the native side: base64 text as is, bytes as a Buffer view (no copy). */
function secretArg(name, secret) {
  if (typeof secret === 'string') return secret;
  if (secret instanceof Uint8Array) {
    return Buffer.isBuffer(secret) ? secret : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  }
  throw new TypeError(`${name} must be a base64 string or a Uint8Array of 32 bytes`);
}

module.exports = { WRAP, UNWRAP, INSPECT, REDACTED, checkString, checkFunction, secretArg };
