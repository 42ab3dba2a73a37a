//! The SDK's own API client against the simulator over loopback HTTP: the whole key and
//! endpoint lifecycle, every documented error as a typed `ApiError`, a rotation with
//! webhooks in flight (none lost, none undecryptable), and redeliveries after receiver failures.

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{account, start_with, Receiver};
use kompliant_sim::Simulator;
use kompliant_webhooks::{
    ClientOptions, Credentials, ErrorCode, KeyStatus, Keyring, KompliantClient, RetryPolicy,
    WebhookReceiver,
};
use serde_json::json;

fn client_for(sim: &Simulator, n: u8) -> KompliantClient {
    let a = account(n);
    let options = ClientOptions {
        base_url: sim.base_url(),
        retry_base: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    KompliantClient::new(
        Credentials::new(
            a.api_key.clone(),
            a.secret_key.clone(),
            a.auth_token.clone(),
        )
        .unwrap(),
        options,
    )
    .unwrap()
}

fn trigger(client: &KompliantClient, event_type: &str) -> String {
    let data = client
        .call(
            "sim.event.trigger",
            json!({ "event_type": event_type }),
            RetryPolicy::OnlyIfNotSent,
        )
        .unwrap()
        .data;
    data["webhook_id"].as_str().unwrap().to_owned()
}

fn code<T: std::fmt::Debug>(result: Result<T, kompliant_webhooks::ApiError>) -> ErrorCode {
    result.unwrap_err().code()
}

#[test]
fn full_key_and_endpoint_lifecycle() {
    let sim = start_with(|_| {});
    let client = client_for(&sim, 1);
    let acct = account(1).account_id.clone();

    let version = client.check_version().unwrap();
    assert_eq!(version.current_version, "2025-03-24");

    let created = client.create_webhook_key(&acct).unwrap();
    assert_eq!(created.status, KeyStatus::Inactive);
    assert!(created.key_id.starts_with("whk_"));
    let info = client.get_webhook_key(&created.key_id).unwrap();
    assert_eq!(
        (info.status, info.activated_at),
        (KeyStatus::Inactive, None)
    );

    let activated = client.activate_webhook_key(&created.key_id).unwrap();
    assert_eq!(activated.status, KeyStatus::Active);
    // Activating the ACTIVE key again is a no-op (safe to retry).
    let again = client.activate_webhook_key(&created.key_id).unwrap();
    assert_eq!(again.activated_at, activated.activated_at);

    let url = "http://127.0.0.1:9/hook";
    let config_id = client.create_webhook_config(&acct, url).unwrap();
    assert!(config_id.starts_with("whc_"));
    assert_eq!(
        client.get_webhook_config(&acct, &config_id).unwrap().url,
        url
    );
    client
        .update_webhook_config(&acct, &config_id, "http://127.0.0.1:10/hook")
        .unwrap();
    let listed = client.list_webhook_configs(&acct).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].url, "http://127.0.0.1:10/hook");
    assert!(listed[0].updated_at.is_some());
    client.delete_webhook_config(&acct, &config_id).unwrap();
    assert!(client.list_webhook_configs(&acct).unwrap().is_empty());
    assert_eq!(
        code(client.get_webhook_config(&acct, &config_id)),
        ErrorCode::EntityNotFound
    );

    let keyring = Keyring::new();
    let rotation = client
        .rotate_webhook_key(&acct, |key_id, secret| keyring.add(key_id, secret))
        .unwrap();
    assert_eq!(
        rotation.previous_key_id.as_deref(),
        Some(created.key_id.as_str())
    );
    assert!(keyring.contains(&rotation.new_key_id));
    let old = client.get_webhook_key(&created.key_id).unwrap();
    assert_eq!(old.status, KeyStatus::Deleted);
    assert_eq!(
        old.deleted_at.as_deref(),
        Some(rotation.activated_at.as_str())
    );
    assert_eq!(
        code(client.activate_webhook_key(&created.key_id)),
        ErrorCode::KeyDeleted
    );
}

#[test]
fn every_documented_error_is_typed() {
    let sim = start_with(|_| {});
    let client = client_for(&sim, 1);
    let other = client_for(&sim, 2);
    let acct = account(1).account_id.clone();

    assert_eq!(
        code(client.get_webhook_key("whk_20250101_01")),
        ErrorCode::EntityNotFound
    );
    assert_eq!(
        code(client.get_webhook_key("not-a-key-id")),
        ErrorCode::BadRequest
    );
    let mine = client.create_webhook_key(&acct).unwrap();
    // Another account's key does not exist for these credentials.
    let err = other.get_webhook_key(&mine.key_id).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EntityNotFound);
    assert!(err.trace_id().is_some_and(|t| t.starts_with("trc_")));

    let bad = KompliantClient::new(
        Credentials::new(
            account(1).api_key.clone(),
            account(2).secret_key.clone(),
            account(1).auth_token.clone(),
        )
        .unwrap(),
        ClientOptions {
            base_url: sim.base_url(),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    assert_eq!(code(bad.check_version()), ErrorCode::Unauthorized);

    let url = "http://127.0.0.1:9/hook";
    client.create_webhook_config(&acct, url).unwrap();
    assert_eq!(
        code(client.create_webhook_config(&acct, url)),
        ErrorCode::UrlAlreadyExists
    );
    assert_eq!(
        code(client.create_webhook_config(&acct, "ftp://x")),
        ErrorCode::BadRequest
    );
    for i in 1..20 {
        client
            .create_webhook_config(&acct, &format!("http://127.0.0.1:9/hook{i}"))
            .unwrap();
    }
    assert_eq!(
        code(client.create_webhook_config(&acct, "http://127.0.0.1:9/more")),
        ErrorCode::MaxWebhookUrlLimit
    );

    // The daily limit: 100 creations per account per UTC day; `mine` was the first.
    for _ in 1..100 {
        client.create_webhook_key(&acct).unwrap();
    }
    let err = client.create_webhook_key(&acct).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DailyKeyLimit);
    assert_eq!(err.sub_code(), Some("DAILY_KEY_LIMIT"));
    assert_eq!(err.entity_type(), Some("Webhook Key"));
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.attempts(), 1, "a refused create is never retried");
}

/// A receiver that decrypts every delivery with `keyring`, failing the first `fail_first`.
fn decrypting_receiver(keyring: Keyring, fail_first: usize) -> (Receiver, Arc<AtomicUsize>) {
    let receiver = WebhookReceiver::new(keyring);
    let refused = Arc::new(AtomicUsize::new(0));
    let refused_count = Arc::clone(&refused);
    let endpoint = Receiver::new(move |request, index| {
        if index < fail_first {
            return Some(500);
        }
        match receiver.decrypt(&request.body) {
            Ok(_) => Some(200),
            Err(e) => {
                refused_count.fetch_add(1, Ordering::SeqCst);
                Some(e.http_status())
            }
        }
    });
    (endpoint, refused)
}

#[test]
fn rotation_with_webhooks_in_flight_loses_nothing() {
    let sim = start_with(|c| {
        c.retry_base = Duration::from_millis(30);
        c.retry_cap = Duration::from_millis(60);
        c.max_attempts = 20;
    });
    let client = client_for(&sim, 1);
    let acct = account(1).account_id.clone();
    let keyring = Keyring::new();
    let first = client.create_webhook_key(&acct).unwrap();
    keyring.add(&first.key_id, &first.secret).unwrap();
    client.activate_webhook_key(&first.key_id).unwrap();

    // The receiver fails the first 6 attempts, so events sealed with the first key are still
    // being redelivered when the rotation happens.
    let (endpoint, refused) = decrypting_receiver(keyring.clone(), 6);
    client.create_webhook_config(&acct, &endpoint.url).unwrap();
    let mut expected = BTreeSet::new();
    for event in [
        "WORKFLOW_CREATED",
        "WORKFLOW_STARTED",
        "SUBJECT_RECORD_DATA_UPDATED",
    ] {
        expected.insert(trigger(&client, event));
    }
    let before_rotation = expected.clone();
    let rotation = client
        .rotate_webhook_key(&acct, |key_id, secret| keyring.add(key_id, secret))
        .unwrap();
    for event in ["WORKFLOW_COMPLETED", "DOCUMENT_UPLOADED"] {
        expected.insert(trigger(&client, event));
    }
    assert!(
        sim.wait_idle(Duration::from_secs(20)),
        "deliveries still pending"
    );

    let receiver = WebhookReceiver::new(keyring);
    let mut decrypted = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for request in endpoint.received() {
        if let Ok(webhook) = receiver.decrypt(&request.body) {
            keys.insert(webhook.key_id().to_owned());
            decrypted.insert(webhook.id().to_owned());
            // Redeliveries re-send the envelope sealed for the first attempt: events from
            // before the rotation keep the first key, even when retried after it.
            let expected_key = if before_rotation.contains(webhook.id()) {
                &first.key_id
            } else {
                &rotation.new_key_id
            };
            assert_eq!(
                webhook.key_id(),
                expected_key,
                "retry {}",
                webhook.retry_count()
            );
        }
    }
    assert_eq!(decrypted, expected, "every webhook decrypted");
    assert_eq!(refused.load(Ordering::SeqCst), 0, "no delivery was refused");
    assert_eq!(
        keys,
        BTreeSet::from([first.key_id.clone(), rotation.new_key_id.clone()])
    );
}

#[test]
fn failed_deliveries_are_retried_with_the_same_envelope() {
    let sim = start_with(|c| c.max_attempts = 5);
    let client = client_for(&sim, 1);
    let acct = account(1).account_id.clone();
    let keyring = Keyring::new();
    client
        .rotate_webhook_key(&acct, |key_id, secret| keyring.add(key_id, secret))
        .unwrap();
    let (endpoint, _) = decrypting_receiver(keyring.clone(), 2);
    client.create_webhook_config(&acct, &endpoint.url).unwrap();
    let id = trigger(&client, "WORKFLOW_CREATED");

    let got = endpoint.wait_for(3, Duration::from_secs(10));
    assert_eq!(got.len(), 3);
    let receiver = WebhookReceiver::new(keyring);
    let webhooks: Vec<_> = got
        .iter()
        .map(|r| receiver.decrypt(&r.body).unwrap())
        .collect();
    assert_eq!(
        webhooks.iter().map(|w| w.retry_count()).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(webhooks
        .iter()
        .all(|w| w.id() == id && w.payload_str() == webhooks[0].payload_str()));
    let data: BTreeSet<_> = got
        .iter()
        .map(|r| r.json()["data"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(data.len(), 1, "the same sealed data on every attempt");
}
