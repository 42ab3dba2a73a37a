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
    assert!(stderr.contains("--keys"), "{stderr}");
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
