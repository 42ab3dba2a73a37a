//! [`GuardFlow`]: the guarded receive flow's decisions for one verified webhook, with no I/O,
//! so that the synchronous [`GuardedReceiver`](crate::GuardedReceiver) and bindings whose
//! guards are asynchronous (Node) follow the same steps and give the same answers.

use std::time::Duration;

use crate::decided::{CLAIM_RENEWALS_PER_LEASE, MAX_WEBHOOK_ID_LEN};
use crate::error::WebhookError;
use crate::guard::receiver::Finished;
use crate::guard::{Claim, ClaimToken, Held, ReceiveOutcome};

/// The steps of one guarded delivery, decided here and carried out by the caller:
///
/// 1. [`GuardFlow::new`] makes the claim's token; call the guard's `claim(webhook_id, token,
///    lease)` and pass its answer to [`GuardFlow::claimed`]. `Some(outcome)`: answer it, the
///    handler does not run.
/// 2. `None`: run the handler, calling the guard's `renew(webhook_id, token, lease)` every
///    [`GuardFlow::renew_interval`] while it runs (a [`Held::Lost`] answer means another
///    delivery holds the claim now: stop renewing and remember it).
/// 3. [`GuardFlow::settle`] says whether to call `complete` or `release` for the handler's
///    result ([`ReceiveOutcome::handler_succeeded`]); pass the guard's answer (or error) to
///    [`GuardFlow::finish`], which gives the answer and what to log.
#[derive(Debug, Clone)]
pub struct GuardFlow {
    webhook_id: String,
    token: ClaimToken,
    lease: Duration,
}

/// What to record once the handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Settle {
    /// The handler succeeded: `complete(webhook_id, token)`.
    Complete,
    /// The handler failed: `release(webhook_id, token)`, so Kompliant's retry is processed.
    Release,
}

impl Settle {
    /// The guard method's name: `"complete"` or `"release"`.
    pub const fn method(self) -> &'static str {
        match self {
            Settle::Complete => "complete",
            Settle::Release => "release",
        }
    }
}

impl GuardFlow {
    /// The flow of one delivery of `webhook_id`, claimed for `lease`, with a fresh token.
    ///
    /// # Errors
    /// `INTERNAL` when the operating system gives no randomness for the token.
    pub fn new(webhook_id: &str, lease: Duration) -> Result<GuardFlow, WebhookError> {
        check_id(webhook_id)?;
        Ok(GuardFlow {
            webhook_id: webhook_id.to_owned(),
            token: ClaimToken::generate()?,
            lease,
        })
    }

    /// The webhook id claimed.
    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }

    /// This delivery's token: pass it to every guard call.
    pub fn token(&self) -> &ClaimToken {
        &self.token
    }

    /// The lease of the claim and of each renewal.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How often to renew the claim while the handler runs: the lease divided by
    /// [`CLAIM_RENEWALS_PER_LEASE`] (at least 1 ms).
    pub fn renew_interval(&self) -> Duration {
        (self.lease / CLAIM_RENEWALS_PER_LEASE).max(Duration::from_millis(1))
    }

    /// Step 1: the guard's claim. `None`: run the handler; `Some(outcome)`: answer it
    /// without running the handler (a duplicate, or a full guard).
    pub fn claimed(&self, claim: Claim) -> Option<ReceiveOutcome> {
        claim.outcome()
    }

    /// Step 3: what to record for the handler's result.
    pub fn settle(&self, succeeded: bool) -> Settle {
        if succeeded {
            Settle::Complete
        } else {
            Settle::Release
        }
    }

    /// Step 3, once recorded: the answer for the handler's result, given what `complete` or
    /// `release` answered (`recorded`) and whether a renewal found the claim lost while the
    /// handler ran (`lost_while_running`). The answer is the handler's (200 or 500) in every
    /// case: a processed webhook is acknowledged even if its completion was not recorded or
    /// its claim was lost (another delivery is running it: answering 500 would only cause
    /// one more), and a failed one's claim lapses with its lease if it could not be released.
    pub fn finish(
        &self,
        succeeded: bool,
        recorded: Result<Held, WebhookError>,
        lost_while_running: bool,
    ) -> Finished {
        let (held, guard_error) = match recorded {
            Ok(held) => (held, None),
            Err(e) => (Held::Held, Some(e)),
        };
        Finished {
            outcome: ReceiveOutcome::after_handler(succeeded),
            guard_error,
            claim_lost: lost_while_running || held == Held::Lost,
            renewal_error: None,
        }
    }

    /// Step 3 in transactional mode (a guard whose `complete` runs in the transaction that
    /// holds the handler's own writes, committed only on [`Held::Held`]): the answer once the
    /// transaction was committed or rolled back. A successful handler whose `complete`
    /// answered [`Held::Lost`] had its writes rolled back (another delivery holds the claim):
    /// [`ReceiveOutcome::InProgress`], 503, so Kompliant retries and finds it processed or
    /// free; one whose `complete` failed had them rolled back too: the guard's error, 500.
    /// A failed handler's transaction is rolled back and its claim released, as without a
    /// transaction.
    pub fn finish_in_transaction(
        &self,
        succeeded: bool,
        recorded: Result<Held, WebhookError>,
    ) -> Finished {
        match (succeeded, recorded) {
            (true, Ok(Held::Held)) => Finished {
                outcome: ReceiveOutcome::Processed,
                guard_error: None,
                claim_lost: false,
                renewal_error: None,
            },
            (true, Ok(Held::Lost)) => Finished {
                outcome: ReceiveOutcome::InProgress,
                guard_error: None,
                claim_lost: true,
                renewal_error: None,
            },
            (true, Err(e)) => Finished {
                outcome: ReceiveOutcome::rejected(&e),
                guard_error: Some(e),
                claim_lost: false,
                renewal_error: None,
            },
            (false, recorded) => self.finish(false, recorded, false),
        }
    }

    /// What to log when [`Finished::claim_lost`]: the webhook may have run twice.
    pub fn claim_lost_message(&self, succeeded: bool) -> String {
        format!(
            "the claim on webhook {} was lost while its handler ran (its lease of {:?} lapsed and another delivery claimed it, or its store forgot it); {}. Make the handler idempotent, give it a longer lease, or use a transactional guard",
            self.webhook_id,
            self.lease,
            if succeeded {
                "the handler succeeded, but another delivery may be processing it too: it may be processed twice"
            } else {
                "the handler failed and the other delivery's claim was left alone"
            }
        )
    }
}

/// Refuses ids that cannot be a Kompliant webhook id, before any guard sees them: empty,
/// over 256 bytes, or holding a control character (under a profile without AAD the id is
/// not authenticated; every store must stay bounded, and PostgreSQL's `text` cannot hold a
/// NUL byte, which made such an id a 500 on every retry instead of a 400).
pub(crate) fn check_id(webhook_id: &str) -> Result<(), WebhookError> {
    if webhook_id.is_empty() || webhook_id.len() > MAX_WEBHOOK_ID_LEN {
        return Err(WebhookError::malformed(format!(
            "a webhook id of {} bytes cannot be deduplicated (1-{MAX_WEBHOOK_ID_LEN} bytes)",
            webhook_id.len()
        )));
    }
    if webhook_id.chars().any(char::is_control) {
        return Err(WebhookError::malformed(
            "a webhook id holding a control character cannot be deduplicated",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_no_store_can_keep_are_refused_before_any_guard() {
        for id in ["", "wh_\0x", "wh_\nx", &"x".repeat(MAX_WEBHOOK_ID_LEN + 1)] {
            let err = GuardFlow::new(id, Duration::from_secs(1)).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::MalformedEnvelope, "{id:?}");
            assert_eq!(err.http_status(), 400);
        }
        assert!(GuardFlow::new(&"x".repeat(MAX_WEBHOOK_ID_LEN), Duration::from_secs(1)).is_ok());
        assert!(GuardFlow::new("wh_2x8mKq9vNcR4tLpW7yJhBd", Duration::from_secs(1)).is_ok());
    }
    use crate::ErrorCode;

    #[test]
    fn the_flow_decides_each_step() {
        let flow = GuardFlow::new("wh_1", Duration::from_secs(30)).unwrap();
        assert_eq!(flow.renew_interval(), Duration::from_secs(10));
        assert_eq!(flow.claimed(Claim::Acquired), None);
        assert_eq!(
            flow.claimed(Claim::AlreadyCompleted),
            Some(ReceiveOutcome::AlreadyProcessed)
        );
        assert_eq!(flow.settle(true), Settle::Complete);
        assert_eq!(flow.settle(false).method(), "release");
        let done = flow.finish(true, Ok(Held::Held), false);
        assert_eq!((done.outcome.http_status(), done.claim_lost), (200, false));
        let lost = flow.finish(true, Ok(Held::Lost), false);
        assert_eq!((lost.outcome.http_status(), lost.claim_lost), (200, true));
        let lost_running = flow.finish(false, Ok(Held::Lost), true);
        assert_eq!(
            (lost_running.outcome.http_status(), lost_running.claim_lost),
            (500, true)
        );
        let failed = flow.finish(
            true,
            Err(WebhookError::Internal {
                detail: "store down".into(),
            }),
            false,
        );
        assert_eq!(
            failed.guard_error.map(|e| e.code()),
            Some(ErrorCode::Internal)
        );
        assert!(flow.claim_lost_message(true).contains("processed twice"));
        let committed = flow.finish_in_transaction(true, Ok(Held::Held));
        assert_eq!(
            (committed.outcome.http_status(), committed.claim_lost),
            (200, false)
        );
        let rolled_back = flow.finish_in_transaction(true, Ok(Held::Lost));
        assert_eq!(
            (rolled_back.outcome, rolled_back.claim_lost),
            (ReceiveOutcome::InProgress, true)
        );
        let not_recorded = flow.finish_in_transaction(
            true,
            Err(WebhookError::Internal {
                detail: "connection lost".into(),
            }),
        );
        assert_eq!(not_recorded.outcome.http_status(), 500);
        assert_eq!(
            flow.finish_in_transaction(false, Ok(Held::Held)).outcome,
            ReceiveOutcome::HandlerFailed
        );
        assert_eq!(
            GuardFlow::new("wh_1", Duration::ZERO)
                .unwrap()
                .renew_interval(),
            Duration::from_millis(1)
        );
        assert_ne!(
            flow.token(),
            GuardFlow::new("wh_1", Duration::ZERO).unwrap().token()
        );
    }
}
