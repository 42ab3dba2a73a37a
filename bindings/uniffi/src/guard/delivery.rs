//! `GuardedReceiver` and `GuardedDelivery`: the core's guarded receive flow (decrypt → claim →
//! handler, with the claim renewed in the background → complete or release) for Kotlin and
//! Swift.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use kompliant_webhooks as core;
use kompliant_webhooks::decided::DEFAULT_CLAIM_LEASE;
use kompliant_webhooks::{Claim, Held};

use super::foreign::ForeignGuard;
use super::WebhookGuard;
use crate::error::KompliantError;
use crate::receiver::WebhookReceiver;
use crate::webhook::Webhook;

/// A `WebhookReceiver` with a duplicate guard: the core's receive flow in two calls, so each
/// webhook's handler runs once although Kompliant delivers at least once. `begin` decrypts and
/// claims; run the handler only if `shouldProcess()`; `finish` records the result and gives
/// the answer.
///
/// `guard` is a `MemoryGuard` or your own `WebhookGuard`. `leaseMillis` (default 5 minutes)
/// bounds each claim. With `renew` (the default) the core renews the claim every lease/3 from
/// a background thread while the handler runs (calling the guard's `renew` from that
/// thread), so a handler slower than the lease keeps its claim; with `renew = false` the
/// lease must be longer than any handler can run. Calls block on the guard's store: call
/// `begin` and `finish` from a worker thread, never a UI or event-loop thread.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct GuardedReceiver(core::GuardedReceiver);

#[uniffi::export]
impl GuardedReceiver {
    /// Guards `receiver` with `guard`, claiming webhooks for `leaseMillis` (default 5
    /// minutes), renewed in the background while handlers run unless `renew` is false.
    #[uniffi::constructor(default(lease_millis = None, renew = true))]
    pub fn new(
        receiver: Arc<WebhookReceiver>,
        guard: Arc<dyn WebhookGuard>,
        lease_millis: Option<u64>,
        renew: bool,
    ) -> Arc<Self> {
        let lease = lease_millis.map_or(DEFAULT_CLAIM_LEASE, Duration::from_millis);
        let guard: Arc<dyn core::WebhookGuard> = Arc::new(ForeignGuard(guard));
        Arc::new(GuardedReceiver(
            core::GuardedReceiver::new(receiver.0.clone(), guard)
                .with_lease(lease)
                .with_renewal(renew),
        ))
    }

    /// Decrypts and verifies one raw body, then claims its webhook id. Run the handler only
    /// if `shouldProcess()`, then call `finish` in every case (it gives the answer).
    ///
    /// Throws every error of `WebhookReceiver.decrypt` (a refused body never reaches the
    /// guard), or the guard's error (`INTERNAL` for a guard that threw or answered something
    /// unknown). Answer with the error's `httpStatus()` and `publicMessage()`.
    pub fn begin(&self, body: Vec<u8>) -> Result<Arc<GuardedDelivery>, KompliantError> {
        Ok(GuardedDelivery::of(self.0.begin(&body)?))
    }

    /// As `begin`, with the receiver's time window checked against `now`.
    pub fn begin_at(
        &self,
        body: Vec<u8>,
        now: SystemTime,
    ) -> Result<Arc<GuardedDelivery>, KompliantError> {
        Ok(GuardedDelivery::of(self.0.begin_at(&body, now)?))
    }

    /// The lease of each claim, in milliseconds.
    pub fn lease_millis(&self) -> u64 {
        u64::try_from(self.0.lease().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether claims are renewed in the background while handlers run.
    pub fn renews(&self) -> bool {
        self.0.renews()
    }
}

impl fmt::Display for GuardedReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GuardedReceiver(leaseMillis={}, renew={}, {:?})",
            self.lease_millis(),
            self.0.renews(),
            self.0.receiver()
        )
    }
}

/// A verified webhook and its claim, between `GuardedReceiver.begin` and `finish`. One that
/// was to be processed and is closed (Kotlin `close()`, or collected; Swift: its last
/// reference dropped) without `finish` releases its claim, as a failure: Kompliant's retry is
/// processed.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct GuardedDelivery {
    webhook: core::Webhook,
    claim: Claim,
    token: String,
    /// The core's claim-lost messages for a failed and a successful handler (the core
    /// delivery is gone after `finish`).
    lost_messages: [String; 2],
    /// `None` once finished.
    delivery: Mutex<Option<core::GuardedDelivery>>,
}

#[uniffi::export]
impl GuardedDelivery {
    /// The verified webhook.
    pub fn webhook(&self) -> Webhook {
        Webhook(self.webhook.clone())
    }

    /// What the guard said: `"ACQUIRED"`, `"ALREADY_COMPLETED"`, `"IN_PROGRESS"` or
    /// `"AT_CAPACITY"`.
    pub fn claim(&self) -> String {
        self.claim.as_str().to_owned()
    }

    /// Whether to run the handler (the claim was acquired). Otherwise the webhook is a
    /// duplicate (or the guard is full) and `finish` gives the answer whatever it is passed.
    pub fn should_process(&self) -> bool {
        self.claim.should_process()
    }

    /// This delivery's claim token (the guard stores it as the claim's holder; not a secret).
    pub fn token(&self) -> String {
        self.token.clone()
    }

    /// Whether this delivery still holds its claim, as far as it knows: false once a renewal
    /// found it lost (its lease lapsed and another delivery claimed the id), after `finish`,
    /// and for a delivery that was not to be processed.
    pub fn holds_claim(&self) -> bool {
        self.locked().as_ref().is_some_and(|d| d.holds_claim())
    }

    /// Renews the claim now, for the lease: `"HELD"`, or `"LOST"` when this delivery no
    /// longer holds it (for a handler that wants to check, before an effect it cannot undo,
    /// that the webhook is still its own). Throws the guard's error.
    pub fn renew(&self) -> Result<String, KompliantError> {
        let held = match self.locked().as_ref() {
            Some(d) => d.renew()?,
            None => Held::Lost,
        };
        Ok(held.as_str().to_owned())
    }

    /// Records the handler's result (`succeeded`, by `handlerSucceeded`: complete the id;
    /// otherwise release it, so Kompliant's retry is processed) and returns the answer. If
    /// the guard could not record it the answer is unchanged and the error is in
    /// `guardError`; `claimLost` and `renewalError` say what else to log. Throws `INTERNAL`
    /// when called a second time.
    pub fn finish(&self, succeeded: bool) -> Result<Finished, KompliantError> {
        let delivery = self.locked().take().ok_or_else(|| {
            KompliantError::internal(format!(
                "the delivery of webhook {} was already finished",
                self.webhook.id()
            ))
        })?;
        let finished = delivery.finish(succeeded);
        Ok(Finished {
            name: finished.outcome.as_str().to_owned(),
            http_status: finished.outcome.http_status(),
            public_message: finished.outcome.public_message().to_owned(),
            claim_lost: finished.claim_lost,
            guard_error: finished.guard_error.map(KompliantError::from),
            renewal_error: finished.renewal_error.map(KompliantError::from),
        })
    }

    /// The core's text to log when `finish` answered `claimLost` (the webhook may have run
    /// twice), for the handler's result `succeeded`.
    pub fn claim_lost_message(&self, succeeded: bool) -> String {
        let [failed, processed] = &self.lost_messages;
        if succeeded { processed } else { failed }.clone()
    }
}

impl GuardedDelivery {
    fn of(delivery: core::GuardedDelivery) -> Arc<Self> {
        Arc::new(GuardedDelivery {
            webhook: delivery.webhook().clone(),
            claim: delivery.claim(),
            token: delivery.token().as_str().to_owned(),
            lost_messages: [
                delivery.claim_lost_message(false),
                delivery.claim_lost_message(true),
            ],
            delivery: Mutex::new(Some(delivery)),
        })
    }

    fn locked(&self) -> MutexGuard<'_, Option<core::GuardedDelivery>> {
        self.delivery.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Display for GuardedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GuardedDelivery(webhookId={:?}, claim={}, finished={})",
            self.webhook.id(),
            self.claim,
            self.locked().is_none()
        )
    }
}

/// How a guarded delivery ended: the answer to send (`httpStatus`, `publicMessage`), its
/// `name` for logs, and what to log besides.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Finished {
    /// The outcome's stable name: `PROCESSED` (200), `HANDLER_FAILED` (500),
    /// `ALREADY_PROCESSED` (200: a duplicate of a processed webhook, the handler did not
    /// run), `IN_PROGRESS` (503: a duplicate of one being processed) or `AT_CAPACITY` (503).
    pub name: String,
    /// The HTTP status to answer with.
    pub http_status: u16,
    /// A short text safe to send back with `httpStatus`.
    pub public_message: String,
    /// Whether the claim was found lost: a renewal, or the final complete or release, found
    /// another delivery holding it (its lease lapsed while the handler ran). Nothing of the
    /// other delivery's claim was changed; a successful handler may have run twice. Log
    /// `claimLostMessage(succeeded)` as an error. The answer is unchanged.
    pub claim_lost: bool,
    /// The guard's error when it could not complete or release the claim: log it. The answer
    /// is unchanged (a processed webhook is acknowledged; a failed one's claim lapses with its
    /// lease).
    pub guard_error: Option<KompliantError>,
    /// The error of the last background renewal when it failed (the guard's store was
    /// unreachable) and no later one succeeded: log it. The claim may have lapsed while the
    /// handler ran (`claimLost` says whether another delivery took it).
    pub renewal_error: Option<KompliantError>,
}
