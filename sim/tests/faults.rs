//! Fault injection (`sim.faults.set`): duplicate, reorder, tampered tag, unknown key id,
//! forged copies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{account, start_with, Client, Receiver};
use kompliant_sim::{DeliveryOutcome, Fault};
use kompliant_webhooks::{ErrorCode, Keyring, WebhookReceiver};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// A simulator, a client with an active key, and an endpoint that decrypts and answers like
/// the SDK suggests (unknown key 503, other failures 400); it records the error codes.
struct Setup {
    sim: kompliant_sim::Simulator,
    c: Client,
    endpoint: Receiver,
    receiver: WebhookReceiver,
}

fn setup() -> Setup {
    let sim = start_with(|c| c.max_attempts = 3);
    let c = Client::new(&sim, account(1));
    let (key_id, secret) = c.active_key();
    let keyring = Keyring::new();
    keyring.add_base64(&key_id, &secret).unwrap();
    let receiver = WebhookReceiver::new(keyring);
    let r = receiver.clone();
    let endpoint = Receiver::new(move |req, _| {
        Some(match r.decrypt(&req.body) {
            Ok(_) => 200,
            Err(e) if e.code() == ErrorCode::UnknownKey => 503,
            Err(_) => 400,
        })
    });
    c.endpoint(&endpoint.url);
    Setup {
        sim,
        c,
        endpoint,
        receiver,
    }
}

#[test]
fn faults_set_validates_and_reports_the_switches() {
    let s = setup();
    let all_zero =
        json!({"duplicate": 0, "reorder": 0, "tamper_tag": 0, "unknown_key_id": 0, "forge": 0});
    assert_eq!(s.c.ok("sim.faults.set", json!({})), all_zero);
    let d =
        s.c.ok("sim.faults.set", json!({"duplicate": 2, "tamper_tag": 1}));
    assert_eq!(
        d,
        json!({"duplicate": 2, "reorder": 0, "tamper_tag": 1, "unknown_key_id": 0, "forge": 0})
    );
    // Absent switches are kept, 0 disarms.
    let d = s.c.ok("sim.faults.set", json!({"duplicate": 0}));
    assert_eq!(d["tamper_tag"], 1);
    assert_eq!(d["duplicate"], 0);
    for bad in [
        json!({"tamper": 1}),
        json!({"duplicate": -1}),
        json!({"duplicate": 1.5}),
        json!({"reorder": "1"}),
        json!({"reorder": 2_000_000}),
    ] {
        assert_eq!(
            s.c.err("sim.faults.set", bad.clone(), 400)["code"],
            "BAD_REQUEST",
            "{bad}"
        );
    }
    // Switches are per account.
    let other = Client::new(&s.sim, account(2));
    assert_eq!(other.ok("sim.faults.set", json!({})), all_zero);
}

#[test]
fn duplicate_delivers_the_same_envelope_twice() {
    let s = setup();
    s.c.ok("sim.faults.set", json!({"duplicate": 1}));
    let dup = s.c.trigger("WORKFLOW_CREATED");
    let normal = s.c.trigger("WORKFLOW_CREATED");
    assert!(s.sim.wait_idle(WAIT));
    let got = s.endpoint.received();
    let ids: Vec<String> = got
        .iter()
        .map(|r| s.receiver.decrypt(&r.body).unwrap().id().to_owned())
        .collect();
    assert_eq!(ids.iter().filter(|id| **id == dup).count(), 2);
    assert_eq!(ids.iter().filter(|id| **id == normal).count(), 1);
    let dup_bodies: Vec<Value> = got
        .iter()
        .map(|r| r.json())
        .filter(|b| b["id"] == dup.as_str())
        .collect();
    assert_eq!(
        dup_bodies[0], dup_bodies[1],
        "identical envelopes, both retry_count 0"
    );
    assert_eq!(dup_bodies[0]["retry_count"], 0);
    let log = s.sim.deliveries();
    let dup_records: Vec<_> = log.iter().filter(|r| r.webhook_id == dup).collect();
    assert_eq!(dup_records.len(), 2);
    assert!(dup_records.iter().all(|r| r.faults == [Fault::Duplicate]));
    assert!(log
        .iter()
        .filter(|r| r.webhook_id == normal)
        .all(|r| r.faults.is_empty()));
}

#[test]
fn reorder_delivers_the_next_event_first() {
    let s = setup();
    s.c.ok("sim.faults.set", json!({"reorder": 1}));
    let first = s.c.trigger("WORKFLOW_CREATED");
    // The held event is pending until the next one comes.
    assert!(!s.sim.wait_idle(Duration::from_millis(100)));
    assert!(s.endpoint.received().is_empty());
    let second = s.c.trigger("WORKFLOW_COMPLETED");
    assert!(s.sim.wait_idle(WAIT));
    let order: Vec<String> = s
        .endpoint
        .received()
        .iter()
        .map(|r| s.receiver.decrypt(&r.body).unwrap().id().to_owned())
        .collect();
    assert_eq!(order, [second, first.clone()]);
    let held = s
        .sim
        .deliveries()
        .into_iter()
        .find(|r| r.webhook_id == first)
        .unwrap();
    assert_eq!(held.faults, [Fault::Reorder]);
    assert_eq!(held.outcome, DeliveryOutcome::Delivered { status: 200 });
}

#[test]
fn a_tampered_tag_is_refused_on_every_attempt() {
    let s = setup();
    s.c.ok("sim.faults.set", json!({"tamper_tag": 1}));
    let bad = s.c.trigger("WORKFLOW_CREATED");
    let good = s.c.trigger("WORKFLOW_CREATED");
    assert!(s.sim.wait_idle(WAIT));
    let got = s.endpoint.received();
    let tampered: Vec<Value> = got
        .iter()
        .map(|r| r.json())
        .filter(|b| b["id"] == bad.as_str())
        .collect();
    assert_eq!(tampered.len(), 3, "every attempt refused, then given up");
    for (n, b) in tampered.iter().enumerate() {
        assert_eq!(b["retry_count"], n);
        assert_eq!(
            b["data"], tampered[0]["data"],
            "the same (tampered) envelope each time"
        );
        let err = s.receiver.decrypt(b.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DecryptionFailed);
    }
    let log = s.sim.deliveries();
    let records: Vec<_> = log.iter().filter(|r| r.webhook_id == bad).collect();
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r.faults == [Fault::TamperTag]));
    assert_eq!(
        records[0].outcome,
        DeliveryOutcome::Failed {
            status: Some(400),
            error: None
        }
    );
    assert_eq!(records[3].outcome, DeliveryOutcome::GaveUp);
    // Only the next event was affected.
    let ok: Vec<_> = log.iter().filter(|r| r.webhook_id == good).collect();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].outcome, DeliveryOutcome::Delivered { status: 200 });
}

#[test]
fn an_unknown_key_id_is_refused_as_retryable() {
    let s = setup();
    s.c.ok("sim.faults.set", json!({"unknown_key_id": 1}));
    let id = s.c.trigger("WORKFLOW_CREATED");
    assert!(s.sim.wait_idle(WAIT));
    let got = s.endpoint.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(r.json()["key_id"], "whk_19700101_999");
        assert_eq!(
            s.receiver.decrypt(&r.body).unwrap_err().code(),
            ErrorCode::UnknownKey
        );
    }
    let log = s.sim.deliveries();
    assert!(log.iter().all(|r| r.webhook_id == id
        && r.faults == [Fault::UnknownKeyId]
        && r.key_id == "whk_19700101_999"));
    assert_eq!(
        log[0].outcome,
        DeliveryOutcome::Failed {
            status: Some(503),
            error: None
        }
    );
    assert_eq!(log.last().unwrap().outcome, DeliveryOutcome::GaveUp);
}

#[test]
fn forge_adds_one_refused_copy_and_leaves_the_real_delivery_alone() {
    let s = setup();
    s.c.ok("sim.faults.set", json!({"forge": 1}));
    let forged = s.c.trigger("WORKFLOW_CREATED");
    let next = s.c.trigger("WORKFLOW_CREATED");
    assert!(s.sim.wait_idle(WAIT));
    let bodies: Vec<Value> = s
        .endpoint
        .received()
        .iter()
        .map(|r| r.json())
        .filter(|b| b["id"] == forged.as_str())
        .collect();
    assert_eq!(bodies.len(), 2, "the real envelope and one forged copy");
    let outcomes: Vec<_> = bodies
        .iter()
        .map(|b| {
            s.receiver
                .decrypt(b.to_string().as_bytes())
                .map(|w| w.id().to_owned())
        })
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.as_deref() == Ok(forged.as_str()))
            .count(),
        1
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Err(e) if e.code() == ErrorCode::DecryptionFailed))
            .count(),
        1,
        "the copy differs only in its tag, and is refused"
    );
    let log = s.sim.deliveries();
    let records: Vec<_> = log.iter().filter(|r| r.webhook_id == forged).collect();
    assert_eq!(
        records.len(),
        2,
        "the forged copy is not retried: {records:?}"
    );
    assert!(records.iter().all(|r| r.faults == [Fault::Forge]));
    let copy: Vec<_> = records.iter().filter(|r| r.forged).collect();
    assert_eq!(copy.len(), 1);
    assert_eq!(
        copy[0].outcome,
        DeliveryOutcome::Failed {
            status: Some(400),
            error: None
        }
    );
    let real: Vec<_> = records.iter().filter(|r| !r.forged).collect();
    assert_eq!(real[0].outcome, DeliveryOutcome::Delivered { status: 200 });
    assert!(log
        .iter()
        .filter(|r| r.webhook_id == next)
        .all(|r| r.faults.is_empty() && !r.forged));
    let events = s.c.ok("sim.events.list", json!({}));
    assert_eq!(events["events"][0]["deliveries"], 2);
    assert_eq!(events["events"][0]["faults"], json!(["FORGE"]));
}
