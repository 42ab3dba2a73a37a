//! [`seal_webhook`]: the inverse of decrypt, for tests and fixtures.

use std::fmt;
use std::sync::Arc;

use kompliant_webhooks as core;

use crate::error::KompliantError;
use crate::keyring::WebhookSecret;
use crate::profile::{profile_or_default, WireProfile};
use crate::webhook::WebhookMetadata;

/// An encrypted webhook as Kompliant sends it: the metadata and the base64 `data`. The same
/// sealed envelope is re-sent on every redelivery, only `retry_count` changes (`body`).
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct SealedEnvelope(core::SealedEnvelope);

#[uniffi::export]
impl SealedEnvelope {
    /// The metadata (in clear in the envelope, authenticated by the tag).
    pub fn metadata(&self) -> WebhookMetadata {
        self.0.metadata().clone().into()
    }

    /// The base64 `data` field (nonce, ciphertext and tag).
    pub fn data(&self) -> String {
        self.0.data().to_owned()
    }

    /// The HTTP request body (UTF-8 JSON) for delivery attempt `retryCount` (0 for the first).
    pub fn body(&self, retry_count: u64) -> Vec<u8> {
        self.0.body(retry_count)
    }
}

impl fmt::Display for SealedEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Encrypts `payload` into an envelope exactly as Kompliant does, with a fresh random nonce:
/// the inverse of `WebhookReceiver.decrypt`, for tests and fixtures. `metadata.keyId` must
/// name the key `secret` belongs to; `profile` defaults to `kompliant-2025-11-21`.
///
/// Throws `MALFORMED_ENVELOPE` if an authenticated metadata field holds the profile's AAD
/// separator; `INTERNAL` if the system random generator fails.
#[uniffi::export(default(profile = None))]
pub fn seal_webhook(
    metadata: WebhookMetadata,
    payload: Vec<u8>,
    secret: Arc<WebhookSecret>,
    profile: Option<Arc<WireProfile>>,
) -> Result<Arc<SealedEnvelope>, KompliantError> {
    let profile = profile_or_default(profile.as_deref());
    let sealed = core::seal(&metadata.into(), &payload, &secret.0, &profile)?;
    Ok(Arc::new(SealedEnvelope(sealed)))
}
