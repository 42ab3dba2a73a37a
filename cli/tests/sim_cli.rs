//! The CLI end to end on loopback: `kompliant sim`, `keys create|activate|get|rotate`,
//! `endpoints`, `trigger`, `deliveries` and `kompliant listen` working together.

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kompliant");

/// A background `kompliant` process whose stdout lines arrive on a channel; killed on drop.
struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn start(args: &[&str]) -> Background {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line satisfying `pred` (lines already seen count too).
    fn wait_line(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            if let Some(line) = self.seen.iter().find(|l| pred(l)) {
                return line.clone();
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no matching line within {timeout:?}; got {:#?}", self.seen),
            }
        }
    }

    fn count(&mut self, pred: impl Fn(&str) -> bool) -> usize {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.iter().filter(|l| pred(l)).count()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
        assert!(!sim
            .seen
            .iter()
            .chain(&listen.seen)
            .any(|l| l.contains(secret.as_str().unwrap())));
    }
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
