//! The duplicate guards for `node/lib/guard.js` and `http.js`: the core's `MemoryGuard`, the
//! claim and outcome names, and the `GuardFlow` the fetch adapter drives, through the shared
//! `guard` module (the napi binding's results, as JS objects).

use js_sys::Array;
use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::guard as shared;
use wasm_bindgen::prelude::*;

use crate::error::{thrown, Result};
use crate::js::{self, object};

/// `{ name, httpStatus, publicMessage, isDuplicate, willBeRedelivered }`.
fn outcome(o: &shared::Outcome) -> Result<JsValue> {
    object(&[
        ("name", Some(JsValue::from_str(&o.name))),
        ("httpStatus", Some(JsValue::from(o.http_status))),
        ("publicMessage", Some(JsValue::from_str(&o.public_message))),
        ("isDuplicate", Some(JsValue::from_bool(o.is_duplicate))),
        (
            "willBeRedelivered",
            Some(JsValue::from_bool(o.will_be_redelivered)),
        ),
    ])
}

/// An optional outcome: `null` when `None` (napi's `Option` return).
fn maybe_outcome(o: Option<shared::Outcome>) -> Result<JsValue> {
    o.as_ref().map_or(Ok(JsValue::NULL), outcome)
}

/// The core's in-process duplicate guard.
#[wasm_bindgen]
pub struct MemoryGuard {
    inner: core::MemoryGuard,
}

#[wasm_bindgen]
impl MemoryGuard {
    /// A guard holding at most `maxEntries` ids (default 1,000,000), remembering completed
    /// ids for `retentionSeconds` (default 7 days).
    #[wasm_bindgen(constructor)]
    pub fn new(max_entries: Option<f64>, retention_seconds: Option<f64>) -> Result<MemoryGuard> {
        let inner = shared::memory_guard(max_entries, retention_seconds).map_err(thrown)?;
        Ok(MemoryGuard { inner })
    }

    /// Claims `webhookId` under `token` for `leaseSeconds` (default 300); the claim's name.
    pub fn claim(
        &self,
        webhook_id: &str,
        token: &str,
        lease_seconds: Option<f64>,
    ) -> Result<String> {
        shared::memory_claim(&self.inner, webhook_id, token, lease_seconds).map_err(thrown)
    }

    /// Extends `token`'s claim on `webhookId`: `HELD` or `LOST`.
    pub fn renew(
        &self,
        webhook_id: &str,
        token: &str,
        lease_seconds: Option<f64>,
    ) -> Result<String> {
        shared::memory_renew(&self.inner, webhook_id, token, lease_seconds).map_err(thrown)
    }

    /// Records `webhookId` as processed: `HELD` or `LOST`.
    pub fn complete(&self, webhook_id: &str, token: &str) -> Result<String> {
        shared::memory_complete(&self.inner, webhook_id, token).map_err(thrown)
    }

    /// Gives up `token`'s claim on `webhookId`: `HELD` or `LOST`.
    pub fn release(&self, webhook_id: &str, token: &str) -> Result<String> {
        shared::memory_release(&self.inner, webhook_id, token).map_err(thrown)
    }

    /// Number of ids held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.inner.len() as f64;
        n
    }

    /// Largest number of ids held.
    #[wasm_bindgen(getter, js_name = maxEntries)]
    pub fn max_entries(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.inner.options().max_entries as f64;
        n
    }

    /// How long a completed id is remembered, in seconds.
    #[wasm_bindgen(getter, js_name = retentionSeconds)]
    pub fn retention_seconds(&self) -> f64 {
        self.inner.options().retention.as_secs_f64()
    }
}

/// The core's guarded flow for one verified webhook, driven by the JS adapters.
#[wasm_bindgen]
pub struct GuardFlow {
    inner: core::GuardFlow,
}

#[wasm_bindgen]
impl GuardFlow {
    /// The flow of one delivery of `webhookId`, claimed for `leaseSeconds` (default 300),
    /// with a fresh token.
    #[wasm_bindgen(constructor)]
    pub fn new(webhook_id: &str, lease_seconds: Option<f64>) -> Result<GuardFlow> {
        shared::flow_new(webhook_id, lease_seconds)
            .map(|inner| GuardFlow { inner })
            .map_err(thrown)
    }

    /// The webhook id claimed.
    #[wasm_bindgen(getter, js_name = webhookId)]
    pub fn webhook_id(&self) -> String {
        self.inner.webhook_id().to_owned()
    }

    /// This delivery's claim token.
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> String {
        self.inner.token().as_str().to_owned()
    }

    /// The lease of the claim and of each renewal, in seconds.
    #[wasm_bindgen(getter, js_name = leaseSeconds)]
    pub fn lease_seconds(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    /// How often to renew, in milliseconds.
    #[wasm_bindgen(getter, js_name = renewIntervalMs)]
    pub fn renew_interval_ms(&self) -> f64 {
        self.inner.renew_interval().as_secs_f64() * 1000.0
    }

    /// The guard's claim answered `claim`: `null` to run the handler, else the outcome.
    pub fn claimed(&self, claim: &str) -> Result<JsValue> {
        maybe_outcome(shared::flow_claimed(&self.inner, claim).map_err(thrown)?)
    }

    /// A renewal answered `held`: whether the claim is still held.
    pub fn renewed(&self, held: &str) -> Result<bool> {
        shared::flow_renewed(held).map_err(thrown)
    }

    /// The guard method recording the handler's result, `complete` or `release`.
    pub fn settle(&self, succeeded: bool) -> String {
        self.inner.settle(succeeded).method().to_owned()
    }

    /// The delivery's end: `{ outcome, claimLost, message?, guardError? }`.
    pub fn finish(
        &self,
        succeeded: bool,
        held: Option<String>,
        guard_failed: bool,
        lost_while_running: bool,
    ) -> Result<JsValue> {
        finished(&shared::flow_finish(
            &self.inner,
            succeeded,
            held.as_deref(),
            guard_failed,
            lost_while_running,
        ))
    }

    /// The end of a transactional delivery: `{ outcome, claimLost, message?, guardError? }`.
    #[wasm_bindgen(js_name = finishInTransaction)]
    pub fn finish_in_transaction(
        &self,
        succeeded: bool,
        held: Option<String>,
        guard_failed: bool,
    ) -> Result<JsValue> {
        finished(&shared::flow_finish_in_transaction(
            &self.inner,
            succeeded,
            held.as_deref(),
            guard_failed,
        ))
    }
}

fn finished(f: &shared::FlowFinished) -> Result<JsValue> {
    object(&[
        ("outcome", Some(outcome(&f.outcome)?)),
        ("claimLost", Some(JsValue::from_bool(f.claim_lost))),
        ("message", f.message.as_deref().map(JsValue::from_str)),
        (
            "guardError",
            f.guard_error.as_deref().map(JsValue::from_str),
        ),
    ])
}

/// Every claim name, in the core's order.
#[wasm_bindgen]
pub fn claims() -> Array {
    js::string_array(&shared::claims())
}

/// The outcome of a delivery not processed because of `claim`, or `null` for `ACQUIRED`.
#[wasm_bindgen(js_name = claimOutcome)]
pub fn claim_outcome(claim: &str) -> Result<JsValue> {
    maybe_outcome(shared::claim_outcome(claim).map_err(thrown)?)
}

/// The outcome of a claimed delivery once the handler ran.
#[wasm_bindgen(js_name = handlerOutcome)]
pub fn handler_outcome(succeeded: bool) -> Result<JsValue> {
    outcome(&shared::handler_outcome(succeeded))
}

/// Whether a handler succeeded (it did not throw; its status, if any, below 400).
#[wasm_bindgen(js_name = handlerSucceeded)]
pub fn handler_succeeded(raised: bool, status: Option<u32>) -> bool {
    shared::handler_succeeded(raised, status)
}

/// A claim string checked by the core: the same string, or an `INTERNAL` error.
#[wasm_bindgen(js_name = checkClaim)]
pub fn check_claim(claim: &str) -> Result<String> {
    shared::parse_claim(claim)
        .map(|c| c.as_str().to_owned())
        .map_err(thrown)
}

/// A `HELD`/`LOST` answer of `method` checked by the core.
#[wasm_bindgen(js_name = checkHeld)]
pub fn check_held(method: &str, held: &str) -> Result<String> {
    shared::parse_held(method, held)
        .map(|h| h.as_str().to_owned())
        .map_err(|e| crate::error::webhook_error(&e))
}

/// A duration in seconds as the whole milliseconds a Redis script takes (a string).
#[wasm_bindgen(js_name = redisMillis)]
pub fn redis_millis(what: &str, seconds: f64) -> Result<String> {
    shared::redis_millis(what, seconds).map_err(thrown)
}

/// The napi constant `DEFAULT_CLAIM_LEASE_SECONDS`, as a function (the shim makes it a value).
#[wasm_bindgen(js_name = DEFAULT_CLAIM_LEASE_SECONDS)]
pub fn default_claim_lease_seconds() -> f64 {
    shared::DEFAULT_CLAIM_LEASE_SECONDS
}

/// The napi constant `DEFAULT_COMPLETED_RETENTION_SECONDS`, as a function (the shim makes it
/// a value).
#[wasm_bindgen(js_name = DEFAULT_COMPLETED_RETENTION_SECONDS)]
pub fn default_completed_retention_seconds() -> f64 {
    shared::DEFAULT_COMPLETED_RETENTION_SECONDS
}
