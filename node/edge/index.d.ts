// Types of kompliant-webhooks/edge: the receive side of the package for Cloudflare Workers
// (workerd), Deno, Bun and Next.js edge route handlers, over the WebAssembly core. No Node
// type reaches this file (an edge project needs no @types/node): the objects are the Node
// entry's (the same classes, errors and codes), declared once in ../types/receive.d.ts;
// bytes here are plain Uint8Arrays (no Buffer), and there is no KompliantClient or
// addToKeyringFile (no sockets or file system: Keyring.fromFile and Keyring.watch throw an
// IoError saying so).

import type { SealWebhook } from '../types/receive.js';

export * from '../types/receive.js';

/**
 * Encrypts `payload` for `metadata.keyId` with `secret`, exactly as Kompliant does (see
 * `SealWebhook`); the envelope's bodies are Uint8Arrays.
 */
export declare const sealWebhook: SealWebhook<Uint8Array>;

export { webhookHandler } from '../fetch.js';
