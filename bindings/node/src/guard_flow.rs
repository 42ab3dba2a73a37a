//! [`GuardFlow`]: the core's guarded receive flow ([`core::GuardFlow`]) for one verified
//! webhook, driven by the JS adapters (`node/lib/http.js`), whose guards are asynchronous:
//! JavaScript does the I/O (claim, renew on a timer, complete or release), the core decides
//! every step and the answer.

use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::guard as shared;
use napi_derive::napi;

use crate::error::guard_shared;
use crate::guard::NativeOutcome;

/// The flow of one guarded delivery (see `core::GuardFlow`): a fresh claim token, the lease,
/// and the decisions after each guard call.
#[napi]
pub struct GuardFlow {
    inner: core::GuardFlow,
}

/// How a guarded delivery ended (the core's `Finished`).
#[napi(object)]
pub struct NativeFinished {
    /// The answer: `PROCESSED` (200) or `HANDLER_FAILED` (500).
    pub outcome: NativeOutcome,
    /// The claim was lost while the handler ran or when recording its result: another
    /// delivery may be processing the webhook too.
    pub claim_lost: bool,
    /// The core's text for a lost claim (only when `claimLost`).
    pub message: Option<String>,
    /// The core's text when the guard's `complete` or `release` answered neither `HELD` nor
    /// `LOST` (the answer stands).
    pub guard_error: Option<String>,
}

#[napi]
impl GuardFlow {
    /// The flow of one delivery of `webhookId`, claimed for `leaseSeconds` (default 300),
    /// with a fresh token. A `RangeError` for a bad lease.
    #[napi(constructor)]
    pub fn new(webhook_id: String, lease_seconds: Option<f64>) -> napi::Result<Self> {
        guard_shared(|| {
            shared::flow_new(&webhook_id, lease_seconds).map(|inner| GuardFlow { inner })
        })
    }

    /// The webhook id claimed.
    #[napi(getter)]
    pub fn webhook_id(&self) -> String {
        self.inner.webhook_id().to_owned()
    }

    /// This delivery's claim token: pass it to every guard call.
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.inner.token().as_str().to_owned()
    }

    /// The lease of the claim and of each renewal, in seconds.
    #[napi(getter)]
    pub fn lease_seconds(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    /// How often to renew the claim while the handler runs, in milliseconds.
    #[napi(getter)]
    pub fn renew_interval_ms(&self) -> f64 {
        self.inner.renew_interval().as_secs_f64() * 1000.0
    }

    /// Step 1, the guard's claim: `null` to run the handler, or the outcome to answer without
    /// running it. An `INTERNAL` error for a string that is not a claim.
    #[napi]
    pub fn claimed(&self, claim: String) -> napi::Result<Option<NativeOutcome>> {
        guard_shared(|| Ok(shared::flow_claimed(&self.inner, &claim)?.map(NativeOutcome::from)))
    }

    /// Step 2, a renewal's answer: `true` while the claim is held, `false` once it is `LOST`
    /// (stop renewing). An `INTERNAL` error for any other answer.
    #[napi]
    pub fn renewed(&self, held: String) -> napi::Result<bool> {
        guard_shared(|| shared::flow_renewed(&held))
    }

    /// Step 3: the guard method recording the handler's result, `complete` or `release`.
    #[napi]
    pub fn settle(&self, succeeded: bool) -> String {
        self.inner.settle(succeeded).method().to_owned()
    }

    /// Step 3, once recorded: the answer, given what `complete`/`release` answered (`held`;
    /// ignored when `guardFailed`, i.e. it threw or rejected) and whether a renewal found the
    /// claim lost while the handler ran.
    #[napi]
    pub fn finish(
        &self,
        succeeded: bool,
        held: Option<String>,
        guard_failed: bool,
        lost_while_running: bool,
    ) -> NativeFinished {
        shared::flow_finish(
            &self.inner,
            succeeded,
            held.as_deref(),
            guard_failed,
            lost_while_running,
        )
        .into()
    }

    /// Step 3 in transactional mode (the core's `finish_in_transaction`): the answer once the
    /// handler's transaction was committed (only when `complete`, run in it, answered `HELD`)
    /// or rolled back. `held` is what `complete` (after success) or `release` (after failure,
    /// once rolled back) answered, ignored when `guardFailed` (it, the transaction or its
    /// commit failed). A successful handler whose `complete` answered `LOST` is answered
    /// `IN_PROGRESS` (503) with `claimLost`: its writes were rolled back.
    #[napi]
    pub fn finish_in_transaction(
        &self,
        succeeded: bool,
        held: Option<String>,
        guard_failed: bool,
    ) -> NativeFinished {
        shared::flow_finish_in_transaction(&self.inner, succeeded, held.as_deref(), guard_failed)
            .into()
    }
}

impl From<shared::FlowFinished> for NativeFinished {
    fn from(f: shared::FlowFinished) -> Self {
        NativeFinished {
            outcome: f.outcome.into(),
            claim_lost: f.claim_lost,
            message: f.message,
            guard_error: f.guard_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flow_is_the_cores() {
        let flow = GuardFlow::new("wh_1".into(), Some(3.0)).unwrap();
        assert_eq!(flow.renew_interval_ms(), 1000.0);
        assert_eq!(flow.token().len(), core::ClaimToken::LEN);
        assert_ne!(
            flow.token(),
            GuardFlow::new("wh_1".into(), None).unwrap().token()
        );
        assert!(flow.claimed("ACQUIRED".into()).unwrap().is_none());
        assert_eq!(
            flow.claimed("IN_PROGRESS".into())
                .unwrap()
                .map(|o| o.http_status),
            Some(503)
        );
        assert!(flow.claimed("yes".into()).is_err());
        assert!(flow.renewed("HELD".into()).unwrap());
        assert!(!flow.renewed("LOST".into()).unwrap());
        assert!(flow.renewed("ok".into()).is_err());
        assert_eq!(flow.settle(false), "release");
        let done = flow.finish(true, Some("HELD".into()), false, false);
        assert_eq!((done.outcome.http_status, done.claim_lost), (200, false));
        assert!(done.message.is_none() && done.guard_error.is_none());
        let lost = flow.finish(true, Some("LOST".into()), false, false);
        assert!(lost.claim_lost && lost.message.unwrap().contains("processed twice"));
        let failed = flow.finish(false, None, true, true);
        assert_eq!((failed.outcome.http_status, failed.claim_lost), (500, true));
        assert!(failed.guard_error.is_none());
        let nonsense = flow.finish(true, None, false, false);
        assert!(nonsense
            .guard_error
            .unwrap()
            .contains("complete() answered"));
        assert!(GuardFlow::new("wh_1".into(), Some(-1.0)).is_err());
        let committed = flow.finish_in_transaction(true, Some("HELD".into()), false);
        assert_eq!(
            (committed.outcome.http_status, committed.claim_lost),
            (200, false)
        );
        let rolled_back = flow.finish_in_transaction(true, Some("LOST".into()), false);
        assert_eq!(rolled_back.outcome.http_status, 503);
        assert!(rolled_back.claim_lost && rolled_back.message.unwrap().contains("rolled back"));
        let not_committed = flow.finish_in_transaction(true, None, true);
        assert_eq!(not_committed.outcome.http_status, 500);
        let failed = flow.finish_in_transaction(false, Some("HELD".into()), false);
        assert_eq!(
            (failed.outcome.http_status, failed.claim_lost),
            (500, false)
        );
    }
}
