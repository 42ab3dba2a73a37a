//! `Keyring`: the core's keyring with the napi binding's methods. Secrets are wiped when
//! dropped (the core's `WebhookSecret`); a secret passed as text is wiped here once added.
//! Files and watching need a filesystem: those factories throw `IO_ERROR` on the edge.

use std::ffi::OsString;

use js_sys::{Array, Object, Reflect, Uint8Array};
use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::guard::seconds;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use crate::error::{not_on_edge, thrown, type_error, webhook_error, Result};
use crate::js;

/// The webhook keys a receiver accepts, `keyId → secret`.
#[wasm_bindgen]
pub struct Keyring {
    pub(crate) inner: core::Keyring,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.inner.key_ids())
            .field("secrets", &"[REDACTED]")
            .finish()
    }
}

/// A secret argument: base64 text or the 32 raw bytes (napi's `Either<String, Buffer>`).
pub(crate) enum Secret {
    Text(Zeroizing<String>),
    Bytes(Zeroizing<Vec<u8>>),
}

impl Secret {
    pub(crate) fn from_js(value: &JsValue) -> Result<Secret> {
        if let Some(text) = value.as_string() {
            return Ok(Secret::Text(Zeroizing::new(text)));
        }
        match value.dyn_ref::<Uint8Array>() {
            Some(bytes) => Ok(Secret::Bytes(Zeroizing::new(bytes.to_vec()))),
            None => Err(type_error(
                "secret must be a base64 string or a Uint8Array of 32 bytes",
            )),
        }
    }

    /// The core's secret (`INVALID_KEY` for a bad one; never quoted).
    pub(crate) fn to_core(&self) -> Result<core::WebhookSecret> {
        match self {
            Secret::Text(text) => core::WebhookSecret::from_base64(text),
            Secret::Bytes(bytes) => core::WebhookSecret::from_bytes(bytes),
        }
        .map_err(|e| webhook_error(&e))
    }
}

#[wasm_bindgen]
impl Keyring {
    /// An empty keyring.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Keyring {
        Keyring {
            inner: core::Keyring::new(),
        }
    }

    /// Loads `{"whk_…": "<base64 secret>", …}`. `INVALID_KEY` if the text is not such an
    /// object or a key id or secret is invalid (messages never quote secrets).
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: String) -> Result<Keyring> {
        let json = Zeroizing::new(json);
        core::Keyring::from_json(&json)
            .map(|inner| Keyring { inner })
            .map_err(|e| webhook_error(&e))
    }

    /// Not available on the edge (no filesystem): throws `IO_ERROR`.
    #[wasm_bindgen(js_name = fromFile)]
    pub fn from_file(path: String) -> Result<Keyring> {
        Err(not_on_edge("Keyring.fromFile", &path))
    }

    /// Not available on the edge (no filesystem): throws `IO_ERROR`.
    pub fn watch(path: String, _interval_ms: JsValue, _listener: JsValue) -> Result<Keyring> {
        Err(not_on_edge("Keyring.watch", &path))
    }

    /// The file this keyring follows: never one on the edge.
    #[wasm_bindgen(getter, js_name = watchedPath)]
    pub fn watched_path(&self) -> Option<String> {
        None
    }

    /// Loads every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of `env` (an object of
    /// strings) as key `whk_<YYYYMMDD>_<NN>`. `INVALID_KEY` for a malformed name or value,
    /// and when there is no such variable at all.
    #[wasm_bindgen(js_name = fromEnvVars)]
    pub fn from_env_vars(env: &Object) -> Result<Keyring> {
        let mut vars = Vec::new();
        for entry in Object::entries(env).iter() {
            let pair: Array = entry.unchecked_into();
            let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
            else {
                return Err(type_error("env must be an object of strings"));
            };
            vars.push((OsString::from(name), OsString::from(value)));
        }
        core::Keyring::from_env_vars(vars)
            .map(|inner| Keyring { inner })
            .map_err(|e| webhook_error(&e))
    }

    /// Adds `keyId` with a base64 secret or the 32 raw bytes.
    pub fn add(&self, key_id: String, secret: JsValue) -> Result<()> {
        match Secret::from_js(&secret)? {
            Secret::Text(text) => self.inner.add_base64(&key_id, &text),
            Secret::Bytes(bytes) => self.inner.add_bytes(&key_id, &bytes),
        }
        .map_err(|e| webhook_error(&e))
    }

    /// Removes `keyId`; whether it was present.
    pub fn remove(&self, key_id: String) -> bool {
        self.inner.remove(&key_id)
    }

    /// Retires `keyId` after a rotation: kept for `keepForSeconds` (default 7 days), then
    /// dropped. Whether the key was present.
    pub fn retire(&self, key_id: String, keep_for_seconds: Option<f64>) -> Result<bool> {
        let keep_for = seconds(
            "keepForSeconds",
            keep_for_seconds,
            core::decided::DEFAULT_RETIRED_KEY_RETENTION,
        )
        .map_err(thrown)?;
        Ok(self.inner.retire(&key_id, keep_for))
    }

    /// The retired keys still held: `[{ keyId, expiresAtMs }]` sorted by key id.
    #[wasm_bindgen(js_name = retiredKeys)]
    pub fn retired_keys(&self) -> Result<Array> {
        let out = Array::new();
        for r in self.inner.retired_keys() {
            let ms = match r.expires_at.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => d.as_secs_f64() * 1000.0,
                Err(e) => -e.duration().as_secs_f64() * 1000.0,
            };
            let obj = Object::new();
            Reflect::set(&obj, &"keyId".into(), &JsValue::from_str(&r.key_id))?;
            Reflect::set(&obj, &"expiresAtMs".into(), &JsValue::from_f64(ms))?;
            out.push(&obj);
        }
        Ok(out)
    }

    /// Whether the keyring holds `keyId`.
    pub fn has(&self, key_id: String) -> bool {
        self.inner.contains(&key_id)
    }

    /// The key ids held, sorted.
    #[wasm_bindgen(js_name = keyIds)]
    pub fn key_ids(&self) -> Array {
        js::string_array(&self.inner.key_ids())
    }

    /// Number of keys held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}
