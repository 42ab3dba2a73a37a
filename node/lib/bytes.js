'use strict';
// Byte buffers made by the package's own modules, in one place so that the JavaScript layer
// runs outside Node: here Node's Buffer (what Node users have always received); the
// kompliant-webhooks/edge build swaps in edge/src/bytes.mjs (Uint8Array, TextEncoder).

/** The UTF-8 bytes of `text`. */
function utf8(text) {
  return Buffer.from(text, 'utf8');
}

/** The text of UTF-8 `bytes` (checked as UTF-8 by the core before). */
function utf8Text(bytes) {
  return view(bytes).toString('utf8');
}

/** The bytes of a string holding one byte per character (0-255). */
function latin1(text) {
  return Buffer.from(text, 'latin1');
}

/** `size` bytes: the chunks one after the other. */
function concat(chunks, size) {
  return Buffer.concat(chunks, size);
}

/** No bytes. */
function empty() {
  return Buffer.alloc(0);
}

/** A copy of `bytes` in memory of its own. */
function copy(bytes) {
  return Buffer.from(bytes);
}

/** `bytes` as the native side takes them, without a copy (a Buffer view of a Uint8Array). */
function view(bytes) {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

module.exports = { utf8, utf8Text, latin1, concat, empty, copy, view };
