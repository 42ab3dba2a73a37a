//! The duplicate guard: the core's [`core::MemoryGuard`] (fenced by [`core::ClaimToken`]s),
//! and the core's parsing of guard answers ([`core::Claim::parse`], [`core::Held::parse`])
//! and outcome mapping ([`core::ReceiveOutcome`]) for guards written in JavaScript, which are
//! asynchronous: the JS layer awaits them and asks the core's [`core::GuardFlow`]
//! (`crate::guard_flow`) what to do next.

use std::time::Duration;

use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::guard as shared;
use napi_derive::napi;

use crate::error::{guard, guard_shared, thrown, webhook_error};

/// A duration in seconds from JS (`None`: `default`); a `RangeError` for a negative,
/// non-finite or too large number.
pub(crate) fn seconds(what: &str, value: Option<f64>, default: Duration) -> napi::Result<Duration> {
    shared::seconds(what, value, default).map_err(thrown)
}

/// A guard's answer to `claim`, parsed by the core (an `INTERNAL` error for anything else: a
/// guard answering nonsense is a receiver-side fault).
pub(crate) fn parse_claim(claim: &str) -> napi::Result<core::Claim> {
    shared::parse_claim(claim).map_err(thrown)
}

/// A guard's answer to `renew`, `complete` or `release` (`method`), parsed by the core.
pub(crate) fn parse_held(method: &str, held: &str) -> Result<core::Held, core::WebhookError> {
    shared::parse_held(method, held)
}

/// A claim string checked by the core: the same string, or an `INTERNAL` error for anything
/// that is not a claim (for guards parsing their store's replies).
#[napi]
pub fn check_claim(claim: String) -> napi::Result<String> {
    guard(|| parse_claim(&claim).map(|c| c.as_str().to_owned()))
}

/// A `HELD`/`LOST` answer of `method` checked by the core: the same string, or an `INTERNAL`
/// error for anything else.
#[napi]
pub fn check_held(method: String, held: String) -> napi::Result<String> {
    guard(|| {
        parse_held(&method, &held)
            .map(|h| h.as_str().to_owned())
            .map_err(|e| webhook_error(&e))
    })
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
        let inner = shared::memory_guard(max_entries, retention_seconds).map_err(thrown)?;
        Ok(MemoryGuard { inner })
    }

    /// Claims `webhookId` under `token` for `leaseSeconds` (default 300); the claim's string.
    #[napi]
    pub fn claim(
        &self,
        webhook_id: String,
        token: String,
        lease_seconds: Option<f64>,
    ) -> napi::Result<String> {
        guard_shared(|| shared::memory_claim(&self.inner, &webhook_id, &token, lease_seconds))
    }

    /// Extends `token`'s claim on `webhookId` to `leaseSeconds` (default 300) from now:
    /// `HELD`, or `LOST` (nothing changed) when `token` no longer holds it.
    #[napi]
    pub fn renew(
        &self,
        webhook_id: String,
        token: String,
        lease_seconds: Option<f64>,
    ) -> napi::Result<String> {
        guard_shared(|| shared::memory_renew(&self.inner, &webhook_id, &token, lease_seconds))
    }

    /// Records `webhookId` as processed, if `token` holds the claim or the lapsed claim is
    /// still free: `HELD`; otherwise `LOST` (nothing changed).
    #[napi]
    pub fn complete(&self, webhook_id: String, token: String) -> napi::Result<String> {
        guard_shared(|| shared::memory_complete(&self.inner, &webhook_id, &token))
    }

    /// Gives up `token`'s claim on `webhookId`: `HELD`; `LOST` (nothing changed) for another
    /// holder's claim or a completed id.
    #[napi]
    pub fn release(&self, webhook_id: String, token: String) -> napi::Result<String> {
        guard_shared(|| shared::memory_release(&self.inner, &webhook_id, &token))
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

impl From<shared::Outcome> for NativeOutcome {
    fn from(o: shared::Outcome) -> Self {
        NativeOutcome {
            name: o.name,
            http_status: o.http_status,
            public_message: o.public_message,
            is_duplicate: o.is_duplicate,
            will_be_redelivered: o.will_be_redelivered,
        }
    }
}

/// Every claim string, in the core's order.
#[napi]
pub fn claims() -> Vec<String> {
    shared::claims()
}

/// The outcome of a delivery not processed because of `claim` (parsed by the core), or
/// `null` for `ACQUIRED`. An `INTERNAL` `WebhookError` for a string that is not a claim (a
/// guard answering nonsense is a receiver-side fault).
#[napi]
pub fn claim_outcome(claim: String) -> napi::Result<Option<NativeOutcome>> {
    guard_shared(|| Ok(shared::claim_outcome(&claim)?.map(NativeOutcome::from)))
}

/// The outcome of a claimed delivery once the handler ran.
#[napi]
pub fn handler_outcome(succeeded: bool) -> NativeOutcome {
    shared::handler_outcome(succeeded).into()
}

/// Whether a handler succeeded, the one rule of every adapter (the core's
/// `ReceiveOutcome::handler_succeeded`): it failed when it threw or rejected (`raised`), or
/// when it answered with a response whose status is 400 or more (`status`; `null` when it
/// answered nothing of its own).
#[napi]
pub fn handler_succeeded(raised: bool, status: Option<u32>) -> bool {
    // A status beyond u16 is no HTTP status; it counts as a failure.
    shared::handler_succeeded(raised, status)
}

/// The core's default lease of a claim, in seconds.
#[napi]
pub const DEFAULT_CLAIM_LEASE_SECONDS: f64 = shared::DEFAULT_CLAIM_LEASE_SECONDS;

/// The core's default retention of a processed id, in seconds (the retry horizon).
#[napi]
pub const DEFAULT_COMPLETED_RETENTION_SECONDS: f64 = shared::DEFAULT_COMPLETED_RETENTION_SECONDS;

#[cfg(test)]
mod tests {
    use super::*;
    use kompliant_webhooks::decided::{DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION};

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
        assert_eq!(
            DEFAULT_COMPLETED_RETENTION_SECONDS,
            DEFAULT_COMPLETED_RETENTION.as_secs_f64()
        );
        assert_eq!(check_held("renew".into(), "LOST".into()).unwrap(), "LOST");
        assert!(check_held("renew".into(), "lost".into()).is_err());
        assert_eq!(check_claim("IN_PROGRESS".into()).unwrap(), "IN_PROGRESS");
    }

    #[test]
    fn the_handler_failure_rule_is_the_cores() {
        assert!(handler_succeeded(false, None));
        assert!(handler_succeeded(false, Some(204)));
        assert!(!handler_succeeded(false, Some(400)));
        assert!(!handler_succeeded(false, Some(70_000)));
        assert!(!handler_succeeded(true, Some(200)));
    }

    #[test]
    fn the_memory_guard_is_the_cores_and_fences() {
        let g = MemoryGuard::new(Some(2.0), Some(60.0)).unwrap();
        let (t1, t2) = ("tokenOne".to_owned(), "tokenTwo".to_owned());
        assert_eq!(g.claim("a".into(), t1.clone(), None).unwrap(), "ACQUIRED");
        assert_eq!(
            g.claim("a".into(), t2.clone(), None).unwrap(),
            "IN_PROGRESS"
        );
        assert_eq!(g.renew("a".into(), t2.clone(), None).unwrap(), "LOST");
        assert_eq!(g.release("a".into(), t2.clone()).unwrap(), "LOST");
        assert_eq!(g.renew("a".into(), t1.clone(), None).unwrap(), "HELD");
        assert_eq!(g.complete("a".into(), t1.clone()).unwrap(), "HELD");
        assert_eq!(g.release("a".into(), t1.clone()).unwrap(), "LOST");
        assert_eq!(
            g.claim("a".into(), t2.clone(), None).unwrap(),
            "ALREADY_COMPLETED"
        );
        assert_eq!(g.claim("b".into(), t2.clone(), None).unwrap(), "ACQUIRED");
        assert_eq!(g.claim("c".into(), t2, None).unwrap(), "AT_CAPACITY");
        assert!(g.claim("d".into(), "not a token".into(), None).is_err());
        assert!(MemoryGuard::new(Some(0.0), None).is_err());
        assert!(MemoryGuard::new(None, Some(-1.0)).is_err());
    }
}
