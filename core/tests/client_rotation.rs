//! Key rotation: create → store → probe → activate, and never an activation of a key whose
//! secret was not stored.

// Test helpers outside #[test] functions may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod client_support;

use std::cell::RefCell;

use client_support::*;
use kompliant_webhooks::{ErrorCode, Keyring, WebhookSecret};

#[test]
fn rotation_creates_then_stores_then_activates() {
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk_20251121_02", &shared_secret(9))),
        Reply::ok(activated_key("whk_20251121_02", Some("whk_20251121_01"))),
    ]);
    let client = server.client();
    let stored: RefCell<Vec<(String, usize, usize)>> = RefCell::new(Vec::new());
    let keyring = Keyring::new();
    let rotation = client
        .rotate_webhook_key("sb_123", |key_id: &str, secret: &WebhookSecret| {
            // At store time only the create reached the server.
            stored.borrow_mut().push((
                key_id.to_owned(),
                secret.expose_bytes().len(),
                server.requests().len(),
            ));
            keyring.add(key_id, secret).map_err(|e| e.to_string())
        })
        .unwrap();

    assert_eq!(*stored.borrow(), [("whk_20251121_02".to_owned(), 32, 1)]);
    assert!(keyring.contains("whk_20251121_02"));
    assert_eq!(rotation.new_key_id, "whk_20251121_02");
    assert_eq!(rotation.previous_key_id.as_deref(), Some("whk_20251121_01"));
    assert_eq!(rotation.activated_at, "2025-11-21T14:31:00Z");
    assert_eq!(
        server.paths(),
        ["/webhook.key.create", "/webhook.key.activate"]
    );
    assert_eq!(
        server.requests()[1].json(),
        serde_json::json!({"key_id": "whk_20251121_02"})
    );
}

#[test]
fn a_failed_store_is_store_failed_and_nothing_is_activated() {
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk_20251121_02", &shared_secret(9))),
        Reply::ok(activated_key("whk_20251121_02", None)),
    ]);
    let e = server
        .client()
        .rotate_webhook_key("sb_123", |_: &str, _: &WebhookSecret| {
            Err("vault is sealed")
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreFailed);
    let msg = e.to_string();
    assert!(msg.contains("whk_20251121_02"), "{msg}");
    assert!(msg.contains("vault is sealed"), "{msg}");
    assert!(msg.contains("NOT activated"), "{msg}");
    assert!(!msg.contains(&shared_secret(9)), "{msg}");
    assert_eq!(server.paths(), ["/webhook.key.create"]);
}

#[test]
fn a_failed_create_never_calls_the_store() {
    let server = FakeServer::start(vec![Reply::error(
        400,
        "SYSTEM_RULE_VIOLATION",
        Some("DAILY_KEY_LIMIT"),
        "Maximum daily key creation limit reached",
    )]);
    let mut called = false;
    let e = server
        .client()
        .rotate_webhook_key("sb_123", |_: &str, _: &WebhookSecret| {
            called = true;
            Ok::<(), String>(())
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::DailyKeyLimit);
    assert!(!called);
}

#[test]
fn a_failed_activation_names_the_stored_key() {
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk_20251121_02", &shared_secret(9))),
        Reply::error(
            400,
            "SYSTEM_RULE_VIOLATION",
            Some("KEY_DELETED"),
            "key is deleted",
        ),
    ]);
    let e = server
        .client()
        .rotate_webhook_key("sb_123", |_: &str, _: &WebhookSecret| Ok::<(), String>(()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyDeleted);
    assert_eq!(e.method(), Some("webhook.key.activate"));
    assert!(e.message().contains("whk_20251121_02"), "{e}");
    assert!(e.message().contains("NOT activated"), "{e}");
}

#[test]
fn a_key_id_receivers_cannot_use_is_never_activated() {
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk 2025/11/21", &shared_secret(9))),
        Reply::ok(activated_key("whk 2025/11/21", None)),
    ]);
    let stored = RefCell::new(false);
    let e = server
        .client()
        .rotate_webhook_key("sb_123", |_: &str, _: &WebhookSecret| {
            *stored.borrow_mut() = true;
            Ok::<(), String>(())
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(
        !*stored.borrow(),
        "a key id no keyring accepts is refused before the store step"
    );
    assert_eq!(server.paths(), ["/webhook.key.create"]);
}

#[test]
fn the_two_phase_rotation_activates_only_on_finish() {
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk_20251121_02", &shared_secret(9))),
        Reply::ok(activated_key("whk_20251121_02", Some("whk_20251121_01"))),
    ]);
    let client = server.client();
    let pending = client.start_rotation("sb_123").unwrap();
    assert_eq!(pending.key_id(), "whk_20251121_02");
    assert_eq!(pending.secret().expose_bytes().len(), 32);
    assert!(!format!("{pending:?}").contains(&shared_secret(9)));
    assert_eq!(server.paths(), ["/webhook.key.create"]);
    let rotation = pending.finish().unwrap();
    assert_eq!(rotation.new_key_id, "whk_20251121_02");
    assert_eq!(
        server.paths(),
        ["/webhook.key.create", "/webhook.key.activate"]
    );
}

#[test]
fn an_abandoned_two_phase_rotation_reports_store_failed_and_activates_nothing() {
    let server = FakeServer::start(vec![Reply::ok(created_key(
        "whk_20251121_02",
        &shared_secret(9),
    ))]);
    let client = server.client();
    let pending = client.start_rotation("sb_123").unwrap();
    let err = pending.store_failed(&"vault is sealed");
    assert_eq!(err.code(), ErrorCode::StoreFailed);
    assert!(
        err.to_string().contains("whk_20251121_02") && err.to_string().contains("vault is sealed")
    );
    assert_eq!(server.paths(), ["/webhook.key.create"]);
}

#[test]
fn a_store_error_quoting_the_secret_or_credentials_is_masked() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    let server = FakeServer::start(vec![Reply::ok(created_key(
        "whk_20251121_02",
        &shared_secret(0xfb),
    ))]);
    let client = server.client();
    let pending = client.start_rotation("sb_123").unwrap();
    let raw = *pending.secret().expose_bytes();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let message = format!(
        "vault refused {} / {} / {hex} / {}\nfake log line",
        STANDARD.encode(raw),
        URL_SAFE_NO_PAD.encode(raw),
        hex.to_uppercase()
    );
    let err = pending.store_failed(&message);
    let text = err.to_string();
    assert_eq!(err.code(), ErrorCode::StoreFailed);
    assert!(!text.contains(&STANDARD.encode(raw)), "{text}");
    assert!(!text.contains(&URL_SAFE_NO_PAD.encode(raw)), "{text}");
    assert!(!text.to_lowercase().contains(&hex), "{text}");
    assert_eq!(text.matches("[REDACTED]").count(), 4, "{text}");
    assert!(
        text.contains("[REDACTED]") && !text.contains('\n'),
        "{text}"
    );
}
