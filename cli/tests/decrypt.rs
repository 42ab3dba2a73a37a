//! `kompliant decrypt` over every conformance vector (sealed by the independent Python
//! implementation): payload on stdout for good bodies, `error: <CODE>: …` and exit 1 otherwise.

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

fn kompliant(args: &[&str], stdin: &[u8], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kompliant"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_clear();
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The command may exit before reading its input (e.g. no keys): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/webhooks.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

#[test]
fn decrypts_every_vector_or_names_the_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let cases = vectors();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let keys = dir.path().join(format!("{name}.keys.json"));
        std::fs::write(&keys, case["keyring"].to_string()).unwrap();
        let body = STANDARD.decode(case["body_b64"].as_str().unwrap()).unwrap();
        let mut args = vec![
            "decrypt".to_owned(),
            "--keys".to_owned(),
            keys.display().to_string(),
            "--envelope".to_owned(),
        ];
        let opts = &case["options"];
        for (opt, flag) in [
            ("max_body_bytes", "--max-body-bytes"),
            ("max_age_seconds", "--max-age"),
            ("max_future_skew_seconds", "--max-future-skew"),
        ] {
            if let Some(n) = opts[opt].as_u64() {
                args.extend([flag.to_owned(), n.to_string()]);
            }
        }
        if let Some(now) = opts["now"].as_str() {
            args.extend(["--now".to_owned(), now.to_owned()]);
        }
        if opts["aad"].as_str() == Some("none") {
            args.extend([
                "--profile".to_owned(),
                "kompliant-2025-11-21-no-aad".to_owned(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = kompliant(&args, &body, &[]);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        match case["expect"]["error"].as_str() {
            Some(code) => {
                assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
                assert!(stdout.is_empty(), "{name}: printed {stdout}");
                assert!(
                    stderr.starts_with(&format!("error: {code}: ")),
                    "{name}: {stderr}"
                );
            }
            None => {
                assert!(out.status.success(), "{name}: {stderr}");
                let printed: Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(printed["metadata"], case["expect"]["metadata"], "{name}");
                assert_eq!(
                    printed["retry_count"], case["expect"]["retry_count"],
                    "{name}"
                );
                let payload = STANDARD
                    .decode(case["expect"]["payload_b64"].as_str().unwrap())
                    .unwrap();
                let want: Value = serde_json::from_slice(&payload).unwrap();
                assert_eq!(printed["payload"], want, "{name}");
            }
        }
    }
}

fn first_ok_case() -> Value {
    vectors()
        .into_iter()
        .find(|c| c["name"] == "ok_unicode_payload")
        .unwrap()
}

#[test]
fn prints_the_exact_payload_and_reads_keys_from_the_environment() {
    let case = first_ok_case();
    let (key_id, secret) = case["keyring"].as_object().unwrap().iter().next().unwrap();
    let var = format!(
        "KOMPLIANT_WEBHOOK_SECRET_{}",
        key_id.strip_prefix("whk_").unwrap()
    );
    let body = STANDARD.decode(case["body_b64"].as_str().unwrap()).unwrap();
    let out = kompliant(
        &["decrypt", "-"],
        &body,
        &[(&var, secret.as_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut want = STANDARD
        .decode(case["expect"]["payload_b64"].as_str().unwrap())
        .unwrap();
    want.push(b'\n');
    assert_eq!(out.stdout, want);
}

#[test]
fn no_keys_is_a_clear_error() {
    let out = kompliant(&["decrypt"], b"{}", &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: INVALID_KEY: "), "{stderr}");
    assert!(
        stderr.contains("KOMPLIANT_WEBHOOK_SECRET_20251021_01=<base64 secret>"),
        "{stderr}"
    );
}

#[test]
fn missing_keyring_file_is_an_io_error() {
    let out = kompliant(&["decrypt", "--keys", "/nonexistent/keys.json"], b"{}", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("error: IO_ERROR: "));
}

#[test]
fn errors_never_print_the_secret() {
    let case = vectors()
        .into_iter()
        .find(|c| c["name"] == "wrong_key_for_key_id")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, case["keyring"].to_string()).unwrap();
    let body = STANDARD.decode(case["body_b64"].as_str().unwrap()).unwrap();
    let out = kompliant(&["decrypt", "--keys", keys.to_str().unwrap()], &body, &[]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: DECRYPTION_FAILED: "), "{stderr}");
    for secret in case["keyring"].as_object().unwrap().values() {
        assert!(!stderr.contains(secret.as_str().unwrap()));
    }
}

mod common;

/// Runs `kompliant decrypt --keys FILE` on a genuine body with `keyring_text` in FILE.
fn decrypt_with_keyring_text(keyring_text: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, keyring_text).unwrap();
    let body = STANDARD
        .decode(first_ok_case()["body_b64"].as_str().unwrap())
        .unwrap();
    kompliant(&["decrypt", "--keys", keys.to_str().unwrap()], &body, &[])
}

#[test]
fn a_bad_keyring_is_refused_without_printing_any_secret() {
    use base64::engine::general_purpose::URL_SAFE;

    let good = common::distinctive(b"KW-CLI-GOOD-KEY~>?");
    let short = common::distinctive(b"KW-CLI-SHORT-KEY~>?")[..31].to_vec();
    let (g, s) = (STANDARD.encode(&good), STANDARD.encode(&short));
    let hex: String = good.iter().map(|b| format!("{b:02x}")).collect();
    let id = "whk_20251121_01";
    let cases = [
        (
            "wrong length entry",
            format!(r#"{{"{id}": "{g}", "whk_20251121_02": "{s}"}}"#),
        ),
        (
            "not base64 entry",
            format!(r#"{{"{id}": "{g}", "whk_20251121_02": "!{s}"}}"#),
        ),
        (
            "URL-safe base64",
            format!(r#"{{"{id}": "{}"}}"#, URL_SAFE.encode(&good)),
        ),
        ("hex instead of base64", format!(r#"{{"{id}": "{hex}"}}"#)),
        (
            "syntax error after a secret",
            format!(r#"{{"{id}": "{g}", oops}}"#),
        ),
        ("unquoted secret", format!(r#"{{"{id}": {g}}}"#)),
        ("truncated", format!(r#"{{"{id}": "{g}"#)),
        ("secret in a list", format!(r#"{{"{id}": ["{g}"]}}"#)),
        (
            "secret swapped into the key id",
            format!(r#"{{"{g}": "{id}"}}"#),
        ),
        ("bare secret", g.clone()),
        (
            "duplicate key id",
            format!(r#"{{"{id}": "{g}", "{id}": "{s}"}}"#),
        ),
    ];
    for (label, text) in &cases {
        let out = decrypt_with_keyring_text(text);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{label}: {stderr}");
        assert!(out.stdout.is_empty(), "{label}");
        assert!(
            stderr.starts_with("error: INVALID_KEY: "),
            "{label}: {stderr}"
        );
        common::assert_no_secret(label, &stderr, &[good.clone(), short.clone()]);
        common::assert_nothing_secret_shaped(label, &stderr);
    }

    // The same secrets in KOMPLIANT_WEBHOOK_SECRET_* variables.
    let body = STANDARD
        .decode(first_ok_case()["body_b64"].as_str().unwrap())
        .unwrap();
    for (label, value) in [
        ("env: 31 bytes", s.clone()),
        ("env: not base64", format!("!{g}")),
        ("env: hex", hex.clone()),
        ("env: URL-safe", URL_SAFE.encode(&good)),
    ] {
        let out = kompliant(
            &["decrypt", "-"],
            &body,
            &[("KOMPLIANT_WEBHOOK_SECRET_20251121_01", &value)],
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{label}: {stderr}");
        assert!(
            stderr.starts_with("error: INVALID_KEY: "),
            "{label}: {stderr}"
        );
        common::assert_no_secret(label, &stderr, &[good.clone(), short.clone()]);
        common::assert_nothing_secret_shaped(label, &stderr);
    }
}

#[test]
fn a_wrong_secret_or_an_unreadable_keyring_prints_no_secret() {
    // The right key id with another secret: DECRYPTION_FAILED names the key, not the secret.
    let other = common::distinctive(b"KW-CLI-WRONG-KEY~>?");
    let case = first_ok_case();
    let (key_id, right) = case["keyring"].as_object().unwrap().iter().next().unwrap();
    let right = common::raw_of(right.as_str().unwrap());
    let out =
        decrypt_with_keyring_text(&format!(r#"{{"{key_id}": "{}"}}"#, STANDARD.encode(&other)));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: DECRYPTION_FAILED: "), "{stderr}");
    assert!(stderr.contains(key_id.as_str()), "{stderr}");
    common::assert_no_secret("wrong secret", &stderr, &[other.clone(), right]);

    // A keyring path that is a directory: refused without opening it.
    let dir = tempfile::tempdir().unwrap();
    let out = kompliant(
        &["decrypt", "--keys", dir.path().to_str().unwrap()],
        b"{}",
        &[],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: INVALID_KEY: "), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");
    common::assert_nothing_secret_shaped("directory", &stderr);
}

#[test]
fn listen_refuses_a_bad_keyring_without_printing_any_secret() {
    let good = common::distinctive(b"KW-CLI-LISTEN-KEY~>?");
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        format!(
            r#"{{"whk_20251121_01": "{}", "whk_20251121_02": "{}"}}"#,
            STANDARD.encode(&good),
            STANDARD.encode(&good[..30])
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kompliant"))
        .args(["listen", "--keys", keys.to_str().unwrap()])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("kompliant listen kept running with an invalid keyring");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: INVALID_KEY: "), "{stderr}");
    let both = format!("{stdout}{stderr}");
    common::assert_no_secret("listen", &both, &[good.clone(), good[..30].to_vec()]);
    common::assert_nothing_secret_shaped("listen", &both);
}
