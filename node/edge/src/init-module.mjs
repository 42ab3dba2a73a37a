// Instantiates the WebAssembly core for kompliant-webhooks/edge's workerd entry (Cloudflare
// Workers): there the .wasm is imported as a compiled WebAssembly.Module by the host's bundler
// (wrangler's default rule, miniflare's module rules), and instantiated synchronously. Next.js
// edge routes have an entry of their own (src/init-edge-light.mjs: `.wasm?module`). Imported first by src/workerd.mjs, for the same reason as
// src/init-fetch.mjs.
import { initSync } from '../wasm/kompliant_webhooks.js';
import wasmModule from '../wasm/kompliant_webhooks_bg.wasm';

initSync({ module: wasmModule });
