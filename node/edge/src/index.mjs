// kompliant-webhooks/edge for Deno, Bun and other hosts that fetch the .wasm by URL.
import './init-fetch.mjs';

export * from './api.mjs';
