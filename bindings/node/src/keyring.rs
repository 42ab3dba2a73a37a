//! `Keyring`: the webhook keys a receiver accepts (the core's [`core::Keyring`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use kompliant_webhooks as core;
use napi::bindgen_prelude::{Buffer, Either};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use zeroize::Zeroizing;

use crate::error::{guard, range_error, webhook_error};

/// A set of webhook keys, `keyId → secret`. Receivers built on it see keys added later.
/// Secrets stay in native memory (wiped when dropped) and are never printed.
#[napi]
pub struct Keyring {
    pub(crate) inner: core::Keyring,
}

/// A secret as standard base64 text (as `webhook.key.create` returns it) or as raw bytes.
pub(crate) fn secret_from(secret: Either<String, Buffer>) -> napi::Result<core::WebhookSecret> {
    match secret {
        Either::A(text) => {
            let text = Zeroizing::new(text);
            core::WebhookSecret::from_base64(&text)
        }
        Either::B(bytes) => core::WebhookSecret::from_bytes(&bytes),
    }
    .map_err(|e| webhook_error(&e))
}

/// A retired key still held, and when the keyring drops it.
#[napi(object)]
pub struct NativeRetiredKey {
    /// The key id.
    pub key_id: String,
    /// When it is dropped, in milliseconds since the Unix epoch.
    pub expires_at_ms: f64,
}

/// What a watched keyring reports about its file (the core's `KeyringFileEvent`), handed to
/// the JS layer, which turns `error` into the package's Error class.
#[napi(object)]
pub struct NativeKeyringFileEvent {
    /// `reloaded` or `problem`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// The keyring file.
    pub path: String,
    /// `reloaded`: the key ids now held, sorted.
    pub key_ids: Option<Vec<String>>,
    /// `problem`: the error, encoded as every error this module throws
    /// (`KOMPLIANT_ERROR:` + JSON; never quotes a secret).
    pub error: Option<String>,
    /// The core's log line for the event.
    pub message: String,
}

fn native_event(event: &core::KeyringFileEvent) -> Option<NativeKeyringFileEvent> {
    let message = event.to_string();
    match event {
        core::KeyringFileEvent::Reloaded { path, key_ids } => Some(NativeKeyringFileEvent {
            kind: "reloaded".to_owned(),
            path: path.clone(),
            key_ids: Some(key_ids.clone()),
            error: None,
            message,
        }),
        core::KeyringFileEvent::Problem { path, error } => Some(NativeKeyringFileEvent {
            kind: "problem".to_owned(),
            path: path.clone(),
            key_ids: None,
            error: Some(webhook_error(error).reason.clone()),
            message,
        }),
        // A kind of event this binding does not know yet is not reported.
        _ => None,
    }
}

#[napi]
impl Keyring {
    /// An empty keyring.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Keyring {
            inner: core::Keyring::new(),
        }
    }

    /// Loads `{"whk_…": "<base64 secret>", …}`. `INVALID_KEY` if the text is not such an
    /// object or a key id or secret is invalid (messages never quote secrets).
    #[napi(factory)]
    pub fn from_json(json: String) -> napi::Result<Self> {
        let json = Zeroizing::new(json);
        guard(|| {
            core::Keyring::from_json(&json)
                .map(|inner| Keyring { inner })
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Loads a keyring JSON file. `IO_ERROR` if it is missing or cannot be read; `INVALID_KEY`
    /// if it is not a regular file (a directory, a FIFO: never opened), not UTF-8, or holds no
    /// key; otherwise as `fromJson`.
    #[napi(factory)]
    pub fn from_file(path: String) -> napi::Result<Self> {
        guard(|| {
            core::Keyring::from_file(&path)
                .map(|inner| Keyring { inner })
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Loads the keyring file at `path` and follows it (the core's `Keyring::watch_with`):
    /// a key another process adds, retires or removes is picked up by a later lookup, the
    /// file being checked at most once per `intervalMs` (default 1000) and at once for a key
    /// id the keyring lacks. `onEvent` receives each reload and each problem (reported once;
    /// the last good keys are kept), queued to the JS thread, never blocking a lookup.
    /// Errors as `fromFile`.
    #[napi(factory)]
    pub fn watch(
        path: String,
        interval_ms: Option<f64>,
        // Called through a thread-safe function, so the core may report from any thread (a
        // decrypt on libuv's pool included). Weak: it never keeps the process alive. Not
        // callee-handled: the listener receives only the event.
        on_event: Option<
            ThreadsafeFunction<
                NativeKeyringFileEvent,
                (),
                NativeKeyringFileEvent,
                napi::Status,
                false,
                true,
            >,
        >,
    ) -> napi::Result<Self> {
        let mut options = core::WatchOptions::default();
        if let Some(ms) = interval_ms {
            let interval = Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
                range_error(
                    "options.intervalMs must be a finite, non-negative number of milliseconds",
                )
            })?;
            options = options.interval(interval);
        }
        if let Some(listener) = on_event {
            options = options.on_event(Arc::new(move |event: &core::KeyringFileEvent| {
                if let Some(event) = native_event(event) {
                    // Non-blocking on an unbounded queue: a decrypt never waits for JS. A
                    // closing environment drops the report.
                    let _ = listener.call(event, ThreadsafeFunctionCallMode::NonBlocking);
                }
            }));
        }
        guard(|| {
            core::Keyring::watch_with(&path, options)
                .map(|inner| Keyring { inner })
                .map_err(|e| webhook_error(&e))
        })
    }

    /// The file this keyring follows (made by `watch`), or null.
    #[napi(getter)]
    pub fn watched_path(&self) -> Option<String> {
        self.inner
            .watched_path()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// Loads every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of `env` as key
    /// `whk_<YYYYMMDD>_<NN>`. `INVALID_KEY` for a malformed name or value, and when there is
    /// no such variable at all (an empty keyring would refuse every webhook).
    #[napi(factory)]
    pub fn from_env_vars(env: HashMap<String, String>) -> napi::Result<Self> {
        guard(|| {
            let vars = env
                .into_iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value)));
            core::Keyring::from_env_vars(vars)
                .map(|inner| Keyring { inner })
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Adds `keyId` with a base64 secret or the 32 raw bytes. Adding a held key id again
    /// with the same secret changes nothing; with a different secret it is refused
    /// (`INVALID_KEY`): remove the key first to replace it.
    #[napi]
    pub fn add(&self, key_id: String, secret: Either<String, Buffer>) -> napi::Result<()> {
        guard(|| {
            // The core's add_* name the key id in a bad-secret error.
            match secret {
                Either::A(text) => self.inner.add_base64(&key_id, &Zeroizing::new(text)),
                Either::B(bytes) => self.inner.add_bytes(&key_id, &bytes),
            }
            .map_err(|e| webhook_error(&e))
        })
    }

    /// Removes `keyId`; whether it was present.
    #[napi]
    pub fn remove(&self, key_id: String) -> bool {
        self.inner.remove(&key_id)
    }

    /// Retires `keyId` after a rotation: kept for `keepForSeconds` (default 7 days, the
    /// retry horizon), then dropped. Whether the key was present.
    #[napi]
    pub fn retire(&self, key_id: String, keep_for_seconds: Option<f64>) -> napi::Result<bool> {
        let keep_for = crate::guard::seconds(
            "keepForSeconds",
            keep_for_seconds,
            core::decided::DEFAULT_RETIRED_KEY_RETENTION,
        )?;
        Ok(self.inner.retire(&key_id, keep_for))
    }

    /// The retired keys still held: `{ keyId, expiresAtMs }` sorted by key id.
    #[napi]
    pub fn retired_keys(&self) -> Vec<NativeRetiredKey> {
        self.inner
            .retired_keys()
            .into_iter()
            .map(|r| NativeRetiredKey {
                expires_at_ms: match r.expires_at.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => d.as_secs_f64() * 1000.0,
                    Err(e) => -e.duration().as_secs_f64() * 1000.0,
                },
                key_id: r.key_id,
            })
            .collect()
    }

    /// Whether the keyring holds `keyId`.
    #[napi]
    pub fn has(&self, key_id: String) -> bool {
        self.inner.contains(&key_id)
    }

    /// The key ids held, sorted.
    #[napi]
    pub fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids()
    }

    /// Number of keys held.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn keyring_file_events_cross_as_the_js_layer_reads_them() {
        let reloaded = native_event(&core::KeyringFileEvent::Reloaded {
            path: "/k/keys.json".into(),
            key_ids: vec!["whk_20251121_01".into(), "whk_20251121_02".into()],
        })
        .unwrap();
        assert_eq!(reloaded.kind, "reloaded");
        assert_eq!(reloaded.path, "/k/keys.json");
        assert_eq!(
            reloaded.key_ids.as_deref(),
            Some(&["whk_20251121_01".to_owned(), "whk_20251121_02".to_owned()][..])
        );
        assert!(reloaded.error.is_none());
        assert!(reloaded.message.contains("reloaded"));

        let error = core::WebhookError::IoError {
            path: "/k/keys.json".into(),
            detail: "No such file or directory".into(),
        };
        let problem = native_event(&core::KeyringFileEvent::Problem {
            path: "/k/keys.json".into(),
            error,
        })
        .unwrap();
        assert_eq!(problem.kind, "problem");
        assert!(problem.key_ids.is_none());
        // The same encoding as a thrown error: errors.js turns it into an IoError.
        let encoded = problem.error.unwrap();
        let json: serde_json::Value = serde_json::from_str(
            encoded
                .strip_prefix(kompliant_webhooks_js_shared::error::ERROR_PREFIX)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["kind"], "webhook");
        assert_eq!(json["code"], "IO_ERROR");
        assert!(problem.message.contains("keeping the keys"));
    }
}
