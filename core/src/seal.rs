//! Sealing: encrypting a payload into an envelope exactly as Kompliant does, the inverse of
//! [`crate::WebhookReceiver::decrypt`]. For tests, fixtures and the local simulator.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::aead::AeadKey;
use crate::decided::NONCE_LEN;
use crate::envelope::{self, WebhookMetadata};
use crate::error::WebhookError;
use crate::profile::{TagPosition, WireProfile};
use crate::secret::WebhookSecret;

/// An encrypted webhook: the metadata and the base64 `data`. The same sealed envelope is
/// re-sent on every redelivery, with only `retry_count` changing ([`SealedEnvelope::body`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEnvelope {
    metadata: WebhookMetadata,
    data: String,
}

impl SealedEnvelope {
    /// The metadata (in clear in the envelope, authenticated by the tag).
    pub fn metadata(&self) -> &WebhookMetadata {
        &self.metadata
    }

    /// The base64 `data` field.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The HTTP request body for delivery attempt `retry_count` (0 for the first).
    pub fn body(&self, retry_count: u64) -> Vec<u8> {
        envelope::write(&self.metadata, &self.data, retry_count)
    }
}

/// Encrypts `payload` under `secret` with a fresh random nonce. `metadata.key_id` must name
/// the key `secret` belongs to. `payload` is sealed as given (a test may seal non-JSON on
/// purpose; receivers refuse it with `PAYLOAD_NOT_JSON`).
///
/// # Errors
/// `MALFORMED_ENVELOPE` if a metadata field holds the profile's AAD separator; `INTERNAL` if
/// the system random generator fails.
pub fn seal(
    metadata: &WebhookMetadata,
    payload: &[u8],
    secret: &WebhookSecret,
    profile: &WireProfile,
) -> Result<SealedEnvelope, WebhookError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| WebhookError::Internal {
        detail: format!("system random generator failed: {e}"),
    })?;
    seal_with_nonce(metadata, payload, secret, profile, nonce)
}

/// As [`seal`], with a caller-chosen nonce. Only for reproducible fixtures: reusing a nonce
/// with the same key breaks AES-GCM's security.
///
/// # Errors
/// `MALFORMED_ENVELOPE` if a metadata field holds the profile's AAD separator; `INTERNAL` if
/// the payload is too long for AES-GCM (over 64 GiB).
pub fn seal_with_nonce(
    metadata: &WebhookMetadata,
    payload: &[u8],
    secret: &WebhookSecret,
    profile: &WireProfile,
    nonce: [u8; NONCE_LEN],
) -> Result<SealedEnvelope, WebhookError> {
    let cipher = AeadKey::new(secret.expose_bytes())?;
    let aad = profile.aad_bytes(metadata)?;
    let mut ciphertext = payload.to_vec();
    let tag = cipher
        .seal_in_place(nonce, &aad, &mut ciphertext)
        .map_err(|_| WebhookError::Internal {
            detail: "payload too long for AES-GCM".into(),
        })?;
    let mut raw = Vec::with_capacity(NONCE_LEN + ciphertext.len() + tag.len());
    raw.extend_from_slice(&nonce);
    match profile.tag_position() {
        TagPosition::AfterCiphertext => {
            raw.extend_from_slice(&ciphertext);
            raw.extend_from_slice(&tag);
        }
        TagPosition::BeforeCiphertext => {
            raw.extend_from_slice(&tag);
            raw.extend_from_slice(&ciphertext);
        }
    }
    Ok(SealedEnvelope {
        metadata: metadata.clone(),
        data: STANDARD.encode(raw),
    })
}
