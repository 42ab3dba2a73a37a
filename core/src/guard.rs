//! Exactly-once processing on top of at-least-once delivery: a [`WebhookGuard`] records which
//! webhook ids are being processed and which are done, and [`ReceiveOutcome`] says what to
//! answer Kompliant in each case. [`MemoryGuard`] is the in-process guard;
//! [`GuardedReceiver`] runs the one receive flow every binding and adapter follows, and
//! [`GuardFlow`] is that flow's decisions for bindings whose guards are asynchronous.
//!
//! The flow: decrypt (a forged body never reaches the guard) → [`WebhookGuard::claim`] the
//! webhook's id with a fresh [`ClaimToken`] and a lease → run the handler only if the claim
//! was [`Claim::Acquired`], renewing the lease in the background while it runs →
//! [`WebhookGuard::complete`] after success (the id is then remembered for the retention
//! window, default [`RETRY_HORIZON`](crate::decided::RETRY_HORIZON)) or
//! [`WebhookGuard::release`] after failure (so Kompliant's retry is processed). Renew,
//! complete and release act only for the claim's holder (the token): a holder whose lease
//! lapsed and was claimed by another learns it lost the claim ([`Held::Lost`]) and changes
//! nothing.

mod flow;
mod memory;
pub mod postgres;
mod receiver;
pub mod redis;
mod renew;

use std::sync::Arc;
use std::time::Duration;

use crate::error::{ErrorCode, WebhookError};

pub use flow::{GuardFlow, Settle};
pub use memory::{MemoryGuard, MemoryGuardOptions};
pub use receiver::{Finished, GuardedDelivery, GuardedReceiver};

/// Records, by webhook id, which webhooks are being processed (and by which holder) and which
/// were processed, so that each is processed once although Kompliant delivers at least once.
///
/// Implementations must make [`claim`](WebhookGuard::claim) atomic: of any number of
/// concurrent claims of one id, at most one is [`Claim::Acquired`]. And they must fence:
/// [`renew`](WebhookGuard::renew), [`complete`](WebhookGuard::complete) and
/// [`release`](WebhookGuard::release) act only while the caller's token holds the claim. The
/// in-process implementation is [`MemoryGuard`]; the Redis protocol (key scheme, values,
/// scripts) is [`redis`], the one definition the Python and Node Redis guards load.
pub trait WebhookGuard: Send + Sync {
    /// Claims `webhook_id` for processing under `token` for at most `lease`. If the
    /// processor dies without completing or releasing, the claim lapses when the lease ends
    /// and a redelivery can claim the id again (while the handler runs, the receiver renews
    /// the lease).
    ///
    /// # Errors
    /// When the guard cannot decide (its store is unreachable, the id is unusable): the
    /// receiver answers the error's status, and Kompliant retries.
    fn claim(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Claim, WebhookError>;

    /// Extends the claim on `webhook_id` to `lease` from now, if `token` still holds it
    /// ([`Held::Held`]); otherwise changes nothing ([`Held::Lost`]: the lease lapsed and the
    /// id was claimed again, or completed, or released).
    ///
    /// # Errors
    /// When the guard cannot reach its store (the receiver tries again at the next renewal).
    fn renew(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Held, WebhookError>;

    /// Records that `webhook_id` was processed: later claims of it are
    /// [`Claim::AlreadyCompleted`] for the guard's retention window. Done when `token` holds
    /// the claim, or when the claim lapsed and nobody claimed the id since ([`Held::Held`]);
    /// when another holder claimed it, or it is completed already, nothing changes
    /// ([`Held::Lost`]: the webhook may have been processed twice).
    ///
    /// # Errors
    /// When the guard cannot record it (its store is unreachable).
    fn complete(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError>;

    /// Gives up the claim on `webhook_id` after a failed attempt, so that Kompliant's next
    /// delivery of it is processed, if `token` holds it ([`Held::Held`]). Never touches a
    /// completed id nor another holder's claim ([`Held::Lost`]).
    ///
    /// # Errors
    /// When the guard cannot reach its store (the claim then lapses with its lease).
    fn release(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError>;
}

impl<G: WebhookGuard + ?Sized> WebhookGuard for Arc<G> {
    fn claim(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Claim, WebhookError> {
        (**self).claim(webhook_id, token, lease)
    }

    fn renew(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Held, WebhookError> {
        (**self).renew(webhook_id, token, lease)
    }

    fn complete(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        (**self).complete(webhook_id, token)
    }

    fn release(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        (**self).release(webhook_id, token)
    }
}

/// The fencing token of one claim: 22 base62 characters (about 131 random bits), made fresh
/// for every claim, so that renew, complete and release act only for the holder. Not a
/// secret (a guard stores it beside the id), but unguessable.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// Length of a generated token.
    pub const LEN: usize = 22;

    /// A fresh random token.
    ///
    /// # Errors
    /// `INTERNAL` when the operating system gives no randomness.
    pub fn generate() -> Result<ClaimToken, WebhookError> {
        const ALPHABET: &[u8; 62] =
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut token = String::with_capacity(Self::LEN);
        while token.len() < Self::LEN {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| WebhookError::Internal {
                detail: format!("no randomness for a claim token: {e}"),
            })?;
            // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
            for b in bytes.iter().filter(|b| **b < 248) {
                if let Some(c) = ALPHABET.get(usize::from(*b % 62)) {
                    if token.len() < Self::LEN {
                        token.push(char::from(*c));
                    }
                }
            }
        }
        Ok(ClaimToken(token))
    }

    /// A token received from elsewhere (a guard written in another language hands tokens
    /// back as strings): 1-64 ASCII letters, digits, `_` or `-`.
    ///
    /// # Errors
    /// `INTERNAL` for any other string (it is no token this library made).
    pub fn parse(token: &str) -> Result<ClaimToken, WebhookError> {
        let ok = (1..=64).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(ClaimToken(token.to_owned()))
        } else {
            Err(WebhookError::Internal {
                detail: format!(
                    "a claim token must be 1-64 letters, digits, _ or - ({} bytes given)",
                    token.len()
                ),
            })
        }
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClaimToken({})", self.0)
    }
}

impl std::fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a holder's [`renew`](WebhookGuard::renew), [`complete`](WebhookGuard::complete) or
/// [`release`](WebhookGuard::release) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Held {
    /// The caller's token held the claim (or, for `complete`, the lapsed claim was still
    /// free): the action was done.
    Held,
    /// The claim is no longer the caller's: its lease lapsed and another delivery claimed
    /// the id, or the id was completed or released. Nothing was changed.
    Lost,
}

impl Held {
    /// Both answers, in documentation order.
    pub const ALL: &'static [Held] = &[Held::Held, Held::Lost];

    /// The stable string form: `"HELD"` or `"LOST"` (what guards in other languages and the
    /// Redis scripts answer).
    pub const fn as_str(self) -> &'static str {
        match self {
            Held::Held => "HELD",
            Held::Lost => "LOST",
        }
    }

    /// Parses the string form back; `None` for an unknown string.
    pub fn parse(held: &str) -> Option<Held> {
        Held::ALL.iter().copied().find(|h| h.as_str() == held)
    }
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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
    /// Whether a handler succeeded, the one rule every adapter applies: it failed when it
    /// raised (threw, rejected) or when it returned a response whose status is
    /// [`HANDLER_FAILED_FROM_STATUS`](crate::decided::HANDLER_FAILED_FROM_STATUS) (400) or
    /// more; `response_status` is `None` when the handler returned no response of its own.
    /// A failed handler's claim is released and its answer is 500, so Kompliant redelivers.
    pub const fn handler_succeeded(raised: bool, response_status: Option<u16>) -> bool {
        !raised
            && match response_status {
                Some(status) => status < crate::decided::HANDLER_FAILED_FROM_STATUS,
                None => true,
            }
    }

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
    fn tokens_are_fresh_and_only_token_shaped_strings_parse() {
        let a = ClaimToken::generate().unwrap();
        let b = ClaimToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), ClaimToken::LEN);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(ClaimToken::parse(a.as_str()).unwrap(), a);
        for bad in ["", "has space", "x".repeat(65).as_str(), "é"] {
            assert_eq!(
                ClaimToken::parse(bad).unwrap_err().code(),
                ErrorCode::Internal
            );
        }
        for held in Held::ALL {
            assert_eq!(Held::parse(held.as_str()), Some(*held));
        }
        assert_eq!(Held::parse("held"), None);
    }

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
        assert!(ReceiveOutcome::handler_succeeded(false, None));
        assert!(ReceiveOutcome::handler_succeeded(false, Some(204)));
        assert!(ReceiveOutcome::handler_succeeded(false, Some(399)));
        assert!(!ReceiveOutcome::handler_succeeded(false, Some(400)));
        assert!(!ReceiveOutcome::handler_succeeded(false, Some(503)));
        assert!(!ReceiveOutcome::handler_succeeded(true, None));
        assert!(!ReceiveOutcome::handler_succeeded(true, Some(200)));
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
