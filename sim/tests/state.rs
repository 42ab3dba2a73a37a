//! The state file: keys, configs and accounts survive a restart; written 0600, all or nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{account, start_with, Client, Receiver};
use kompliant_sim::{SimConfig, SimError, Simulator};
use kompliant_webhooks::{Keyring, WebhookReceiver};
use serde_json::json;

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
