//! The decrypted [`Webhook`] as it crosses to Kotlin and Swift: one buffer (metadata, retry
//! count and payload) per decrypt, read by a small hand-written class on the other side
//! (`Webhook.kt`, `Webhook.swift`), so a decrypt is one call and no per-field crossings.

use kompliant_webhooks as core;

use crate::error::KompliantError;
use crate::event::Event;

/// A decrypted, verified webhook. Kotlin and Swift see a class with `id()`, `eventType()`,
/// `timestamp()`, `accountId()`, `schemaVersion()`, `keyId()`, `retryCount()`,
/// `payloadJson()`, `payloadBytes()`, `metadata()` and `event()`; its `toString()` /
/// `description` shows the metadata and the payload's size, never its content.
pub struct Webhook(pub(crate) core::Webhook);

/// Bytes of the header before the fields: the retry count and six field lengths, u64 each.
pub const WIRE_HEADER_BYTES: usize = 8 * 7;

/// The one buffer a [`Webhook`] crosses as, big-endian (Java's `ByteBuffer` default):
/// `retry_count: u64`, the byte lengths of `id`, `event_type`, `timestamp`, `account_id`,
/// `schema_version`, `key_id` (u64 each), those six fields' UTF-8 bytes, then the payload's
/// UTF-8 bytes to the end. `Webhook.kt` and `Webhook.swift` read exactly this.
pub fn to_wire(webhook: core::Webhook) -> Vec<u8> {
    let (mut wire, payload) = wire_parts(webhook);
    wire.reserve_exact(payload.len());
    wire.extend_from_slice(payload.as_bytes());
    wire
}

/// The buffer of [`to_wire`] in two parts, the header and fields, then the payload, so a
/// caller can copy the (large) payload once, straight to where it goes.
pub(crate) fn wire_parts(webhook: core::Webhook) -> (Vec<u8>, String) {
    let (m, retry_count, payload) = webhook.into_parts();
    let fields = [
        &m.id,
        &m.event_type,
        &m.timestamp,
        &m.account_id,
        &m.schema_version,
        &m.key_id,
    ];
    let text: usize = fields.iter().map(|f| f.len()).sum();
    let mut head = Vec::with_capacity(WIRE_HEADER_BYTES + text);
    head.extend_from_slice(&retry_count.to_be_bytes());
    for field in fields {
        // usize is at most 64 bits on every target Rust supports.
        head.extend_from_slice(&(field.len() as u64).to_be_bytes());
    }
    for field in fields {
        head.extend_from_slice(field.as_bytes());
    }
    (head, payload)
}

/// The six metadata fields of an envelope. On a [`Webhook`] every value has been verified
/// through the GCM tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct WebhookMetadata {
    /// Unique message id (`wh_…`): the deduplication key.
    pub id: String,
    /// Event type, e.g. `WORKFLOW_CREATED`.
    pub event_type: String,
    /// ISO 8601 UTC time of the event, exactly as sent.
    pub timestamp: String,
    /// Account id (`lv_…` live, `sb_…` sandbox).
    pub account_id: String,
    /// Envelope schema version, a `YYYY-MM-DD` date.
    pub schema_version: String,
    /// Id of the key that encrypted the payload (`whk_YYYYMMDD_NN`).
    pub key_id: String,
}

impl From<core::WebhookMetadata> for WebhookMetadata {
    fn from(m: core::WebhookMetadata) -> Self {
        WebhookMetadata {
            id: m.id,
            event_type: m.event_type,
            timestamp: m.timestamp,
            account_id: m.account_id,
            schema_version: m.schema_version,
            key_id: m.key_id,
        }
    }
}

impl From<WebhookMetadata> for core::WebhookMetadata {
    fn from(m: WebhookMetadata) -> Self {
        core::WebhookMetadata {
            id: m.id,
            event_type: m.event_type,
            timestamp: m.timestamp,
            account_id: m.account_id,
            schema_version: m.schema_version,
            key_id: m.key_id,
        }
    }
}

uniffi::custom_type!(Webhook, Vec<u8>, {
    lower: |webhook| to_wire(webhook.0),
    // No exported function takes a Webhook: only a receiver makes one.
    try_lift: |_wire| Err(uniffi::deps::anyhow::anyhow!("a Webhook is made only by a receiver")),
});

/// The typed view of a decrypted payload (what `Webhook.event()` returns): `Workflow` for
/// `WORKFLOW_*` events, `SubjectRecordDataUpdated`, or `Other`. Throws
/// `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload lacks a required field, has one of the
/// wrong type, or has an unsupported major version.
#[uniffi::export]
pub fn parse_event(event_type: String, payload_json: String) -> Result<Event, KompliantError> {
    Ok(Event::from_core(
        core::Event::parse(&event_type, &payload_json)?,
        &event_type,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_is_header_fields_then_payload() {
        let metadata = core::WebhookMetadata {
            id: "wh_1".into(),
            event_type: "DOCUMENT_UPLOADED".into(),
            timestamp: "2025-11-21T14:30:22.123Z".into(),
            account_id: "sb_é".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251121_01".into(),
        };
        let secret = core::WebhookSecret::generate().expect("random");
        let keyring = core::Keyring::new();
        keyring.add(&metadata.key_id, &secret).expect("key added");
        let sealed = core::seal(
            &metadata,
            r#"{"a":"ü"}"#.as_bytes(),
            &secret,
            &core::WireProfile::default(),
        )
        .expect("sealed");
        let webhook = core::WebhookReceiver::new(keyring)
            .decrypt(&sealed.body(7))
            .expect("opens");
        let wire = to_wire(webhook);
        assert_eq!(wire[..8], 7u64.to_be_bytes());
        assert_eq!(wire[8..16], 4u64.to_be_bytes());
        assert_eq!(
            wire[32..40],
            5u64.to_be_bytes(),
            "account_id length in bytes"
        );
        assert!(wire.ends_with(r#"{"a":"ü"}"#.as_bytes()));
    }
}
