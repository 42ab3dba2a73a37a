//! The CLI end to end on loopback: `kompliant sim`, `keys create|activate|get|rotate`,
//! `endpoints`, `trigger`, `deliveries` and `kompliant listen` working together.

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::background::Background;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kompliant");

fn env_of(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn run(env: &[(String, String)], args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kompliant {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[cfg(unix)]
fn mode(path: &PathBuf) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn simulator_keys_endpoints_and_listener_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    let keys = dir.path().join("keys.json");
    let mut sim = Background::start(&[
        "sim",
        "--listen",
        "127.0.0.1:0",
        "--retry-base-ms",
        "20",
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    let first = sim.wait_line(|_| true, Duration::from_secs(10));
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    sim.wait_line(
        |l| l.starts_with("credentials of "),
        Duration::from_secs(10),
    );
    let env = env_of(&env_file);
    #[cfg(unix)]
    assert_eq!(mode(&env_file), 0o600);

    // Without --keyring the secret is printed once, clearly marked.
    let printed = run(&env, &["keys", "create"]);
    let text = String::from_utf8(printed.stdout).unwrap();
    assert!(text.contains("shown ONCE"), "{text}");
    let printed_secret = text.lines().last().unwrap().to_owned();
    assert_eq!(printed_secret.len(), 44, "base64 of 32 bytes");

    let created = run(
        &env,
        &["keys", "create", "--keyring", keys.to_str().unwrap()],
    );
    let created = String::from_utf8(created.stdout).unwrap();
    let key_id = created.split_whitespace().nth(1).unwrap().to_owned();
    assert!(!created.contains(&printed_secret));
    #[cfg(unix)]
    assert_eq!(mode(&keys), 0o600);
    let activated = json(&run(&env, &["keys", "activate", &key_id]));
    assert_eq!(activated["status"], "ACTIVE");

    let mut listen = Background::start(&[
        "listen",
        "--keys",
        keys.to_str().unwrap(),
        "--fail-first",
        "1",
    ]);
    let url = listen.wait_line(|_| true, Duration::from_secs(10));
    let url = url.strip_prefix("listening on ").unwrap().to_owned();
    run(&env, &["endpoints", "create", &format!("{url}/webhooks")]);
    let listed = json(&run(&env, &["endpoints", "list"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let before = json(&run(&env, &["trigger", "WORKFLOW_CREATED"]));
    let rotated = json(&run(
        &env,
        &["keys", "rotate", "--keyring", keys.to_str().unwrap()],
    ));
    assert_eq!(rotated["previous_key_id"], key_id.as_str());
    let after = json(&run(&env, &["trigger", "SUBJECT_RECORD_DATA_UPDATED"]));

    for (event, key) in [
        (&before, &key_id),
        (&after, &rotated["new_key_id"].as_str().unwrap().to_owned()),
    ] {
        let id = event["webhook_id"].as_str().unwrap().to_owned();
        let line = listen.wait_line(
            |l| l.starts_with(&format!("webhook {id} ")),
            Duration::from_secs(20),
        );
        assert!(line.contains(&format!("key={key}")), "{line}");
    }
    assert!(listen.count(|l| l.starts_with("answered 500 on purpose")) == 1);
    assert_eq!(listen.count(|l| l.starts_with("refused")), 0);

    let old = json(&run(&env, &["keys", "get", &key_id]));
    assert_eq!(old["status"], "DELETED");
    assert!(old.get("shared_secret").is_none());
    let log = json(&run(&env, &["deliveries"]));
    assert!(log["deliveries"].as_array().unwrap().len() >= 3, "{log}");
    sim.wait_line(|l| l.contains("failed (HTTP 500)"), Duration::from_secs(10));

    // No command printed the keyring's secrets: only `keys create` without --keyring shows one.
    let keyring: Value = serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    for secret in keyring.as_object().unwrap().values() {
        let (sim_out, listen_out) = (sim.all(), listen.all());
        assert!(
            !sim_out.contains(secret_text(secret)) && !listen_out.contains(secret_text(secret))
        );
    }

    // --retention-days 0 still keeps every key that may be ACTIVE: a rotation keeps the key
    // it retires and the one the rotation before retired; only older ones are pruned.
    let new_key_id = rotated["new_key_id"].as_str().unwrap().to_owned();
    let keys_arg = keys.to_str().unwrap();
    let rotate_now = [
        "keys",
        "rotate",
        "--keyring",
        keys_arg,
        "--retention-days",
        "0",
    ];
    let rotate = || {
        // Retirement times are whole seconds, and keys retired in the same second as the
        // previous rotation's count as retired by it (kept): let each rotation have its own.
        std::thread::sleep(Duration::from_millis(1100));
        json(&run(&env, &rotate_now))["new_key_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ids = || -> Vec<String> {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
        file.as_object().unwrap().keys().cloned().collect()
    };
    let third = rotate();
    assert_eq!(ids(), [key_id.clone(), new_key_id.clone(), third.clone()]);
    let fourth = rotate();
    assert_eq!(ids(), [new_key_id, third, fourth]);
}

#[test]
fn api_commands_without_credentials_fail_clearly() {
    let out = Command::new(BIN)
        .args(["keys", "get", "whk_20251021_01"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: INVALID_CONFIGURATION: "),
        "{stderr}"
    );
    assert!(stderr.contains("KOMPLIANT_API_KEY"), "{stderr}");
}

use base64::engine::general_purpose::STANDARD as STANDARD_B64;
use base64::Engine as _;

/// Runs a `kompliant` command expected to fail: exit 1, nothing on stdout, `error: CODE: …`.
fn run_failing(env: &[(String, String)], args: &[&str], code: &str) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "kompliant {args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "kompliant {args:?} printed on stdout"
    );
    assert!(
        stderr.starts_with(&format!("error: {code}: ")),
        "kompliant {args:?}: {stderr}"
    );
    stderr
}

/// Both output streams of a command, as one text.
fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The secret bytes of every key in a keyring file.
fn secrets_in(path: &Path) -> Vec<Vec<u8>> {
    let keyring: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    keyring
        .as_object()
        .unwrap()
        .values()
        .map(|v| common::raw_of(secret_text(v)))
        .collect()
}

/// The base64 secret of a keyring file entry: the string of a key in use, or the `secret`
/// of a retired key's object.
fn secret_text(entry: &Value) -> &str {
    entry.as_str().or_else(|| entry["secret"].as_str()).unwrap()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn start_sim(env_file: &Path) -> (Background, Vec<(String, String)>) {
    let mut sim = Background::start(&[
        "sim",
        "--listen",
        "127.0.0.1:0",
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    sim.wait_line(
        |l| l.starts_with("credentials of "),
        Duration::from_secs(10),
    );
    let env = env_of(env_file);
    (sim, env)
}

/// The simulator account's credentials as secrets to look for (the HMAC key's bytes, the token).
fn credentials(env: &[(String, String)]) -> Vec<Vec<u8>> {
    let get = |name: &str| env.iter().find(|(k, _)| k == name).unwrap().1.clone();
    vec![
        common::raw_of(&get("KOMPLIANT_SECRET_KEY")),
        get("KOMPLIANT_AUTH_TOKEN").into_bytes(),
    ]
}

#[test]
fn every_keyring_file_the_cli_writes_is_0600_and_no_command_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut sim, env) = start_sim(&dir.path().join("env"));
    let mut secrets = credentials(&env);
    let mut outputs: Vec<(String, String)> = Vec::new();

    // An existing keyring file, readable by everyone: the CLI keeps its key and tightens it.
    let keys = dir.path().join("keys.json");
    let existing = common::distinctive(b"KW-CLI-EXISTING~>?");
    std::fs::write(
        &keys,
        format!(
            r#"{{"whk_20200101_01": "{}"}}"#,
            STANDARD_B64.encode(&existing)
        ),
    )
    .unwrap();
    #[cfg(unix)]
    set_mode(&keys, 0o644);

    let created = run(
        &env,
        &["keys", "create", "--keyring", keys.to_str().unwrap()],
    );
    let created_text = String::from_utf8(created.stdout.clone()).unwrap();
    assert!(created_text.contains("secret written to"), "{created_text}");
    let key_id = created_text.split_whitespace().nth(1).unwrap().to_owned();
    outputs.push((
        "keys create --keyring (existing file)".into(),
        text_of(&created),
    ));
    #[cfg(unix)]
    assert_eq!(mode(&keys), 0o600);
    let held = secrets_in(&keys);
    assert_eq!(held.len(), 2, "the existing key is kept");
    assert!(held.contains(&existing));
    outputs.push((
        "keys activate".into(),
        text_of(&run(&env, &["keys", "activate", &key_id])),
    ));

    // Rotating into the same file after its mode was loosened again.
    #[cfg(unix)]
    set_mode(&keys, 0o664);
    let rotated = run(
        &env,
        &["keys", "rotate", "--keyring", keys.to_str().unwrap()],
    );
    outputs.push((
        "keys rotate --keyring (existing file)".into(),
        text_of(&rotated),
    ));
    let rotated = json(&rotated);
    assert_eq!(rotated["previous_key_id"], key_id.as_str());
    #[cfg(unix)]
    assert_eq!(mode(&keys), 0o600);
    assert_eq!(secrets_in(&keys).len(), 3);

    // Rotating into a file that does not exist yet.
    let fresh = dir.path().join("fresh-keys.json");
    let rotated_fresh = run(
        &env,
        &["keys", "rotate", "--keyring", fresh.to_str().unwrap()],
    );
    outputs.push((
        "keys rotate --keyring (new file)".into(),
        text_of(&rotated_fresh),
    ));
    #[cfg(unix)]
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(secrets_in(&fresh).len(), 1);

    for id in [key_id.as_str(), rotated["new_key_id"].as_str().unwrap()] {
        outputs.push(("keys get".into(), text_of(&run(&env, &["keys", "get", id]))));
    }
    outputs.push(("deliveries".into(), text_of(&run(&env, &["deliveries"]))));

    // Without --keyring, `keys create` shows its secret: that is what the flag's absence asks for
    // (`kompliant keys create --help`), and the only output that holds one.
    let shown = run(&env, &["keys", "create"]);
    let shown_text = String::from_utf8(shown.stdout).unwrap();
    assert!(shown_text.contains("shown ONCE"), "{shown_text}");
    let shown_secret = common::raw_of(shown_text.lines().last().unwrap());
    assert_eq!(shown_secret.len(), 32);
    assert!(shown.stderr.is_empty());

    secrets.extend(secrets_in(&keys));
    secrets.extend(secrets_in(&fresh));
    secrets.push(shown_secret);
    for (what, text) in &outputs {
        common::assert_no_secret(what, text, &secrets);
        common::assert_nothing_secret_shaped(what, text);
    }
    // The simulator, given --env-file, writes the credentials there and never prints them.
    common::assert_no_secret("kompliant sim", &sim.all(), &secrets);
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("env")), 0o600);
}

#[test]
fn a_keyring_file_that_cannot_take_the_key_fails_without_printing_any_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, env) = start_sim(&dir.path().join("env"));
    let mut secrets = credentials(&env);

    // A first key, active, in a good keyring.
    let good = dir.path().join("keys.json");
    let created = run(
        &env,
        &["keys", "create", "--keyring", good.to_str().unwrap()],
    );
    let key_id = String::from_utf8(created.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    run(&env, &["keys", "activate", &key_id]);
    secrets.extend(secrets_in(&good));

    // A keyring receivers could not load (one entry is 30 bytes): never extended.
    let bad = dir.path().join("bad-keys.json");
    let kept = common::distinctive(b"KW-CLI-KEPT-KEY~>?");
    let short = common::distinctive(b"KW-CLI-SHORT-KEY~>?")[..30].to_vec();
    let text = format!(
        r#"{{"whk_20200101_01": "{}", "whk_20200101_02": "{}"}}"#,
        STANDARD_B64.encode(&kept),
        STANDARD_B64.encode(&short)
    );
    std::fs::write(&bad, &text).unwrap();
    #[cfg(unix)]
    set_mode(&bad, 0o644);
    secrets.push(kept);
    secrets.push(short);

    let failures = [
        (
            "keys create --keyring (invalid file)",
            run_failing(
                &env,
                &["keys", "create", "--keyring", bad.to_str().unwrap()],
                "STORE_FAILED",
            ),
        ),
        (
            "keys rotate --keyring (invalid file)",
            run_failing(
                &env,
                &["keys", "rotate", "--keyring", bad.to_str().unwrap()],
                "STORE_FAILED",
            ),
        ),
        (
            "keys rotate --keyring (no such directory)",
            run_failing(
                &env,
                &[
                    "keys",
                    "rotate",
                    "--keyring",
                    dir.path().join("missing/keys.json").to_str().unwrap(),
                ],
                "STORE_FAILED",
            ),
        ),
    ];
    // The created key is named, so the operator knows what happened to it.
    assert!(
        failures[0].1.contains("was created (INACTIVE)") && failures[0].1.contains("whk_"),
        "{}",
        failures[0].1
    );
    for (what, stderr) in &failures {
        assert!(
            !stderr.contains("STORE_FAILED: STORE_FAILED"),
            "{what}: {stderr}"
        );
        common::assert_no_secret(what, stderr, &secrets);
        // The new keys' secrets are known to nobody now; nothing shaped like one is printed.
        common::assert_nothing_secret_shaped(what, stderr);
    }
    assert!(failures[1].1.contains("NOT activated"), "{}", failures[1].1);
    // The invalid file is left as it was, and the active key did not change.
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), text);
    #[cfg(unix)]
    assert_eq!(mode(&bad), 0o644);
    assert_eq!(
        json(&run(&env, &["keys", "get", &key_id]))["status"],
        "ACTIVE"
    );
}

/// Sends raw bytes to `addr` and returns the status code of the answer.
fn raw_status(addr: &str, request: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A refused request may be answered before all of it is written: ignore write errors.
    let _ = stream.write_all(request);
    // The status line is enough (the connection may be kept alive after it).
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut chunk) {
            Ok(n) if n > 0 => answer.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&answer);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {head:?}"))
}

#[test]
fn listen_refuses_oversized_and_malformed_requests_with_the_documented_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        r#"{"whk_20251121_01": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}"#,
    )
    .unwrap();
    let mut listen = Background::start(&["listen", "--keys", keys.to_str().unwrap()]);
    let line = listen.wait_line(|_| true, Duration::from_secs(10));
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();
    let post = |body: &str| {
        format!(
            "POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let envelope = |key_id: &str| {
        format!(
            r#"{{"id":"wh_1","event_type":"WORKFLOW_CREATED","timestamp":"2025-11-21T14:30:22.123Z","account_id":"sb_1","schema_version":"2025-11-21","key_id":"{key_id}","data":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","retry_count":0}}"#
        )
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        // Declared over the 8 MiB body limit: refused before the body is read.
        (
            "oversized (declared)",
            b"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 8388609\r\n\r\n".to_vec(),
            413,
        ),
        ("not JSON", post("not json").into_bytes(), 400),
        (
            "an envelope missing fields",
            post(r#"{"id":"wh_1"}"#).into_bytes(),
            400,
        ),
        (
            "a forged tag",
            post(&envelope("whk_20251121_01")).into_bytes(),
            400,
        ),
        (
            "a key id it does not hold",
            post(&envelope("whk_20251121_02")).into_bytes(),
            503,
        ),
        ("a malformed request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        (
            "an invalid Content-Length",
            b"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(),
            400,
        ),
        (
            "an unsupported HTTP version",
            b"POST /webhooks HTTP/2.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a head over the limit",
            format!(
                "POST /webhooks HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nContent-Length: 0\r\n\r\n",
                "a".repeat(64 * 1024)
            )
            .into_bytes(),
            431,
        ),
    ];
    for (what, request, status) in &cases {
        assert_eq!(raw_status(&addr, request), *status, "{what}");
    }
    // Each one is logged as refused (what hyper answers itself, once its connection ends);
    // the listener is still serving.
    let deadline = Instant::now() + Duration::from_secs(10);
    while listen.count(|l| l.starts_with("refused")) < cases.len() {
        assert!(Instant::now() < deadline, "{}", listen.all());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(raw_status(&addr, post("{}").as_bytes()), 400);
}

/// Holds `n` hostile connections to `addr` until `stop`: half connect and say nothing, half
/// send a request head one line a second and never finish it (slowloris). Each one the
/// server closes is opened again at once. Returns how many connections were opened.
fn hold_hostile_connections(addr: &str, n: usize, stop: &std::sync::atomic::AtomicBool) -> usize {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::sync::atomic::Ordering;
    let open = |slow: bool| -> Option<TcpStream> {
        let mut stream = TcpStream::connect(addr).ok()?;
        if slow {
            stream
                .write_all(b"POST /webhooks HTTP/1.1\r\nHost: x\r\n")
                .ok()?;
        }
        stream.set_nonblocking(true).ok()?;
        Some(stream)
    };
    let mut held: Vec<Option<TcpStream>> = (0..n).map(|i| open(i % 2 == 1)).collect();
    let mut opened = n;
    let mut tick = 0u64;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        tick += 1;
        for (i, slot) in held.iter_mut().enumerate() {
            let slow = i % 2 == 1;
            let alive = slot.as_mut().is_some_and(|stream| {
                let mut scratch = [0u8; 512];
                let ended = match stream.read(&mut scratch) {
                    Err(e) => e.kind() != ErrorKind::WouldBlock,
                    Ok(_) => true,
                };
                let trickle_failed =
                    slow && tick.is_multiple_of(10) && stream.write_all(b"X-Slow: 1\r\n").is_err();
                !ended && !trickle_failed
            });
            if !alive {
                *slot = open(slow);
                opened += 1;
            }
        }
    }
    opened
}

/// Runs `request` 100 times, one every 200 ms; how many succeeded within 1 s, and the
/// slowest.
fn steady_requests(mut request: impl FnMut(usize) -> bool) -> (usize, Duration) {
    let (mut good, mut slowest) = (0, Duration::ZERO);
    for n in 0..100 {
        let started = Instant::now();
        let ok = request(n);
        let took = started.elapsed();
        slowest = slowest.max(took);
        if ok && took <= Duration::from_secs(1) {
            good += 1;
        }
        std::thread::sleep(Duration::from_millis(200).saturating_sub(took));
    }
    (good, slowest)
}

/// Issue 14's target: 500 idle or slowloris connections held for 20 s against each server
/// while 100 normal requests are made to it (API calls to the simulator, valid deliveries to
/// `kompliant listen`): at least 95 answered correctly within 1 s each.
#[test]
fn idle_and_slow_clients_do_not_keep_others_out() {
    use kompliant_webhooks::{
        seal, ClientOptions, KompliantClient, WebhookMetadata, WebhookSecret, WireProfile,
    };
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    let mut sim = Background::start(&["sim", "--env-file", env_file.to_str().unwrap()]);
    let sim_url = sim
        .wait_line(|l| l.starts_with("listening on "), Duration::from_secs(10))
        .trim_start_matches("listening on ")
        .to_owned();
    sim.wait_line(
        |l| l.starts_with("credentials of "),
        Duration::from_secs(10),
    );
    let env = env_of(&env_file);
    let account = env
        .iter()
        .find(|(k, _)| k == "KOMPLIANT_ACCOUNT_ID")
        .unwrap()
        .1
        .clone();
    let options = ClientOptions {
        max_retries: 0,
        timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        ..ClientOptions::default()
    };
    let client = KompliantClient::from_env_vars_with_options(
        env.iter().map(|(k, v)| (k.into(), v.into())),
        options,
    )
    .unwrap();

    let keys = dir.path().join("keys.json");
    let secret = WebhookSecret::from_bytes(&[7; 32]).unwrap();
    kompliant_webhooks::add_to_keyring_file(&keys, "whk_20251121_01", &secret).unwrap();
    let mut listen = Background::start(&["listen", "--keys", keys.to_str().unwrap()]);
    let listen_addr = listen
        .wait_line(|l| l.starts_with("listening on "), Duration::from_secs(10))
        .trim_start_matches("listening on http://")
        .to_owned();
    let sim_addr = sim_url.trim_start_matches("http://").to_owned();

    let stop = AtomicBool::new(false);
    let ((api, api_slowest), (deliveries, delivery_slowest), opened) = std::thread::scope(|s| {
        let attackers: Vec<_> = [&sim_addr, &listen_addr]
            .into_iter()
            .map(|addr| {
                let stop = &stop;
                s.spawn(move || hold_hostile_connections(addr, 500, stop))
            })
            .collect();
        // Let the attack take hold before measuring.
        std::thread::sleep(Duration::from_secs(1));
        let api = s.spawn(|| steady_requests(|_| client.list_webhook_configs(&account).is_ok()));
        let deliveries = s.spawn(|| {
            steady_requests(|n| {
                let metadata = WebhookMetadata {
                    id: format!("wh_flood{n:020}"),
                    event_type: "WORKFLOW_CREATED".into(),
                    timestamp: "2025-11-21T14:30:22Z".into(),
                    account_id: "sb_flood".into(),
                    schema_version: "2025-11-21".into(),
                    key_id: "whk_20251121_01".into(),
                };
                let body = seal(&metadata, b"{}", &secret, &WireProfile::default())
                    .unwrap()
                    .body(0);
                let mut request = format!(
                    "POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                request.extend_from_slice(&body);
                try_status(&listen_addr, &request) == Some(200)
            })
        });
        let api = api.join().unwrap();
        let deliveries = deliveries.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        let opened: usize = attackers.into_iter().map(|a| a.join().unwrap()).sum();
        (api, deliveries, opened)
    });
    eprintln!(
        "flood: API {api}/100 within 1 s (slowest {api_slowest:?}), deliveries {deliveries}/100 (slowest {delivery_slowest:?}), {opened} hostile connections opened"
    );
    assert!(api >= 95, "API calls: {api}/100 within 1 s");
    assert!(deliveries >= 95, "deliveries: {deliveries}/100 within 1 s");
    // Every delivery answered 200 was processed by the receiver.
    let processed = listen.count(|l| l.starts_with("webhook wh_flood"));
    assert!(processed >= deliveries, "{processed} processed");
}

/// The status of the answer to `request`, or `None` if none came within 1 s.
fn try_status(addr: &str, request: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(request).ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 256];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut chunk) {
            Ok(n) if n > 0 => answer.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
