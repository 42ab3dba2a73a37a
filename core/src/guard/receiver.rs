//! [`GuardedReceiver`]: the one receive flow (decrypt → claim → handler → complete or
//! release) in two calls, so that an adapter in any language runs its own handler between
//! them.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::decided::DEFAULT_CLAIM_LEASE;
use crate::error::WebhookError;
use crate::guard::flow::GuardFlow;
use crate::guard::renew::Renewal;
use crate::guard::{Claim, ClaimToken, Held, ReceiveOutcome, WebhookGuard};
use crate::receiver::WebhookReceiver;
use crate::webhook::Webhook;

/// A [`WebhookReceiver`] with a [`WebhookGuard`]: each webhook's handler runs once although
/// Kompliant delivers at least once.
///
/// ```
/// use std::sync::Arc;
/// use kompliant_webhooks::{GuardedReceiver, Keyring, MemoryGuard, WebhookReceiver};
///
/// let receiver = GuardedReceiver::new(WebhookReceiver::new(Keyring::new()), Arc::new(MemoryGuard::new()));
/// # let body = b"{}";
/// let (status, text) = match receiver.begin(body) {
///     Err(refused) => (refused.http_status(), refused.public_message()),
///     Ok(delivery) => {
///         let succeeded = !delivery.should_process() || {
///             // The handler: process delivery.webhook() here.
///             true
///         };
///         let finished = delivery.finish(succeeded);
///         if let Some(e) = &finished.guard_error { eprintln!("duplicate guard: {e}"); }
///         if finished.claim_lost { eprintln!("duplicate guard: the claim was lost"); }
///         (finished.outcome.http_status(), finished.outcome.public_message())
///     }
/// };
/// # assert_eq!(status, 400);
/// ```
#[derive(Clone)]
pub struct GuardedReceiver {
    receiver: WebhookReceiver,
    guard: Arc<dyn WebhookGuard>,
    lease: Duration,
    renew: bool,
}

impl GuardedReceiver {
    /// Guards `receiver` with `guard`, with the default lease (5 minutes), renewed in the
    /// background while a handler runs.
    pub fn new(receiver: WebhookReceiver, guard: Arc<dyn WebhookGuard>) -> Self {
        GuardedReceiver {
            receiver,
            guard,
            lease: DEFAULT_CLAIM_LEASE,
            renew: true,
        }
    }

    /// The same, claiming webhooks for `lease`. With renewal (the default) a claim lasts as
    /// long as its handler runs, plus at most `lease` if the process dies: a short lease
    /// lets a redelivery after a crash run sooner. Without renewal, the lease must be longer
    /// than any handler can run.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The same, renewing claims in the background while handlers run (`true`, the default:
    /// every [`GuardFlow::renew_interval`], from one thread per process) or not (`false`: a
    /// handler slower than the lease may then be run again by a redelivery).
    pub fn with_renewal(mut self, renew: bool) -> Self {
        self.renew = renew;
        self
    }

    /// Whether claims are renewed while handlers run.
    pub fn renews(&self) -> bool {
        self.renew
    }

    /// The receiver.
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }

    /// The guard.
    pub fn guard(&self) -> &Arc<dyn WebhookGuard> {
        &self.guard
    }

    /// The lease of each claim.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Step one: decrypts and verifies one raw body, then claims its webhook id. Run the
    /// handler only if [`GuardedDelivery::should_process`], then call
    /// [`GuardedDelivery::finish`] (in every case: it gives the answer).
    ///
    /// # Errors
    /// Every error of [`WebhookReceiver::decrypt`] (a body that fails never reaches the
    /// guard), and the guard's errors. Answer with the error's
    /// [`http_status`](WebhookError::http_status) and
    /// [`public_message`](WebhookError::public_message).
    pub fn begin(&self, body: &[u8]) -> Result<GuardedDelivery, WebhookError> {
        self.admit(self.receiver.decrypt(body)?)
    }

    /// As [`GuardedReceiver::begin`], with the receiver's time window checked against `now`.
    ///
    /// # Errors
    /// As [`GuardedReceiver::begin`].
    pub fn begin_at(&self, body: &[u8], now: SystemTime) -> Result<GuardedDelivery, WebhookError> {
        self.admit(self.receiver.decrypt_at(body, now)?)
    }

    /// Claims a webhook this receiver's [`WebhookReceiver`] already decrypted (for bindings
    /// that decrypt elsewhere, e.g. off an event loop).
    ///
    /// # Errors
    /// The guard's errors.
    pub fn admit(&self, webhook: Webhook) -> Result<GuardedDelivery, WebhookError> {
        let flow = GuardFlow::new(webhook.id(), self.lease)?;
        let claim = self.guard.claim(webhook.id(), flow.token(), self.lease)?;
        let held = claim.should_process().then(|| Arc::clone(&self.guard));
        let renewal = match &held {
            Some(guard) if self.renew => Some(Renewal::start(
                Arc::clone(guard),
                flow.webhook_id(),
                flow.token(),
                flow.lease(),
                flow.renew_interval(),
            )),
            _ => None,
        };
        Ok(GuardedDelivery {
            webhook,
            claim,
            flow,
            held,
            renewal,
        })
    }
}

impl fmt::Debug for GuardedReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedReceiver")
            .field("receiver", &self.receiver)
            .field("lease", &self.lease)
            .field("renew", &self.renew)
            .finish_non_exhaustive()
    }
}

/// A verified webhook and its claim, between [`GuardedReceiver::begin`] and
/// [`GuardedDelivery::finish`]. Dropping an acquired delivery without finishing it releases
/// the claim (as a failure: Kompliant's retry is processed).
pub struct GuardedDelivery {
    webhook: Webhook,
    claim: Claim,
    flow: GuardFlow,
    /// The guard while this delivery holds the claim.
    held: Option<Arc<dyn WebhookGuard>>,
    /// The background renewal while the handler runs.
    renewal: Option<Renewal>,
}

impl GuardedDelivery {
    /// The verified webhook.
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }

    /// What the guard said.
    pub fn claim(&self) -> Claim {
        self.claim
    }

    /// Whether to run the handler: the claim was acquired. Otherwise the webhook is a
    /// duplicate (or the guard is full) and [`GuardedDelivery::finish`] gives the answer
    /// whatever it is passed.
    pub fn should_process(&self) -> bool {
        self.claim.should_process()
    }

    /// This delivery's claim token (the guard stores it as the holder).
    pub fn token(&self) -> &ClaimToken {
        self.flow.token()
    }

    /// Whether this delivery still holds its claim, as far as it knows: `false` once a
    /// renewal found it lost (its lease lapsed and another delivery claimed the id).
    pub fn holds_claim(&self) -> bool {
        self.held.is_some() && !self.renewal.as_ref().is_some_and(|r| r.state().lost())
    }

    /// Renews the claim now, for the lease (for a handler that wants to check, before an
    /// effect it cannot undo, that the webhook is still its own). [`Held::Lost`] for a
    /// delivery that holds no claim.
    ///
    /// # Errors
    /// The guard's errors.
    pub fn renew(&self) -> Result<Held, WebhookError> {
        match &self.held {
            Some(guard) => guard.renew(self.webhook.id(), self.flow.token(), self.flow.lease()),
            None => Ok(Held::Lost),
        }
    }

    /// Step two: records the handler's result and returns the answer (apply
    /// [`ReceiveOutcome::handler_succeeded`] to the handler's result). After success the id
    /// is completed (duplicates get 200 for the guard's retention window); after failure it
    /// is released (Kompliant's retry is processed); either only while this delivery holds
    /// the claim ([`Finished::claim_lost`] otherwise). For a delivery that was not to be
    /// processed, `succeeded` is ignored and the answer is the claim's.
    pub fn finish(mut self, succeeded: bool) -> Finished {
        let Some(guard) = self.held.take() else {
            return Finished {
                outcome: self
                    .claim
                    .outcome()
                    .unwrap_or(ReceiveOutcome::after_handler(succeeded)),
                guard_error: None,
                claim_lost: false,
                renewal_error: None,
            };
        };
        let renewal = self.renewal.take();
        let lost_while_running = renewal.as_ref().is_some_and(|r| r.state().lost());
        let renewal_error = renewal.as_ref().and_then(|r| r.state().take_error());
        drop(renewal);
        let (id, token) = (self.webhook.id(), self.flow.token());
        let recorded = if succeeded {
            guard.complete(id, token)
        } else {
            guard.release(id, token)
        };
        Finished {
            renewal_error,
            ..self.flow.finish(succeeded, recorded, lost_while_running)
        }
    }

    /// The text to log for a [`Finished::claim_lost`] of this delivery.
    pub fn claim_lost_message(&self, succeeded: bool) -> String {
        self.flow.claim_lost_message(succeeded)
    }
}

impl Drop for GuardedDelivery {
    fn drop(&mut self) {
        self.renewal.take();
        if let Some(guard) = self.held.take() {
            // Nothing to report to: the claim lapses with its lease if this fails too.
            let _ = guard.release(self.webhook.id(), self.flow.token());
        }
    }
}

impl fmt::Debug for GuardedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedDelivery")
            .field("webhook", &self.webhook)
            .field("claim", &self.claim)
            .field("held", &self.held.is_some())
            .finish()
    }
}

/// The end of one delivery: the answer to send, and whether the guard failed to record it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct Finished {
    /// The answer ([`ReceiveOutcome::http_status`], [`ReceiveOutcome::public_message`]).
    pub outcome: ReceiveOutcome,
    /// The guard's error when it could not complete or release the claim: log it. The answer
    /// stays `outcome`'s: a processed webhook is acknowledged even if its completion was not
    /// recorded (only a rare redelivery would run the handler again, where answering 500
    /// would make Kompliant redeliver it for sure), and a failed one's claim lapses with its
    /// lease.
    pub guard_error: Option<WebhookError>,
    /// Whether the claim was found lost (a renewal, or the final complete or release, found
    /// another delivery holding it, or the id completed): log it
    /// ([`GuardedDelivery::claim_lost_message`]). A successful handler may then have run
    /// twice; nothing of the other delivery's claim was changed. The answer stays
    /// `outcome`'s.
    pub claim_lost: bool,
    /// The error of the last background renewal when it failed (the store was unreachable,
    /// or the renewal thread could not start) and no later renewal succeeded: log it. The
    /// claim may then have lapsed with its lease while the handler ran; `claim_lost` says
    /// whether another delivery was found holding it. Always `None` without renewal.
    pub renewal_error: Option<WebhookError>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::guard::{MemoryGuard, MemoryGuardOptions};
    use crate::{seal, ErrorCode, Keyring, WebhookMetadata, WebhookSecret, WireProfile};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn setup() -> (
        GuardedReceiver,
        WebhookSecret,
        Arc<MemoryGuard>,
        Arc<ManualClock>,
    ) {
        let secret = WebhookSecret::from_bytes(&[7; 32]).unwrap();
        let keyring = Keyring::new();
        keyring.add("whk_20251121_01", &secret).unwrap();
        let clock = Arc::new(ManualClock::new());
        let guard = Arc::new(MemoryGuard::with_clock(
            MemoryGuardOptions::default(),
            clock.clone(),
        ));
        let receiver = GuardedReceiver::new(WebhookReceiver::new(keyring), guard.clone())
            .with_lease(Duration::from_secs(60));
        (receiver, secret, guard, clock)
    }

    fn body(secret: &WebhookSecret, id: &str, retry_count: u64) -> Vec<u8> {
        let metadata = WebhookMetadata {
            id: id.into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-11-21T14:30:22Z".into(),
            account_id: "sb_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251121_01".into(),
        };
        seal(
            &metadata,
            br#"{"version":"1.0"}"#,
            secret,
            &WireProfile::default(),
        )
        .unwrap()
        .body(retry_count)
    }

    #[test]
    fn a_redelivery_after_success_is_answered_200_without_processing() {
        let (r, secret, _, _) = setup();
        let first = r.begin(&body(&secret, "wh_1", 0)).unwrap();
        assert!(first.should_process());
        assert_eq!(first.webhook().id(), "wh_1");
        let done = first.finish(true);
        assert_eq!(done.outcome, ReceiveOutcome::Processed);
        assert_eq!(done.guard_error, None);

        let again = r.begin(&body(&secret, "wh_1", 1)).unwrap();
        assert!(!again.should_process());
        assert_eq!(again.claim(), Claim::AlreadyCompleted);
        assert_eq!(again.webhook().retry_count(), 1);
        let answer = again.finish(false).outcome;
        assert_eq!(
            (answer, answer.http_status()),
            (ReceiveOutcome::AlreadyProcessed, 200)
        );
    }

    #[test]
    fn a_failure_releases_the_claim_so_the_retry_is_processed() {
        let (r, secret, _, _) = setup();
        let first = r.begin(&body(&secret, "wh_1", 0)).unwrap();
        let concurrent = r.begin(&body(&secret, "wh_1", 0)).unwrap();
        assert_eq!(concurrent.finish(true).outcome.http_status(), 503);
        assert_eq!(first.finish(false).outcome.http_status(), 500);
        let retry = r.begin(&body(&secret, "wh_1", 1)).unwrap();
        assert!(retry.should_process());
    }

    #[test]
    fn dropping_an_unfinished_delivery_releases_it() {
        let (r, secret, guard, _) = setup();
        drop(r.begin(&body(&secret, "wh_1", 0)).unwrap());
        assert!(guard.is_empty());
        assert!(r.begin(&body(&secret, "wh_1", 1)).unwrap().should_process());
    }

    #[test]
    fn a_processor_that_died_loses_its_claim_when_the_lease_ends() {
        let (r, secret, _, clock) = setup();
        std::mem::forget(r.begin(&body(&secret, "wh_1", 0)).unwrap());
        assert_eq!(
            r.begin(&body(&secret, "wh_1", 1)).unwrap().claim(),
            Claim::InProgress
        );
        clock.advance(Duration::from_secs(60));
        assert!(r.begin(&body(&secret, "wh_1", 2)).unwrap().should_process());
    }

    #[test]
    fn forged_bodies_never_reach_the_guard() {
        let (r, secret, guard, _) = setup();
        let mut forged = body(&secret, "wh_1", 0);
        let at = forged.len() - 40;
        forged[at] ^= 1;
        let err = r.begin(&forged).unwrap_err();
        assert!(matches!(
            err.code(),
            ErrorCode::DecryptionFailed | ErrorCode::MalformedEnvelope
        ));
        assert_eq!(ReceiveOutcome::rejected(&err).http_status(), 400);
        assert!(guard.is_empty());
    }

    struct BrokenGuard;

    impl WebhookGuard for BrokenGuard {
        fn claim(&self, _: &str, _: &ClaimToken, _: Duration) -> Result<Claim, WebhookError> {
            Ok(Claim::Acquired)
        }
        fn renew(&self, id: &str, token: &ClaimToken, _: Duration) -> Result<Held, WebhookError> {
            self.complete(id, token)
        }
        fn complete(&self, _: &str, _: &ClaimToken) -> Result<Held, WebhookError> {
            Err(WebhookError::Internal {
                detail: "store unreachable".into(),
            })
        }
        fn release(&self, id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
            self.complete(id, token)
        }
    }

    #[test]
    fn a_guard_that_cannot_record_does_not_change_the_answer() {
        let (r, secret, _, _) = setup();
        let r = GuardedReceiver::new(r.receiver().clone(), Arc::new(BrokenGuard));
        let done = r.begin(&body(&secret, "wh_1", 0)).unwrap().finish(true);
        assert_eq!(done.outcome.http_status(), 200);
        assert_eq!(
            done.guard_error.map(|e| e.code()),
            Some(ErrorCode::Internal)
        );
        let failed = r.begin(&body(&secret, "wh_1", 0)).unwrap().finish(false);
        assert_eq!(failed.outcome.http_status(), 500);
        assert!(failed.guard_error.is_some());
    }

    /// A memory guard whose renewals fail while `down` is set (a store that went away).
    struct FlakyRenewals {
        inner: MemoryGuard,
        down: std::sync::atomic::AtomicBool,
    }

    impl WebhookGuard for FlakyRenewals {
        fn claim(&self, id: &str, t: &ClaimToken, l: Duration) -> Result<Claim, WebhookError> {
            self.inner.claim(id, t, l)
        }
        fn renew(&self, id: &str, t: &ClaimToken, l: Duration) -> Result<Held, WebhookError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(WebhookError::Internal {
                    detail: "store unreachable".into(),
                });
            }
            self.inner.renew(id, t, l)
        }
        fn complete(&self, id: &str, t: &ClaimToken) -> Result<Held, WebhookError> {
            self.inner.complete(id, t)
        }
        fn release(&self, id: &str, t: &ClaimToken) -> Result<Held, WebhookError> {
            self.inner.release(id, t)
        }
    }

    #[test]
    fn a_failing_renewal_is_reported_at_finish_until_one_succeeds() {
        let (r, secret, _, _) = setup();
        let guard = Arc::new(FlakyRenewals {
            inner: MemoryGuard::new(),
            down: true.into(),
        });
        let r = GuardedReceiver::new(r.receiver().clone(), guard.clone())
            .with_lease(Duration::from_millis(90));
        let delivery = r.begin(&body(&secret, "wh_renew", 0)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let done = delivery.finish(true);
        assert_eq!(done.outcome, ReceiveOutcome::Processed);
        assert_eq!(
            done.renewal_error.map(|e| e.to_string()),
            Some("internal error: store unreachable".to_owned())
        );

        // A renewal that succeeds after a failure clears it: the claim was kept.
        let delivery = r.begin(&body(&secret, "wh_renew_2", 0)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        guard.down.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        let done = delivery.finish(true);
        assert_eq!((done.renewal_error, done.claim_lost), (None, false));

        // Without renewal there is nothing to report.
        let r = r.with_renewal(false);
        guard.down.store(true, Ordering::SeqCst);
        let delivery = r.begin(&body(&secret, "wh_renew_3", 0)).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(delivery.finish(true).renewal_error, None);
    }

    /// A guard whose renew panics (counting its calls).
    struct PanickingRenewals(MemoryGuard, AtomicUsize);

    impl WebhookGuard for PanickingRenewals {
        fn claim(&self, id: &str, t: &ClaimToken, l: Duration) -> Result<Claim, WebhookError> {
            self.0.claim(id, t, l)
        }
        fn renew(&self, _: &str, _: &ClaimToken, _: Duration) -> Result<Held, WebhookError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            panic!("a bug in a guard");
        }
        fn complete(&self, id: &str, t: &ClaimToken) -> Result<Held, WebhookError> {
            self.0.complete(id, t)
        }
        fn release(&self, id: &str, t: &ClaimToken) -> Result<Held, WebhookError> {
            self.0.release(id, t)
        }
    }

    #[test]
    fn a_guard_panicking_in_renew_is_reported_and_renewals_go_on_for_others() {
        let (r, secret, _, _) = setup();
        let guard = Arc::new(PanickingRenewals(MemoryGuard::new(), AtomicUsize::new(0)));
        let panicking = GuardedReceiver::new(r.receiver().clone(), guard.clone())
            .with_lease(Duration::from_millis(60));
        let delivery = panicking.begin(&body(&secret, "wh_panic", 0)).unwrap();
        // A second call means the first one's panic was caught and recorded (printing the
        // panic's backtrace may take a while).
        let deadline = Instant::now() + Duration::from_secs(10);
        while guard.1.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            delivery.finish(true).renewal_error.map(|e| e.to_string()),
            Some("internal error: the duplicate guard's renew panicked".to_owned())
        );

        // The process's renewal thread survived: another claim is still renewed.
        let healthy = GuardedReceiver::new(r.receiver().clone(), Arc::new(MemoryGuard::new()))
            .with_lease(Duration::from_millis(90));
        let first = healthy.begin(&body(&secret, "wh_after_panic", 0)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let second = healthy.begin(&body(&secret, "wh_after_panic", 1)).unwrap();
        assert_eq!(second.claim(), Claim::InProgress);
        let done = first.finish(true);
        assert_eq!((done.renewal_error, done.claim_lost), (None, false));
    }

    /// The issue's run: a lease of 300 ms and a handler of 1 s (over three leases), with a
    /// redelivery arriving while the handler runs.
    fn slow_handler_with_redelivery(renew: bool) -> (Claim, Finished, Option<Finished>) {
        let (r, secret, _, _) = setup();
        let guard = Arc::new(MemoryGuard::new());
        let r = GuardedReceiver::new(r.receiver().clone(), guard)
            .with_lease(Duration::from_millis(300))
            .with_renewal(renew);
        let first = r.begin(&body(&secret, "wh_slow", 0)).unwrap();
        assert!(first.should_process());
        std::thread::sleep(Duration::from_millis(1000));
        let second = r.begin(&body(&secret, "wh_slow", 1)).unwrap();
        let second_claim = second.claim();
        // The first attempt fails after all: its release must not free the second's claim.
        let first_done = first.finish(false);
        let second_done = second.should_process().then(|| second.finish(true));
        (second_claim, first_done, second_done)
    }

    #[test]
    fn a_handler_slower_than_its_lease_keeps_its_claim_while_it_runs() {
        let (second, first, _) = slow_handler_with_redelivery(true);
        assert_eq!(second, Claim::InProgress);
        assert_eq!(first.outcome.http_status(), 500);
        assert!(!first.claim_lost);
    }

    #[test]
    fn without_renewal_a_stale_holder_learns_it_lost_and_changes_nothing() {
        let (second, first, second_done) = slow_handler_with_redelivery(false);
        assert_eq!(second, Claim::Acquired);
        assert!(first.claim_lost, "{first:?}");
        // The second delivery's claim survived the first's release: it completes as holder.
        let second_done = second_done.unwrap();
        assert_eq!(second_done.outcome, ReceiveOutcome::Processed);
        assert!(!second_done.claim_lost);
    }

    #[test]
    fn a_delivery_can_renew_and_check_its_claim() {
        let (r, secret, guard, clock) = setup();
        let r = r.with_renewal(false);
        let delivery = r.begin(&body(&secret, "wh_1", 0)).unwrap();
        assert!(delivery.holds_claim());
        clock.advance(Duration::from_secs(50));
        assert_eq!(delivery.renew().unwrap(), Held::Held);
        clock.advance(Duration::from_secs(50));
        assert_eq!(
            r.begin(&body(&secret, "wh_1", 1)).unwrap().claim(),
            Claim::InProgress
        );
        assert_eq!(
            guard
                .claim("wh_1", delivery.token(), Duration::from_secs(1))
                .unwrap(),
            Claim::InProgress
        );
        let duplicate = r.begin(&body(&secret, "wh_1", 2)).unwrap();
        assert!(!duplicate.holds_claim());
        assert_eq!(duplicate.renew().unwrap(), Held::Lost);
        let done = delivery.finish(true);
        assert_eq!(
            (done.outcome, done.claim_lost),
            (ReceiveOutcome::Processed, false)
        );
    }

    #[test]
    fn concurrent_deliveries_of_one_webhook_run_the_handler_once() {
        let (r, secret, _, _) = setup();
        let bodies: Vec<Vec<u8>> = (0..4).map(|n| body(&secret, "wh_race", n)).collect();
        let handled = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(12));
        let threads: Vec<_> = (0..12)
            .map(|n| {
                let (r, handled, barrier) = (r.clone(), handled.clone(), barrier.clone());
                let body = bodies[n % bodies.len()].clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let delivery = r.begin(&body).unwrap();
                    if delivery.should_process() {
                        handled.fetch_add(1, Ordering::SeqCst);
                    }
                    delivery.finish(true).outcome
                })
            })
            .collect();
        let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(handled.load(Ordering::SeqCst), 1, "{outcomes:?}");
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == ReceiveOutcome::Processed)
                .count(),
            1
        );
        assert!(outcomes
            .iter()
            .all(|o| o.http_status() == 200 || o.http_status() == 503));
    }
}
