//! Error mapping: core errors become the exception classes of `kompliant_webhooks.errors`
//! (defined in Python so they pickle and subclass naturally). The class is chosen there, by
//! the stable code, in one table; this module only hands over the fields.
//!
//! It also holds [`guard`], which every native entry point runs its work through: a Rust
//! panic becomes the package's `INTERNAL` error instead of pyo3's `PanicException` (a
//! `BaseException` that `except Exception` and the framework adapters would not catch).

use std::panic::{catch_unwind, AssertUnwindSafe};

use kompliant_webhooks::decided::HANDLER_FAILURE_STATUS;
use kompliant_webhooks::{ApiError, ErrorCode, WebhookError};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

/// The Python module defining the exception classes and their factories.
const ERRORS_MODULE: &str = "kompliant_webhooks.errors";

static WEBHOOK_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static API_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Turns a core `Result` into a `PyResult`, raising the matching Python exception.
pub(crate) trait OrRaise<T> {
    /// The value, or the core error as a Python exception.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, WebhookError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| webhook_error(py, &e))
    }
}

impl<T> OrRaise<T> for Result<T, ApiError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| api_error(py, &e))
    }
}

fn factory<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import(ERRORS_MODULE)?.getattr(name)?.unbind())
    })
    .map(|f| f.bind(py).clone())
}

/// The `kompliant_webhooks.errors.WebhookError` subclass for `e`.
pub(crate) fn webhook_error(py: Python<'_>, e: &WebhookError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", e.code().as_str())?;
        kwargs.set_item("http_status", e.http_status())?;
        kwargs.set_item("public_message", e.public_message())?;
        kwargs.set_item("key_id", key_id(e))?;
        let exc = factory(py, &WEBHOOK_FACTORY, "_webhook_error")?
            .call((e.to_string(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|cause| fallback(py, e.code(), &e.to_string(), cause))
}

/// The `kompliant_webhooks.errors.ApiError` subclass for `e`.
pub(crate) fn api_error(py: Python<'_>, e: &ApiError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", e.code().as_str())?;
        kwargs.set_item("message", e.message())?;
        kwargs.set_item("method", e.method())?;
        kwargs.set_item("http_status", e.http_status())?;
        kwargs.set_item("server_code", e.server_code())?;
        kwargs.set_item("sub_code", e.sub_code())?;
        kwargs.set_item("entity_type", e.entity_type())?;
        kwargs.set_item("trace_id", e.trace_id())?;
        kwargs.set_item("retry_after", e.retry_after().map(|d| d.as_secs_f64()))?;
        kwargs.set_item("attempts", e.attempts())?;
        let exc = factory(py, &API_FACTORY, "_api_error")?.call((e.to_string(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|cause| fallback(py, e.code(), &e.to_string(), cause))
}

/// Which exception family an entry point's unexpected failure belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The receive path (keyring, receiver, webhook, profiles, sealing): `WebhookError`.
    Receive,
    /// The API client (calls, rotations): `ApiError`.
    Client,
}

/// Runs the body of a native entry point, turning a Rust panic inside it (including one in
/// a `py.detach` section, which pyo3 resumes on this thread) into the package's `INTERNAL`
/// error: a `WebhookError` (HTTP status 500) or an `ApiError`, depending on `side`. The
/// core is panic-free on input, so this is a last line of defence against a bug; the
/// panic's own message (printed by Rust's panic hook on stderr) is not put in the
/// exception.
pub(crate) fn guard<T>(
    py: Python<'_>,
    side: Side,
    body: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_payload| Err(panicked(py, side)))
}

/// The `INTERNAL` error raised for a panic.
fn panicked(py: Python<'_>, side: Side) -> PyErr {
    const DETAIL: &str =
        "the native module panicked (a bug: please report it); the operation did not complete";
    match side {
        Side::Receive => webhook_error(
            py,
            &WebhookError::Internal {
                detail: DETAIL.to_owned(),
            },
        ),
        Side::Client => {
            let message = format!("internal error: {DETAIL}");
            let build = || -> PyResult<PyErr> {
                let kwargs = PyDict::new(py);
                kwargs.set_item("code", ErrorCode::Internal.as_str())?;
                kwargs.set_item("message", &message)?;
                for absent in [
                    "method",
                    "http_status",
                    "server_code",
                    "sub_code",
                    "entity_type",
                    "trace_id",
                    "retry_after",
                ] {
                    kwargs.set_item(absent, py.None())?;
                }
                kwargs.set_item("attempts", 0)?;
                let exc = factory(py, &API_FACTORY, "_api_error")?
                    .call((message.as_str(),), Some(&kwargs))?;
                Ok(PyErr::from_value(exc))
            };
            build().unwrap_or_else(|cause| fallback(py, ErrorCode::Internal, &message, cause))
        }
    }
}

/// Only if the exception classes cannot be loaded (a broken install): a `RuntimeError`
/// carrying the code and message, caused by the import failure.
fn fallback(py: Python<'_>, code: ErrorCode, message: &str, cause: PyErr) -> PyErr {
    let err = PyRuntimeError::new_err(format!(
        "{code}: {message} (the exception classes of {ERRORS_MODULE} could not be loaded)"
    ));
    err.set_cause(py, Some(cause));
    err
}

/// The key id a receive-path error is about, when it names one.
fn key_id(e: &WebhookError) -> Option<&str> {
    match e {
        WebhookError::UnknownKey { key_id } | WebhookError::DecryptionFailed { key_id } => {
            Some(key_id)
        }
        WebhookError::InvalidKey { key_id, .. } => key_id.as_deref(),
        _ => None,
    }
}

/// The HTTP status and the public message a webhook receiver answers with when an error of
/// `code` ends a delivery: for example `(503, "webhook cannot be processed yet; retry later")`
/// for `"UNKNOWN_KEY"`. The exception classes use it for their defaults.
///
/// Raises `ValueError` for a string that is not one of `ERROR_CODES`.
#[pyfunction]
fn http_answer(code: &str) -> PyResult<(u16, &'static str)> {
    let code = ErrorCode::parse(code)
        .ok_or_else(|| PyValueError::new_err(format!("unknown error code {code:?}")))?;
    Ok((code.http_status(), code.public_message()))
}

/// The answer a framework adapter sends when the user's webhook handler raises, whatever
/// the exception (a `WebhookError` from `webhook.event()` included): `HANDLER_FAILURE_STATUS`
/// (500, so Kompliant redelivers) and the public text of a receiver-side failure. Failures
/// of the receive checks answer their own status instead (see `http_answer`).
#[pyfunction]
fn handler_failure_answer() -> (u16, &'static str) {
    (HANDLER_FAILURE_STATUS, ErrorCode::Internal.public_message())
}

/// A test hook, only in builds with the `test-hooks` feature (the test suite's): panics
/// inside [`guard`] on `side` (`"receive"` or `"client"`), in a `py.detach` section when
/// `detached`, to show that a panic surfaces as the package's `INTERNAL` error.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[allow(clippy::panic)]
fn _panic_for_tests(py: Python<'_>, side: &str, detached: bool) -> PyResult<()> {
    let side = if side == "client" {
        Side::Client
    } else {
        Side::Receive
    };
    guard(py, side, || {
        if detached {
            py.detach(|| -> PyResult<()> { panic!("deliberate test panic (detached)") })
        } else {
            panic!("deliberate test panic")
        }
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    m.add("ERROR_CODES", PyTuple::new(m.py(), codes)?)?;
    m.add_function(wrap_pyfunction!(http_answer, m)?)?;
    m.add_function(wrap_pyfunction!(handler_failure_answer, m)?)?;
    m.add("HANDLER_FAILURE_STATUS", HANDLER_FAILURE_STATUS)?;
    // Set as a plain attribute, kept out of the module's `__all__` (a hidden test hook).
    #[cfg(feature = "test-hooks")]
    m.setattr("_panic_for_tests", wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
