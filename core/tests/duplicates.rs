//! The receive flow under at-least-once delivery: duplicates (some concurrent), failures that
//! make Kompliant redeliver, forged bodies, and a key rotation mid-stream. Every webhook must
//! be processed exactly once and none lost.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kompliant_webhooks::decided::DEFAULT_RETIRED_KEY_RETENTION;
use kompliant_webhooks::{
    seal, GuardedReceiver, Keyring, ManualClock, MemoryGuard, MemoryGuardOptions, ReceiveOutcome,
    SealedEnvelope, WebhookMetadata, WebhookReceiver, WebhookSecret, WireProfile,
};

const WEBHOOKS: usize = 300;
const THREADS: usize = 6;

fn sealed(n: usize, key_id: &str, secret: &WebhookSecret) -> SealedEnvelope {
    let metadata = WebhookMetadata {
        id: format!("wh_{n:022}"),
        event_type: "WORKFLOW_COMPLETED".into(),
        timestamp: "2025-11-21T14:30:22Z".into(),
        account_id: "sb_1".into(),
        schema_version: "2025-11-21".into(),
        key_id: key_id.into(),
    };
    let payload = format!(r#"{{"version":"1.0","n":{n}}}"#);
    seal(
        &metadata,
        payload.as_bytes(),
        secret,
        &WireProfile::default(),
    )
    .unwrap()
}

/// A deterministic "does this attempt fail?" (about 20% of attempts).
fn fails(n: usize, attempt: u64) -> bool {
    (n as u64 * 7919 + attempt * 104_729).is_multiple_of(5)
}

#[test]
fn every_webhook_is_processed_exactly_once_through_duplicates_failures_and_a_rotation() {
    let clock = Arc::new(ManualClock::new());
    let old = WebhookSecret::generate().unwrap();
    let new = WebhookSecret::generate().unwrap();
    let keyring = Keyring::with_clock(clock.clone());
    keyring.add("whk_20251121_01", &old).unwrap();
    keyring.add("whk_20251122_01", &new).unwrap();
    let guard = Arc::new(MemoryGuard::with_clock(
        MemoryGuardOptions::default(),
        clock.clone(),
    ));
    let receiver = GuardedReceiver::new(WebhookReceiver::new(keyring.clone()), guard);

    // The first half was sealed before the rotation, the second half after it.
    let envelopes: Vec<SealedEnvelope> = (0..WEBHOOKS)
        .map(|n| {
            if n < WEBHOOKS / 2 {
                sealed(n, "whk_20251121_01", &old)
            } else {
                sealed(n, "whk_20251122_01", &new)
            }
        })
        .collect();
    // Rotation: the old key is retired, not removed, so its redeliveries still open.
    assert!(keyring.retire("whk_20251121_01", DEFAULT_RETIRED_KEY_RETENTION));

    // Every webhook is delivered twice from the start (a duplicate), and forged bodies mix in.
    let mut queue: VecDeque<(usize, u64)> = VecDeque::new();
    for n in 0..WEBHOOKS {
        queue.push_back((n, 0));
        queue.push_back((n, 0));
    }
    let queue = Arc::new(Mutex::new(queue));
    let processed: Arc<Mutex<HashMap<usize, u32>>> = Arc::default();
    let stats: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();

    let workers: Vec<_> = (0..THREADS)
        .map(|worker| {
            let (queue, processed, stats) = (queue.clone(), processed.clone(), stats.clone());
            let (receiver, envelopes) = (receiver.clone(), envelopes.clone());
            std::thread::spawn(move || {
                let mut forged_sent = 0usize;
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some((n, attempt)) = next else { break };
                    let mut body = envelopes[n].body(attempt);
                    if forged_sent < 10 && n % 37 == worker {
                        forged_sent += 1;
                        let mut forged = body.clone();
                        let at = forged.len() - 30;
                        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
                        let err = receiver.begin(&forged).unwrap_err();
                        let outcome = ReceiveOutcome::rejected(&err);
                        assert_eq!(outcome.http_status(), 400, "{err}");
                        *stats.lock().unwrap().entry("forged").or_default() += 1;
                        body = envelopes[n].body(attempt);
                    }
                    let delivery = receiver.begin(&body).unwrap();
                    let succeeded = if delivery.should_process() {
                        let ok = !fails(n, attempt);
                        if ok {
                            *processed.lock().unwrap().entry(n).or_default() += 1;
                        }
                        ok
                    } else {
                        true
                    };
                    let outcome = delivery.finish(succeeded).outcome;
                    *stats.lock().unwrap().entry(outcome.as_str()).or_default() += 1;
                    if outcome.will_be_redelivered() {
                        // Kompliant retries with the same sealed envelope, retry_count + 1.
                        queue.lock().unwrap().push_back((n, attempt + 1));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // Still within the retry horizon: the retired key is held.
    clock.advance(Duration::from_secs(3600));
    assert!(keyring.contains("whk_20251121_01"));

    let processed = processed.lock().unwrap();
    let stats = stats.lock().unwrap();
    let lost: Vec<usize> = (0..WEBHOOKS)
        .filter(|n| !processed.contains_key(n))
        .collect();
    assert!(lost.is_empty(), "lost {lost:?}");
    let twice: Vec<_> = processed.iter().filter(|(_, c)| **c != 1).collect();
    assert!(twice.is_empty(), "processed more than once: {twice:?}");
    assert_eq!(stats.get("PROCESSED"), Some(&WEBHOOKS), "{stats:?}");
    assert!(
        stats.get("HANDLER_FAILED").copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
    assert!(
        stats.get("ALREADY_PROCESSED").copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
    assert!(stats.get("forged").copied().unwrap_or(0) > 0, "{stats:?}");
}

#[test]
fn redeliveries_under_a_key_dropped_after_its_retention_are_retried_not_lost() {
    let clock = Arc::new(ManualClock::new());
    let old = WebhookSecret::generate().unwrap();
    let keyring = Keyring::with_clock(clock.clone());
    keyring.add("whk_20251121_01", &old).unwrap();
    let receiver = WebhookReceiver::new(keyring.clone());
    let body = sealed(1, "whk_20251121_01", &old).body(3);
    keyring.retire("whk_20251121_01", DEFAULT_RETIRED_KEY_RETENTION);
    clock.advance(DEFAULT_RETIRED_KEY_RETENTION - Duration::from_secs(1));
    assert!(receiver.decrypt(&body).is_ok());
    clock.advance(Duration::from_secs(1));
    let err = receiver.decrypt(&body).unwrap_err();
    // Unknown key: 503, so Kompliant keeps the webhook and retries.
    assert_eq!(ReceiveOutcome::rejected(&err).http_status(), 503);
}
