'use strict';
// Symbols shared by the package's own modules (not exported to users).

const bytes = require('./bytes.js');

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

/** A secret for the native side: base64 text as is, bytes as a view (no copy). */
function secretArg(name, secret) {
  if (typeof secret === 'string') return secret;
  if (secret instanceof Uint8Array) {
    return bytes.view(secret);
  }
  throw new TypeError(`${name} must be a base64 string or a Uint8Array of 32 bytes`);
}

module.exports = { WRAP, UNWRAP, INSPECT, REDACTED, checkString, checkFunction, secretArg };
