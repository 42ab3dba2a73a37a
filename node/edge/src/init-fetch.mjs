// Instantiates the WebAssembly core for kompliant-webhooks/edge's default entry (Deno, Bun,
// browsers): the .wasm file next to the built entry, fetched through its URL. Imported first
// by src/index.mjs, so the top-level await ends before any module of the JavaScript layer
// runs (lib/guard.js and lib/codes.js call the binding when they load).
//
// The bytes are compiled here rather than handed to the glue as a URL: Deno's fetch of a
// file: URL answers without a Content-Type, so the glue's instantiateStreaming would fail and
// warn on every start before falling back to the same bytes.
import init from '../wasm/kompliant_webhooks.js';

const url = new URL('./wasm/kompliant_webhooks_bg.wasm', import.meta.url);
const response = await fetch(url);
if (!response.ok) throw new Error(`kompliant-webhooks/edge: cannot load ${url} (HTTP ${response.status})`);
await init({ module_or_path: await WebAssembly.compile(await response.arrayBuffer()) });
