//! `kompliant keys …`, `kompliant endpoints …`, `kompliant trigger`, `kompliant deliveries`:
//! the API client from the command line. Credentials come from the environment
//! (`KOMPLIANT_API_KEY`, `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN`, optional
//! `KOMPLIANT_BASE_URL`; `kompliant sim --env-file` writes them for the simulator).

use std::path::PathBuf;
use std::time::Duration;

use kompliant_webhooks::decided::DEFAULT_RETIRED_KEY_RETENTION;
use kompliant_webhooks::{add_to_keyring_file_with_retention, KompliantClient, RetryPolicy};
use serde_json::{json, Value};

use crate::Failure;

/// The account to act for: `--account`, else `KOMPLIANT_ACCOUNT_ID`.
#[derive(Debug, clap::Args)]
pub(crate) struct AccountArg {
    /// Account id (`sb_…` or `lv_…`); defaults to $KOMPLIANT_ACCOUNT_ID.
    #[arg(long, env = "KOMPLIANT_ACCOUNT_ID")]
    account: String,
}

/// `kompliant keys …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Keys {
    /// Create a key (INACTIVE). Its secret is shown once, or written to --keyring only.
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// Write the secret into this keyring file (mode 0600) instead of printing it; the
        /// other keys there are marked retired, those retired longer than --retention-days
        /// are removed.
        #[arg(long, value_name = "FILE")]
        keyring: Option<PathBuf>,
        #[command(flatten)]
        retention: RetentionArg,
    },
    /// Activate a key; the previously ACTIVE key becomes DELETED.
    Activate {
        /// The key id (`whk_…`).
        key_id: String,
    },
    /// Show a key's status (never its secret).
    Get {
        /// The key id (`whk_…`).
        key_id: String,
    },
    /// Rotate: create a key, store its secret in --keyring, prove it works, then activate it.
    Rotate {
        #[command(flatten)]
        account: AccountArg,
        /// Keyring file the receivers load or watch; the new secret is added before
        /// activation, the other keys there are marked retired (they still decrypt
        /// redeliveries), and keys retired longer than --retention-days are removed.
        #[arg(long, value_name = "FILE")]
        keyring: PathBuf,
        #[command(flatten)]
        retention: RetentionArg,
    },
}

/// How long a keyring file keeps a retired key.
#[derive(Debug, clap::Args)]
pub(crate) struct RetentionArg {
    /// Days a retired key stays in the keyring file (Kompliant redelivers for up to 7 days).
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_RETIRED_KEY_RETENTION.as_secs() / 86_400)]
    retention_days: u64,
}

impl RetentionArg {
    fn duration(&self) -> Duration {
        Duration::from_secs(self.retention_days.saturating_mul(86_400))
    }
}

/// `kompliant endpoints …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Endpoints {
    /// Register an endpoint URL (https://, or http:// on loopback with the simulator).
    Create {
        /// The URL.
        url: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// List the endpoints.
    List {
        #[command(flatten)]
        account: AccountArg,
    },
    /// Show one endpoint.
    Get {
        /// The config id (`whc_…`).
        config_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Change an endpoint's URL.
    Update {
        /// The config id (`whc_…`).
        config_id: String,
        /// The new URL.
        url: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Delete an endpoint (permanent).
    Delete {
        /// The config id (`whc_…`).
        config_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
}

/// Arguments of `kompliant trigger` (simulator only).
#[derive(Debug, clap::Args)]
pub(crate) struct Trigger {
    /// Event type, e.g. WORKFLOW_CREATED or SUBJECT_RECORD_DATA_UPDATED.
    event_type: String,
    /// Payload to seal instead of a generated one (a JSON object).
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
}

fn client() -> Result<KompliantClient, Failure> {
    Ok(KompliantClient::from_env()?)
}

fn print(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| Failure::new("INTERNAL", e.to_string()))?;
    println!("{text}");
    Ok(())
}

pub(crate) fn keys(command: &Keys) -> Result<(), Failure> {
    let client = client()?;
    match command {
        Keys::Create {
            account,
            keyring,
            retention,
        } => {
            let key = client.create_webhook_key(&account.account)?;
            match keyring {
                Some(path) => {
                    add_to_keyring_file_with_retention(
                        path,
                        &key.key_id,
                        &key.secret,
                        retention.duration(),
                    )
                    .map_err(|e| {
                        Failure::new(
                            "STORE_FAILED",
                            format!(
                                "key {} was created (INACTIVE) but writing its secret to {} failed, and Kompliant never returns a secret again: create another key once the file is writable (the INACTIVE one is harmless; it cannot be activated usefully without its secret): {e}",
                                key.key_id,
                                path.display()
                            ),
                        )
                    })?;
                    println!(
                        "created {} ({}); secret written to {}",
                        key.key_id,
                        key.status.as_str(),
                        path.display()
                    );
                }
                None => {
                    println!(
                        "created {} ({}) at {}",
                        key.key_id,
                        key.status.as_str(),
                        key.created_at
                    );
                    println!("shared secret (shown ONCE; store it now, Kompliant will not return it again):");
                    println!("{}", key.secret.to_base64().as_str());
                }
            }
            Ok(())
        }
        Keys::Activate { key_id } => print(&client.activate_webhook_key(key_id)?),
        Keys::Get { key_id } => print(&client.get_webhook_key(key_id)?),
        Keys::Rotate {
            account,
            keyring,
            retention,
        } => {
            let rotation = client.rotate_webhook_key(&account.account, |key_id, secret| {
                add_to_keyring_file_with_retention(keyring, key_id, secret, retention.duration())
            })?;
            print(&rotation)
        }
    }
}

pub(crate) fn endpoints(command: &Endpoints) -> Result<(), Failure> {
    let client = client()?;
    match command {
        Endpoints::Create { url, account } => {
            let config_id = client.create_webhook_config(&account.account, url)?;
            print(&json!({ "config_id": config_id, "url": url }))
        }
        Endpoints::List { account } => print(&client.list_webhook_configs(&account.account)?),
        Endpoints::Get { config_id, account } => {
            print(&client.get_webhook_config(&account.account, config_id)?)
        }
        Endpoints::Update {
            config_id,
            url,
            account,
        } => {
            client.update_webhook_config(&account.account, config_id, url)?;
            print(&json!({ "config_id": config_id, "url": url }))
        }
        Endpoints::Delete { config_id, account } => {
            client.delete_webhook_config(&account.account, config_id)?;
            print(&json!({ "config_id": config_id, "deleted": true }))
        }
    }
}

pub(crate) fn trigger(args: &Trigger) -> Result<(), Failure> {
    let mut body = serde_json::Map::new();
    body.insert("event_type".into(), Value::String(args.event_type.clone()));
    if let Some(data) = &args.data {
        let data: Value = serde_json::from_str(data)
            .map_err(|e| Failure::new("USAGE", format!("--data is not JSON: {e}")))?;
        body.insert("data".into(), data);
    }
    // Not retried after it may have reached the simulator: a repeat would be a second event.
    let response = client()?.call(
        "sim.event.trigger",
        Value::Object(body),
        RetryPolicy::OnlyIfNotSent,
    )?;
    print(&response.data)
}

pub(crate) fn deliveries() -> Result<(), Failure> {
    let response = client()?.call("sim.deliveries.list", json!({}), RetryPolicy::Safe)?;
    print(&response.data)
}

pub(crate) fn check_version() -> Result<(), Failure> {
    print(&client()?.check_version()?)
}
