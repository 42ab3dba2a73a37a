//! The simulator's web inspector over HTTP (the browser test, tests/inspector, drives the
//! page itself): what its state shows, that it never shows a secret, its actions, and that
//! it answers only local requests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{account, raw, start_with, Client, Receiver};
use serde_json::{json, Value};

/// `request` with the Host of the simulator's own address.
fn local(sim: &kompliant_sim::Simulator, head: &str, body: &str) -> (u16, String) {
    let host = sim.base_url().trim_start_matches("http://").to_owned();
    let request = format!(
        "{head}\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(sim, request.as_bytes(), Duration::from_secs(5))
}

fn state(sim: &kompliant_sim::Simulator) -> Value {
    let (status, body) = local(sim, "GET /_inspect/api/state HTTP/1.1", "");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["data"].clone()
}

fn action(sim: &kompliant_sim::Simulator, name: &str, body: Value) -> (u16, Value) {
    let (status, text) = local(
        sim,
        &format!("POST /_inspect/api/{name} HTTP/1.1\r\nX-Kompliant-Inspector: 1"),
        &body.to_string(),
    );
    (status, serde_json::from_str(&text).unwrap())
}

#[test]
fn the_inspector_shows_keys_endpoints_and_deliveries_and_acts() {
    let sim = start_with(|c| {
        c.accounts = vec![account(1)];
        c.retry_base = Duration::from_millis(20);
    });
    let client = Client::new(&sim, account(1));
    let (first, secret) = client.active_key();
    let receiver = Receiver::status(200);
    let config_id = client.endpoint(&receiver.url);

    // The page: HTML, framed by nobody, with its script inline.
    let (status, page) = local(&sim, "GET / HTTP/1.1", "");
    assert_eq!(status, 200);
    assert!(page.contains("<title>Kompliant simulator"), "{page}");

    // Actions: trigger, then redeliver what was triggered.
    let (status, triggered) = action(
        &sim,
        "trigger",
        json!({"account_id": client.id(), "event_type": "WORKFLOW_CREATED"}),
    );
    assert_eq!(status, 200, "{triggered}");
    let webhook_id = triggered["data"]["webhook_id"].as_str().unwrap().to_owned();
    receiver.wait_for(1, Duration::from_secs(10));
    let (status, redelivered) = action(&sim, "redeliver", json!({"webhook_id": webhook_id}));
    assert_eq!(
        (status, &redelivered["data"]["deliveries"]),
        (200, &json!(1))
    );
    let got = receiver.wait_for(2, Duration::from_secs(10));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "the same sealed envelope again");
    let (status, faults) = action(
        &sim,
        "faults",
        json!({"account_id": client.id(), "forge": 2}),
    );
    assert_eq!((status, &faults["data"]["forge"]), (200, &json!(2)));

    // A second key, activated: the state shows the rotation.
    let second = client.ok("webhook.key.create", json!({"account_id": client.id()}));
    let second_id = second["key_id"].as_str().unwrap().to_owned();
    client.ok("webhook.key.activate", json!({"key_id": second_id}));
    assert!(sim.wait_idle(Duration::from_secs(10)));
    let state = state(&sim);
    let shown = &state["accounts"][0];
    assert_eq!(shown["account_id"], client.id());
    let statuses: Vec<(String, String)> = shown["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key_id"].as_str().unwrap().to_owned(),
                k["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (first.clone(), "DELETED".to_owned()),
            (second_id.clone(), "ACTIVE".to_owned())
        ]
    );
    assert_eq!(
        shown["keys"][0]["deleted_at"],
        shown["keys"][1]["activated_at"]
    );
    assert_eq!(
        (&shown["keys_created_today"], &shown["daily_key_limit"]),
        (&json!(2), &json!(100))
    );
    assert_eq!(shown["endpoints"][0]["config_id"], config_id.as_str());
    assert_eq!(shown["faults"]["forge"], 2);
    let deliveries = state["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries
        .iter()
        .all(|d| d["webhook_id"] == webhook_id.as_str()
            && d["outcome"]["result"] == "DELIVERED"
            && d["latency_ms"].is_u64()));
    assert_eq!(state["event_types"][0], "WORKFLOW_CREATED");

    // Never a secret: not the keys', not the account's credentials.
    let text = state.to_string();
    assert!(!text.contains(&secret));
    assert!(!text.contains(second["shared_secret"].as_str().unwrap()));
    assert!(!text.contains(&account(1).secret_key));
    assert!(!text.contains(&account(1).auth_token));

    // Bad actions: typed errors, not crashes.
    for (name, body, want) in [
        ("redeliver", json!({"webhook_id": "wh_unknown"}), 404),
        (
            "trigger",
            json!({"account_id": "sb_nobody", "event_type": "X"}),
            400,
        ),
        (
            "trigger",
            json!({"account_id": client.id(), "event_type": "bad type"}),
            400,
        ),
        ("nothing", json!({}), 404),
    ] {
        assert_eq!(action(&sim, name, body).0, want, "{name}");
    }
}

#[test]
fn the_inspector_answers_local_requests_only() {
    let sim = start_with(|c| c.accounts = vec![account(1)]);
    // Another Host (a DNS-rebinding page): refused.
    let request = "GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n";
    assert_eq!(raw(&sim, request.as_bytes(), Duration::from_secs(5)).0, 403);
    // An action without the inspector header (a cross-site form): refused, nothing done.
    let body =
        json!({"account_id": account(1).account_id, "event_type": "WORKFLOW_CREATED"}).to_string();
    let (status, _) = local(&sim, "POST /_inspect/api/trigger HTTP/1.1", &body);
    assert_eq!(status, 403);
    assert!(sim.events().is_empty());
    // The API is untouched: a GET elsewhere is still 405, a POST to / still an unknown method.
    assert_eq!(local(&sim, "GET /webhook.key.get HTTP/1.1", "").0, 405);
    assert_eq!(local(&sim, "POST / HTTP/1.1", "{}").0, 404);
}
