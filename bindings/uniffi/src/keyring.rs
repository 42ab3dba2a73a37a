//! Webhook secrets and keyrings: thin objects over the core's [`kompliant_webhooks::Keyring`]
//! and [`kompliant_webhooks::WebhookSecret`]. Their `toString()` / `description` never shows
//! secret bytes. A watched keyring reports its file's changes to a foreign
//! [`KeyringFileListener`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::KompliantError;

/// A webhook shared secret (the 32-byte AES-256-GCM key). `toString()` / `description` prints
/// `WebhookSecret([REDACTED])`; the Rust copy of the bytes is wiped when the object is freed.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct WebhookSecret(pub(crate) kompliant_webhooks::WebhookSecret);

#[uniffi::export]
impl WebhookSecret {
    /// Decodes a secret from standard padded base64 (as `webhook.key.create` returns it);
    /// surrounding whitespace is ignored.
    ///
    /// Throws `INVALID_KEY` if the text is not base64 of exactly 32 bytes (the message gives
    /// the decoded length, never the secret).
    #[uniffi::constructor]
    pub fn from_base64(text: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::from_base64(&text)?,
        )))
    }

    /// A secret from its 32 raw bytes. Throws `INVALID_KEY` for any other length.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::from_bytes(&bytes)?,
        )))
    }

    /// A fresh random secret from the operating system's generator (for tests and fixtures).
    /// Throws `INTERNAL` if the generator fails.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::generate()?,
        )))
    }

    /// The secret as standard padded base64. Only for handing it to a secret store; never
    /// log it.
    pub fn to_base64(&self) -> String {
        self.0.to_base64().to_string()
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The webhook keys a receiver accepts, by key id (several at once, so a rotation never drops
/// a webhook). Thread-safe; a receiver built on a keyring sees keys added to it later.
/// `toString()` / `description` lists the key ids and prints `[REDACTED]` for the secrets.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Keyring(pub(crate) kompliant_webhooks::Keyring);

#[uniffi::export]
impl Keyring {
    /// An empty keyring (fill it with `add`; a receiver on an empty keyring answers every
    /// webhook 503 `UNKNOWN_KEY`).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Keyring(kompliant_webhooks::Keyring::new()))
    }

    /// A keyring from the text of a keyring file: a JSON object
    /// `{"whk_20251021_01": "<base64 secret>", ...}`, where a key rotated out may be
    /// `{"secret": "<base64>", "retired_at": "<RFC 3339 UTC>"}` (what `addToKeyringFile`
    /// writes). Retired keys are held like the others: they still decrypt redeliveries.
    ///
    /// Throws `INVALID_KEY` if the text is not such an object, any key id, secret or
    /// retirement time is invalid, or it holds no key (a keyring that accepts nothing would
    /// answer every webhook 503). Messages never quote the secrets.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_json(
            &json,
        )?)))
    }

    /// A keyring from a keyring file, read once (see `fromJson`). To follow a file another
    /// process rotates keys into while the receiver runs, use `watch`.
    ///
    /// Throws `IO_ERROR` if the file cannot be read (missing included); `INVALID_KEY` if the
    /// path is not a regular file (a directory, a FIFO: never opened, so it cannot hang), the
    /// file is not UTF-8, or as `fromJson`.
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_file(
            path,
        )?)))
    }

    /// Loads the keyring file at `path` (as `fromFile`) and follows it: a key another process
    /// adds (the store step of a rotation: `addToKeyringFile`), retires or removes is picked
    /// up by the next `decrypt`, at most `interval` (default 1 s) after the change, and at
    /// once by a webhook naming a key id the keyring does not hold yet. Checking costs one
    /// `stat` per interval; the file is read only when it changed, and never with a lock held
    /// that a request waits on.
    ///
    /// If the file becomes invalid (half-written, corrupt, no keys, deleted, a directory, a
    /// FIFO), the keyring keeps its last good keys and reports the problem once to
    /// `listener` (again only after a good load); each good reload is reported too.
    /// `listener` is called on the thread of the `decrypt` that noticed the change, with no
    /// lock held: keep it short. An exception it throws is ignored (never reaches `decrypt`).
    ///
    /// Without a listener, `Keyring.watch(path)` (Kotlin: an extension on
    /// `Keyring.Companion`; Swift: an extension of `Keyring`) logs each event instead: Kotlin
    /// through `java.util.logging` (logger `kompliant_webhooks`: reloads at INFO, problems at
    /// WARNING), Swift as one line on standard error.
    ///
    /// Keys added by hand (`add`) to a watched keyring are replaced at the next change of
    /// the file.
    ///
    /// Throws as `fromFile`: the file must load now.
    #[uniffi::constructor(default(interval = None))]
    pub fn watch(
        path: String,
        interval: Option<Duration>,
        listener: Arc<dyn KeyringFileListener>,
    ) -> Result<Arc<Self>, KompliantError> {
        let mut options = kompliant_webhooks::WatchOptions::default().on_event(Arc::new(
            move |event: &kompliant_webhooks::KeyringFileEvent| {
                // A listener's exception must not reach decrypt: it is dropped here.
                if let Some(event) = KeyringFileEvent::of(event) {
                    let _ = listener.on_event(event);
                }
            },
        ));
        if let Some(interval) = interval {
            options = options.interval(interval);
        }
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::watch_with(
            path, options,
        )?)))
    }

    /// A keyring from every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` environment variable
    /// of the process (key id `whk_<YYYYMMDD>_<NN>`). Throws `INVALID_KEY` if no such
    /// variable is set (a keyring that accepts nothing would answer every webhook 503), or
    /// for a variable with the prefix but a bad suffix or value (a typo must not silently
    /// drop a key).
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_env()?)))
    }

    /// Adds the key `keyId` from its base64 secret. Adding a key id the keyring holds with
    /// the same secret changes nothing. Throws `INVALID_KEY` for a bad key id, a secret that
    /// is not base64 of exactly 32 bytes, or a key id the keyring already holds with a
    /// DIFFERENT secret (key ids are unique per account only: keep one keyring per account;
    /// to replace a key on purpose, `remove` it first).
    pub fn add(&self, key_id: String, secret_base64: String) -> Result<(), KompliantError> {
        Ok(self.0.add_base64(&key_id, &secret_base64)?)
    }

    /// Adds the key `keyId` with `secret` (as `add`). Throws `INVALID_KEY` for a bad key id
    /// or a key id held with a different secret.
    pub fn add_secret(
        &self,
        key_id: String,
        secret: Arc<WebhookSecret>,
    ) -> Result<(), KompliantError> {
        Ok(self.0.add(&key_id, &secret.0)?)
    }

    /// Removes the key `keyId`; returns whether it was present.
    pub fn remove(&self, key_id: String) -> bool {
        self.0.remove(&key_id)
    }

    /// Whether the keyring holds `keyId`.
    pub fn contains(&self, key_id: String) -> bool {
        self.0.contains(&key_id)
    }

    /// The key ids held, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        self.0.key_ids()
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keyring file this keyring follows (made by `watch`), or null / nil.
    pub fn watched_path(&self) -> Option<String> {
        self.0.watched_path().map(|p| p.display().to_string())
    }
}

/// What a watched keyring (`Keyring.watch`) reports about its file. `message` (also
/// `toString()` / `description`) is the core's log line of the event, the same in every
/// language; it never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum KeyringFileEvent {
    /// The file changed and its keys were loaded.
    Reloaded {
        /// The keyring file.
        path: String,
        /// The key ids now held, sorted.
        key_ids: Vec<String>,
        /// The log line: the file and the key ids now held.
        message: String,
    },
    /// The file changed and cannot be loaded; the keyring keeps the keys it had. Reported
    /// once per problem: again only after a good load.
    Problem {
        /// The keyring file.
        path: String,
        /// Why: `INVALID_KEY` (not a keyring, no keys, not a regular file, not UTF-8) or
        /// `IO_ERROR` (missing, unreadable). Never quotes a secret.
        error: KompliantError,
        /// The log line: the file, why, and that the keys loaded before are kept.
        message: String,
    },
}

impl KeyringFileEvent {
    /// The core's event in this binding's terms; `None` for a kind of event added to the
    /// core after this binding (not reported: a listener handles the kinds it knows).
    fn of(event: &kompliant_webhooks::KeyringFileEvent) -> Option<Self> {
        let message = event.to_string();
        match event {
            kompliant_webhooks::KeyringFileEvent::Reloaded { path, key_ids } => {
                Some(KeyringFileEvent::Reloaded {
                    path: path.clone(),
                    key_ids: key_ids.clone(),
                    message,
                })
            }
            kompliant_webhooks::KeyringFileEvent::Problem { path, error } => {
                Some(KeyringFileEvent::Problem {
                    path: path.clone(),
                    error: KompliantError::from(error.clone()),
                    message,
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for KeyringFileEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringFileEvent::Reloaded { message, .. }
            | KeyringFileEvent::Problem { message, .. } => f.write_str(message),
        }
    }
}

/// Told of each reload and problem of a watched keyring's file (`Keyring.watch`):
/// implemented in Kotlin or Swift (log it, count it in a metric). Called on the thread of the
/// `decrypt` that noticed the change, with no lock held; keep it short. Anything it throws is
/// ignored: a listener never breaks decryption.
#[uniffi::export(foreign)]
pub trait KeyringFileListener: Send + Sync {
    /// One event of the keyring file.
    fn on_event(&self, event: KeyringFileEvent) -> Result<(), KompliantError>;
}

impl fmt::Display for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyring({:?})", self.0)
    }
}

/// Adds `keyId` to the keyring file at `path` (the file `Keyring.watch` follows) as the key
/// now in use, creating the file if needed. Use it as the store step of a rotation:
///
/// - every other key not yet retired is marked retired now (`"retired_at"`); it stays in
///   the file, so receivers keep decrypting redeliveries sealed with it;
/// - keys retired longer than `retention` ago (default 7 days, Kompliant's retry horizon)
///   are removed from the file, except keys that may still be ACTIVE (those this write
///   retires and those the rotation before retired);
/// - the same key id and secret again makes that key the one in use again.
///
/// Written atomically (temporary file + rename), mode 0600, under an OS file lock
/// (`.<name>.lock` beside the file) shared by every process, so concurrent additions all
/// survive.
///
/// Throws `INVALID_KEY` for a bad key id or secret, an existing file that is not a valid
/// keyring (or not a regular file), or a different secret for a key id the file holds;
/// `IO_ERROR` if the file cannot be read or written.
#[uniffi::export(default(retention = None))]
pub fn add_to_keyring_file(
    path: String,
    key_id: String,
    secret_base64: String,
    retention: Option<Duration>,
) -> Result<(), KompliantError> {
    let secret = kompliant_webhooks::WebhookSecret::from_base64(&secret_base64)?;
    Ok(match retention {
        None => kompliant_webhooks::add_to_keyring_file(path, &key_id, &secret),
        Some(retention) => kompliant_webhooks::add_to_keyring_file_with_retention(
            path, &key_id, &secret, retention,
        ),
    }?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_shows_the_secret() -> Result<(), KompliantError> {
        let b64 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
        let secret = WebhookSecret::from_base64(b64.into())?;
        assert_eq!(secret.to_string(), "WebhookSecret([REDACTED])");
        let keyring = Keyring::new();
        keyring.add("whk_20251021_01".into(), b64.into())?;
        let text = keyring.to_string();
        assert!(text.contains("whk_20251021_01") && text.contains("[REDACTED]"));
        assert!(!text.contains(b64));
        Ok(())
    }

    /// The event's log line is the core's, word for word (it is written twice: the binding's
    /// enum cannot hold the core's error).
    #[test]
    fn event_lines_are_the_cores() {
        let core_events = [
            kompliant_webhooks::KeyringFileEvent::Reloaded {
                path: "/srv/keys.json".into(),
                key_ids: vec!["whk_20251021_01".into(), "whk_20251121_01".into()],
            },
            kompliant_webhooks::KeyringFileEvent::Problem {
                path: "/srv/keys.json".into(),
                error: kompliant_webhooks::WebhookError::IoError {
                    path: "/srv/keys.json".into(),
                    detail: "No such file or directory (os error 2)".into(),
                },
            },
        ];
        for core_event in &core_events {
            let event = KeyringFileEvent::of(core_event).expect("a known kind");
            assert_eq!(event.to_string(), core_event.to_string());
        }
    }

    /// A listener that fails does not fail the lookup that noticed the change.
    #[test]
    fn a_failing_listener_never_reaches_the_lookup() -> Result<(), Box<dyn std::error::Error>> {
        struct Failing(std::sync::Mutex<Vec<KeyringFileEvent>>);
        impl KeyringFileListener for Failing {
            fn on_event(&self, event: KeyringFileEvent) -> Result<(), KompliantError> {
                self.0
                    .lock()
                    .map_err(|_| KompliantError::internal("poisoned"))?
                    .push(event);
                Err(KompliantError::internal("listener failed"))
            }
        }
        let dir = std::env::temp_dir().join(format!("kw-uniffi-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("keys.json");
        let b64 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
        add_to_keyring_file(
            path.display().to_string(),
            "whk_20251021_01".into(),
            b64.into(),
            None,
        )?;
        let listener = Arc::new(Failing(std::sync::Mutex::default()));
        let keyring = Keyring::watch(
            path.display().to_string(),
            Some(Duration::ZERO),
            listener.clone(),
        )?;
        std::fs::write(&path, "{not json")?;
        assert!(keyring.contains("whk_20251021_01".into()));
        let events = listener.0.lock().map_err(|_| "poisoned")?.clone();
        assert!(
            matches!(
                &events[..],
                [KeyringFileEvent::Problem {
                    error: KompliantError::InvalidKey { .. },
                    ..
                }]
            ),
            "{events:?}"
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
