// The AES-GCM step of kompliant-webhooks/edge's decryptAsync, on the runtime's WebCrypto:
// the WebAssembly core checks size, envelope and key (openSealed) and everything after
// AES-GCM (checkOpened); this runs the one step between with the host's native AES-GCM,
// several times faster than the core's software AES compiled to WebAssembly (docs/edge.md,
// docs/decided.md "Edge build"). Keys are imported once per key generation (unique per key
// entry of a keyring: a key id re-added with another secret gets a new one), as
// non-extractable CryptoKeys; the secret's copy handed out for the import is wiped at once.

import { wasmMemory } from '../wasm/kompliant_webhooks.js';

const subtle = globalThis.crypto?.subtle;
/** The WebAssembly core's memory, where a SealedWebhook's IV, data and AAD are. */
const memory = wasmMemory();

/** Imported keys by generation; at most MAX_KEYS (a keyring holds a handful), oldest out first. */
const keys = new Map();
const MAX_KEYS = 32;

/**
 * The CryptoKey of `sealed`'s key generation, imported on first use: the key itself once
 * imported (no promise to wait on for every webhook), a promise while importing.
 */
function cryptoKey(sealed) {
  const generation = sealed.keyGeneration;
  const known = keys.get(generation);
  if (known !== undefined) return known;
  const raw = sealed.keyBytes();
  let importing;
  // importKey copies the bytes before it returns (WebCrypto: "get a copy of the bytes held
  // by keyData"), so the copy is wiped before anything else runs.
  try {
    importing = subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['decrypt']);
  } finally {
    raw.fill(0);
  }
  if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value);
  keys.set(generation, importing);
  importing.then(
    (key) => keys.get(generation) === importing && keys.set(generation, key),
    // A failed import is not cached: the next webhook tries again.
    () => keys.get(generation) === importing && keys.delete(generation),
  );
  return importing;
}

/**
 * The plaintext of `sealed` (a Uint8Array), or `undefined` when WebCrypto refuses the tag
 * (an `OperationError`: the core then raises DECRYPTION_FAILED, as its own AES-GCM does).
 * Any other failure of the host is thrown as is.
 */
async function hostOpen(sealed) {
  let key = cryptoKey(sealed);
  // A thenable, not `instanceof Promise`: in Next.js's edge sandbox WebCrypto's promises
  // come from another realm (the host's), so they are not this realm's Promise.
  if (typeof key.then === 'function') key = await key;
  // Views of this webhook's own bytes in the module's memory (src/receiver.rs of
  // bindings/wasm), which the core holds until checkOpened: nothing is copied out of
  // WebAssembly (an ArrayBuffer costs V8 about a microsecond). The memory's buffer is read
  // after the last call into the module (a call may grow the memory, which replaces the
  // buffer), and the views go to WebCrypto at once.
  const dataAt = sealed.dataAt;
  const ivEnd = dataAt + sealed.ivLength;
  const dataEnd = dataAt + sealed.dataLength;
  const aadAt = sealed.aadAt;
  const aadEnd = aadAt + sealed.aadLength;
  const heap = new Uint8Array(memory.buffer);
  const iv = heap.subarray(dataAt, ivEnd);
  const data = heap.subarray(ivEnd, dataEnd);
  const additionalData = heap.subarray(aadAt, aadEnd);
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData, tagLength: 128 }, key, data));
  } catch (err) {
    if (err?.name === 'OperationError') return undefined;
    throw err;
  }
}

/** `hostOpen` where the runtime has WebCrypto's AES-GCM, else undefined (the core's own AES). */
export const hostAead = typeof subtle?.decrypt === 'function' && typeof subtle?.importKey === 'function' ? hostOpen : undefined;
