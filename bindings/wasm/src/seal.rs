//! Sealing webhooks as Kompliant does (for tests and fixtures), the error-code and profile
//! lists, and the HTTP answers of `node/lib/errors.js` and `http.js`.

use js_sys::{Array, Uint8Array};
use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::error as shared;
use wasm_bindgen::prelude::*;

use crate::error::{not_on_edge, range_error, thrown, webhook_error, Result};
use crate::js;
use crate::keyring::Secret;
use crate::receiver::profile_of;

/// An encrypted webhook; the same sealed envelope is re-sent on every redelivery.
#[wasm_bindgen]
pub struct SealedEnvelope {
    inner: core::SealedEnvelope,
}

#[wasm_bindgen]
impl SealedEnvelope {
    /// The metadata `{ id, eventType, timestamp, accountId, schemaVersion, keyId }`.
    #[wasm_bindgen(getter)]
    pub fn metadata(&self) -> Result<JsValue> {
        let m = self.inner.metadata();
        let s = |v: &str| Some(JsValue::from_str(v));
        js::object(&[
            ("id", s(&m.id)),
            ("eventType", s(&m.event_type)),
            ("timestamp", s(&m.timestamp)),
            ("accountId", s(&m.account_id)),
            ("schemaVersion", s(&m.schema_version)),
            ("keyId", s(&m.key_id)),
        ])
    }

    /// The base64 `data` field.
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> String {
        self.inner.data().to_owned()
    }

    /// The HTTP request body for delivery attempt `retryCount` (0 for the first), as a
    /// `Uint8Array` (napi: a `Buffer`).
    pub fn body(&self, retry_count: f64) -> Result<Uint8Array> {
        // The core's largest count (2^53 - 1) is exact as a JS number.
        #[allow(clippy::cast_precision_loss)]
        let max = core::decided::MAX_RETRY_COUNT as f64;
        if retry_count.fract() != 0.0 || !(0.0..=max).contains(&retry_count) {
            return Err(range_error(
                "retryCount must be an integer from 0 to 2^53 - 1",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let body = self.inner.body(retry_count as u64);
        Ok(Uint8Array::from(body.as_slice()))
    }
}

/// Encrypts `payload` for `metadata.keyId` with `secret` (base64 or 32 bytes) exactly as
/// Kompliant does; options `{ profile?, customProfile?, nonce? }`.
#[wasm_bindgen]
pub fn seal(
    metadata: JsValue,
    payload: &[u8],
    secret: JsValue,
    options: JsValue,
) -> Result<SealedEnvelope> {
    let secret = Secret::from_js(&secret)?.to_core()?;
    let profile = profile_of(&options)?;
    let nonce = js::bytes_field(&options, "nonce")?;
    let metadata = core::WebhookMetadata {
        id: js::required_string(&metadata, "id")?,
        event_type: js::required_string(&metadata, "eventType")?,
        timestamp: js::required_string(&metadata, "timestamp")?,
        account_id: js::required_string(&metadata, "accountId")?,
        schema_version: js::required_string(&metadata, "schemaVersion")?,
        key_id: js::required_string(&metadata, "keyId")?,
    };
    let sealed = match nonce {
        None => core::seal(&metadata, payload, &secret, &profile),
        Some(nonce) => {
            let nonce: [u8; 12] = nonce
                .as_slice()
                .try_into()
                .map_err(|_| range_error("nonce must be exactly 12 bytes"))?;
            core::seal_with_nonce(&metadata, payload, &secret, &profile, nonce)
        }
    }
    .map_err(|e| webhook_error(&e))?;
    Ok(SealedEnvelope { inner: sealed })
}

/// A fresh random 32-byte webhook secret, as base64 (from `crypto.getRandomValues`).
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret() -> Result<String> {
    let secret = core::WebhookSecret::generate().map_err(|e| webhook_error(&e))?;
    Ok(secret.to_base64().to_string())
}

/// Not available on the edge (no filesystem): throws `IO_ERROR`.
#[wasm_bindgen(js_name = addToKeyringFile)]
pub fn add_to_keyring_file(
    path: String,
    _key_id: JsValue,
    _secret: JsValue,
    _retention_seconds: JsValue,
) -> Result<JsValue> {
    Err(not_on_edge("addToKeyringFile", &path))
}

/// Every stable error code, in documentation order.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Array {
    js::string_array(&shared::error_codes())
}

/// The names of the built-in wire profiles (the first is the default).
#[wasm_bindgen(js_name = profileNames)]
pub fn profile_names() -> Array {
    js::string_array(&kompliant_webhooks_js_shared::profile_names())
}

/// `{ status, publicMessage }` of an answer.
fn answer(a: shared::HttpAnswer) -> Result<JsValue> {
    js::object(&[
        ("status", Some(JsValue::from(a.status))),
        ("publicMessage", Some(JsValue::from_str(&a.public_message))),
    ])
}

/// The answer for an error with this stable `code`: `{ status, publicMessage }`. A
/// `RangeError` for a string that is not a stable code.
#[wasm_bindgen(js_name = httpAnswer)]
pub fn http_answer(code: &str) -> Result<JsValue> {
    answer(shared::http_answer(code).map_err(thrown)?)
}

/// The answer an adapter sends when the user's handler fails.
#[wasm_bindgen(js_name = handlerFailureAnswer)]
pub fn handler_failure_answer() -> Result<JsValue> {
    answer(shared::handler_failure_answer())
}

/// The napi constant `HANDLER_FAILURE_STATUS`, as a function (the shim makes it a value).
#[wasm_bindgen(js_name = HANDLER_FAILURE_STATUS)]
pub fn handler_failure_status() -> u32 {
    shared::HANDLER_FAILURE_STATUS
}
