// Instantiates the WebAssembly core for kompliant-webhooks/edge's workerd / edge-light entry
// (Cloudflare Workers, Next.js edge routes): there the .wasm is imported as a compiled
// WebAssembly.Module by the host's bundler (wrangler, miniflare's module rules, Next.js), and
// instantiated synchronously. Imported first by src/workerd.mjs, for the same reason as
// src/init-fetch.mjs.
import { initSync } from '../wasm/kompliant_webhooks.js';
import wasmModule from '../wasm/kompliant_webhooks_bg.wasm';

initSync({ module: wasmModule });
