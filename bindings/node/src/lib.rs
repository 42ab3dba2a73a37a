//! Node bindings of kompliant-webhooks (napi-rs): conversions and error mapping only, no
//! logic. The npm package `kompliant-webhooks` (`node/` in the repository) wraps these native
//! classes in a thin JavaScript layer that adds the Error classes, the `Webhook` object and
//! the HTTP middleware; its `index.d.ts` is the public API.
//!
//! - Receive path ([`keyring`], [`receiver`], [`event`], [`seal`]): synchronous, it is fast;
//!   [`text`] hands the payload to V8 in the cheapest form. What the WebAssembly build
//!   returns alike (the payload tape, the receive call, errors, guard steps) is in
//!   `kompliant-webhooks-js-shared`.
//! - Duplicate guard ([`guard`], [`guard_flow`], [`redis`]): the core's `MemoryGuard`, its
//!   `GuardFlow` driven by the JS adapters, and its Redis protocol for `RedisGuard`.
//! - API client ([`client`]): every call runs on libuv's thread pool and returns a Promise.
//! - Errors ([`error`]): thrown as JS `Error`s carrying the stable code and fields as JSON.

pub mod client;
pub mod error;
pub mod event;
pub mod guard;
pub mod guard_flow;
pub mod keyring;
pub mod postgres;
pub mod receiver;
pub mod redis;
pub mod seal;
pub mod text;
