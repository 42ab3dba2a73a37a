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
#[pymodule]
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
