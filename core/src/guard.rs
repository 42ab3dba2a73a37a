//! Exactly-once processing on top of at-least-once delivery: a [`WebhookGuard`] records which
//! webhook ids are being processed and which are done, and [`ReceiveOutcome`] says what to
//! answer Kompliant in each case. [`MemoryGuard`] is the in-process guard;
//! [`GuardedReceiver`] runs the one receive flow every binding and adapter follows.
//!
//! The flow: decrypt (a forged body never reaches the guard) → [`WebhookGuard::claim`] the
//! webhook's id with a lease → run the handler only if the claim was
//! [`Claim::Acquired`] → [`WebhookGuard::complete`] after success (the id is then remembered
//! for the retention window, default [`RETRY_HORIZON`](crate::decided::RETRY_HORIZON)) or
//! [`WebhookGuard::release`] after failure (so Kompliant's retry is processed).

mod memory;
mod receiver;

use std::sync::Arc;
use std::time::Duration;

use crate::error::{ErrorCode, WebhookError};

pub use memory::{MemoryGuard, MemoryGuardOptions};
pub use receiver::{Finished, GuardedDelivery, GuardedReceiver};

/// Records, by webhook id, which webhooks are being processed and which were processed, so
/// that each is processed once although Kompliant delivers at least once.
///
/// Implementations must make [`claim`](WebhookGuard::claim) atomic: of any number of
/// concurrent claims of one id, at most one is [`Claim::Acquired`]. The in-process
/// implementation is [`MemoryGuard`]; one shared by several machines keeps the same state in
/// a shared store (e.g. Redis: `claim` as `SET id in-progress NX PX lease`, `complete` as
/// `SET id done PX retention`, `release` as a compare-and-delete of `in-progress` in a
/// small Lua script, so a completed id is never deleted).
pub trait WebhookGuard: Send + Sync {
    /// Claims `webhook_id` for processing for at most `lease`. If the processor dies without
    /// completing or releasing, the claim lapses when the lease ends and a redelivery can
    /// claim the id again. Choose a lease longer than the handler can run (default
    /// [`DEFAULT_CLAIM_LEASE`](crate::decided::DEFAULT_CLAIM_LEASE)): `complete` and
    /// `release` act on the id, not on one holder.
    ///
    /// # Errors
    /// When the guard cannot decide (its store is unreachable, the id is unusable): the
    /// receiver answers the error's status, and Kompliant retries.
    fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, WebhookError>;

    /// Records that `webhook_id` was processed: later claims of it are
    /// [`Claim::AlreadyCompleted`] for the guard's retention window. Records the id even if
    /// its lease has lapsed.
    ///
    /// # Errors
    /// When the guard cannot record it (its store is unreachable).
    fn complete(&self, webhook_id: &str) -> Result<(), WebhookError>;

    /// Gives up the claim on `webhook_id` after a failed attempt, so that Kompliant's next
    /// delivery of it is processed. Never forgets a completed id; releasing an id that is
    /// not claimed does nothing.
    ///
    /// # Errors
    /// When the guard cannot reach its store (the claim then lapses with its lease).
    fn release(&self, webhook_id: &str) -> Result<(), WebhookError>;
}

impl<G: WebhookGuard + ?Sized> WebhookGuard for Arc<G> {
    fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, WebhookError> {
        (**self).claim(webhook_id, lease)
    }

    fn complete(&self, webhook_id: &str) -> Result<(), WebhookError> {
        (**self).complete(webhook_id)
    }

    fn release(&self, webhook_id: &str) -> Result<(), WebhookError> {
        (**self).release(webhook_id)
    }
}

/// The result of [`WebhookGuard::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// This caller holds the claim: process the webhook, then complete or release it.
    Acquired,
    /// A duplicate of a webhook already processed: do not process it again; answer 200 so
    /// Kompliant stops redelivering it.
    AlreadyCompleted,
    /// A duplicate of a webhook another worker is processing right now: do not process it;
    /// answer 503 so Kompliant retries (the worker may still fail).
    InProgress,
    /// The guard holds as many ids as it may and refuses new ones rather than forget any:
    /// answer 503 so Kompliant retries once room is free.
    AtCapacity,
}

impl Claim {
    /// Every claim, in documentation order.
    pub const ALL: &'static [Claim] = &[
        Claim::Acquired,
        Claim::AlreadyCompleted,
        Claim::InProgress,
        Claim::AtCapacity,
    ];

    /// The stable string form, e.g. `"IN_PROGRESS"` (for guards written in other languages,
    /// and for logs).
    pub const fn as_str(self) -> &'static str {
        match self {
            Claim::Acquired => "ACQUIRED",
            Claim::AlreadyCompleted => "ALREADY_COMPLETED",
            Claim::InProgress => "IN_PROGRESS",
            Claim::AtCapacity => "AT_CAPACITY",
        }
    }

    /// Parses the string form back; `None` for an unknown string.
    pub fn parse(claim: &str) -> Option<Claim> {
        Claim::ALL.iter().copied().find(|c| c.as_str() == claim)
    }

    /// Whether the caller should run the handler (the claim was acquired).
    pub const fn should_process(self) -> bool {
        matches!(self, Claim::Acquired)
    }

    /// What to answer when the webhook is NOT processed because of this claim; `None` for
    /// [`Claim::Acquired`], whose answer depends on the handler
    /// ([`ReceiveOutcome::after_handler`]).
    pub const fn outcome(self) -> Option<ReceiveOutcome> {
        match self {
            Claim::Acquired => None,
            Claim::AlreadyCompleted => Some(ReceiveOutcome::AlreadyProcessed),
            Claim::InProgress => Some(ReceiveOutcome::InProgress),
            Claim::AtCapacity => Some(ReceiveOutcome::AtCapacity),
        }
    }
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one delivery ended, and the HTTP answer it gets. This is the one place that maps the
/// receive flow to HTTP statuses (errors map through [`ErrorCode::http_status`]); every
/// binding and framework adapter answers with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiveOutcome {
    /// The handler processed the webhook: 200.
    Processed,
    /// The handler failed; the claim was released so Kompliant's retry is processed: 500.
    HandlerFailed,
    /// A duplicate of a webhook already processed; the handler was not called: 200 (the
    /// delivery succeeded as far as Kompliant is concerned).
    AlreadyProcessed,
    /// A duplicate of a webhook being processed right now; the handler was not called: 503,
    /// so Kompliant retries (if the first attempt fails, the retry processes it).
    InProgress,
    /// The guard is full and took no new id; the handler was not called: 503, so Kompliant
    /// retries later.
    AtCapacity,
    /// The body was refused before any processing (malformed, forged, unknown key, too
    /// large, ...), or the guard could not decide: the error code's status.
    Rejected(ErrorCode),
}

impl ReceiveOutcome {
    /// The outcome of a claimed webhook once the handler ran.
    pub const fn after_handler(succeeded: bool) -> ReceiveOutcome {
        if succeeded {
            ReceiveOutcome::Processed
        } else {
            ReceiveOutcome::HandlerFailed
        }
    }

    /// The outcome of a refused delivery.
    pub fn rejected(error: &WebhookError) -> ReceiveOutcome {
        ReceiveOutcome::Rejected(error.code())
    }

    /// The HTTP status to answer with. Decided: a duplicate of a webhook still being
    /// processed gets 503, not 409: Kompliant retries any non-200 answer, but a 5xx says
    /// "retry later" to any sender and to the proxies in between, while a 4xx reads as a
    /// permanent refusal.
    pub const fn http_status(self) -> u16 {
        match self {
            ReceiveOutcome::Processed | ReceiveOutcome::AlreadyProcessed => 200,
            ReceiveOutcome::HandlerFailed => crate::decided::HANDLER_FAILURE_STATUS,
            ReceiveOutcome::InProgress | ReceiveOutcome::AtCapacity => 503,
            ReceiveOutcome::Rejected(code) => code.http_status(),
        }
    }

    /// A short text safe to send back with [`ReceiveOutcome::http_status`].
    pub const fn public_message(self) -> &'static str {
        match self {
            ReceiveOutcome::Processed => "webhook processed",
            ReceiveOutcome::AlreadyProcessed => "webhook already processed",
            ReceiveOutcome::HandlerFailed => "webhook receiver error",
            ReceiveOutcome::InProgress => "webhook is being processed; retry later",
            ReceiveOutcome::AtCapacity => "webhook cannot be processed yet; retry later",
            ReceiveOutcome::Rejected(code) => code.public_message(),
        }
    }

    /// A stable name for logs and metrics: `PROCESSED`, `HANDLER_FAILED`,
    /// `ALREADY_PROCESSED`, `IN_PROGRESS`, `AT_CAPACITY`, or `REJECTED` (the error code says
    /// why).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReceiveOutcome::Processed => "PROCESSED",
            ReceiveOutcome::HandlerFailed => "HANDLER_FAILED",
            ReceiveOutcome::AlreadyProcessed => "ALREADY_PROCESSED",
            ReceiveOutcome::InProgress => "IN_PROGRESS",
            ReceiveOutcome::AtCapacity => "AT_CAPACITY",
            ReceiveOutcome::Rejected(_) => "REJECTED",
        }
    }

    /// Whether the delivery was a duplicate of a webhook already claimed (processed or in
    /// progress).
    pub const fn is_duplicate(self) -> bool {
        matches!(
            self,
            ReceiveOutcome::AlreadyProcessed | ReceiveOutcome::InProgress
        )
    }

    /// Whether Kompliant will deliver this webhook again (any answer but 200).
    pub const fn will_be_redelivered(self) -> bool {
        self.http_status() != 200
    }
}

impl std::fmt::Display for ReceiveOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReceiveOutcome::Rejected(code) => write!(f, "REJECTED ({code})"),
            other => f.write_str(other.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_only_acquired_is_processed() {
        for claim in Claim::ALL {
            assert_eq!(Claim::parse(claim.as_str()), Some(*claim));
            assert_eq!(claim.should_process(), claim.outcome().is_none(), "{claim}");
        }
        assert_eq!(Claim::parse("acquired"), None);
    }

    #[test]
    fn duplicates_of_completed_webhooks_succeed_and_of_running_ones_are_retried() {
        assert_eq!(
            Claim::AlreadyCompleted.outcome().map(|o| o.http_status()),
            Some(200)
        );
        assert_eq!(
            Claim::InProgress.outcome().map(|o| o.http_status()),
            Some(503)
        );
        assert_eq!(
            Claim::AtCapacity.outcome().map(|o| o.http_status()),
            Some(503)
        );
        assert!(ReceiveOutcome::AlreadyProcessed.is_duplicate());
        assert!(ReceiveOutcome::InProgress.is_duplicate());
        assert!(!ReceiveOutcome::AtCapacity.is_duplicate());
        assert!(!ReceiveOutcome::AlreadyProcessed.will_be_redelivered());
        assert!(ReceiveOutcome::InProgress.will_be_redelivered());
    }

    #[test]
    fn handler_results_and_rejections_map_to_their_answers() {
        assert_eq!(ReceiveOutcome::after_handler(true).http_status(), 200);
        assert_eq!(ReceiveOutcome::after_handler(false).http_status(), 500);
        let unknown = WebhookError::UnknownKey {
            key_id: "whk_20251121_01".into(),
        };
        let outcome = ReceiveOutcome::rejected(&unknown);
        assert_eq!(outcome.http_status(), 503);
        assert_eq!(outcome.public_message(), unknown.public_message());
        assert_eq!(outcome.to_string(), "REJECTED (UNKNOWN_KEY)");
        assert_eq!(
            ReceiveOutcome::Rejected(ErrorCode::DecryptionFailed).http_status(),
            400
        );
    }
}
