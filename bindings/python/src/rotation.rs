//! Rotation helpers: `PendingRotation` (the two phases, for callers that await their store
//! step between them) and the `StoreFailedError` built when the store step fails.

use std::sync::{Mutex, PoisonError};

use kompliant_webhooks::PendingRotation;
use pyo3::exceptions::{PyBaseException, PyRuntimeError};
use pyo3::prelude::*;

use crate::error::{api_error, guard, OrRaise, Side};
use crate::pyrepr::quote;
use crate::results::PyRotation;

/// The `StoreFailedError` for a failed store step, with the store's exception as
/// `__cause__`. The core quotes the store's error text with the new secret (every base64
/// spelling) and the client's credentials masked; the `__cause__` itself is the caller's
/// own exception, unmasked.
pub(crate) fn store_failed(
    py: Python<'_>,
    pending: PendingRotation,
    cause: &Bound<'_, PyAny>,
) -> PyErr {
    let err = api_error(py, &pending.store_failed(&describe_exception(cause)));
    if let Ok(exc) = cause.cast::<PyBaseException>() {
        err.set_cause(py, Some(PyErr::from_value(exc.clone().into_any())));
    }
    err
}

/// `TypeName: message` for an exception, or the `str()` of another object.
fn describe_exception(obj: &Bound<'_, PyAny>) -> String {
    let message = obj
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "<unprintable>".to_owned());
    if obj.is_instance_of::<PyBaseException>() {
        let name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "Exception".to_owned());
        if message.is_empty() {
            name
        } else {
            format!("{name}: {message}")
        }
    } else {
        message
    }
}

/// A rotation between its two phases: the key is created (INACTIVE) and its secret waits
/// to be stored. Made by `KompliantClient.start_rotation`; finish it with `finish()` once
/// the secret is stored, or abandon it with `store_failed(error)`. Each can be called once.
/// `repr()` never shows the secret.
#[pyclass(frozen, name = "PendingRotation", module = "kompliant_webhooks")]
pub(crate) struct PyPendingRotation {
    pub(crate) key_id: String,
    pub(crate) pending: Mutex<Option<PendingRotation>>,
}

impl PyPendingRotation {
    fn take(&self) -> PyResult<PendingRotation> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                PyRuntimeError::new_err(format!(
                    "the rotation to key {} was already finished or abandoned",
                    self.key_id
                ))
            })
    }
}

#[pymethods]
impl PyPendingRotation {
    /// The new key's id.
    #[getter]
    fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The new key's secret as base64 text, to store where receivers load keys from.
    /// Never log it. Raises `RuntimeError` once the rotation is finished or abandoned.
    fn reveal_secret(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, Side::Client, || {
            let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            match pending.as_ref() {
                Some(p) => Ok(p.secret().to_base64().to_string()),
                None => Err(PyRuntimeError::new_err(format!(
                    "the rotation to key {} was already finished or abandoned",
                    self.key_id
                ))),
            }
        })
    }

    /// Phase two, once the secret is stored: the local probe, then `webhook.key.activate`
    /// (releases the GIL). Raises an `ApiError` subclass (the key was stored but not
    /// activated; activating it again is safe), or `RuntimeError` if already used.
    fn finish(&self, py: Python<'_>) -> PyResult<PyRotation> {
        guard(py, Side::Client, || {
            let pending = self.take()?;
            py.detach(|| pending.finish()).or_raise(py).map(Into::into)
        })
    }

    /// Abandons the rotation because storing the secret failed: the key stays INACTIVE and
    /// is never activated. Returns (does not raise) the `StoreFailedError` to raise, naming
    /// the key and quoting `error` (an exception or a text) with the new secret and the
    /// client's credentials masked, with `error` as its `__cause__` when it is an exception
    /// (that cause is your own exception, unmasked).
    fn store_failed(&self, py: Python<'_>, error: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, Side::Client, || {
            let pending = self.take()?;
            let err = store_failed(py, pending, error);
            Ok(err.into_value(py).into_any())
        })
    }

    fn __repr__(&self) -> String {
        let state = if self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
        {
            "pending"
        } else {
            "done"
        };
        format!(
            "PendingRotation(key_id={}, secret=[REDACTED], state={})",
            quote(&self.key_id),
            quote(state)
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPendingRotation>()?;
    Ok(())
}
