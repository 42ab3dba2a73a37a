//! Sealing (the inverse of decrypting, for tests and fixtures), secrets, keyring files and
//! the core's lists of stable names.

use std::time::Duration;

use kompliant_webhooks as core;
use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi_derive::napi;

use crate::client::Blocking;
use crate::error::{guard, range_error, webhook_error};
use crate::keyring::secret_from;
use crate::receiver::{profile_from, NativeCustomProfile};

/// The six metadata fields of an envelope.
#[napi(object)]
pub struct NativeMetadata {
    /// `wh_…`
    pub id: String,
    /// e.g. `WORKFLOW_CREATED`
    pub event_type: String,
    /// ISO 8601 UTC
    pub timestamp: String,
    /// `lv_…` / `sb_…`
    pub account_id: String,
    /// `YYYY-MM-DD`
    pub schema_version: String,
    /// The key that seals it.
    pub key_id: String,
}

/// Options of `seal`.
#[napi(object)]
pub struct NativeSealOptions {
    /// A built-in profile by name.
    pub profile: Option<String>,
    /// A custom profile.
    pub custom_profile: Option<NativeCustomProfile>,
    /// A fixed 12-byte nonce, for reproducible fixtures only (never reuse one with a key).
    pub nonce: Option<Buffer>,
}

/// An encrypted webhook; the same sealed envelope is re-sent on every redelivery.
#[napi]
pub struct SealedEnvelope {
    inner: core::SealedEnvelope,
}

#[napi]
impl SealedEnvelope {
    /// The metadata (in clear, authenticated by the tag).
    #[napi(getter)]
    pub fn metadata(&self) -> NativeMetadata {
        let m = self.inner.metadata();
        NativeMetadata {
            id: m.id.clone(),
            event_type: m.event_type.clone(),
            timestamp: m.timestamp.clone(),
            account_id: m.account_id.clone(),
            schema_version: m.schema_version.clone(),
            key_id: m.key_id.clone(),
        }
    }

    /// The base64 `data` field.
    #[napi(getter)]
    pub fn data(&self) -> String {
        self.inner.data().to_owned()
    }

    /// The HTTP request body for delivery attempt `retryCount` (0 for the first).
    #[napi]
    pub fn body(&self, retry_count: f64) -> napi::Result<Buffer> {
        // The core's largest count (2^53 - 1) is exact as a JS number.
        #[allow(clippy::cast_precision_loss)]
        let max = kompliant_webhooks::decided::MAX_RETRY_COUNT as f64;
        if retry_count.fract() != 0.0 || !(0.0..=max).contains(&retry_count) {
            return Err(range_error(
                "retryCount must be an integer from 0 to 2^53 - 1",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(self.inner.body(retry_count as u64).into())
    }
}

/// Encrypts `payload` for `metadata.keyId` with `secret` exactly as Kompliant does.
/// `MALFORMED_ENVELOPE` if a metadata field holds the AAD separator; `INVALID_KEY` for a bad
/// secret.
#[napi]
pub fn seal(
    metadata: NativeMetadata,
    payload: &[u8],
    secret: Either<String, Buffer>,
    options: Option<NativeSealOptions>,
) -> napi::Result<SealedEnvelope> {
    guard(|| {
        let secret = secret_from(secret)?;
        let (profile, nonce) = match &options {
            Some(o) => (
                profile_from(o.profile.as_deref(), o.custom_profile.as_ref())?,
                o.nonce.as_ref(),
            ),
            None => (core::WireProfile::default(), None),
        };
        let metadata = core::WebhookMetadata {
            id: metadata.id,
            event_type: metadata.event_type,
            timestamp: metadata.timestamp,
            account_id: metadata.account_id,
            schema_version: metadata.schema_version,
            key_id: metadata.key_id,
        };
        let sealed = match nonce {
            None => core::seal(&metadata, payload, &secret, &profile),
            Some(nonce) => {
                let nonce: [u8; 12] = nonce[..]
                    .try_into()
                    .map_err(|_| range_error("nonce must be exactly 12 bytes"))?;
                core::seal_with_nonce(&metadata, payload, &secret, &profile, nonce)
            }
        }
        .map_err(|e| webhook_error(&e))?;
        Ok(SealedEnvelope { inner: sealed })
    })
}

/// A fresh random 32-byte webhook secret, as base64. For tests and fixtures.
#[napi]
pub fn generate_secret() -> napi::Result<String> {
    guard(|| {
        let secret = core::WebhookSecret::generate().map_err(|e| webhook_error(&e))?;
        Ok(secret.to_base64().to_string())
    })
}

/// Adds `keyId` to the keyring file at `path` as the key in use (the store step of a
/// rotation), atomically (mode 0600, under an OS file lock shared by every process), off the
/// event loop: every other key not yet retired is marked retired now, and keys retired longer
/// than `retentionSeconds` ago (default 7 days) are removed. `INVALID_KEY` (also for a different
/// secret under a key id the file holds) / `IO_ERROR` as the core's
/// `add_to_keyring_file_with_retention`.
#[napi]
pub fn add_to_keyring_file(
    path: String,
    key_id: String,
    secret: Either<String, Buffer>,
    retention_seconds: Option<f64>,
) -> napi::Result<AsyncTask<Blocking<()>>> {
    let secret = secret_from(secret)?;
    let retention = match retention_seconds {
        None => core::decided::DEFAULT_RETIRED_KEY_RETENTION,
        Some(seconds) => Duration::try_from_secs_f64(seconds).map_err(|_| {
            range_error("options.retentionSeconds must be a finite, non-negative number of seconds")
        })?,
    };
    Ok(AsyncTask::new(Blocking::new(move || {
        core::add_to_keyring_file_with_retention(&path, &key_id, &secret, retention)
            .map_err(|e| webhook_error(&e))
    })))
}

/// Every stable error code, in documentation order.
#[napi]
pub fn error_codes() -> Vec<String> {
    kompliant_webhooks_js_shared::error::error_codes()
}

/// The names of the built-in wire profiles (the first is the default).
#[napi]
pub fn profile_names() -> Vec<String> {
    kompliant_webhooks_js_shared::profile_names()
}
