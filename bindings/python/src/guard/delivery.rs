//! `GuardedReceiver` and `GuardedDelivery`: the core's guarded receive flow (decrypt → claim →
//! handler, with the claim renewed in the background → complete or release) for Python code.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kompliant_webhooks::decided::DEFAULT_CLAIM_LEASE;
use kompliant_webhooks::{
    Claim, GuardedDelivery, GuardedReceiver, Held, Keyring, WebhookError, WebhookGuard,
    WebhookReceiver,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;

use super::{foreign::foreign_guard, PyMemoryGuard, PyReceiveOutcome};
use crate::convert;
use crate::error::{guard, webhook_error, OrRaise, Side};
use crate::pyrepr::quote;
use crate::receiver::{PyWebhook, PyWebhookReceiver};

/// The core guard behind a Python guard argument: a `MemoryGuard`'s own, or a bridge to a
/// Python object following `Guard`.
fn guard_arg(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn WebhookGuard>> {
    if let Ok(memory) = obj.cast::<PyMemoryGuard>() {
        return Ok(memory.get().inner.clone());
    }
    foreign_guard(obj)
}

/// A `WebhookReceiver` with a duplicate guard: the core's receive flow (decrypt → claim →
/// handler → complete or release) in two calls, so each webhook's handler runs once although
/// Kompliant delivers at least once.
///
/// `guard` is a `MemoryGuard` or any object implementing `Guard` (`claim`, `renew`,
/// `complete`, `release`, each given the claim's token). `lease` (seconds or `timedelta`,
/// default 5 minutes) bounds each claim. With `renew` (the default) the core renews the claim
/// every lease/3 from a background thread while the handler runs, so a handler slower than
/// the lease keeps its claim; with `renew=False` the lease must be longer than any handler
/// can run.
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
/// if delivery.claim_lost: log.error(delivery.claim_lost_message)
/// ```
#[pyclass(frozen, name = "GuardedReceiver", module = "kompliant_webhooks")]
pub(crate) struct PyGuardedReceiver {
    inner: GuardedReceiver,
    /// The guard object given, for `guard` (the transactional mode checks a delivery was
    /// begun over its own guard).
    guard: Py<PyAny>,
}

#[pymethods]
impl PyGuardedReceiver {
    #[new]
    #[pyo3(signature = (receiver, guard, *, lease = None, renew = true))]
    fn new(
        receiver: Option<&PyWebhookReceiver>,
        guard: &Bound<'_, PyAny>,
        lease: Option<&Bound<'_, PyAny>>,
        renew: bool,
    ) -> PyResult<Self> {
        let lease = match guard_lease(guard)? {
            Some(own) => own,
            None => convert::optional_duration(lease, "lease")?.unwrap_or(DEFAULT_CLAIM_LEASE),
        };
        let receiver =
            receiver.map_or_else(|| WebhookReceiver::new(Keyring::new()), |r| r.inner.clone());
        Ok(PyGuardedReceiver {
            inner: GuardedReceiver::new(receiver, guard_arg(guard)?)
                .with_lease(lease)
                .with_renewal(renew),
            guard: guard.clone().unbind(),
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

    /// Whether claims are renewed in the background while handlers run.
    #[getter]
    fn renews(&self) -> bool {
        self.inner.renews()
    }

    /// The guard object this receiver claims through.
    #[getter]
    fn guard(&self, py: Python<'_>) -> Py<PyAny> {
        self.guard.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "GuardedReceiver(lease={:?}, renew={})",
            self.inner.lease().as_secs_f64(),
            if self.inner.renews() { "True" } else { "False" }
        )
    }
}

impl PyGuardedReceiver {
    fn admit_inner(&self, py: Python<'_>, webhook: Py<PyWebhook>) -> PyResult<PyGuardedDelivery> {
        guard(py, Side::Receive, || {
            let delivery = self.inner.admit(webhook.get().inner.clone()).or_raise(py)?;
            Ok(PyGuardedDelivery {
                webhook,
                guard: self.guard.clone_ref(py),
                claim: delivery.claim(),
                token: delivery.token().as_str().to_owned(),
                delivery: Mutex::new(Some(delivery)),
                ended: Mutex::new(Ended::default()),
            })
        })
    }
}

/// What `finish` found, for the getters.
#[derive(Default)]
struct Ended {
    guard_error: Option<WebhookError>,
    renewal_error: Option<WebhookError>,
    /// The core's message when the claim was found lost.
    claim_lost: Option<String>,
}

/// A verified webhook and its claim, between `GuardedReceiver.begin` and `finish`. Dropping
/// one that was to be processed without finishing it releases its claim.
#[pyclass(frozen, name = "GuardedDelivery", module = "kompliant_webhooks")]
pub(crate) struct PyGuardedDelivery {
    webhook: Py<PyWebhook>,
    guard: Py<PyAny>,
    claim: Claim,
    token: String,
    /// `None` once finished. Locked with `lock_py_attached` only: `renew` holds it while a
    /// Python guard runs (which may let go of the GIL).
    delivery: Mutex<Option<GuardedDelivery>>,
    ended: Mutex<Ended>,
}

#[pymethods]
impl PyGuardedDelivery {
    /// The verified webhook.
    #[getter]
    fn webhook(&self, py: Python<'_>) -> Py<PyWebhook> {
        self.webhook.clone_ref(py)
    }

    /// The guard object the claim was made through.
    #[getter]
    fn guard(&self, py: Python<'_>) -> Py<PyAny> {
        self.guard.clone_ref(py)
    }

    /// What the guard said (a `Claim` value's string).
    #[getter]
    fn claim(&self) -> &'static str {
        self.claim.as_str()
    }

    /// This delivery's claim token (the guard stores it as the claim's holder).
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    /// Whether to run the handler (the claim was acquired). Otherwise the webhook is a
    /// duplicate (or the guard is full) and `finish` gives the answer whatever it is passed.
    #[getter]
    fn should_process(&self) -> bool {
        self.claim.should_process()
    }

    /// Whether this delivery still holds its claim, as far as it knows: `False` once a
    /// renewal found it lost (its lease lapsed and another delivery claimed the id), after
    /// `finish`, and for a delivery that was not to be processed.
    #[getter]
    fn holds_claim(&self, py: Python<'_>) -> bool {
        self.locked(py).as_ref().is_some_and(|d| d.holds_claim())
    }

    /// Renews the claim now, for the lease: `"HELD"`, or `"LOST"` when this delivery no
    /// longer holds it (for a handler that wants to check, before an effect it cannot undo,
    /// that the webhook is still its own). Raises an `INTERNAL` `WebhookError` when the
    /// guard fails.
    fn renew(&self, py: Python<'_>) -> PyResult<&'static str> {
        let delivery = self.locked(py);
        guard(py, Side::Receive, || {
            let held = match delivery.as_ref() {
                Some(d) => py.detach(|| d.renew()).or_raise(py)?,
                None => Held::Lost,
            };
            Ok(held.as_str())
        })
    }

    /// Records the handler's result (`succeeded`, by `handler_succeeded`: complete the id;
    /// otherwise release it, so Kompliant's retry is processed) and returns the
    /// `ReceiveOutcome` to answer with. If the guard could not record it, the answer is
    /// unchanged and the error is in `guard_error`; if the claim was lost, `claim_lost` is
    /// set; if the last background renewal failed, `renewal_error` (log all three). Raises `RuntimeError` when called twice.
    fn finish(&self, py: Python<'_>, succeeded: bool) -> PyResult<PyReceiveOutcome> {
        let delivery = self
            .locked(py)
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this delivery was already finished"))?;
        guard(py, Side::Receive, || {
            let message = delivery.claim_lost_message(succeeded);
            // Without the GIL: the renewal thread may be calling a Python guard.
            let finished = py.detach(|| delivery.finish(succeeded));
            *self
                .ended
                .lock_py_attached(py)
                .unwrap_or_else(PoisonError::into_inner) = Ended {
                guard_error: finished.guard_error,
                renewal_error: finished.renewal_error,
                claim_lost: finished.claim_lost.then_some(message),
            };
            Ok(PyReceiveOutcome {
                inner: finished.outcome,
            })
        })
    }

    /// The guard's error when `finish` could not complete or release the claim (a
    /// `WebhookError`), else `None`.
    #[getter]
    fn guard_error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.ended_error(py, |e| e.guard_error.as_ref())
    }

    /// The error of the last background renewal when it failed (the guard's store was
    /// unreachable) and no later one succeeded, else `None`: the claim may have lapsed with
    /// its lease while the handler ran (`claim_lost` says whether another delivery took it).
    #[getter]
    fn renewal_error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.ended_error(py, |e| e.renewal_error.as_ref())
    }

    /// Whether `finish` found the claim lost: a renewal, or the final complete or release,
    /// found another delivery holding it (its lease lapsed while the handler ran). Nothing of
    /// the other delivery's claim was changed; a successful handler may have run twice. Log
    /// `claim_lost_message` as an error.
    #[getter]
    fn claim_lost(&self, py: Python<'_>) -> bool {
        self.claim_lost_message(py).is_some()
    }

    /// The core's text to log when `claim_lost`, else `None`.
    #[getter]
    fn claim_lost_message(&self, py: Python<'_>) -> Option<String> {
        self.ended
            .lock_py_attached(py)
            .unwrap_or_else(PoisonError::into_inner)
            .claim_lost
            .clone()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "GuardedDelivery(webhook_id={}, claim={}, finished={})",
            quote(self.webhook.get().inner.id()),
            self.claim,
            if self.locked(py).is_none() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The lease a guard imposes on every claim and renewal (`RedisGuard(lease=...)`,
/// `PostgresGuard(lease=...)`: an int attribute `lease_ms`), which then is the flow's lease,
/// so renewals come every third of the lease the store actually keeps.
fn guard_lease(guard: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    let Ok(value) = guard.getattr("lease_ms") else {
        return Ok(None);
    };
    if value.is_none() {
        return Ok(None);
    }
    match value.extract::<u64>() {
        Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
        _ => Err(PyValueError::new_err(
            "the guard's lease_ms must be None or a positive whole number of milliseconds",
        )),
    }
}

impl PyGuardedDelivery {
    /// One of the errors `finish` found, as a `WebhookError`.
    fn ended_error(
        &self,
        py: Python<'_>,
        which: impl FnOnce(&Ended) -> Option<&WebhookError>,
    ) -> Option<Py<PyAny>> {
        let ended = self
            .ended
            .lock_py_attached(py)
            .unwrap_or_else(PoisonError::into_inner);
        which(&ended).map(|e| webhook_error(py, e).value(py).clone().into_any().unbind())
    }

    /// The delivery, locked without holding the GIL while waiting.
    fn locked(&self, py: Python<'_>) -> MutexGuard<'_, Option<GuardedDelivery>> {
        self.delivery
            .lock_py_attached(py)
            .unwrap_or_else(PoisonError::into_inner)
    }
}
