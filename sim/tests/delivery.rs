//! The delivery engine over real loopback HTTP, checked by a receiver built on
//! `kompliant_webhooks::WebhookReceiver`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{account, start, start_with, Client, Receiver};
use kompliant_sim::{DeliveryOutcome, DeliveryRecord, SimConfig, Simulator};
use kompliant_webhooks::{ErrorCode, Event, Keyring, WebhookReceiver};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn receiver_for(secrets: &[(&str, &str)]) -> WebhookReceiver {
    let keyring = Keyring::new();
    for (id, secret) in secrets {
        keyring.add_base64(id, secret).unwrap();
    }
    WebhookReceiver::new(keyring)
}

/// An endpoint that decrypts with `receiver` and answers like the SDK suggests.
fn decrypting_endpoint(receiver: WebhookReceiver) -> Receiver {
    Receiver::new(move |req, _| {
        Some(match receiver.decrypt(&req.body) {
            Ok(_) => 200,
            Err(e) if e.code() == ErrorCode::UnknownKey => 503,
            Err(_) => 400,
        })
    })
}

fn outcomes(records: &[DeliveryRecord]) -> Vec<(u32, u64, DeliveryOutcome)> {
    records
        .iter()
        .map(|r| (r.attempt, r.retry_count, r.outcome.clone()))
        .collect()
}

#[test]
fn an_event_is_delivered_and_decrypts() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let (key_id, secret) = c.active_key();
    let receiver = receiver_for(&[(&key_id, &secret)]);
    let endpoint = decrypting_endpoint(receiver.clone());
    let config_id = c.endpoint(&endpoint.url);

    let data = c.ok(
        "sim.event.trigger",
        json!({"event_type": "WORKFLOW_COMPLETED"}),
    );
    assert_eq!(data["key_id"], key_id.as_str());
    assert_eq!(data["deliveries"], 1);
    let webhook_id = data["webhook_id"].as_str().unwrap();
    assert!(
        webhook_id.starts_with("wh_") && webhook_id.len() == 25,
        "{webhook_id}"
    );
    assert!(sim.wait_idle(WAIT));

    let got = endpoint.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert!(req
        .header("User-Agent")
        .unwrap()
        .starts_with("kompliant-sim/"));
    let webhook = receiver.decrypt(&req.body).unwrap();
    assert_eq!(webhook.id(), webhook_id);
    assert_eq!(webhook.event_type(), "WORKFLOW_COMPLETED");
    assert_eq!(webhook.account_id(), "sb_test1");
    assert_eq!(webhook.schema_version(), "2025-11-21");
    assert_eq!(webhook.key_id(), key_id);
    assert_eq!(webhook.retry_count(), 0);
    let ts = webhook.timestamp();
    assert!(ts.len() == 24 && ts.ends_with('Z'), "{ts}");
    let Event::Workflow(w) = webhook.event().unwrap() else {
        panic!("not a workflow event")
    };
    assert_eq!(w.version, "1.0");
    assert!(w.subject_record_id.starts_with("sr_") && w.workflow_id.starts_with("w_"));

    let log = sim.deliveries();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].webhook_id, webhook_id);
    assert_eq!(log[0].config_id, config_id);
    assert_eq!(log[0].url, endpoint.url);
    assert_eq!(log[0].key_id, key_id);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered { status: 200 });
    assert!(log[0].faults.is_empty());

    // The same log over the API, for the caller's account only.
    let listed = c.ok("sim.deliveries.list", json!({}));
    assert_eq!(
        listed["deliveries"][0]["outcome"],
        json!({"result": "DELIVERED", "status": 200})
    );
    assert_eq!(listed["deliveries"][0]["attempt"], 1);
    let other = Client::new(&sim, account(2));
    assert_eq!(
        other.ok("sim.deliveries.list", json!({}))["deliveries"],
        json!([])
    );
    let events = c.ok("sim.events.list", json!({}));
    assert_eq!(events["events"][0]["webhook_id"], webhook_id);
    assert_eq!(sim.events().len(), 1);
}

#[test]
fn payloads_per_event_type_and_custom_data() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let (key_id, secret) = c.active_key();
    let receiver = receiver_for(&[(&key_id, &secret)]);
    let endpoint = Receiver::status(200);
    c.endpoint(&endpoint.url);

    c.trigger("SUBJECT_RECORD_DATA_UPDATED");
    c.trigger("DOCUMENT_UPLOADED");
    let custom = json!({"version": "1.3", "anything": [1, {"x": null}], "é": "ü"});
    c.ok(
        "sim.event.trigger",
        json!({"event_type": "BRAND_NEW_EVENT", "data": custom}),
    );
    assert!(sim.wait_idle(WAIT));
    let got = endpoint.received();
    assert_eq!(got.len(), 3);
    let mut by_type = std::collections::HashMap::new();
    for r in &got {
        let w = receiver.decrypt(&r.body).unwrap();
        by_type.insert(w.event_type().to_owned(), w);
    }
    let Event::SubjectRecordDataUpdated(e) =
        by_type["SUBJECT_RECORD_DATA_UPDATED"].event().unwrap()
    else {
        panic!("not typed")
    };
    for kind in [
        &e.entities.business,
        &e.entities.persons,
        &e.entities.bank_accounts,
        &e.entities.sales_info,
    ] {
        assert_eq!(kind.len(), 1);
        assert!(!kind[0].fields.is_empty());
    }
    let doc = by_type["DOCUMENT_UPLOADED"].payload_json().unwrap();
    assert!(doc["subject_record_id"]
        .as_str()
        .unwrap()
        .starts_with("sr_"));
    assert!(doc["user_context"]["user_type"].is_string());
    let raw: Value = serde_json::from_str(by_type["BRAND_NEW_EVENT"].payload_str()).unwrap();
    assert_eq!(raw, custom);

    for (body, what) in [
        (
            json!({"event_type": "WORKFLOW_CREATED", "data": [1]}),
            "data not an object",
        ),
        (
            json!({"event_type": "WORKFLOW_CREATED", "data": "x"}),
            "data not an object",
        ),
        (json!({"event_type": "workflow created"}), "bad event type"),
        (json!({"event_type": "A|B"}), "separator in event type"),
        (json!({}), "missing event type"),
    ] {
        assert_eq!(
            c.err("sim.event.trigger", body, 400)["code"],
            "BAD_REQUEST",
            "{what}"
        );
    }
}

#[test]
fn failures_are_retried_with_the_same_sealed_envelope() {
    let sim = start_with(|c| c.retry_base = Duration::from_millis(20));
    let c = Client::new(&sim, account(1));
    let (key_id, secret) = c.active_key();
    let receiver = receiver_for(&[(&key_id, &secret)]);
    let endpoint = Receiver::new(|_, n| Some(if n < 2 { 500 } else { 200 }));
    c.endpoint(&endpoint.url);
    let webhook_id = c.trigger("WORKFLOW_STARTED");
    assert!(sim.wait_idle(WAIT));

    let got = endpoint.received();
    assert_eq!(got.len(), 3);
    let bodies: Vec<Value> = got.iter().map(|r| r.json()).collect();
    for (n, b) in bodies.iter().enumerate() {
        assert_eq!(b["retry_count"], n);
        assert_eq!(b["id"], webhook_id.as_str());
        assert_eq!(
            b["data"], bodies[0]["data"],
            "the same sealed data on every attempt"
        );
        assert_eq!(b["timestamp"], bodies[0]["timestamp"]);
        assert_eq!(
            receiver.decrypt(&got[n].body).unwrap().retry_count(),
            n as u64
        );
    }
    // Exponential backoff: about 20 ms, then about 40 ms.
    let gap1 = got[1].at - got[0].at;
    let gap2 = got[2].at - got[1].at;
    assert!(gap1 >= Duration::from_millis(18), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(36), "{gap2:?}");
    assert_eq!(
        outcomes(&sim.deliveries()),
        [
            (
                1,
                0,
                DeliveryOutcome::Failed {
                    status: Some(500),
                    error: None
                }
            ),
            (
                2,
                1,
                DeliveryOutcome::Failed {
                    status: Some(500),
                    error: None
                }
            ),
            (3, 2, DeliveryOutcome::Delivered { status: 200 }),
        ]
    );
}

#[test]
fn delivery_gives_up_after_max_attempts() {
    let sim = start_with(|c| c.max_attempts = 3);
    let c = Client::new(&sim, account(1));
    c.active_key();
    let endpoint = Receiver::status(500);
    c.endpoint(&endpoint.url);
    c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(WAIT));
    assert_eq!(endpoint.received().len(), 3);
    let failed = DeliveryOutcome::Failed {
        status: Some(500),
        error: None,
    };
    assert_eq!(
        outcomes(&sim.deliveries()),
        [
            (1, 0, failed.clone()),
            (2, 1, failed.clone()),
            (3, 2, failed),
            (3, 2, DeliveryOutcome::GaveUp)
        ]
    );
}

#[test]
fn no_answer_is_a_failure() {
    let sim = start_with(|c| {
        c.max_attempts = 1;
        c.delivery_timeout = Duration::from_millis(300);
    });
    let c = Client::new(&sim, account(1));
    c.active_key();
    let silent = Receiver::new(|_, _| None);
    c.endpoint(&silent.url);
    // And an endpoint nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    c.endpoint(&closed_url);
    c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(WAIT));
    let log = sim.deliveries();
    assert_eq!(log.len(), 4, "{log:?}");
    for url in [&silent.url, &closed_url] {
        let records: Vec<&DeliveryRecord> = log.iter().filter(|r| &r.url == url).collect();
        assert!(
            matches!(
                &records[0].outcome,
                DeliveryOutcome::Failed {
                    status: None,
                    error: Some(_)
                }
            ),
            "{records:?}"
        );
        assert_eq!(records[1].outcome, DeliveryOutcome::GaveUp);
    }
}

#[test]
fn events_need_an_active_key_and_go_to_every_live_endpoint() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let e = c.err(
        "sim.event.trigger",
        json!({"event_type": "WORKFLOW_CREATED"}),
        400,
    );
    assert_eq!(
        (
            e["code"].as_str(),
            e["sub_code"].as_str(),
            e["entity_type"].as_str()
        ),
        (
            Some("SYSTEM_RULE_VIOLATION"),
            Some("NO_ACTIVE_KEY"),
            Some("Webhook Key")
        )
    );
    // A created but inactive key is not enough.
    c.ok("webhook.key.create", json!({"account_id": c.id()}));
    c.err(
        "sim.event.trigger",
        json!({"event_type": "WORKFLOW_CREATED"}),
        400,
    );

    c.active_key();
    // No endpoint: the event is recorded, nothing is delivered.
    let d = c.ok(
        "sim.event.trigger",
        json!({"event_type": "WORKFLOW_CREATED"}),
    );
    assert_eq!(d["deliveries"], 0);
    assert!(sim.wait_idle(WAIT));
    assert!(sim.deliveries().is_empty());
    assert_eq!(sim.events().len(), 1);

    let (a, b, gone) = (
        Receiver::status(200),
        Receiver::status(204),
        Receiver::status(200),
    );
    c.endpoint(&a.url);
    c.endpoint(&b.url);
    let gone_id = c.endpoint(&gone.url);
    c.ok(
        "webhook.config.delete",
        json!({"account_id": c.id(), "config_id": gone_id}),
    );
    let id = c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(WAIT));
    assert_eq!(a.received().len(), 1);
    // Only 200 acknowledges (spec §4): a 204 is a failed delivery, retried to the limit.
    assert_eq!(b.received().len(), 5);
    assert!(gone.received().is_empty());
    assert_eq!(
        a.received()[0].body,
        b.received()[0].body,
        "one sealed envelope for all endpoints"
    );
    let log: Vec<DeliveryRecord> = sim
        .deliveries()
        .into_iter()
        .filter(|r| r.webhook_id == id)
        .collect();
    assert_eq!(
        log.len(),
        1 + 5 + 1,
        "a delivered, b failed five times then gave up"
    );
    assert!(log
        .iter()
        .any(|r| r.outcome == DeliveryOutcome::Delivered { status: 200 }));
    assert!(!log
        .iter()
        .any(|r| r.outcome == DeliveryOutcome::Delivered { status: 204 }));
    assert!(log.iter().any(|r| r.outcome == DeliveryOutcome::GaveUp));
}

#[test]
fn rotation_seals_new_events_with_the_new_key() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let (k1, s1) = c.active_key();
    let endpoint = Receiver::status(200);
    c.endpoint(&endpoint.url);
    c.trigger("WORKFLOW_CREATED");
    let (k2, s2) = c.active_key();
    c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(WAIT));
    let receiver = receiver_for(&[(&k1, &s1), (&k2, &s2)]);
    let mut keys: Vec<String> = endpoint
        .received()
        .iter()
        .map(|r| receiver.decrypt(&r.body).unwrap().key_id().to_owned())
        .collect();
    keys.sort();
    assert_eq!(keys, [k1, k2]);
}

#[test]
fn the_log_is_numbered_and_can_be_followed() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    c.active_key();
    let endpoint = Receiver::status(200);
    c.endpoint(&endpoint.url);
    c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(WAIT));
    let first = sim.deliveries();
    let seqs: Vec<u64> = first.iter().map(|r| r.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]) && seqs[0] >= 1,
        "{seqs:?}"
    );
    let last = *seqs.last().unwrap();
    assert!(sim.deliveries_after(last).is_empty());
    c.trigger("WORKFLOW_STARTED");
    assert!(sim.wait_idle(WAIT));
    let newer = sim.deliveries_after(last);
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0].event_type, "WORKFLOW_STARTED");
    // A timeout too large for a deadline means "no deadline", not a panic.
    assert!(sim.wait_idle(Duration::MAX));
}

#[test]
fn out_of_range_settings_are_refused_at_start() {
    for f in [
        (|c: &mut SimConfig| c.retry_base = Duration::MAX) as fn(&mut SimConfig),
        |c| c.retry_cap = Duration::MAX,
        |c| c.delivery_timeout = Duration::MAX,
        |c| c.max_attempts = 0,
        |c| c.delivery_workers = 0,
        |c| c.delivery_workers = kompliant_sim::decided::MAX_DELIVERY_WORKERS + 1,
    ] {
        let mut config = SimConfig::default();
        f(&mut config);
        let Err(err) = Simulator::start(config) else {
            panic!("out-of-range settings were accepted")
        };
        assert_eq!(err.code(), "INVALID_CONFIGURATION");
    }
}
