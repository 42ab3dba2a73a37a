// kompliant-webhooks/edge's lib/bytes.js (swapped in by scripts/build-edge.mjs): the same
// functions over plain Uint8Arrays, with no Buffer.

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is text like any other (the core refuses it as JSON anyway).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The UTF-8 bytes of `text`. */
export function utf8(text) {
  return encoder.encode(text);
}

/** The text of UTF-8 `bytes` (checked as UTF-8 by the core before). */
export function utf8Text(bytes) {
  return decoder.decode(bytes);
}

/** The bytes of a string holding one byte per character (0-255). */
export function latin1(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** `size` bytes: the chunks one after the other (cut at `size`, as Buffer.concat does). */
export function concat(chunks, size) {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= size) break;
    const part = chunk.byteLength <= size - offset ? chunk : chunk.subarray(0, size - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** No bytes. */
export function empty() {
  return new Uint8Array(0);
}

/** A copy of `bytes` in memory of its own. */
export function copy(bytes) {
  return new Uint8Array(bytes);
}

/** `bytes` as the WebAssembly binding takes them: the Uint8Array itself. */
export function view(bytes) {
  return bytes;
}
