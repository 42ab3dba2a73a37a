//! The API of spec §5 over real loopback HTTP: every method, rule and error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{account, start, Client};
use serde_json::{json, Value};

fn is_millis_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 24
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

#[test]
fn check_version_and_success_envelope() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let (status, v) = c.call("meta.checkVersion", json!({}));
    assert_eq!(status, 200);
    assert_eq!(v["meta"]["status"], "SUCCESS");
    assert!(v["meta"]["trace_id"].as_str().unwrap().starts_with("trc_"));
    assert_eq!(v["meta"]["version"], "2025-03-24");
    assert_eq!(
        v["data"],
        json!({"current_version": "2025-03-24", "latest_version": "2025-03-24"})
    );
    let (_, again) = c.call("meta.checkVersion", json!({}));
    assert_ne!(again["meta"]["trace_id"], v["meta"]["trace_id"]);
}

#[test]
fn key_lifecycle() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let today = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}{:02}{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );

    let k1 = c.ok("webhook.key.create", json!({"account_id": c.id()}));
    assert_eq!(k1["key_id"], format!("whk_{date}_01"));
    assert_eq!(k1["status"], "INACTIVE");
    assert!(is_millis_timestamp(&k1["created_at"]), "{k1}");
    assert_eq!(
        STANDARD
            .decode(k1["shared_secret"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    let k1_id = k1["key_id"].as_str().unwrap();

    let got = c.ok("webhook.key.get", json!({"key_id": k1_id}));
    assert_eq!(
        got,
        json!({"key_id": k1_id, "status": "INACTIVE", "created_at": k1["created_at"]})
    );

    let a1 = c.ok("webhook.key.activate", json!({"key_id": k1_id}));
    assert_eq!(a1["key_id"], k1_id);
    assert_eq!(a1["status"], "ACTIVE");
    assert_eq!(a1["previous_key_id"], Value::Null);
    assert!(is_millis_timestamp(&a1["activated_at"]));

    let k2 = c.ok("webhook.key.create", json!({"account_id": c.id()}));
    assert_eq!(k2["key_id"], format!("whk_{date}_02"));
    assert_ne!(k2["shared_secret"], k1["shared_secret"]);
    let k2_id = k2["key_id"].as_str().unwrap();
    let a2 = c.ok("webhook.key.activate", json!({"key_id": k2_id}));
    assert_eq!(a2["previous_key_id"], k1_id);

    // The previous ACTIVE key was deleted at the very instant of the activation.
    let old = c.ok("webhook.key.get", json!({"key_id": k1_id}));
    assert_eq!(old["status"], "DELETED");
    assert_eq!(old["deleted_at"], a2["activated_at"]);
    assert_eq!(old["activated_at"], a1["activated_at"]);
    assert!(old.get("shared_secret").is_none());

    // A deleted key can never come back.
    let e = c.err("webhook.key.activate", json!({"key_id": k1_id}), 400);
    assert_eq!(e["code"], "SYSTEM_RULE_VIOLATION");
    assert_eq!(e["sub_code"], "KEY_DELETED");
    assert_eq!(e["entity_type"], "Webhook Key");

    // Activating the ACTIVE key again is a no-op that succeeds.
    let again = c.ok("webhook.key.activate", json!({"key_id": k2_id}));
    assert_eq!(again["activated_at"], a2["activated_at"]);
    assert_eq!(again["previous_key_id"], Value::Null);
    assert_eq!(
        c.ok("webhook.key.get", json!({"key_id": k2_id}))["status"],
        "ACTIVE"
    );
}

#[test]
fn daily_limit_after_exactly_100_creations() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let mut last = Value::Null;
    for _ in 0..100 {
        last = c.ok("webhook.key.create", json!({"account_id": c.id()}));
    }
    assert!(last["key_id"].as_str().unwrap().ends_with("_100"), "{last}");
    let e = c.err("webhook.key.create", json!({"account_id": c.id()}), 400);
    assert_eq!(
        e,
        json!({
            "code": "SYSTEM_RULE_VIOLATION",
            "message": "Maximum daily key creation limit reached",
            "entity_type": "Webhook Key",
            "sub_code": "DAILY_KEY_LIMIT",
        })
    );
    // The limit is per account.
    let other = Client::new(&sim, account(2));
    other.ok("webhook.key.create", json!({"account_id": other.id()}));
}

#[test]
fn key_request_errors() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    for body in [
        json!({}),
        json!({"key_id": 5}),
        json!({"key_id": ""}),
        json!({"key_id": null}),
    ] {
        for method in ["webhook.key.activate", "webhook.key.get"] {
            assert_eq!(
                c.err(method, body.clone(), 400)["code"],
                "BAD_REQUEST",
                "{method} {body}"
            );
        }
    }
    for malformed in [
        "whk_1",
        "key",
        "whk_20251121_1",
        "whk_2025112_01",
        "whk_20251121_01x",
    ] {
        let e = c.err("webhook.key.get", json!({"key_id": malformed}), 400);
        assert_eq!(e["code"], "BAD_REQUEST", "{malformed}");
    }
    let e = c.err("webhook.key.get", json!({"key_id": "whk_20200101_01"}), 400);
    assert_eq!(e["code"], "ENTITY_NOT_FOUND");
    assert_eq!(
        c.err("webhook.key.create", json!({}), 400)["code"],
        "BAD_REQUEST"
    );
    assert_eq!(
        c.err("webhook.key.create", json!({"account_id": 7}), 400)["code"],
        "BAD_REQUEST"
    );
    // Another account's id: refused whatever exists.
    let e = c.err("webhook.key.create", json!({"account_id": "sb_test2"}), 403);
    assert_eq!(e["code"], "FORBIDDEN");
}

#[test]
fn keys_of_another_account_do_not_exist() {
    let sim = start();
    let a = Client::new(&sim, account(1));
    let b = Client::new(&sim, account(2));
    let k = a.ok("webhook.key.create", json!({"account_id": a.id()}));
    let key_id = k["key_id"].as_str().unwrap();
    for method in ["webhook.key.get", "webhook.key.activate"] {
        let e = b.err(method, json!({"key_id": key_id}), 400);
        assert_eq!(e["code"], "ENTITY_NOT_FOUND", "{method}");
        assert_eq!(e["message"], "Webhook key not found");
    }
    // B's own first key has the same id as A's (per-account sequence) and is a different key.
    let kb = b.ok("webhook.key.create", json!({"account_id": b.id()}));
    assert_eq!(kb["key_id"], key_id);
    b.ok("webhook.key.activate", json!({"key_id": key_id}));
    assert_eq!(
        a.ok("webhook.key.get", json!({"key_id": key_id}))["status"],
        "INACTIVE"
    );
}

#[test]
fn config_crud() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let id = c.endpoint("https://hooks.example.com/kompliant");
    assert!(id.starts_with("whc_"), "{id}");
    let got = c.ok(
        "webhook.config.get",
        json!({"account_id": c.id(), "config_id": id}),
    );
    assert_eq!(got["config_id"], id.as_str());
    assert_eq!(got["url"], "https://hooks.example.com/kompliant");
    assert!(is_millis_timestamp(&got["created_at"]));
    assert!(got.get("updated_at").is_none());

    let upd = c.ok(
        "webhook.config.update",
        json!({"account_id": c.id(), "config_id": id, "config": {"url": "https://hooks.example.com/v2"}}),
    );
    assert_eq!(upd, json!({}));
    let got = c.ok(
        "webhook.config.get",
        json!({"account_id": c.id(), "config_id": id}),
    );
    assert_eq!(got["url"], "https://hooks.example.com/v2");
    assert!(is_millis_timestamp(&got["updated_at"]));

    let id2 = c.endpoint("http://127.0.0.1:9/hook");
    let list = c.ok("webhook.config.list", json!({"account_id": c.id()}));
    let ids: Vec<&str> = list["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["config_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str(), id2.as_str()]);

    assert_eq!(
        c.ok(
            "webhook.config.delete",
            json!({"account_id": c.id(), "config_id": id})
        ),
        json!({})
    );
    let list = c.ok("webhook.config.list", json!({"account_id": c.id()}));
    assert_eq!(list["configs"].as_array().unwrap().len(), 1);
    for (method, extra) in [
        ("webhook.config.get", json!({})),
        ("webhook.config.delete", json!({})),
        (
            "webhook.config.update",
            json!({"config": {"url": "https://x.example/"}}),
        ),
    ] {
        let mut body = json!({"account_id": c.id(), "config_id": id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let e = c.err(method, body, 404);
        assert_eq!(e["code"], "ENTITY_NOT_FOUND", "{method}");
        assert_eq!(e["entity_type"], "Webhook Config");
    }
    assert_eq!(
        c.err(
            "webhook.config.get",
            json!({"account_id": c.id(), "config_id": "whc_nope"}),
            404
        )["code"],
        "ENTITY_NOT_FOUND"
    );
}

#[test]
fn config_request_errors() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let me = c.id();
    for body in [
        json!({"account_id": me}),
        json!({"account_id": me, "config": "https://x.example/"}),
        json!({"account_id": me, "config": {}}),
        json!({"account_id": me, "config": {"url": 1}}),
        json!({"config": {"url": "https://x.example/"}}),
    ] {
        assert_eq!(
            c.err("webhook.config.create", body.clone(), 400)["code"],
            "BAD_REQUEST",
            "{body}"
        );
    }
    for method in ["webhook.config.get", "webhook.config.delete"] {
        assert_eq!(
            c.err(method, json!({"account_id": me}), 400)["code"],
            "BAD_REQUEST"
        );
    }
    assert_eq!(
        c.err("webhook.config.list", json!({}), 400)["code"],
        "BAD_REQUEST"
    );
}

#[test]
fn url_rules() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    for ok in [
        "https://hooks.example.com/a",
        "http://127.0.0.1:8080/a",
        "http://127.1.2.3/a",
        "http://localhost:3000/a",
        "http://[::1]:3000/a",
    ] {
        c.endpoint(ok);
    }
    for bad in [
        "http://hooks.example.com/a",
        "http://192.168.1.10/a",
        "http://127.0.0.1.nip.io/a",
        "ftp://127.0.0.1/a",
        "hooks.example.com",
        "https://",
    ] {
        let e = c.err(
            "webhook.config.create",
            json!({"account_id": c.id(), "config": {"url": bad}}),
            400,
        );
        assert_eq!(e["code"], "BAD_REQUEST", "{bad}");
    }

    // Unique per account among non-deleted configs.
    let e = c.err(
        "webhook.config.create",
        json!({"account_id": c.id(), "config": {"url": "https://hooks.example.com/a"}}),
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
            Some("URL_ALREADY_EXISTS"),
            Some("Webhook Config")
        )
    );
    let id = c.endpoint("https://hooks.example.com/b");
    let e = c.err(
        "webhook.config.update",
        json!({"account_id": c.id(), "config_id": id, "config": {"url": "https://hooks.example.com/a"}}),
        400,
    );
    assert_eq!(e["sub_code"], "URL_ALREADY_EXISTS");
    let e = c.err(
        "webhook.config.update",
        json!({"account_id": c.id(), "config_id": id, "config": {"url": "http://hooks.example.com/b"}}),
        400,
    );
    assert_eq!(e["code"], "BAD_REQUEST");
    c.ok(
        "webhook.config.delete",
        json!({"account_id": c.id(), "config_id": id}),
    );
    c.endpoint("https://hooks.example.com/b");
    // Another account may use the same URL.
    Client::new(&sim, account(2)).endpoint("https://hooks.example.com/a");
}

#[test]
fn twenty_configs_per_account() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let ids: Vec<String> = (0..20)
        .map(|n| c.endpoint(&format!("https://hooks.example.com/{n}")))
        .collect();
    let e = c.err(
        "webhook.config.create",
        json!({"account_id": c.id(), "config": {"url": "https://hooks.example.com/20"}}),
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
            Some("MAX_WEBHOOK_URL_LIMIT"),
            Some("Webhook Config")
        )
    );
    c.ok(
        "webhook.config.delete",
        json!({"account_id": c.id(), "config_id": ids[3]}),
    );
    c.endpoint("https://hooks.example.com/20");
}

#[test]
fn configs_of_another_account() {
    let sim = start();
    let a = Client::new(&sim, account(1));
    let b = Client::new(&sim, account(2));
    let id = a.endpoint("https://a.example.com/");
    // With its own account id, B gets "not found" (never "exists elsewhere").
    for method in ["webhook.config.get", "webhook.config.delete"] {
        let e = b.err(method, json!({"account_id": b.id(), "config_id": id}), 404);
        assert_eq!(e["code"], "ENTITY_NOT_FOUND");
    }
    // With A's account id, B is refused before anything is looked up.
    for (method, body) in [
        (
            "webhook.config.get",
            json!({"account_id": a.id(), "config_id": id}),
        ),
        (
            "webhook.config.get",
            json!({"account_id": a.id(), "config_id": "whc_nope"}),
        ),
        ("webhook.config.list", json!({"account_id": a.id()})),
        (
            "webhook.config.create",
            json!({"account_id": a.id(), "config": {"url": "https://b.example.com/"}}),
        ),
        (
            "webhook.config.delete",
            json!({"account_id": a.id(), "config_id": id}),
        ),
    ] {
        assert_eq!(b.err(method, body, 403)["code"], "FORBIDDEN", "{method}");
    }
    assert_eq!(
        a.ok("webhook.config.list", json!({"account_id": a.id()}))["configs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn bad_credentials_are_401() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let other = account(2);
    let with = |name: &str, value: Option<String>| {
        let mut h: Vec<(String, String)> =
            c.headers().into_iter().filter(|(k, _)| k != name).collect();
        if let Some(v) = value {
            h.push((name.to_owned(), v));
        }
        h
    };
    let cases = [
        with("Authorization", None),
        with("Authorization", Some("KSig1-HMAC-SHA256".into())),
        with(
            "Authorization",
            Some(format!(
                "Bearer {}",
                common::signature(&c.account.secret_key, &c.account.api_key)
            )),
        ),
        with(
            "Authorization",
            Some("KSig1-HMAC-SHA256 bm90IGEgc2lnbmF0dXJl".into()),
        ),
        with("Authorization", Some("KSig1-HMAC-SHA256 %%%".into())),
        with(
            "Authorization",
            Some(format!(
                "KSig1-HMAC-SHA256 {}",
                common::signature(&other.secret_key, &c.account.api_key)
            )),
        ),
        with("X-API-Key", None),
        with("X-API-Key", Some("no-such-key".into())),
        with("X-API-Auth-Token", None),
        with("X-API-Auth-Token", Some(other.auth_token.clone())),
        with("X-API-Signed-Elements", Some("API-Key;Body".into())),
    ];
    for headers in cases {
        let (status, v) = c.send("meta.checkVersion", &headers, b"{}");
        assert_eq!(status, 401, "{headers:?}: {v}");
        common::assert_error_envelope(&v);
        assert_eq!(v["errors"][0]["code"], "UNAUTHORIZED");
        let text = v.to_string();
        assert!(!text.contains(&c.account.secret_key) && !text.contains(&c.account.auth_token));
    }
    // The signed-elements header is optional.
    let (status, _) = c.send(
        "meta.checkVersion",
        &with("X-API-Signed-Elements", None),
        b"{}",
    );
    assert_eq!(status, 200);
    // So is X-API-Version, but an unknown version is refused.
    let (status, _) = c.send("meta.checkVersion", &with("X-API-Version", None), b"{}");
    assert_eq!(status, 200);
    let (status, v) = c.send(
        "meta.checkVersion",
        &with("X-API-Version", Some("2019-01-01".into())),
        b"{}",
    );
    assert_eq!(
        (status, v["errors"][0]["code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
    // Unsigned simulator methods are refused too.
    let (status, _) = c.send("sim.deliveries.list", &with("Authorization", None), b"{}");
    assert_eq!(status, 401);
}

#[test]
fn accounts_deserialise_from_the_accounts_file_format() {
    let text = r#"[{"account_id":"sb_a","api_key":"k","secret_key":"AAAA","auth_token":"t"}]"#;
    let accounts: Vec<kompliant_sim::Account> = serde_json::from_str(text).unwrap();
    assert_eq!(accounts[0].account_id, "sb_a");
    let dbg = format!("{:?}", accounts[0]);
    assert!(dbg.contains("[REDACTED]") && !dbg.contains("AAAA"), "{dbg}");
    let typo = r#"[{"account_id":"sb_a","api_key":"k","secret":"AAAA","auth_token":"t"}]"#;
    assert!(serde_json::from_str::<Vec<kompliant_sim::Account>>(typo).is_err());
    let generated = kompliant_sim::Account::generate_sandbox();
    assert!(generated.account_id.starts_with("sb_"));
    assert_eq!(STANDARD.decode(&generated.secret_key).unwrap().len(), 32);
}
