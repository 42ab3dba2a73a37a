//! The state file: keys, configs and accounts survive a restart; written 0600, all or nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{account, start_with, Client, Receiver};
use kompliant_sim::decided::STATE_WRITE_INTERVAL;
use kompliant_sim::{SimConfig, SimError, Simulator};
use kompliant_webhooks::{Keyring, WebhookReceiver};
use serde_json::{json, Value};

#[test]
fn restart_keeps_keys_and_configs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-state.json");
    let endpoint = Receiver::status(200);

    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    let (key_id, secret) = c.active_key();
    let config_id = c.endpoint(&endpoint.url);
    let deleted = c.endpoint("https://gone.example.com/");
    c.ok(
        "webhook.config.delete",
        json!({"account_id": c.id(), "config_id": deleted}),
    );
    let activated = c.ok("webhook.key.get", json!({"key_id": key_id}));
    sim.shutdown();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );

    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    assert_eq!(
        c.ok("webhook.key.get", json!({"key_id": key_id})),
        activated
    );
    let list = c.ok("webhook.config.list", json!({"account_id": c.id()}));
    assert_eq!(list["configs"].as_array().unwrap().len(), 1);
    assert_eq!(list["configs"][0]["config_id"], config_id.as_str());
    // The daily sequence continues.
    let next = c.ok("webhook.key.create", json!({"account_id": c.id()}));
    assert!(next["key_id"].as_str().unwrap().ends_with("_02"), "{next}");
    // Events are sealed with the persisted secret.
    c.trigger("WORKFLOW_CREATED");
    assert!(sim.wait_idle(Duration::from_secs(10)));
    let keyring = Keyring::new();
    keyring.add_base64(&key_id, &secret).unwrap();
    let got = endpoint.received();
    assert_eq!(got.len(), 1);
    WebhookReceiver::new(keyring).decrypt(&got[0].body).unwrap();
}

#[test]
fn a_generated_account_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = || SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    };
    let first = Simulator::start(config()).unwrap();
    let account = first.accounts()[0].clone();
    first.shutdown();
    let second = Simulator::start(config()).unwrap();
    assert_eq!(second.accounts(), std::slice::from_ref(&account));
    let c = Client::new(&second, account);
    assert_eq!(c.call("meta.checkVersion", json!({})).0, 200);
    // A configured account is added next to it.
    second.shutdown();
    let third = Simulator::start(SimConfig {
        accounts: vec![common::account(1)],
        ..config()
    })
    .unwrap();
    assert_eq!(third.accounts().len(), 2);
}

#[test]
fn an_invalid_state_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{not json").unwrap();
    let err = Simulator::start(SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, SimError::StateFile { .. }), "{err}");
    assert_eq!(err.code(), "STATE_FILE_ERROR");
}

#[test]
fn a_change_that_cannot_be_saved_is_not_made() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("state.json");
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    std::fs::remove_dir_all(&sub).unwrap();
    let e = c.err("webhook.key.create", json!({"account_id": c.id()}), 500);
    assert_eq!(e["code"], "INTERNAL_ERROR");
    std::fs::create_dir(&sub).unwrap();
    // The failed creation did not use up a sequence number.
    let k = c.ok("webhook.key.create", json!({"account_id": c.id()}));
    assert!(k["key_id"].as_str().unwrap().ends_with("_01"), "{k}");
}

/// The names in `dir` other than `keep`, sorted.
fn others_in(dir: &Path, keep: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != keep)
        .collect();
    names.sort();
    names
}

#[test]
fn deleted_configs_and_the_secrets_of_deleted_keys_are_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    let (old_key, old_secret) = c.active_key();
    let (new_key, new_secret) = c.active_key();
    let kept = c.endpoint("https://kept.example.com/");
    let gone = c.endpoint("https://gone.example.com/");
    c.ok(
        "webhook.config.delete",
        json!({"account_id": c.id(), "config_id": gone}),
    );
    sim.shutdown();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&gone), "deleted config id in the file");
    assert!(
        !text.contains("gone.example.com"),
        "deleted config URL in the file"
    );
    assert!(text.contains(&kept));
    assert!(
        !text.contains(&old_secret),
        "a DELETED key's secret in the file"
    );
    assert!(text.contains(&new_secret));
    assert!(text.contains(&old_key), "the DELETED key's record stays");

    // After a restart the API answers as before the restart.
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    let got = c.ok("webhook.key.get", json!({"key_id": old_key}));
    assert_eq!(got["status"], "DELETED");
    let e = c.err("webhook.key.activate", json!({"key_id": old_key}), 400);
    assert_eq!(e["sub_code"], "KEY_DELETED");
    assert_eq!(
        c.ok("webhook.key.get", json!({"key_id": new_key}))["status"],
        "ACTIVE"
    );
    for method in ["webhook.config.get", "webhook.config.delete"] {
        let e = c.err(
            method,
            json!({"account_id": c.id(), "config_id": gone}),
            404,
        );
        assert_eq!(e["code"], "ENTITY_NOT_FOUND");
    }
    // Deleted configs do not count against the limit of 20, in memory either.
    for n in 0..25 {
        let id = c.endpoint(&format!("https://n{n}.example.com/"));
        c.ok(
            "webhook.config.delete",
            json!({"account_id": c.id(), "config_id": id}),
        );
    }
    let list = c.ok("webhook.config.list", json!({"account_id": c.id()}));
    assert_eq!(list["configs"].as_array().unwrap().len(), 1);
}

#[test]
fn leftover_temporary_files_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    start_with(|c| c.state_file = Some(path.clone())).shutdown();
    let leftovers = [
        ".state.json.0123456789abcdef.tmp",
        ".state.json.fedcba9876543210.tmp",
    ];
    let unrelated = ".other.json.0123456789abcdef.tmp";
    for name in leftovers.iter().chain([&unrelated]) {
        std::fs::write(dir.path().join(name), "a copy of every secret").unwrap();
    }
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    assert_eq!(others_in(dir.path(), "state.json"), [unrelated]);
    sim.shutdown();
}

#[test]
fn a_burst_of_changes_costs_a_few_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    let before = sim.state_file_writes();
    let started = Instant::now();
    let mut last = String::new();
    for n in 0..100 {
        let id = c.endpoint(&format!("https://burst{n}.example.com/"));
        if n < 99 {
            c.ok(
                "webhook.config.delete",
                json!({"account_id": c.id(), "config_id": id}),
            );
        }
        last = id;
    }
    let elapsed = started.elapsed();
    let writes = sim.state_file_writes() - before;
    println!("199 changes in {elapsed:?}: {writes} writes");
    // At most one write per interval, plus the one that may be under way at either end.
    let intervals = elapsed.as_millis() / STATE_WRITE_INTERVAL.as_millis();
    assert!(
        u128::from(writes) <= intervals + 2,
        "{writes} writes in {elapsed:?}"
    );
    assert!(writes < 50, "{writes} writes for 199 changes");
    // The last change reaches the file within an interval, without a shutdown.
    let deadline = Instant::now() + STATE_WRITE_INTERVAL * 20;
    while !std::fs::read_to_string(&path).unwrap().contains(&last) {
        assert!(
            Instant::now() < deadline,
            "the last change was never written"
        );
        std::thread::sleep(STATE_WRITE_INTERVAL / 4);
    }
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("burst98.example.com"));
}

#[test]
fn a_key_is_on_disk_before_its_secret_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let sim = start_with(|c| c.state_file = Some(path.clone()));
    let c = Client::new(&sim, account(1));
    for _ in 0..5 {
        // A config change just before: coalesced, and carried by the key's write.
        let config_id = c.endpoint(&format!("https://k{}.example.com/", c.id().len()));
        let k = c.ok("webhook.key.create", json!({"account_id": c.id()}));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(k["shared_secret"].as_str().unwrap()));
        assert!(text.contains(&config_id));
        c.ok("webhook.key.activate", json!({"key_id": k["key_id"]}));
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let keys = file["data"][c.id()]["keys"].as_array().unwrap();
        let key = keys.iter().find(|x| x["key_id"] == k["key_id"]).unwrap();
        assert_eq!(key["status"], "ACTIVE");
        c.ok(
            "webhook.config.delete",
            json!({"account_id": c.id(), "config_id": config_id}),
        );
    }
}

// ---------------------------------------------------------------------------------------
// kill -9
// ---------------------------------------------------------------------------------------

/// The environment variable that makes [`kill_target`] run a simulator on the state file it
/// names, in a process of its own (this test binary run again) for [`survives_kill_9`].
const KILL_TARGET_ENV: &str = "KOMPLIANT_SIM_TEST_KILL_TARGET_STATE";

/// Not a test on its own: with [`KILL_TARGET_ENV`] set, does what `kompliant sim --state FILE`
/// does (start a simulator, print its URL, serve until killed); without it, nothing.
#[test]
fn kill_target() {
    let Some(path) = std::env::var_os(KILL_TARGET_ENV) else {
        return;
    };
    let sim = Simulator::start(SimConfig {
        accounts: vec![account(1)],
        state_file: Some(PathBuf::from(path)),
        ..SimConfig::default()
    })
    .unwrap();
    println!("listening on {}", sim.base_url());
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// A simulator process on `path`; its base URL.
fn spawn_target(path: &Path) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill_target", "--nocapture", "--test-threads=1"])
        .env(KILL_TARGET_ENV, path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the simulator process printed its URL")
            .unwrap();
        // The test harness may print `test kill_target ... ` first on the same line.
        if let Some((_, url)) = line.split_once("listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// A signed call to the simulator at `base` as account 1 that may fail (the server being
/// killed): the `data` of a 200 answer.
fn try_call(agent: &ureq::Agent, base: &str, method: &str, body: &Value) -> Option<Value> {
    let a = account(1);
    let signature = common::signature(&a.secret_key, &a.api_key);
    let mut resp = agent
        .post(format!("{base}/{method}"))
        .header("Content-Type", "application/json")
        .header("X-API-Key", a.api_key.as_str())
        .header("X-API-Auth-Token", a.auth_token.as_str())
        .header("Authorization", format!("KSig1-HMAC-SHA256 {signature}"))
        .send(body.to_string().as_bytes())
        .ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()?;
    Some(v["data"].clone())
}

/// A key whose creation (and maybe activation) was answered before a kill.
struct AnsweredKey {
    key_id: String,
    secret: String,
    activated: bool,
}

/// `kill -9` at random moments while changes are made: every time, the file parses as a
/// complete state holding every key whose secret was answered, and the next start leaves no
/// temporary file.
#[test]
fn survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let runs = 14;
    let mut left_behind = 0;
    let mut answered_keys: Vec<AnsweredKey> = Vec::new();
    for run in 0..runs {
        let (child, url) = spawn_target(&path);
        // Checked once the process is killed, so a failure leaves no process behind.
        let after_start = others_in(dir.path(), "state.json");
        let id = account(1).account_id.clone();
        // SIGKILL after 50 to 550 ms of changes, from another thread: at any moment of a
        // request, a write included.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let delay = Duration::from_millis(50 + u64::from(nanos % 500));
        let killed = Arc::new(AtomicBool::new(false));
        let killer = std::thread::spawn({
            let killed = Arc::clone(&killed);
            let mut child = child;
            move || {
                std::thread::sleep(delay);
                child.kill().unwrap(); // SIGKILL
                killed.store(true, Ordering::SeqCst);
                child.wait().unwrap();
            }
        });
        // Two more clients re-activate the ACTIVE key in a loop (no change, a write all the
        // same), so the process is often in the middle of a write when it is killed.
        let active: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let helpers: Vec<_> = (0..2)
            .map(|_| {
                let (killed, active, agent, url) = (
                    Arc::clone(&killed),
                    Arc::clone(&active),
                    agent.clone(),
                    url.clone(),
                );
                std::thread::spawn(move || {
                    while !killed.load(Ordering::SeqCst) {
                        let key_id = active.lock().unwrap().clone();
                        match key_id {
                            Some(key_id) => {
                                try_call(
                                    &agent,
                                    &url,
                                    "webhook.key.activate",
                                    &json!({"key_id": key_id}),
                                );
                            }
                            None => std::thread::sleep(Duration::from_millis(1)),
                        }
                    }
                })
            })
            .collect();
        let mut n = 0u64;
        let mut keys_this_run = 0;
        while !killed.load(Ordering::SeqCst) {
            n += 1;
            let endpoint = format!("https://r{run}n{n}.example.com/");
            let created = try_call(
                &agent,
                &url,
                "webhook.config.create",
                &json!({"account_id": id, "config": {"url": endpoint}}),
            );
            if let Some(d) = created {
                try_call(
                    &agent,
                    &url,
                    "webhook.config.delete",
                    &json!({"account_id": id, "config_id": d["config_id"]}),
                );
            }
            // Key changes, written before they are answered: a new key now and then (at most
            // 7 per run: 14 runs stay under the daily limit of 100), activated.
            if n.is_multiple_of(3) && keys_this_run < 7 {
                if let Some(k) = try_call(
                    &agent,
                    &url,
                    "webhook.key.create",
                    &json!({"account_id": id}),
                ) {
                    keys_this_run += 1;
                    answered_keys.push(AnsweredKey {
                        key_id: k["key_id"].as_str().unwrap().to_owned(),
                        secret: k["shared_secret"].as_str().unwrap().to_owned(),
                        activated: false,
                    });
                }
            }
            if let Some(key) = answered_keys.last_mut() {
                let activated = try_call(
                    &agent,
                    &url,
                    "webhook.key.activate",
                    &json!({"key_id": key.key_id}),
                );
                if activated.is_some() {
                    key.activated = true;
                    *active.lock().unwrap() = Some(key.key_id.clone());
                }
            }
        }
        for helper in helpers {
            helper.join().unwrap();
        }
        killer.join().unwrap();
        assert_eq!(
            after_start,
            Vec::<String>::new(),
            "run {run}: a temporary file survived the start"
        );

        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("run {run}: the state file does not parse: {e}"));
        assert_eq!(file["format"], 2);
        let keys = file["data"][&id]["keys"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for answered in &answered_keys {
            let key_id = answered.key_id.as_str();
            let key = keys
                .iter()
                .find(|k| k["key_id"] == key_id)
                .unwrap_or_else(|| panic!("run {run}: answered key {key_id} lost"));
            if key["status"] != "DELETED" {
                assert_eq!(
                    key["secret"],
                    answered.secret.as_str(),
                    "run {run}: {key_id}"
                );
            }
            if answered.activated {
                assert_ne!(
                    key["status"], "INACTIVE",
                    "run {run}: activation of {key_id} lost"
                );
            }
        }
        if !others_in(dir.path(), "state.json").is_empty() {
            left_behind += 1;
        }
    }
    // The next start removes what the last kill left.
    let (mut child, _) = spawn_target(&path);
    let after_start = others_in(dir.path(), "state.json");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(after_start, Vec::<String>::new());
    println!(
        "{runs} kill -9 runs: state file complete every time, {} answered keys all kept, \
         a temporary file left by {left_behind} kills (removed at the next start)",
        answered_keys.len()
    );
    assert!(!answered_keys.is_empty());
}
