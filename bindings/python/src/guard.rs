//! The duplicate guard: `MemoryGuard`, `GuardedReceiver`, `GuardedDelivery`, `ReceiveOutcome`,
//! and the bridge that lets a guard written in Python (any object with `claim`, `complete`
//! and `release`) plug into the core's receive flow.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kompliant_webhooks::decided::{
    DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION, DEFAULT_GUARD_MAX_ENTRIES,
};
use kompliant_webhooks::{
    Claim, GuardedDelivery, GuardedReceiver, Keyring, MemoryGuard, MemoryGuardOptions,
    ReceiveOutcome, WebhookError, WebhookGuard, WebhookReceiver,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert;
use crate::errors::{guard, webhook_error, OrRaise, Side};
use crate::pyrepr::quote;
use crate::receiver::{PyWebhook, PyWebhookReceiver};

/// An in-process duplicate guard (from the core): remembers which webhook ids are being
/// processed (for their lease) and which were processed (for `retention`, default 7 days,
/// the retry horizon), so a redelivered webhook is not processed twice.
///
/// Right for a receiver running as ONE process (any number of threads); receivers on several
/// machines need a shared guard (`kompliant_webhooks.redis.RedisGuard`). Holds at most
/// `max_entries` ids (default 1,000,000): a full guard answers `AT_CAPACITY` (503) to new ids
/// and forgets nothing early. A restart forgets every id. Durations are seconds or
/// `datetime.timedelta`.
#[pyclass(frozen, name = "MemoryGuard", module = "kompliant_webhooks")]
pub(crate) struct PyMemoryGuard {
    inner: Arc<MemoryGuard>,
}

#[pymethods]
impl PyMemoryGuard {
    #[new]
    #[pyo3(signature = (*, max_entries = DEFAULT_GUARD_MAX_ENTRIES, retention = None))]
    fn new(max_entries: usize, retention: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        if max_entries == 0 {
            return Err(PyValueError::new_err("max_entries must be at least 1"));
        }
        let retention = convert::optional_duration(retention, "retention")?
            .unwrap_or(DEFAULT_COMPLETED_RETENTION);
        Ok(PyMemoryGuard {
            inner: Arc::new(MemoryGuard::with_options(MemoryGuardOptions {
                max_entries,
                retention,
            })),
        })
    }

    /// Claims `webhook_id` for `lease` (seconds or `timedelta`, default 5 minutes); returns
    /// the claim's string: `"ACQUIRED"` (process it), `"ALREADY_COMPLETED"`, `"IN_PROGRESS"`
    /// or `"AT_CAPACITY"` (see `Claim`).
    #[pyo3(signature = (webhook_id, lease = None))]
    fn claim(
        &self,
        py: Python<'_>,
        webhook_id: &str,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<&'static str> {
        guard(py, Side::Receive, || {
            let lease = convert::optional_duration(lease, "lease")?.unwrap_or(DEFAULT_CLAIM_LEASE);
            Ok(self.inner.claim(webhook_id, lease).or_raise(py)?.as_str())
        })
    }

    /// Records that `webhook_id` was processed (remembered for the retention window).
    fn complete(&self, py: Python<'_>, webhook_id: &str) -> PyResult<()> {
        guard(py, Side::Receive, || {
            self.inner.complete(webhook_id).or_raise(py)
        })
    }

    /// Gives up the claim on `webhook_id` after a failure, so a redelivery is processed.
    /// Never forgets a completed id.
    fn release(&self, py: Python<'_>, webhook_id: &str) -> PyResult<()> {
        guard(py, Side::Receive, || {
            self.inner.release(webhook_id).or_raise(py)
        })
    }

    /// Largest number of ids held.
    #[getter]
    fn max_entries(&self) -> usize {
        self.inner.options().max_entries
    }

    /// How long a completed id is remembered, in seconds.
    #[getter]
    fn retention(&self) -> f64 {
        self.inner.options().retention.as_secs_f64()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "MemoryGuard(len={}, max_entries={}, retention={:?})",
            self.inner.len(),
            self.inner.options().max_entries,
            self.inner.options().retention.as_secs_f64()
        )
    }
}

/// A guard written in Python: an object with `claim(webhook_id, lease_seconds)` returning a
/// claim string (`Claim` values, parsed by the core), `complete(webhook_id)` and
/// `release(webhook_id)`. Whatever it raises becomes an `INTERNAL` error naming the exception
/// type only (its text may quote the store's address); the exception itself is logged on the
/// `kompliant_webhooks` logger with its traceback.
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
        let log = || -> PyResult<()> {
            let kwargs = PyDict::new(py);
            kwargs.set_item("exc_info", err.value(py))?;
            py.import("logging")?
                .call_method1("getLogger", ("kompliant_webhooks",))?
                .call_method(
                    "error",
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
}

impl WebhookGuard for ForeignGuard {
    fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, WebhookError> {
        Python::attach(|py| {
            let answer = self
                .object
                .bind(py)
                .call_method1("claim", (webhook_id, lease.as_secs_f64()))
                .map_err(|e| Self::failed(py, "claim", &e))?;
            let text: Option<String> = answer.extract().ok();
            text.as_deref()
                .and_then(Claim::parse)
                .ok_or_else(|| WebhookError::Internal {
                    detail: format!(
                        "the duplicate guard's claim() returned {}, not one of {}",
                        text.as_deref()
                            .map_or_else(|| "a non-string".to_owned(), quote),
                        Claim::ALL
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
        })
    }

    fn complete(&self, webhook_id: &str) -> Result<(), WebhookError> {
        Python::attach(|py| {
            self.object
                .bind(py)
                .call_method1("complete", (webhook_id,))
                .map(drop)
                .map_err(|e| Self::failed(py, "complete", &e))
        })
    }

    fn release(&self, webhook_id: &str) -> Result<(), WebhookError> {
        Python::attach(|py| {
            self.object
                .bind(py)
                .call_method1("release", (webhook_id,))
                .map(drop)
                .map_err(|e| Self::failed(py, "release", &e))
        })
    }
}

/// The core guard behind a Python guard argument: a `MemoryGuard`'s own, or a bridge to a
/// Python object.
fn guard_arg(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn WebhookGuard>> {
    if let Ok(memory) = obj.cast::<PyMemoryGuard>() {
        return Ok(memory.get().inner.clone());
    }
    for method in ["claim", "complete", "release"] {
        if !obj.hasattr(method)? {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "guard must be a MemoryGuard or an object with claim(), complete() and release(); {} has no {method}()",
                obj.get_type().name()?
            )));
        }
    }
    Ok(Arc::new(ForeignGuard {
        object: obj.clone().unbind(),
    }))
}

/// A `WebhookReceiver` with a duplicate guard: the core's receive flow (decrypt → claim →
/// handler → complete or release) in two calls, so each webhook's handler runs once although
/// Kompliant delivers at least once.
///
/// `guard` is a `MemoryGuard` or any object implementing `Guard` (`claim`, `complete`,
/// `release`); `lease` (seconds or `timedelta`, default 5 minutes) bounds each claim: keep it
/// longer than the handler can run.
///
/// ```python
/// delivery = guarded.begin(raw_body)      # raises WebhookError for a refused body
/// ok = True
/// if delivery.should_process:
///     try:
///         handle(delivery.webhook)
///     except Exception:
///         ok = False
/// outcome = delivery.finish(ok)           # answer outcome.http_status
/// ```
#[pyclass(frozen, name = "GuardedReceiver", module = "kompliant_webhooks")]
pub(crate) struct PyGuardedReceiver {
    inner: GuardedReceiver,
}

#[pymethods]
impl PyGuardedReceiver {
    #[new]
    #[pyo3(signature = (receiver, guard, *, lease = None))]
    fn new(
        receiver: Option<&PyWebhookReceiver>,
        guard: &Bound<'_, PyAny>,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let lease = convert::optional_duration(lease, "lease")?.unwrap_or(DEFAULT_CLAIM_LEASE);
        let receiver =
            receiver.map_or_else(|| WebhookReceiver::new(Keyring::new()), |r| r.inner.clone());
        Ok(PyGuardedReceiver {
            inner: GuardedReceiver::new(receiver, guard_arg(guard)?).with_lease(lease),
        })
    }

    /// Decrypts and verifies one raw body, then claims its webhook id. Run the handler only
    /// if `should_process`, then call `finish` in every case (it gives the answer).
    ///
    /// Raises the `WebhookError` of `WebhookReceiver.decrypt` (a refused body never reaches
    /// the guard), or an `INTERNAL` `WebhookError` (500) when the guard fails.
    #[pyo3(signature = (body, *, now = None))]
    fn begin(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyGuardedDelivery> {
        let webhook = self.receiver().decrypt_webhook(py, body, now)?;
        self.admit_inner(py, Py::new(py, webhook)?)
    }

    /// Claims a webhook already decrypted (by this receiver or any other, e.g. an adapter's
    /// own receiver object); the delivery's `webhook` is that object. Raises an `INTERNAL`
    /// `WebhookError` when the guard fails.
    fn admit(&self, py: Python<'_>, webhook: Py<PyWebhook>) -> PyResult<PyGuardedDelivery> {
        self.admit_inner(py, webhook)
    }

    /// The receiver (without the guard).
    #[getter]
    fn receiver(&self) -> PyWebhookReceiver {
        PyWebhookReceiver {
            inner: self.inner.receiver().clone(),
        }
    }

    /// The lease of each claim, in seconds.
    #[getter]
    fn lease(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!(
            "GuardedReceiver(lease={:?})",
            self.inner.lease().as_secs_f64()
        )
    }
}

impl PyGuardedReceiver {
    fn admit_inner(&self, py: Python<'_>, webhook: Py<PyWebhook>) -> PyResult<PyGuardedDelivery> {
        guard(py, Side::Receive, || {
            let delivery = self.inner.admit(webhook.get().inner.clone()).or_raise(py)?;
            Ok(PyGuardedDelivery {
                webhook,
                claim: delivery.claim().as_str(),
                delivery: Mutex::new(Some(delivery)),
                guard_error: Mutex::new(None),
            })
        })
    }
}

/// A verified webhook and its claim, between `GuardedReceiver.begin` and `finish`. Dropping
/// one that was to be processed without finishing it releases its claim.
#[pyclass(frozen, name = "GuardedDelivery", module = "kompliant_webhooks")]
pub(crate) struct PyGuardedDelivery {
    webhook: Py<PyWebhook>,
    claim: &'static str,
    delivery: Mutex<Option<GuardedDelivery>>,
    guard_error: Mutex<Option<WebhookError>>,
}

#[pymethods]
impl PyGuardedDelivery {
    /// The verified webhook.
    #[getter]
    fn webhook(&self, py: Python<'_>) -> Py<PyWebhook> {
        self.webhook.clone_ref(py)
    }

    /// What the guard said (a `Claim` value's string).
    #[getter]
    fn claim(&self) -> &'static str {
        self.claim
    }

    /// Whether to run the handler (the claim was acquired). Otherwise the webhook is a
    /// duplicate (or the guard is full) and `finish` gives the answer whatever it is passed.
    #[getter]
    fn should_process(&self) -> bool {
        self.claim == Claim::Acquired.as_str()
    }

    /// Records the handler's result (`succeeded`: complete the id; otherwise release it, so
    /// Kompliant's retry is processed) and returns the `ReceiveOutcome` to answer with. If
    /// the guard could not record it, the answer is unchanged and the error is in
    /// `guard_error` (log it). Raises `RuntimeError` when called twice.
    fn finish(&self, py: Python<'_>, succeeded: bool) -> PyResult<PyReceiveOutcome> {
        let delivery = lock(&self.delivery)
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this delivery was already finished"))?;
        guard(py, Side::Receive, || {
            let finished = py.detach(|| delivery.finish(succeeded));
            *lock(&self.guard_error) = finished.guard_error;
            Ok(PyReceiveOutcome {
                inner: finished.outcome,
            })
        })
    }

    /// The guard's error when `finish` could not complete or release the claim (a
    /// `WebhookError`), else `None`.
    #[getter]
    fn guard_error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.guard_error)
            .as_ref()
            .map(|e| webhook_error(py, e).value(py).clone().into_any().unbind())
    }

    fn __repr__(&self) -> String {
        format!(
            "GuardedDelivery(webhook_id={}, claim={}, finished={})",
            quote(self.webhook.get().inner.id()),
            self.claim,
            if lock(&self.delivery).is_none() {
                "True"
            } else {
                "False"
            }
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How one delivery ended (from the core) and the HTTP answer it gets: `http_status`,
/// `public_message`, and `name` for logs: `PROCESSED` (200), `HANDLER_FAILED` (500),
/// `ALREADY_PROCESSED` (200, a duplicate of a processed webhook: the handler did not run),
/// `IN_PROGRESS` (503, a duplicate of one being processed), `AT_CAPACITY` (503).
#[pyclass(
    frozen,
    eq,
    hash,
    name = "ReceiveOutcome",
    module = "kompliant_webhooks"
)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyReceiveOutcome {
    inner: ReceiveOutcome,
}

#[pymethods]
impl PyReceiveOutcome {
    /// The outcome's stable name, e.g. `"ALREADY_PROCESSED"`.
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.as_str()
    }

    /// The HTTP status to answer with.
    #[getter]
    fn http_status(&self) -> u16 {
        self.inner.http_status()
    }

    /// A short text safe to send back with `http_status`.
    #[getter]
    fn public_message(&self) -> &'static str {
        self.inner.public_message()
    }

    /// Whether the delivery was a duplicate (`ALREADY_PROCESSED` or `IN_PROGRESS`).
    #[getter]
    fn is_duplicate(&self) -> bool {
        self.inner.is_duplicate()
    }

    /// Whether Kompliant will deliver the webhook again (any answer but 200).
    #[getter]
    fn will_be_redelivered(&self) -> bool {
        self.inner.will_be_redelivered()
    }

    /// The outcome of a webhook not processed because of `claim` (a `Claim` string), or
    /// `None` for `"ACQUIRED"`. Raises `ValueError` for an unknown claim.
    #[staticmethod]
    fn for_claim(claim: &str) -> PyResult<Option<PyReceiveOutcome>> {
        Claim::parse(claim)
            .map(|c| c.outcome().map(|inner| PyReceiveOutcome { inner }))
            .ok_or_else(|| PyValueError::new_err(format!("unknown claim {}", quote(claim))))
    }

    /// The outcome of a claimed webhook once its handler ran.
    #[staticmethod]
    fn after_handler(succeeded: bool) -> PyReceiveOutcome {
        PyReceiveOutcome {
            inner: ReceiveOutcome::after_handler(succeeded),
        }
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "ReceiveOutcome({}, http_status={})",
            self.inner,
            self.inner.http_status()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMemoryGuard>()?;
    m.add_class::<PyGuardedReceiver>()?;
    m.add_class::<PyGuardedDelivery>()?;
    m.add_class::<PyReceiveOutcome>()?;
    m.add(
        "CLAIMS",
        PyTuple::new(m.py(), Claim::ALL.iter().map(|c| c.as_str()))?,
    )?;
    m.add("DEFAULT_CLAIM_LEASE", DEFAULT_CLAIM_LEASE.as_secs_f64())?;
    m.add(
        "DEFAULT_RETENTION",
        DEFAULT_COMPLETED_RETENTION.as_secs_f64(),
    )?;
    Ok(())
}
