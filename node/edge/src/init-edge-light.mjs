// Instantiates the WebAssembly core for kompliant-webhooks/edge's edge-light entry (Next.js
// edge routes, with webpack or Turbopack; Vercel Edge Functions). Their bundlers give a
// compiled WebAssembly.Module for an import ending in `.wasm?module` (a plain `.wasm` import is
// an error in webpack, and WebAssembly ESM integration in Turbopack), and compiling bytes at run
// time is refused there ("Dynamic WASM code generation"), so the module is imported that way
// and instantiated synchronously. Imported first by src/edge-light.mjs, for the same reason as
// src/init-fetch.mjs.
//
// In `next start` and `next dev` the route runs in a vm context with a WebAssembly of its own,
// while Next.js compiles the `?module` import in Node's realm: the Module fails the glue's
// `instanceof WebAssembly.Module` and the glue would then try to compile it as bytes
// ("WebAssembly.Module(): Argument 0 must be a buffer source"). WebAssembly.Instance takes a
// Module of any realm, so such a module is given this realm's prototype first.
import { initSync } from '../wasm/kompliant_webhooks.js';
import wasmModule from '../wasm/kompliant_webhooks_bg.wasm?module';

const fromOtherRealm =
  !(wasmModule instanceof WebAssembly.Module) && Object.prototype.toString.call(wasmModule) === '[object WebAssembly.Module]';
initSync({ module: fromOtherRealm ? Object.setPrototypeOf(wasmModule, WebAssembly.Module.prototype) : wasmModule });
