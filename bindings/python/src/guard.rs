//! The duplicate guard: `MemoryGuard`, `ReceiveOutcome`, the handler-failure rule and the
//! Redis protocol's constants; `GuardedReceiver` and `GuardedDelivery` are in [`delivery`], the
//! bridge to guards written in Python in [`foreign`].

mod delivery;
mod foreign;

use std::sync::Arc;

use kompliant_webhooks::decided::{
    CLAIM_RENEWALS_PER_LEASE, DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION,
    DEFAULT_GUARD_MAX_ENTRIES, HANDLER_FAILED_FROM_STATUS,
};
use kompliant_webhooks::{
    postgres, redis, Claim, ClaimToken, GuardFlow, Held, MemoryGuard, MemoryGuardOptions,
    ReceiveOutcome, WebhookError, WebhookGuard,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::convert;
use crate::error::{guard, OrRaise, Side};
use crate::pyrepr::quote;

pub(crate) use delivery::{PyGuardedDelivery, PyGuardedReceiver};

/// An in-process duplicate guard (from the core): remembers which webhook ids are being
/// processed (for their lease) and which were processed (for `retention`, default 7 days,
/// the retry horizon), so a redelivered webhook is not processed twice. Every claim has a
/// token (its holder): renew, complete and release act only for it (fencing).
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

    /// Claims `webhook_id` under `token` (a claim token: `new_claim_token()`) for `lease`
    /// (seconds or `timedelta`, default 5 minutes); returns the claim's string: `"ACQUIRED"`
    /// (process it), `"ALREADY_COMPLETED"`, `"IN_PROGRESS"` or `"AT_CAPACITY"` (see `Claim`).
    #[pyo3(signature = (webhook_id, token, lease = None))]
    fn claim(
        &self,
        py: Python<'_>,
        webhook_id: &str,
        token: &str,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<&'static str> {
        let lease = lease_arg(lease)?;
        self.answer(py, token, |g, t| g.claim(webhook_id, t, lease))
    }

    /// Extends `token`'s claim on `webhook_id` to `lease` from now (default 5 minutes):
    /// `"HELD"`, or `"LOST"` (nothing changed) when `token` no longer holds it.
    #[pyo3(signature = (webhook_id, token, lease = None))]
    fn renew(
        &self,
        py: Python<'_>,
        webhook_id: &str,
        token: &str,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<&'static str> {
        let lease = lease_arg(lease)?;
        self.answer(py, token, |g, t| g.renew(webhook_id, t, lease))
    }

    /// Records that `webhook_id` was processed (remembered for the retention window), if
    /// `token` holds the claim or the claim lapsed unclaimed since: `"HELD"`; otherwise
    /// `"LOST"` and nothing changes.
    fn complete(&self, py: Python<'_>, webhook_id: &str, token: &str) -> PyResult<&'static str> {
        self.answer(py, token, |g, t| g.complete(webhook_id, t))
    }

    /// Gives up `token`'s claim on `webhook_id` after a failure, so a redelivery is
    /// processed: `"HELD"`; `"LOST"` (nothing changes) when `token` does not hold it. Never
    /// forgets a completed id.
    fn release(&self, py: Python<'_>, webhook_id: &str, token: &str) -> PyResult<&'static str> {
        self.answer(py, token, |g, t| g.release(webhook_id, t))
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

impl PyMemoryGuard {
    /// One call of the core guard with `token` parsed (a `ValueError` for a string that is no
    /// token), answered as the core's string.
    fn answer<A: Answer>(
        &self,
        py: Python<'_>,
        token: &str,
        call: impl FnOnce(&MemoryGuard, &ClaimToken) -> Result<A, WebhookError>,
    ) -> PyResult<&'static str> {
        let token = ClaimToken::parse(token).map_err(|e| PyValueError::new_err(e.to_string()))?;
        guard(py, Side::Receive, || {
            Ok(call(&self.inner, &token).or_raise(py)?.as_str())
        })
    }
}

/// A guard's answer, parsed from and shown as its string form (the core's `Claim` or `Held`).
trait Answer: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn parse(text: &str) -> Option<Self>;
    fn as_str(self) -> &'static str;
}

macro_rules! answer {
    ($answer:ty) => {
        impl Answer for $answer {
            const ALL: &'static [Self] = <$answer>::ALL;
            fn parse(text: &str) -> Option<Self> {
                <$answer>::parse(text)
            }
            fn as_str(self) -> &'static str {
                <$answer>::as_str(self)
            }
        }
    };
}

answer!(Claim);
answer!(Held);

/// A lease argument (default 5 minutes).
fn lease_arg(lease: Option<&Bound<'_, PyAny>>) -> PyResult<std::time::Duration> {
    Ok(convert::optional_duration(lease, "lease")?.unwrap_or(DEFAULT_CLAIM_LEASE))
}

/// A fresh claim token (22 random base62 characters), as the receive flow makes for every
/// claim; for calling a guard directly.
#[pyfunction]
fn new_claim_token(py: Python<'_>) -> PyResult<String> {
    Ok(ClaimToken::generate().or_raise(py)?.as_str().to_owned())
}

/// Whether a handler succeeded, the one rule every adapter applies: it failed when it
/// raised, or returned a response whose status is `HANDLER_FAILED_FROM_STATUS` (400) or
/// more; `response_status` is `None` when it returned no response of its own.
#[pyfunction]
#[pyo3(signature = (raised, response_status = None))]
fn handler_succeeded(raised: bool, response_status: Option<u16>) -> bool {
    ReceiveOutcome::handler_succeeded(raised, response_status)
}

/// A duration (seconds or `timedelta`) as the whole milliseconds a Redis script takes (at
/// least 1: Redis refuses `PX 0`).
#[pyfunction]
fn redis_millis(duration: &Bound<'_, PyAny>) -> PyResult<u64> {
    Ok(redis::millis(convert::duration(duration, "duration")?))
}

/// Checks a PostgreSQL guard's table name (`name` or `schema.name`, lower-case letters,
/// digits and `_`): raises `WebhookError` `INVALID_CONFIGURATION` naming the rule.
#[pyfunction]
fn postgres_check_table(py: Python<'_>, table: &str) -> PyResult<()> {
    postgres::check_table(table).or_raise(py)
}

/// The PostgreSQL guard's statements for `table` (checked first), in psycopg's `%(pN)s`
/// style: a dict with `create_table` (two statements, to run in one transaction), `claim`,
/// `renew`, `complete`, `release` (each answering one row, column `answer`) and `cleanup`
/// (column `deleted`).
#[pyfunction]
fn postgres_statements(
    py: Python<'_>,
    table: &str,
) -> PyResult<std::collections::HashMap<&'static str, String>> {
    postgres::check_table(table).or_raise(py)?;
    type Statement = fn(&str) -> String;
    let statements: [(&'static str, Statement); 6] = [
        ("create_table", postgres::create_table),
        ("claim", postgres::claim),
        ("renew", postgres::renew),
        ("complete", postgres::complete),
        ("release", postgres::release),
        ("cleanup", postgres::cleanup),
    ];
    Ok(statements
        .into_iter()
        .map(|(name, sql)| (name, postgres::pyformat(&sql(table))))
        .collect())
}

/// The answer of a delivery of `webhook_id` in transactional mode (the core's
/// `GuardFlow::finish_in_transaction`), once its transaction was committed or rolled back:
/// `recorded` is what the `complete` statement run in the handler's transaction answered
/// (`"HELD"`: committed, `"LOST"`: rolled back), or `None` when it failed (rolled back).
/// Returns the outcome and whether the claim was found lost.
#[pyfunction]
#[pyo3(signature = (webhook_id, succeeded, recorded))]
fn finish_in_transaction(
    py: Python<'_>,
    webhook_id: &str,
    succeeded: bool,
    recorded: Option<&str>,
) -> PyResult<(PyReceiveOutcome, bool)> {
    let recorded = match recorded {
        Some(text) => Ok(Held::parse(text)
            .ok_or_else(|| PyValueError::new_err(format!("unknown answer {}", quote(text))))?),
        None => Err(WebhookError::Internal {
            detail: "the processed mark could not be recorded in the handler's transaction".into(),
        }),
    };
    let flow = GuardFlow::new(webhook_id, std::time::Duration::ZERO).or_raise(py)?;
    let finished = flow.finish_in_transaction(succeeded, recorded);
    Ok((
        PyReceiveOutcome {
            inner: finished.outcome,
        },
        finished.claim_lost,
    ))
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
    let py = m.py();
    foreign::register(m)?;
    m.add_class::<PyMemoryGuard>()?;
    m.add_class::<PyGuardedReceiver>()?;
    m.add_class::<PyGuardedDelivery>()?;
    m.add_class::<PyReceiveOutcome>()?;
    m.add_function(wrap_pyfunction!(new_claim_token, m)?)?;
    m.add_function(wrap_pyfunction!(handler_succeeded, m)?)?;
    m.add_function(wrap_pyfunction!(redis_millis, m)?)?;
    m.add_function(wrap_pyfunction!(postgres_check_table, m)?)?;
    m.add_function(wrap_pyfunction!(postgres_statements, m)?)?;
    m.add_function(wrap_pyfunction!(finish_in_transaction, m)?)?;
    m.add("POSTGRES_DEFAULT_TABLE", postgres::DEFAULT_TABLE)?;
    m.add(
        "CLAIMS",
        PyTuple::new(py, Claim::ALL.iter().map(|c| c.as_str()))?,
    )?;
    m.add(
        "HELDS",
        PyTuple::new(py, Held::ALL.iter().map(|h| h.as_str()))?,
    )?;
    m.add("DEFAULT_CLAIM_LEASE", DEFAULT_CLAIM_LEASE.as_secs_f64())?;
    m.add(
        "DEFAULT_RETENTION",
        DEFAULT_COMPLETED_RETENTION.as_secs_f64(),
    )?;
    m.add("CLAIM_RENEWALS_PER_LEASE", CLAIM_RENEWALS_PER_LEASE)?;
    m.add("HANDLER_FAILED_FROM_STATUS", HANDLER_FAILED_FROM_STATUS)?;
    // The Redis guard's protocol (kompliant_webhooks.redis runs these scripts).
    m.add("REDIS_DEFAULT_PREFIX", redis::DEFAULT_PREFIX)?;
    m.add("REDIS_DONE", redis::DONE)?;
    m.add("REDIS_IN_PROGRESS_PREFIX", redis::IN_PROGRESS_PREFIX)?;
    m.add("REDIS_CLAIM_SCRIPT", redis::CLAIM)?;
    m.add("REDIS_RENEW_SCRIPT", redis::RENEW)?;
    m.add("REDIS_COMPLETE_SCRIPT", redis::COMPLETE)?;
    m.add("REDIS_RELEASE_SCRIPT", redis::RELEASE)?;
    Ok(())
}
