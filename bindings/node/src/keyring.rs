//! `Keyring`: the webhook keys a receiver accepts (the core's [`core::Keyring`]).

use std::collections::HashMap;
use std::ffi::OsString;

use kompliant_webhooks as core;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use zeroize::Zeroizing;

use crate::error::{guard, webhook_error};

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

    /// Loads a keyring JSON file. `IO_ERROR` if it cannot be read; otherwise as `fromJson`.
    #[napi(factory)]
    pub fn from_file(path: String) -> napi::Result<Self> {
        guard(|| {
            core::Keyring::from_file(&path)
                .map(|inner| Keyring { inner })
                .map_err(|e| webhook_error(&e))
        })
    }

    /// Loads every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of `env` as key
    /// `whk_<YYYYMMDD>_<NN>`. `INVALID_KEY` for a malformed name or value.
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

    /// Adds (or replaces) `keyId` with a base64 secret or the 32 raw bytes.
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
