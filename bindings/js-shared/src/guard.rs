//! The duplicate guards as both JS bindings expose them: the core's `MemoryGuard`, claim and
//! outcome names, and the steps of its `GuardFlow` that the JS adapters (`node/lib/http.js`)
//! drive with their asynchronous guards. JS values in, the core's decisions out.

use std::time::Duration;

use kompliant_webhooks as core;
use kompliant_webhooks::decided::{
    DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION, DEFAULT_GUARD_MAX_ENTRIES,
};
use kompliant_webhooks::WebhookGuard as _;

use crate::error::{range_error, webhook_error, Result};

/// Default claim lease, in seconds.
#[allow(clippy::cast_precision_loss)]
pub const DEFAULT_CLAIM_LEASE_SECONDS: f64 = DEFAULT_CLAIM_LEASE.as_secs() as f64;

/// Default retention of processed ids, in seconds.
#[allow(clippy::cast_precision_loss)]
pub const DEFAULT_COMPLETED_RETENTION_SECONDS: f64 = DEFAULT_COMPLETED_RETENTION.as_secs() as f64;

/// A JS number of seconds as a `Duration` (`default` when absent); a `RangeError` for a
/// negative, infinite or NaN value.
pub fn seconds(what: &str, value: Option<f64>, default: Duration) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
            range_error(format!(
                "{what} must be a finite, non-negative number of seconds"
            ))
        }),
    }
}

/// A claim token from JS (`INTERNAL` from the core for a malformed one).
pub fn claim_token(token: &str) -> Result<core::ClaimToken> {
    core::ClaimToken::parse(token).map_err(|e| webhook_error(&e))
}

/// `text` quoted for a message, cut at 64 characters (a guard's answer, not a secret).
fn quoted(text: &str) -> String {
    format!("{:?}", text.chars().take(64).collect::<String>())
}

/// A guard's `claim()` answer (`INTERNAL` naming the answers allowed for any other).
pub fn parse_claim(claim: &str) -> Result<core::Claim> {
    core::Claim::parse(claim).ok_or_else(|| {
        webhook_error(&core::WebhookError::Internal {
            detail: format!(
                "the duplicate guard's claim() answered {}, not one of {}",
                quoted(claim),
                claims().join(", ")
            ),
        })
    })
}

/// A guard's `renew()`/`complete()`/`release()` answer (`method`), or the core's `INTERNAL`.
pub fn parse_held(method: &str, held: &str) -> std::result::Result<core::Held, core::WebhookError> {
    core::Held::parse(held).ok_or_else(|| core::WebhookError::Internal {
        detail: format!(
            "the duplicate guard's {method}() answered {}, not HELD or LOST",
            quoted(held)
        ),
    })
}

/// The names of every claim answer, in the core's order.
pub fn claims() -> Vec<String> {
    core::Claim::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The core's `MemoryGuard` with JS options (`maxEntries` a positive integer, a
/// `RangeError` otherwise; `retentionSeconds`).
pub fn memory_guard(
    max_entries: Option<f64>,
    retention_seconds: Option<f64>,
) -> Result<core::MemoryGuard> {
    let max_entries = match max_entries {
        None => DEFAULT_GUARD_MAX_ENTRIES,
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(n) if n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n <= 1e15 => {
            usize::try_from(n as u64).unwrap_or(usize::MAX)
        }
        Some(_) => return Err(range_error("maxEntries must be a positive integer")),
    };
    let retention = seconds(
        "retentionSeconds",
        retention_seconds,
        DEFAULT_COMPLETED_RETENTION,
    )?;
    Ok(core::MemoryGuard::with_options(core::MemoryGuardOptions {
        max_entries,
        retention,
    }))
}

/// `guard.claim(webhook_id, token, lease)` with JS values: the claim's name.
pub fn memory_claim(
    guard: &core::MemoryGuard,
    webhook_id: &str,
    token: &str,
    lease_seconds: Option<f64>,
) -> Result<String> {
    let lease = seconds("leaseSeconds", lease_seconds, DEFAULT_CLAIM_LEASE)?;
    guard
        .claim(webhook_id, &claim_token(token)?, lease)
        .map(|c| c.as_str().to_owned())
        .map_err(|e| webhook_error(&e))
}

/// `guard.renew(webhook_id, token, lease)` with JS values: `HELD` or `LOST`.
pub fn memory_renew(
    guard: &core::MemoryGuard,
    webhook_id: &str,
    token: &str,
    lease_seconds: Option<f64>,
) -> Result<String> {
    let lease = seconds("leaseSeconds", lease_seconds, DEFAULT_CLAIM_LEASE)?;
    held(guard.renew(webhook_id, &claim_token(token)?, lease))
}

/// `guard.complete(webhook_id, token)` with JS values: `HELD` or `LOST`.
pub fn memory_complete(guard: &core::MemoryGuard, webhook_id: &str, token: &str) -> Result<String> {
    held(guard.complete(webhook_id, &claim_token(token)?))
}

/// `guard.release(webhook_id, token)` with JS values: `HELD` or `LOST`.
pub fn memory_release(guard: &core::MemoryGuard, webhook_id: &str, token: &str) -> Result<String> {
    held(guard.release(webhook_id, &claim_token(token)?))
}

fn held(held: std::result::Result<core::Held, core::WebhookError>) -> Result<String> {
    held.map(|h| h.as_str().to_owned())
        .map_err(|e| webhook_error(&e))
}

/// A webhook's outcome as JS reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `PROCESSED`, `ALREADY_PROCESSED`, `IN_PROGRESS`, …
    pub name: String,
    /// The HTTP status to answer.
    pub http_status: u32,
    /// The text safe to send with it.
    pub public_message: String,
    /// Whether the webhook was a duplicate.
    pub is_duplicate: bool,
    /// Whether Kompliant will deliver it again.
    pub will_be_redelivered: bool,
}

/// The core's outcome as JS reads it.
pub fn outcome(o: core::ReceiveOutcome) -> Outcome {
    Outcome {
        name: o.as_str().to_owned(),
        http_status: u32::from(o.http_status()),
        public_message: o.public_message().to_owned(),
        is_duplicate: o.is_duplicate(),
        will_be_redelivered: o.will_be_redelivered(),
    }
}

/// The outcome a claim answer ends the delivery with, or `None` to run the handler.
pub fn claim_outcome(claim: &str) -> Result<Option<Outcome>> {
    Ok(parse_claim(claim)?.outcome().map(outcome))
}

/// The outcome after the handler ran.
pub fn handler_outcome(succeeded: bool) -> Outcome {
    outcome(core::ReceiveOutcome::after_handler(succeeded))
}

/// Whether a handler succeeded (it did not throw, and its HTTP status, if any, is 2xx).
pub fn handler_succeeded(raised: bool, status: Option<u32>) -> bool {
    let status = status.map(|s| u16::try_from(s).unwrap_or(u16::MAX));
    core::ReceiveOutcome::handler_succeeded(raised, status)
}

/// A redis duration (`what`, in seconds, positive) as the whole milliseconds the scripts take.
pub fn redis_millis(what: &str, value: f64) -> Result<String> {
    if value.is_nan() || value <= 0.0 {
        return Err(range_error(format!(
            "{what} must be a finite, positive number of seconds"
        )));
    }
    let duration = seconds(what, Some(value), DEFAULT_COMPLETED_RETENTION)?;
    Ok(core::redis::millis(duration).to_string())
}

/// How a guarded flow ended, as JS reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFinished {
    /// The answer.
    pub outcome: Outcome,
    /// Whether the claim was lost (the webhook may be processed twice, or was rolled back).
    pub claim_lost: bool,
    /// What to log when the claim was lost.
    pub message: Option<String>,
    /// The guard's answer when it was not one the core knows (for the logs).
    pub guard_error: Option<String>,
}

/// The guard's answer to the flow's settle step (`held`, or `guard_failed` when its call
/// threw) as the core reads it, with the message of an answer it does not know.
fn recorded(
    flow: &core::GuardFlow,
    succeeded: bool,
    held: Option<&str>,
    guard_failed: bool,
) -> (
    std::result::Result<core::Held, core::WebhookError>,
    Option<String>,
) {
    let method = flow.settle(succeeded).method();
    let recorded = if guard_failed {
        Err(core::WebhookError::Internal {
            detail: format!("the duplicate guard's {method}() failed"),
        })
    } else {
        parse_held(method, held.unwrap_or("null"))
    };
    let invalid = match (&recorded, guard_failed) {
        (Err(e), false) => Some(e.to_string()),
        _ => None,
    };
    (recorded, invalid)
}

fn finished(f: core::Finished, message: Option<String>, invalid: Option<String>) -> FlowFinished {
    FlowFinished {
        outcome: outcome(f.outcome),
        claim_lost: f.claim_lost,
        message,
        guard_error: invalid,
    }
}

/// The flow's end after the handler and the guard's complete/release (the core's
/// `GuardFlow::finish`).
pub fn flow_finish(
    flow: &core::GuardFlow,
    succeeded: bool,
    held: Option<&str>,
    guard_failed: bool,
    lost_while_running: bool,
) -> FlowFinished {
    let (recorded, invalid) = recorded(flow, succeeded, held, guard_failed);
    let f = flow.finish(succeeded, recorded, lost_while_running);
    let message = f.claim_lost.then(|| flow.claim_lost_message(succeeded));
    finished(f, message, invalid)
}

/// The flow's end in transactional mode (the core's `GuardFlow::finish_in_transaction`).
pub fn flow_finish_in_transaction(
    flow: &core::GuardFlow,
    succeeded: bool,
    held: Option<&str>,
    guard_failed: bool,
) -> FlowFinished {
    let (recorded, invalid) = recorded(flow, succeeded, held, guard_failed);
    let f = flow.finish_in_transaction(succeeded, recorded);
    let message = f.claim_lost.then(|| {
        format!(
            "the claim on {} was lost before the handler's transaction committed (its lease ended and another delivery claimed it): the handler's writes were rolled back and Kompliant will retry",
            flow.webhook_id()
        )
    });
    finished(f, message, invalid)
}

/// A new flow for `webhook_id` (`leaseSeconds` as JS passes it).
pub fn flow_new(webhook_id: &str, lease_seconds: Option<f64>) -> Result<core::GuardFlow> {
    let lease = seconds("leaseSeconds", lease_seconds, DEFAULT_CLAIM_LEASE)?;
    core::GuardFlow::new(webhook_id, lease).map_err(|e| webhook_error(&e))
}

/// `flow.claimed(claim)` with the guard's answer as a string.
pub fn flow_claimed(flow: &core::GuardFlow, claim: &str) -> Result<Option<Outcome>> {
    Ok(flow.claimed(parse_claim(claim)?).map(outcome))
}

/// `flow.renewed(held)` with the guard's answer as a string: whether the claim is held.
pub fn flow_renewed(held: &str) -> Result<bool> {
    parse_held("renew", held)
        .map(|h| h == core::Held::Held)
        .map_err(|e| webhook_error(&e))
}
