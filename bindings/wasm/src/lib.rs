//! WebAssembly bindings of kompliant-webhooks' receive path (wasm-bindgen), for JavaScript
//! hosts with no Node-API: Cloudflare workerd, Deno, Bun, Next.js edge. The npm package's JS
//! layer (`node/lib/*.js`) is bundled for the edge with this module in place of the napi one
//! (`require('./native.js')`), so every export has the napi binding's name and calling
//! convention (`bindings/node`); what both return is built once in
//! `kompliant-webhooks-js-shared`. Conversions and error mapping only, no logic.
//!
//! # What the JS shim must bridge
//!
//! wasm-bindgen cannot export constants. These napi constants are exported as functions of
//! the same name taking no argument; the shim must turn each into a value
//! (`binding.X = wasm.X()`) before the JS layer loads:
//!
//! - `HANDLER_FAILURE_STATUS` (number)
//! - `DEFAULT_CLAIM_LEASE_SECONDS` (number)
//! - `DEFAULT_COMPLETED_RETENTION_SECONDS` (number)
//!
//! Other differences from the napi binding, all at the edges the JS layer already handles
//! or the shim supplies:
//!
//! - Byte results are `Uint8Array`s, not Node `Buffer`s: `decrypt`'s text from 64 KiB on,
//!   `SealedEnvelope.body()`. Byte arguments take any `Uint8Array` (a `Buffer` is one).
//! - `WebhookReceiver.handle()` returns a `ReceiverHandle` object rather than a napi
//!   `External`; it is passed back unchanged to `decrypt`, `decryptString`, `shapeKeys`.
//! - Filesystem, watch and API-client functions are absent or throw: `Keyring.fromFile`,
//!   `Keyring.watch` and `addToKeyringFile` throw an `IO_ERROR` webhook error saying they are
//!   not available on the edge build; `KompliantClient`, `CreatedWebhookKey`, the Redis and
//!   PostgreSQL protocols are not exported. `Keyring.fromEnvVars(vars)` works (the caller
//!   passes the variables: an edge runtime's `env`).
//! - Beyond napi's names: `openSealed` / `openSealedString` and `checkOpened` split
//!   `decrypt` around its AES-GCM step (the core's `host_aead`), for `decryptAsync`, which runs
//!   that step on the host's WebCrypto (`node/edge/src/webcrypto.mjs`).
//! - A panic cannot be caught on `wasm32-unknown-unknown` (it aborts the instance): the code
//!   here has none on any input (clippy's `unwrap_used`, `expect_used`, `indexing_slicing`
//!   and `panic` lints deny them), where the napi binding also catches them as a safety net.

mod error;
mod event;
mod guard;
mod js;
mod keyring;
mod receiver;
mod seal;

pub use guard::{GuardFlow, MemoryGuard};
pub use keyring::Keyring;
pub use receiver::{ReceiverHandle, SealedWebhook, WebhookReceiver};
pub use seal::SealedEnvelope;
