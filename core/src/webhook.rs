//! A verified, decrypted webhook: metadata the tag vouched for, the unauthenticated retry
//! count, and the payload as exact bytes, as JSON, and as a typed event.

use std::fmt;

use serde_json::{Map, Value};

use crate::envelope::WebhookMetadata;
use crate::error::WebhookError;
use crate::event::Event;
use crate::keyring::json_error_kind;

/// A decrypted webhook. Only a receiver makes one, after the tag verified.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    metadata: WebhookMetadata,
    retry_count: u64,
    payload: String,
}

impl Webhook {
    pub(crate) fn new(metadata: WebhookMetadata, retry_count: u64, payload: String) -> Self {
        Webhook {
            metadata,
            retry_count,
            payload,
        }
    }

    /// The verified metadata.
    pub fn metadata(&self) -> &WebhookMetadata {
        &self.metadata
    }

    /// Consumes the webhook into its metadata, retry count and payload text.
    pub fn into_parts(self) -> (WebhookMetadata, u64, String) {
        (self.metadata, self.retry_count, self.payload)
    }

    /// Unique message id (`wh_…`): deduplicate on it.
    pub fn id(&self) -> &str {
        &self.metadata.id
    }

    /// Event type, e.g. `WORKFLOW_CREATED`.
    pub fn event_type(&self) -> &str {
        &self.metadata.event_type
    }

    /// Event time as sent (ISO 8601 UTC).
    pub fn timestamp(&self) -> &str {
        &self.metadata.timestamp
    }

    /// Account id (`lv_…` or `sb_…`).
    pub fn account_id(&self) -> &str {
        &self.metadata.account_id
    }

    /// Envelope schema version (`YYYY-MM-DD`).
    pub fn schema_version(&self) -> &str {
        &self.metadata.schema_version
    }

    /// Id of the key that decrypted it.
    pub fn key_id(&self) -> &str {
        &self.metadata.key_id
    }

    /// Delivery attempt number, 0 on the first. NOT authenticated: anyone on the path can
    /// change it. Use it for logging and metrics only, never for decisions.
    pub fn retry_count(&self) -> u64 {
        self.retry_count
    }

    /// The payload's exact decrypted text (a JSON object).
    pub fn payload_str(&self) -> &str {
        &self.payload
    }

    /// The payload's exact decrypted bytes.
    pub fn payload_bytes(&self) -> &[u8] {
        self.payload.as_bytes()
    }

    /// The payload parsed as a JSON object (key order kept).
    ///
    /// # Errors
    /// `PAYLOAD_NOT_JSON` only if the payload holds a number outside `f64`'s range or nests
    /// deeper than 128 levels.
    pub fn payload_json(&self) -> Result<Map<String, Value>, WebhookError> {
        serde_json::from_str(&self.payload).map_err(|e| {
            WebhookError::not_json(format!(
                "{} at line {} column {}",
                json_error_kind(&e),
                e.line(),
                e.column()
            ))
        })
    }

    /// The payload as a typed event view ([`Event::Other`] for event types without one).
    ///
    /// # Errors
    /// `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload lacks a required field, has one
    /// of the wrong type, or has an unsupported major `version`.
    pub fn event(&self) -> Result<Event, WebhookError> {
        Event::parse(&self.metadata.event_type, &self.payload)
    }
}

impl fmt::Debug for Webhook {
    /// Shows the metadata and the payload's size, not its content (it may hold personal data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("metadata", &self.metadata)
            .field("retry_count", &self.retry_count)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish()
    }
}

/// A decrypted plaintext as text (the JSON check follows in [`crate::json`]).
///
/// # Errors
/// `PAYLOAD_NOT_JSON` if it is not UTF-8, saying where (never content).
pub(crate) fn payload_text(plaintext: Vec<u8>) -> Result<String, WebhookError> {
    String::from_utf8(plaintext).map_err(|e| {
        WebhookError::not_json(format!(
            "plaintext is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The error for a payload that is not a JSON object (`PAYLOAD_NOT_JSON`, the parser's
/// what-and-where: never content).
pub(crate) fn payload_not_json(e: &crate::json::SyntaxError) -> WebhookError {
    WebhookError::not_json(e.to_string())
}

/// Checks that a decrypted plaintext is a UTF-8 JSON object and returns it as text.
///
/// # Errors
/// `PAYLOAD_NOT_JSON`, saying what was found (a category and position, never content).
#[cfg(test)]
pub(crate) fn check_payload(plaintext: Vec<u8>) -> Result<String, WebhookError> {
    let text = payload_text(plaintext)?;
    match crate::json::parse_object(&text, &mut crate::json::CheckOnly) {
        Ok(()) => Ok(text),
        Err(crate::json::ParseError::Syntax(e)) => Err(payload_not_json(&e)),
        Err(crate::json::ParseError::Sink(never)) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn accepts_objects_only_and_never_echoes_content() {
        assert!(check_payload(br#"{"a":{"b":[1,"x"]}}"#.to_vec()).is_ok());
        for bad in [
            &br#"["secret-ish"]"#[..],
            br#""secret-ish""#,
            b"42",
            b"null",
            b"true",
            b"secret-ish",
            br#"{"a":"secret-ish"} x"#,
            b"{\"a\":\"\xff\"}",
            b"",
        ] {
            let err = check_payload(bad.to_vec()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PayloadNotJson);
            assert!(!err.to_string().contains("secret-ish"), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_payload() {
        let w = Webhook::new(
            WebhookMetadata {
                id: "wh_1".into(),
                event_type: "E".into(),
                timestamp: "T".into(),
                account_id: "A".into(),
                schema_version: "S".into(),
                key_id: "K".into(),
            },
            0,
            r#"{"ssn":"123-45-6789"}"#.into(),
        );
        let dbg = format!("{w:?}");
        assert!(!dbg.contains("123-45-6789"));
        assert!(dbg.contains("21 bytes"));
    }
}
