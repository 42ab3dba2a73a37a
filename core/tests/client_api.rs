//! The API client against a scripted fake server: request signing and headers, typed
//! results, and the mapping of every kind of error answer to a stable code.

// Test helpers outside #[test] functions may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod client_support;

use std::ffi::OsString;
use std::time::Duration;

use client_support::*;
use kompliant_webhooks::client::sign;
use kompliant_webhooks::{ErrorCode, KeyStatus, KompliantClient, RetryPolicy};
use serde_json::json;

#[test]
fn signature_matches_independent_vectors() {
    // Both computed with Python's hmac/hashlib/base64, not with this crate:
    // key = bytes(range(32)) and key = bytes(range(100)) (longer than SHA-256's block).
    assert_eq!(sign(API_KEY, &(0u8..32).collect::<Vec<_>>()), SIGNATURE);
    assert_eq!(
        sign(API_KEY, &(0u8..100).collect::<Vec<_>>()),
        "Jiub4SQ18yFGQh1XOql/uBW/20rqntCTeL6A0vhmQNY="
    );
}

#[test]
fn every_request_is_a_signed_json_post_with_the_pinned_version() {
    let server = FakeServer::start(vec![Reply::ok(created_key(
        "whk_20251121_01",
        &shared_secret(7),
    ))]);
    server.client().create_webhook_key("sb_123").unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/webhook.key.create");
    assert_eq!(r.header("Content-Type"), "application/json");
    assert_eq!(r.header("X-API-Key"), API_KEY);
    assert_eq!(r.header("X-API-Auth-Token"), AUTH_TOKEN);
    assert_eq!(r.header("X-API-Signed-Elements"), "API-Key");
    assert_eq!(r.header("X-API-Version"), "2025-03-24");
    assert_eq!(
        r.header("Authorization"),
        format!("KSig1-HMAC-SHA256 {SIGNATURE}")
    );
    assert!(r
        .header("User-Agent")
        .starts_with("kompliant-webhooks-rust/"));
    assert_eq!(r.json(), json!({"account_id": "sb_123"}));
}

#[test]
fn a_base_url_path_prefix_is_kept() {
    let server = FakeServer::start(vec![Reply::ok(
        json!({"current_version": "a", "latest_version": "b"}),
    )]);
    let client = client_for(&format!("{}/kompliant/", server.url), |_| {});
    client.check_version().unwrap();
    assert_eq!(server.paths(), ["/kompliant/meta.checkVersion"]);
}

#[test]
fn typed_results_are_read_and_unknown_fields_ignored() {
    let extra = |mut v: serde_json::Value| {
        v["field_from_the_future"] = json!({"nested": [1, 2]});
        v
    };
    let config = json!({"config_id": "whc_1", "url": "https://a.example/hook", "created_at": "2025-11-21T00:00:00Z"});
    let server = FakeServer::start(vec![
        Reply::json(
            200,
            json!({"meta": {"status": "SUCCESS", "trace_id": "trc_1", "warnings": ["deprecated"], "new": 1},
                   "data": extra(created_key("whk_20251121_01", &shared_secret(7))), "top_level_extra": true}),
        ),
        Reply::ok(extra(activated_key(
            "whk_20251121_01",
            Some("whk_20251120_03"),
        ))),
        Reply::ok(activated_key("whk_20251121_01", None)),
        Reply::ok(extra(
            json!({"key_id": "whk_20251120_03", "status": "DELETED", "created_at": "c",
                               "activated_at": "a", "deleted_at": "d"}),
        )),
        Reply::ok(
            json!({"key_id": "whk_20251121_02", "status": "SUSPENDED", "created_at": "c", "activated_at": null}),
        ),
        Reply::ok(json!({"config_id": "whc_1"})),
        Reply::ok(extra(config.clone())),
        Reply::ok(json!({"configs": [extra(config.clone()),
            {"config_id": "whc_2", "url": "https://b.example/hook", "created_at": "c", "updated_at": "u"}]})),
        Reply::ok(json!({})),
        Reply::json(200, json!({"meta": {"status": "SUCCESS"}})),
        Reply::ok(json!({"current_version": "2025-03-24", "latest_version": "2025-06-01"})),
    ]);
    let client = server.client();

    let created = client.create_webhook_key("sb_123").unwrap();
    assert_eq!(created.key_id, "whk_20251121_01");
    assert_eq!(created.status, KeyStatus::Inactive);
    assert_eq!(created.secret.expose_bytes(), &[7u8; 32]);
    assert_eq!(created.created_at, "2025-11-21T14:30:22.123Z");

    let activated = client.activate_webhook_key("whk_20251121_01").unwrap();
    assert_eq!(activated.status, KeyStatus::Active);
    assert_eq!(
        activated.previous_key_id.as_deref(),
        Some("whk_20251120_03")
    );
    let activated = client.activate_webhook_key("whk_20251121_01").unwrap();
    assert_eq!(activated.previous_key_id, None);
    assert_eq!(activated.activated_at, "2025-11-21T14:31:00Z");

    let info = client.get_webhook_key("whk_20251120_03").unwrap();
    assert_eq!(info.status, KeyStatus::Deleted);
    assert_eq!(
        (info.activated_at.as_deref(), info.deleted_at.as_deref()),
        (Some("a"), Some("d"))
    );
    let info = client.get_webhook_key("whk_20251121_02").unwrap();
    assert_eq!(info.status, KeyStatus::Other("SUSPENDED".into()));
    assert_eq!(info.status.as_str(), "SUSPENDED");
    assert_eq!((info.activated_at, info.deleted_at), (None, None));

    assert_eq!(
        client
            .create_webhook_config("sb_123", "https://a.example/hook")
            .unwrap(),
        "whc_1"
    );
    let got = client.get_webhook_config("sb_123", "whc_1").unwrap();
    assert_eq!(
        (got.url.as_str(), got.updated_at),
        ("https://a.example/hook", None)
    );
    let list = client.list_webhook_configs("sb_123").unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].updated_at.as_deref(), Some("u"));
    client
        .update_webhook_config("sb_123", "whc_1", "https://c.example/hook")
        .unwrap();
    client.delete_webhook_config("sb_123", "whc_1").unwrap();
    let version = client.check_version().unwrap();
    assert_eq!(
        (
            version.current_version.as_str(),
            version.latest_version.as_str()
        ),
        ("2025-03-24", "2025-06-01")
    );

    let requests = server.requests();
    let sent: Vec<(String, serde_json::Value)> = requests
        .iter()
        .map(|r| (r.path.clone(), r.json()))
        .collect();
    assert_eq!(
        sent,
        [
            (
                "/webhook.key.create".into(),
                json!({"account_id": "sb_123"})
            ),
            (
                "/webhook.key.activate".into(),
                json!({"key_id": "whk_20251121_01"})
            ),
            (
                "/webhook.key.activate".into(),
                json!({"key_id": "whk_20251121_01"})
            ),
            (
                "/webhook.key.get".into(),
                json!({"key_id": "whk_20251120_03"})
            ),
            (
                "/webhook.key.get".into(),
                json!({"key_id": "whk_20251121_02"})
            ),
            (
                "/webhook.config.create".into(),
                json!({"account_id": "sb_123", "config": {"url": "https://a.example/hook"}})
            ),
            (
                "/webhook.config.get".into(),
                json!({"account_id": "sb_123", "config_id": "whc_1"})
            ),
            (
                "/webhook.config.list".into(),
                json!({"account_id": "sb_123"})
            ),
            (
                "/webhook.config.update".into(),
                json!({"account_id": "sb_123", "config_id": "whc_1", "config": {"url": "https://c.example/hook"}})
            ),
            (
                "/webhook.config.delete".into(),
                json!({"account_id": "sb_123", "config_id": "whc_1"})
            ),
            ("/meta.checkVersion".into(), json!({})),
        ]
    );
}

#[test]
fn the_generic_call_returns_data_trace_id_and_warnings() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({"meta": {"status": "SUCCESS", "trace_id": "trc_9", "warnings": [{"code": "W1"}]},
               "data": {"delivered": 2}}),
    )]);
    let client = server.client();
    let answer = client
        .call(
            "sim.event.trigger",
            json!({"event_type": "WORKFLOW_CREATED"}),
            RetryPolicy::OnlyIfNotSent,
        )
        .unwrap();
    assert_eq!(answer.data, json!({"delivered": 2}));
    assert_eq!(answer.trace_id.as_deref(), Some("trc_9"));
    assert_eq!(answer.warnings, [json!({"code": "W1"})]);
    assert_eq!(server.paths(), ["/sim.event.trigger"]);

    let e = client
        .call("../etc/passwd", json!({}), RetryPolicy::Safe)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConfiguration);
    assert_eq!(e.attempts(), 0);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_secret_that_is_not_32_bytes_is_invalid_response_without_echo() {
    let short = base64_of(b"not-a-real-32-byte-secret");
    let server = FakeServer::start(vec![
        Reply::ok(created_key("whk_20251121_01", &short)),
        Reply::ok(created_key("whk_20251121_02", "%%%not base64%%%")),
    ]);
    let client = server.client();
    let e = client.create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(e.to_string().contains("25 bytes"), "{e}");
    assert!(!e.to_string().contains(&short), "{e}");
    assert!(!format!("{e:?}").contains(&short), "{e:?}");
    let e = client.create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(!e.to_string().contains("not base64%"), "{e}");
}

#[test]
fn missing_or_mistyped_fields_are_invalid_response_naming_the_field() {
    let server = FakeServer::start(vec![
        Reply::ok(json!({"key_id": "whk_1", "created_at": "c"})),
        Reply::ok(json!({"key_id": "whk_1", "status": 5, "created_at": "c"})),
        Reply::ok(json!({"configs": [{"config_id": "whc_1", "url": "u"}]})),
        Reply::ok(json!("just a string")),
    ]);
    let client = server.client();
    let e = client.get_webhook_key("whk_1").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(e.to_string().contains("data.status is missing"), "{e}");
    assert_eq!(e.trace_id(), Some("trc_ok"));
    let e = client.get_webhook_key("whk_1").unwrap_err();
    assert!(e.to_string().contains("data.status is a number"), "{e}");
    let e = client.list_webhook_configs("sb_123").unwrap_err();
    assert!(
        e.to_string()
            .contains("data.configs[0].created_at is missing"),
        "{e}"
    );
    let e = client.check_version().unwrap_err();
    assert!(e.to_string().contains("data is a string"), "{e}");
    assert_eq!(e.method(), Some("meta.checkVersion"));
}

struct Case {
    reply: Reply,
    code: ErrorCode,
    status: Option<u16>,
    server_code: Option<&'static str>,
    sub_code: Option<&'static str>,
    trace_id: Option<&'static str>,
}

fn case(reply: Reply, code: ErrorCode, status: u16) -> Case {
    Case {
        reply,
        code,
        status: Some(status),
        server_code: None,
        sub_code: None,
        trace_id: None,
    }
}

fn enveloped(
    status: u16,
    server: &'static str,
    sub: Option<&'static str>,
    code: ErrorCode,
) -> Case {
    Case {
        reply: Reply::error(status, server, sub, "scripted message"),
        code,
        status: Some(status),
        server_code: Some(server),
        sub_code: sub,
        trace_id: Some("trc_err"),
    }
}

#[test]
fn every_error_answer_maps_to_a_stable_code() {
    let cases = vec![
        enveloped(
            400,
            "SYSTEM_RULE_VIOLATION",
            Some("DAILY_KEY_LIMIT"),
            ErrorCode::DailyKeyLimit,
        ),
        enveloped(
            400,
            "SYSTEM_RULE_VIOLATION",
            Some("KEY_DELETED"),
            ErrorCode::KeyDeleted,
        ),
        enveloped(
            400,
            "SYSTEM_RULE_VIOLATION",
            Some("SOME_NEW_RULE"),
            ErrorCode::SystemRuleViolation,
        ),
        enveloped(
            400,
            "SYSTEM_RULE_VIOLATION",
            Some("URL_ALREADY_EXISTS"),
            ErrorCode::UrlAlreadyExists,
        ),
        enveloped(400, "URL_ALREADY_EXISTS", None, ErrorCode::UrlAlreadyExists),
        enveloped(
            400,
            "MAX_WEBHOOK_URL_LIMIT",
            None,
            ErrorCode::MaxWebhookUrlLimit,
        ),
        enveloped(400, "ENTITY_NOT_FOUND", None, ErrorCode::EntityNotFound),
        enveloped(404, "ENTITY_NOT_FOUND", None, ErrorCode::EntityNotFound),
        enveloped(400, "BAD_REQUEST", None, ErrorCode::BadRequest),
        enveloped(400, "A_CODE_FROM_THE_FUTURE", None, ErrorCode::BadRequest),
        enveloped(401, "UNAUTHORIZED", None, ErrorCode::Unauthorized),
        enveloped(401, "INVALID_SIGNATURE", None, ErrorCode::Unauthorized),
        enveloped(403, "FORBIDDEN", None, ErrorCode::Forbidden),
        enveloped(503, "SERVICE_UNAVAILABLE", None, ErrorCode::ServerError),
        case(Reply::raw(401, ""), ErrorCode::Unauthorized, 401),
        case(
            Reply::raw(403, "<html>Forbidden</html>"),
            ErrorCode::Forbidden,
            403,
        ),
        case(
            Reply::raw(413, "<html>Request Entity Too Large</html>"),
            ErrorCode::BadRequest,
            413,
        ),
        case(Reply::raw(415, ""), ErrorCode::BadRequest, 415),
        case(
            Reply::raw(404, "<html>Not Found</html>"),
            ErrorCode::InvalidResponse,
            404,
        ),
        case(Reply::raw(429, "slow down"), ErrorCode::RateLimited, 429),
        case(
            Reply::raw(500, "{\"error\": \"internal\"}"),
            ErrorCode::ServerError,
            500,
        ),
        case(
            Reply::raw(502, "<html><body>Bad Gateway</body></html>"),
            ErrorCode::ServerError,
            502,
        ),
        case(
            Reply::raw(503, "<!DOCTYPE html><title>Maintenance</title>"),
            ErrorCode::ServerError,
            503,
        ),
        case(Reply::raw(504, ""), ErrorCode::ServerError, 504),
        case(Reply::raw(500, "{\"meta\":"), ErrorCode::ServerError, 500),
        case(Reply::raw(200, ""), ErrorCode::InvalidResponse, 200),
        case(
            Reply::raw(200, "<html>OK</html>"),
            ErrorCode::InvalidResponse,
            200,
        ),
        case(Reply::raw(200, "[1,2]"), ErrorCode::InvalidResponse, 200),
        case(
            Reply::json(200, json!({"data": {}})),
            ErrorCode::InvalidResponse,
            200,
        ),
        case(
            Reply::json(
                200,
                json!({"meta": {"status": "ERROR"}, "errors": [{"code": "ODD"}]}),
            ),
            ErrorCode::InvalidResponse,
            200,
        ),
        case(Reply::raw(204, ""), ErrorCode::InvalidResponse, 204),
        case(
            Reply::raw(302, "").with_header("Location", "https://elsewhere.example/"),
            ErrorCode::InvalidResponse,
            302,
        ),
    ];
    let server = FakeServer::start(cases.iter().map(|c| c.reply.clone()).collect());
    let client = server.client_with(|o| o.max_retries = 0);
    for (i, c) in cases.iter().enumerate() {
        let e = client.check_version().unwrap_err();
        let label = format!("case {i} {:?}: {e}", c.reply);
        assert_eq!(e.code(), c.code, "{label}");
        assert_eq!(e.http_status(), c.status, "{label}");
        assert_eq!(e.server_code(), c.server_code, "{label}");
        assert_eq!(e.sub_code(), c.sub_code, "{label}");
        assert_eq!(e.trace_id(), c.trace_id, "{label}");
        assert_eq!(e.method(), Some("meta.checkVersion"), "{label}");
        assert_eq!(e.attempts(), 1, "{label}");
        if c.server_code.is_some() {
            assert_eq!(e.message(), "scripted message", "{label}");
        }
        if c.sub_code.is_some() {
            assert_eq!(e.entity_type(), Some("Webhook Key"), "{label}");
        }
    }
    assert_eq!(server.requests().len(), cases.len());
}

#[test]
fn the_daily_key_limit_error_reads_well() {
    let server = FakeServer::start(vec![Reply::error(
        400,
        "SYSTEM_RULE_VIOLATION",
        Some("DAILY_KEY_LIMIT"),
        "Maximum daily key creation limit reached",
    )]);
    let e = server.client().create_webhook_key("sb_123").unwrap_err();
    assert_eq!(e.code(), ErrorCode::DailyKeyLimit);
    assert_eq!(e.code().as_str(), "DAILY_KEY_LIMIT");
    assert_eq!(
        e.to_string(),
        "webhook.key.create: DAILY_KEY_LIMIT: Maximum daily key creation limit reached \
         (HTTP 400; server code SYSTEM_RULE_VIOLATION/DAILY_KEY_LIMIT; entity \"Webhook Key\"; trace id trc_err)"
    );
}

#[test]
fn a_429_reports_its_retry_after() {
    let server = FakeServer::start(vec![Reply::raw(429, "").with_header("Retry-After", "7")]);
    let e = server
        .client_with(|o| o.max_retries = 0)
        .check_version()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
}

#[test]
fn quoted_error_bodies_never_show_credentials() {
    // A misconfigured proxy that echoes the request headers in its error page.
    let page = format!(
        "<html><pre>X-API-Auth-Token: {AUTH_TOKEN}\nAuthorization: KSig1-HMAC-SHA256 {SIGNATURE}\nkey {SECRET_KEY}</pre></html>"
    );
    let server = FakeServer::start(vec![Reply::raw(500, &page)]);
    let e = server
        .client_with(|o| o.max_retries = 0)
        .get_webhook_key("whk_1")
        .unwrap_err();
    for shown in [e.to_string(), format!("{e:?}"), e.message().to_owned()] {
        assert!(!shown.contains(AUTH_TOKEN), "{shown}");
        assert!(!shown.contains(SIGNATURE), "{shown}");
        assert!(!shown.contains(SECRET_KEY), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let shared = shared_secret(0x5a);
    let server = FakeServer::start(vec![Reply::ok(created_key("whk_20251121_01", &shared))]);
    let client = server.client();
    let created = client.create_webhook_key("sb_123").unwrap();
    let shown = [
        format!("{:?}", credentials()),
        format!("{client:?}"),
        format!("{created:?}"),
        format!("{:?}", created.secret),
    ];
    for text in &shown {
        for secret in [
            SECRET_KEY,
            AUTH_TOKEN,
            SIGNATURE,
            shared.as_str(),
            "90, 90, 90",
        ] {
            assert!(!text.contains(secret), "{text} shows {secret}");
        }
        assert!(text.contains("[REDACTED]"), "{text}");
    }
    assert!(shown[0].contains(API_KEY));
    assert!(shown[2].contains("whk_20251121_01"));
}

#[test]
fn client_is_clone_send_sync_and_usable_from_threads() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<KompliantClient>();
    assert_traits::<kompliant_webhooks::ApiError>();

    let version = json!({"current_version": "a", "latest_version": "b"});
    let server = FakeServer::start(vec![Reply::ok(version.clone()), Reply::ok(version)]);
    let client = server.client();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.check_version().map(|v| v.latest_version))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().unwrap(), "b");
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

#[test]
fn from_env_vars_reads_the_four_variables() {
    let client = KompliantClient::from_env_vars(vars(&[
        ("KOMPLIANT_API_KEY", API_KEY),
        ("KOMPLIANT_SECRET_KEY", &format!("{SECRET_KEY}\n")),
        ("KOMPLIANT_AUTH_TOKEN", AUTH_TOKEN),
        ("KOMPLIANT_BASE_URL", "http://127.0.0.1:9/"),
        ("PATH", "/bin"),
    ]))
    .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
    assert_eq!(client.api_key(), API_KEY);

    let client = KompliantClient::from_env_vars(vars(&[
        ("KOMPLIANT_API_KEY", API_KEY),
        ("KOMPLIANT_SECRET_KEY", SECRET_KEY),
        ("KOMPLIANT_AUTH_TOKEN", AUTH_TOKEN),
    ]))
    .unwrap();
    assert_eq!(client.base_url(), "https://api.kompliant.com");
}

#[test]
fn from_env_vars_names_what_is_missing_and_never_echoes_secrets() {
    let e = KompliantClient::from_env_vars(vars(&[
        ("KOMPLIANT_API_KEY", API_KEY),
        ("KOMPLIANT_AUTH_TOKEN", " "),
    ]))
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConfiguration);
    let msg = e.to_string();
    assert!(
        msg.contains("KOMPLIANT_SECRET_KEY") && msg.contains("KOMPLIANT_AUTH_TOKEN"),
        "{msg}"
    );
    assert!(!msg.contains("KOMPLIANT_API_KEY"), "{msg}");

    let e = KompliantClient::from_env_vars(vars(&[
        ("KOMPLIANT_API_KEY", API_KEY),
        ("KOMPLIANT_SECRET_KEY", "not*base64*hunter2"),
        ("KOMPLIANT_AUTH_TOKEN", AUTH_TOKEN),
    ]))
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConfiguration);
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(!e.to_string().contains(AUTH_TOKEN), "{e}");

    let e = KompliantClient::from_env_vars(vars(&[
        ("KOMPLIANT_API_KEY", API_KEY),
        ("KOMPLIANT_SECRET_KEY", SECRET_KEY),
        ("KOMPLIANT_AUTH_TOKEN", AUTH_TOKEN),
        ("KOMPLIANT_BASE_URL", "http://api.kompliant.com"),
    ]))
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConfiguration);
    assert!(e.to_string().contains("KOMPLIANT_BASE_URL"), "{e}");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
