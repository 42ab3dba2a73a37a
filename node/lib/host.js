'use strict';
// What the package takes from the Node process, in one place: file URLs, the environment,
// warnings and debug logs. The kompliant-webhooks/edge build swaps in edge/src/host.mjs,
// which needs no Node built-in.

/** A file path from a path string or a `file:` URL. */
function filePath(path) {
  return path instanceof URL ? require('node:url').fileURLToPath(path) : path;
}

/** The default environment of `fromEnv`: `process.env`. */
function processEnv() {
  return process.env;
}

/** A process warning (`process.emitWarning`) with a code. */
function emitWarning(message, code) {
  process.emitWarning(message, { code });
}

/** Reloads of watched keyrings, shown with `NODE_DEBUG=kompliant`. */
let debug;
function debugLog(message) {
  debug ??= require('node:util').debuglog('kompliant');
  debug('%s', message);
}

module.exports = { filePath, processEnv, emitWarning, debugLog };
