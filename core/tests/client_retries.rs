//! Retries and idempotency: safe calls retry transient failures, creates and deletes retry
//! only what provably never reached the server; timeouts and refused connections.

// Test helpers outside #[test] functions may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod client_support;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use client_support::*;
use kompliant_webhooks::ErrorCode;
use serde_json::json;

fn key_info() -> serde_json::Value {
    json!({"key_id": "whk_20251121_01", "status": "ACTIVE", "created_at": "c", "activated_at": "a"})
}

#[test]
fn safe_calls_retry_transient_statuses() {
    let server = FakeServer::start(vec![
        Reply::raw(503, "<html>down</html>"),
        Reply::error(500, "INTERNAL", None, "oops"),
        Reply::raw(504, ""),
        Reply::ok(key_info()),
    ]);
    let info = server.client().get_webhook_key("whk_20251121_01").unwrap();
    assert_eq!(info.key_id, "whk_20251121_01");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn activate_is_retried_after_throttling_and_server_errors() {
    let server = FakeServer::start(vec![
        Reply::raw(429, ""),
        Reply::raw(502, "bad gateway"),
        Reply::ok(activated_key("whk_20251121_01", None)),
    ]);
    server
        .client()
        .activate_webhook_key("whk_20251121_01")
        .unwrap();
    assert_eq!(server.paths(), ["/webhook.key.activate"; 3]);
}

#[test]
fn config_reads_and_updates_are_retried() {
    let server = FakeServer::start(vec![
        Reply::raw(503, ""),
        Reply::ok(json!({"configs": []})),
        Reply::raw(503, ""),
        Reply::ok(json!({})),
        Reply::raw(500, ""),
        Reply::ok(json!({"current_version": "a", "latest_version": "b"})),
    ]);
    let client = server.client();
    assert!(client.list_webhook_configs("sb_1").unwrap().is_empty());
    client
        .update_webhook_config("sb_1", "whc_1", "https://x.example")
        .unwrap();
    client.check_version().unwrap();
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn create_is_not_retried_after_a_503() {
    let server = FakeServer::start(vec![
        Reply::raw(503, ""),
        Reply::ok(created_key("whk_20251121_02", &shared_secret(1))),
    ]);
    let e = server.client().create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn config_create_and_delete_are_not_retried_after_a_server_error() {
    let server = FakeServer::start(vec![
        Reply::raw(500, ""),
        Reply::raw(429, ""),
        Reply::ok(json!({})),
    ]);
    let client = server.client();
    assert_eq!(
        client
            .create_webhook_config("sb_1", "https://x.example")
            .unwrap_err()
            .code(),
        ErrorCode::ServerError
    );
    assert_eq!(
        client
            .delete_webhook_config("sb_1", "whc_1")
            .unwrap_err()
            .code(),
        ErrorCode::RateLimited
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn retries_stop_after_max_retries() {
    let server = FakeServer::start(vec![Reply::raw(503, ""); 5]);
    let e = server
        .client_with(|o| o.max_retries = 2)
        .get_webhook_key("whk_1")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.attempts(), 3);
    assert!(e.to_string().contains("3 attempts"), "{e}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn client_errors_are_never_retried() {
    let server = FakeServer::start(vec![
        Reply::error(400, "ENTITY_NOT_FOUND", None, "no such key"),
        Reply::error(400, "SYSTEM_RULE_VIOLATION", Some("KEY_DELETED"), "deleted"),
        Reply::raw(401, ""),
        Reply::ok(key_info()),
    ]);
    let client = server.client();
    assert_eq!(
        client.get_webhook_key("whk_1").unwrap_err().code(),
        ErrorCode::EntityNotFound
    );
    assert_eq!(
        client.activate_webhook_key("whk_1").unwrap_err().code(),
        ErrorCode::KeyDeleted
    );
    assert_eq!(
        client.get_webhook_key("whk_1").unwrap_err().code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn retry_after_is_honoured() {
    let server = FakeServer::start(vec![
        Reply::raw(429, "").with_header("Retry-After", "1"),
        Reply::ok(key_info()),
    ]);
    let client = server.client_with(|o| o.retry_max_delay = Duration::from_secs(10));
    let started = Instant::now();
    client.get_webhook_key("whk_1").unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retry_after_is_capped_at_the_max_delay() {
    let server = FakeServer::start(vec![
        Reply::raw(503, "").with_header("Retry-After", "3600"),
        Reply::ok(key_info()),
    ]);
    let client = server.client_with(|o| o.retry_max_delay = Duration::from_millis(50));
    let started = Instant::now();
    client.get_webhook_key("whk_1").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_refused_connection_is_connection_failed_and_retried_even_for_create() {
    let url = closed_port_url();
    let e = client_for(&url, |o| o.max_retries = 2)
        .create_webhook_key("sb_123")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionFailed);
    assert_eq!(e.http_status(), None);
    // Connection refused: the request provably never left, so even a create is retried.
    assert_eq!(e.attempts(), 3);
    assert_eq!(e.method(), Some("webhook.key.create"));
}

#[test]
fn an_unresolvable_host_is_retried_even_for_create() {
    // `.invalid` never resolves (RFC 6761): a DNS failure, or a resolve timeout where DNS
    // is unreachable. Either way no connection existed, so the create was retried.
    let client = client_for("https://kompliant-sdk-test.invalid", |o| o.max_retries = 1);
    let e = client.create_webhook_key("sb_123").unwrap_err();
    assert!(
        matches!(e.code(), ErrorCode::ConnectionFailed | ErrorCode::Timeout),
        "{e}"
    );
    assert_eq!(e.attempts(), 2, "{e}");
}

#[test]
fn create_is_retried_until_the_server_listens_and_sent_once() {
    let url = closed_port_url();
    let addr = url.trim_start_matches("http://").to_owned();
    let server_url = url.clone();
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        let listener = TcpListener::bind(&addr).unwrap();
        FakeServer::serve(
            listener,
            server_url,
            vec![Reply::ok(created_key("whk_20251121_01", &shared_secret(3)))],
        )
    });
    let client = client_for(&url, |o| {
        o.max_retries = 200;
        o.retry_base = Duration::from_millis(10);
        o.retry_max_delay = Duration::from_millis(40);
    });
    let created = client.create_webhook_key("sb_123").unwrap();
    assert_eq!(created.key_id, "whk_20251121_01");
    let server = late.join().unwrap();
    assert_eq!(server.paths(), ["/webhook.key.create"]);
}

#[test]
fn a_silent_server_is_a_timeout_and_create_is_not_retried() {
    let server = FakeServer::start(vec![
        Reply::Hang(Duration::from_secs(2)),
        Reply::ok(created_key("whk_20251121_02", &shared_secret(1))),
    ]);
    let client = server.client_with(|o| o.timeout = Duration::from_millis(300));
    let started = Instant::now();
    let e = client.create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    assert_eq!(e.attempts(), 1);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_safe_call_is_retried_after_a_timeout() {
    // One server thread: the retry waits in the listen backlog until the hang ends (500 ms),
    // well within its own 400 ms timeout that starts at ~400 ms.
    let server = FakeServer::start(vec![
        Reply::Hang(Duration::from_millis(500)),
        Reply::ok(key_info()),
    ]);
    let client = server.client_with(|o| o.timeout = Duration::from_millis(400));
    client.get_webhook_key("whk_1").unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_dropped_connection_is_retried_for_get_but_not_for_create() {
    let server = FakeServer::start(vec![Reply::Close, Reply::ok(key_info()), Reply::Close]);
    let client = server.client();
    client.get_webhook_key("whk_1").unwrap();
    let e = client.create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionFailed);
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.requests().len(), 3);
}
