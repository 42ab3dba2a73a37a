//! Python bindings of kompliant-webhooks: the native module `kompliant_webhooks._native`.
//!
//! Conversions and error mapping only; every rule lives in the core. The pure-Python package
//! (`python/kompliant_webhooks`) re-exports these classes and adds what is idiomatic Python:
//! the exception classes (raised from here through [`errors`]), the asyncio client and the
//! framework adapters.

use pyo3::prelude::*;

mod client;
mod convert;
mod error;
mod event;
mod guard;
mod keyring;
mod payload;
mod profile;
mod pyrepr;
mod receiver;
mod results;
mod rotation;
mod tape;

/// The native half of the `kompliant_webhooks` package (import from `kompliant_webhooks`).
///
/// `gil_used = false` (pyo3's default since 0.28, said here so it stays a decision): on a
/// free-threaded CPython (3.14t) importing the module leaves the GIL off. That is sound
/// because every pyclass is `frozen` (pyo3 makes them `Sync`; no `unsendable`), their
/// mutable state sits behind `Mutex`es whose critical sections make no Python call
/// (`PendingRotation`, the spare tapes) or are taken with `lock_py_attached`
/// (`GuardedDelivery`), the payload's string caches are only ever `try_lock`ed (a parse
/// that finds them busy builds without them), shape templates live in one call's builder,
/// and the lazily built `Webhook.payload` and the cached Python callables are `PyOnceLock`s.
#[pymodule(gil_used = false)]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    keyring::register(m)?;
    profile::register(m)?;
    receiver::register(m)?;
    event::register(m)?;
    guard::register(m)?;
    results::register(m)?;
    rotation::register(m)?;
    client::register(m)?;
    error::register(m)?;
    Ok(())
}
