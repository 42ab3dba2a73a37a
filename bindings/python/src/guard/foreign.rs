//! The bridge that lets a guard written in Python (an object with `claim`, `renew`, `complete`
//! and `release`, the `Guard` protocol) plug into the core's receive flow.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kompliant_webhooks::{Claim, ClaimToken, Held, WebhookError, WebhookGuard};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::Answer;
use crate::pyrepr::quote;

/// The `Guard` protocol's methods and the arguments the core passes them (checked against
/// each method's signature when a guard is accepted).
const METHODS: [(&str, &str); 4] = [
    ("claim", "webhook_id, token, lease_seconds"),
    ("renew", "webhook_id, token, lease_seconds"),
    ("complete", "webhook_id, token"),
    ("release", "webhook_id, token"),
];

/// Set by an `atexit` hook: once the interpreter starts shutting down, no guard method is
/// called any more (from the renewal thread above all). A thread that is not Python's and
/// attaches, or comes back from a call that let go of the GIL, after finalization began is
/// ended by CPython with `pthread_exit`, which aborts the process when it unwinds through
/// Rust frames; `Python::try_attach` checks for finalization only on CPython 3.13+ builds, and
/// this module is built for the stable ABI of 3.9. So the hook also waits (without the GIL,
/// up to `EXIT_WAIT`) for the guard calls in flight to return.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Guard calls in flight.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How long the `atexit` hook waits for guard calls in flight.
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// The `atexit` hook.
#[pyfunction]
fn interpreter_exiting(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// One guard call in flight, unless the interpreter is shutting down.
struct InFlight;

impl InFlight {
    fn enter() -> Option<InFlight> {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        let call = InFlight;
        (!EXITING.load(Ordering::SeqCst)).then_some(call)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Registers the `atexit` hook (the function is not added to the module).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(interpreter_exiting, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}

/// A guard written in Python: `claim(webhook_id, token, lease_seconds)` returns a claim string
/// (`Claim` values), `renew(webhook_id, token, lease_seconds)`, `complete(webhook_id, token)`
/// and `release(webhook_id, token)` return `"HELD"` or `"LOST"`; the core parses them. Whatever
/// a method raises becomes an `INTERNAL` error naming the exception type only (its text may
/// quote the store's address); the exception itself is logged on the `kompliant_webhooks`
/// logger (its message and traceback at DEBUG only).
///
/// `renew` is called from the core's renewal thread, which is no Python thread: every call
/// attaches with `Python::try_attach`, and none attaches once the interpreter is shutting down
/// (`EXITING`): such a call is an `INTERNAL` error, never a panic. No core lock is held while
/// a method runs (the renewal thread drops its queue's lock first), so waiting for the GIL
/// here cannot deadlock.
struct ForeignGuard {
    object: Py<PyAny>,
}

impl ForeignGuard {
    fn failed(py: Python<'_>, method: &str, err: &PyErr) -> WebhookError {
        let type_name = err
            .get_type(py)
            .qualname()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "an exception".to_owned());
        // The error's text and traceback only at DEBUG: a store client's messages may quote
        // its connection string, password included (libpq's conninfo errors do).
        let log = || -> PyResult<()> {
            let logger = py
                .import("logging")?
                .call_method1("getLogger", ("kompliant_webhooks",))?;
            logger.call_method1(
                "error",
                (
                    "duplicate guard: %s() raised %s (its message and traceback are logged at DEBUG)",
                    method,
                    &type_name,
                ),
            )?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("exc_info", err.value(py))?;
            logger.call_method(
                "debug",
                ("duplicate guard: %s() raised %s", method, &type_name),
                Some(&kwargs),
            )?;
            Ok(())
        };
        let _ = log();
        WebhookError::Internal {
            detail: format!("the duplicate guard's {method}() raised {type_name}"),
        }
    }

    /// Calls `method(*args)` and parses its string answer (the core's `Claim` or `Held`).
    fn call<T: Answer>(
        &self,
        method: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
    ) -> Result<T, WebhookError> {
        let attached = InFlight::enter()
            .and_then(|_call| Python::try_attach(|py| self.call_attached(py, method, args)));
        attached.unwrap_or_else(|| {
            Err(WebhookError::Internal {
                detail: format!(
                    "the duplicate guard's {method}() was not called: the Python interpreter is shutting down"
                ),
            })
        })
    }

    fn call_attached<T: Answer>(
        &self,
        py: Python<'_>,
        method: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
    ) -> Result<T, WebhookError> {
        let answer = args(py)
            .and_then(|args| self.object.bind(py).call_method1(method, args))
            .map_err(|e| Self::failed(py, method, &e))?;
        let text: Option<String> = answer.extract().ok();
        text.as_deref()
            .and_then(T::parse)
            .ok_or_else(|| WebhookError::Internal {
                detail: format!(
                    "the duplicate guard's {method}() returned {}, not one of {}",
                    text.as_deref()
                        .map_or_else(|| "a non-string".to_owned(), quote),
                    T::ALL
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

impl WebhookGuard for ForeignGuard {
    fn claim(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Claim, WebhookError> {
        self.call("claim", |py| {
            (webhook_id, token.as_str(), lease.as_secs_f64()).into_pyobject(py)
        })
    }

    fn renew(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Held, WebhookError> {
        self.call("renew", |py| {
            (webhook_id, token.as_str(), lease.as_secs_f64()).into_pyobject(py)
        })
    }

    fn complete(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        self.call("complete", |py| {
            (webhook_id, token.as_str()).into_pyobject(py)
        })
    }

    fn release(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        self.call("release", |py| {
            (webhook_id, token.as_str()).into_pyobject(py)
        })
    }
}

/// A bridge to a Python guard object, refused with a `TypeError` naming what is missing when
/// it lacks one of the protocol's methods or one does not take the core's arguments (a guard
/// written for the protocol before fenced claims: `claim(webhook_id, lease)`, no `renew`).
pub(crate) fn foreign_guard(obj: &Bound<'_, PyAny>) -> PyResult<std::sync::Arc<dyn WebhookGuard>> {
    let py = obj.py();
    let type_name = obj.get_type().name()?;
    let refuse = |what: String| {
        PyTypeError::new_err(format!(
            "guard must be a MemoryGuard or follow kompliant_webhooks.Guard (claim, renew, complete and release, each given the claim's token); {type_name} {what}"
        ))
    };
    let mut methods = Vec::with_capacity(METHODS.len());
    let mut missing = Vec::new();
    for (method, args) in METHODS {
        match obj.getattr_opt(method)?.filter(|m| m.is_callable()) {
            Some(callable) => methods.push((method, args, callable)),
            None => missing.push(format!("{method}({args})")),
        }
    }
    if !missing.is_empty() {
        return Err(refuse(format!("has no {}", missing.join(", no "))));
    }
    let signature = py.import("inspect")?.getattr("signature")?;
    for (method, args, callable) in methods {
        // Objects whose signature Python cannot read (some builtins) are taken on trust.
        let Ok(sig) = signature.call1((&callable,)) else {
            continue;
        };
        let sample = PyTuple::new(py, args.split(", ").map(|_| "x").collect::<Vec<_>>())?;
        if sig.call_method1("bind", sample).is_err() {
            return Err(refuse(format!(
                "has {method}{}, which does not take ({args})",
                sig.str()?
            )));
        }
    }
    Ok(std::sync::Arc::new(ForeignGuard {
        object: obj.clone().unbind(),
    }))
}
