//! The duplicate guard: the core's [`core::MemoryGuard`], and the core's claim parsing and
//! outcome mapping ([`core::Claim::parse`], [`core::ReceiveOutcome`]) for guards written in
//! JavaScript (which are asynchronous, so the JS layer awaits them and asks the core what to
//! answer).

use std::time::Duration;

use kompliant_webhooks as core;
use kompliant_webhooks::decided::{
    DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION, DEFAULT_GUARD_MAX_ENTRIES,
};
use kompliant_webhooks::WebhookGuard;
use napi_derive::napi;

use crate::error::{guard, range_error, webhook_error};

/// A duration in seconds from JS (`None`: `default`); a `RangeError` for a negative,
/// non-finite or too large number.
pub(crate) fn seconds(what: &str, value: Option<f64>, default: Duration) -> napi::Result<Duration> {
    match value {
        None => Ok(default),
        Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
            range_error(format!(
                "{what} must be a finite, non-negative number of seconds"
            ))
        }),
    }
}

/// The core's in-process duplicate guard (see `MemoryGuard` in index.d.ts).
#[napi]
pub struct MemoryGuard {
    inner: core::MemoryGuard,
}

#[napi]
impl MemoryGuard {
    /// A guard holding at most `maxEntries` ids (default 1,000,000), remembering completed
    /// ids for `retentionSeconds` (default 7 days).
    #[napi(constructor)]
    pub fn new(max_entries: Option<f64>, retention_seconds: Option<f64>) -> napi::Result<Self> {
        let max_entries = match max_entries {
            None => DEFAULT_GUARD_MAX_ENTRIES,
            Some(n) if n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n <= 1e15 => n as usize,
            Some(_) => return Err(range_error("maxEntries must be a positive integer")),
        };
        let retention = seconds(
            "retentionSeconds",
            retention_seconds,
            DEFAULT_COMPLETED_RETENTION,
        )?;
        Ok(MemoryGuard {
            inner: core::MemoryGuard::with_options(core::MemoryGuardOptions {
                max_entries,
                retention,
            }),
        })
    }

    /// Claims `webhookId` for `leaseSeconds` (default 300); the claim's string.
    #[napi]
    pub fn claim(&self, webhook_id: String, lease_seconds: Option<f64>) -> napi::Result<String> {
        guard(|| {
            let lease = seconds("leaseSeconds", lease_seconds, DEFAULT_CLAIM_LEASE)?;
            self.inner
                .claim(&webhook_id, lease)
                .map(|c| c.as_str().to_owned())
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Records `webhookId` as processed.
    #[napi]
    pub fn complete(&self, webhook_id: String) -> napi::Result<()> {
        guard(|| {
            self.inner
                .complete(&webhook_id)
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Gives up the claim on `webhookId` (never forgets a completed id).
    #[napi]
    pub fn release(&self, webhook_id: String) -> napi::Result<()> {
        guard(|| {
            self.inner
                .release(&webhook_id)
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Number of ids held.
    #[napi(getter)]
    pub fn size(&self) -> f64 {
        self.inner.len() as f64
    }

    /// Largest number of ids held.
    #[napi(getter)]
    pub fn max_entries(&self) -> f64 {
        self.inner.options().max_entries as f64
    }

    /// How long a completed id is remembered, in seconds.
    #[napi(getter)]
    pub fn retention_seconds(&self) -> f64 {
        self.inner.options().retention.as_secs_f64()
    }
}

/// How a delivery ended and what to answer (the core's `ReceiveOutcome`).
#[napi(object)]
pub struct NativeOutcome {
    /// `PROCESSED`, `HANDLER_FAILED`, `ALREADY_PROCESSED`, `IN_PROGRESS` or `AT_CAPACITY`.
    pub name: String,
    /// The HTTP status to answer with.
    pub http_status: u32,
    /// A short text safe to send back.
    pub public_message: String,
    /// A duplicate (processed or in progress).
    pub is_duplicate: bool,
    /// Kompliant will deliver it again (any answer but 200).
    pub will_be_redelivered: bool,
}

fn outcome(o: core::ReceiveOutcome) -> NativeOutcome {
    NativeOutcome {
        name: o.as_str().to_owned(),
        http_status: u32::from(o.http_status()),
        public_message: o.public_message().to_owned(),
        is_duplicate: o.is_duplicate(),
        will_be_redelivered: o.will_be_redelivered(),
    }
}

/// Every claim string, in the core's order.
#[napi]
pub fn claims() -> Vec<String> {
    core::Claim::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The outcome of a delivery not processed because of `claim` (parsed by the core), or
/// `null` for `ACQUIRED`. An `INTERNAL` `WebhookError` for a string that is not a claim (a
/// guard answering nonsense is a receiver-side fault).
#[napi]
pub fn claim_outcome(claim: String) -> napi::Result<Option<NativeOutcome>> {
    let parsed = core::Claim::parse(&claim).ok_or_else(|| {
        webhook_error(&core::WebhookError::Internal {
            detail: format!(
                "the duplicate guard's claim() answered {:?}, not one of {}",
                claim.chars().take(64).collect::<String>(),
                claims().join(", ")
            ),
        })
    })?;
    Ok(parsed.outcome().map(outcome))
}

/// The outcome of a claimed delivery once the handler ran.
#[napi]
pub fn handler_outcome(succeeded: bool) -> NativeOutcome {
    outcome(core::ReceiveOutcome::after_handler(succeeded))
}

/// The core's default lease of a claim, in seconds.
#[napi]
pub const DEFAULT_CLAIM_LEASE_SECONDS: f64 = 300.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_and_outcomes_come_from_the_core() {
        assert_eq!(claims()[0], "ACQUIRED");
        assert!(claim_outcome("ACQUIRED".into()).unwrap().is_none());
        let done = claim_outcome("ALREADY_COMPLETED".into()).unwrap().unwrap();
        assert_eq!(
            (done.name.as_str(), done.http_status),
            ("ALREADY_PROCESSED", 200)
        );
        let busy = claim_outcome("IN_PROGRESS".into()).unwrap().unwrap();
        assert_eq!(busy.http_status, 503);
        assert!(claim_outcome("acquired".into()).is_err());
        assert_eq!(handler_outcome(false).http_status, 500);
        assert_eq!(
            DEFAULT_CLAIM_LEASE_SECONDS,
            DEFAULT_CLAIM_LEASE.as_secs_f64()
        );
    }

    #[test]
    fn the_memory_guard_is_the_cores() {
        let g = MemoryGuard::new(Some(1.0), Some(60.0)).unwrap();
        assert_eq!(g.claim("a".into(), None).unwrap(), "ACQUIRED");
        assert_eq!(g.claim("b".into(), None).unwrap(), "AT_CAPACITY");
        g.complete("a".into()).unwrap();
        g.release("a".into()).unwrap();
        assert_eq!(g.claim("a".into(), None).unwrap(), "ALREADY_COMPLETED");
        assert!(MemoryGuard::new(Some(0.0), None).is_err());
        assert!(MemoryGuard::new(None, Some(-1.0)).is_err());
    }
}
