//! The webhook receiver: body in, verified [`Webhook`] or typed [`WebhookError`] out.
//! Checks run in a fixed order: size, envelope, key, tag, payload, time window.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::decided::{
    DEFAULT_MAX_AGE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FUTURE_SKEW, NONCE_LEN, TAG_LEN,
};
use crate::envelope;
use crate::envelope::WebhookMetadata;
use crate::error::WebhookError;
use crate::json::{self, CheckOnly, JsonSink, ParseError};
use crate::keyring::{KeyEntry, Keyring};
use crate::profile::{TagPosition, WireProfile};
use crate::webhook::{payload_not_json, payload_text, Webhook};

/// How a [`WebhookReceiver`] checks webhooks. `Default` is the documented behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverOptions {
    /// The wire profile (default `kompliant-2025-11-21`).
    pub profile: WireProfile,
    /// Largest body accepted, in bytes (default 8 MiB); larger bodies are refused unread.
    pub max_body_bytes: usize,
    /// Refuse webhooks whose `timestamp` is older than this. Off by default: redeliveries
    /// arrive days after the event.
    pub max_age: Option<Duration>,
    /// Refuse webhooks whose `timestamp` is further than this in the future. Off by default.
    pub max_future_skew: Option<Duration>,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        ReceiverOptions {
            profile: WireProfile::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_age: DEFAULT_MAX_AGE,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    }
}

impl ReceiverOptions {
    /// Checks the options: every binding calls this before building a receiver.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` if `max_body_bytes` is 0 (every webhook would be refused).
    pub fn check(&self) -> Result<(), WebhookError> {
        if self.max_body_bytes == 0 {
            return Err(WebhookError::InvalidConfiguration {
                detail: "max_body_bytes must be at least 1 (the default is 8 MiB)".into(),
            });
        }
        Ok(())
    }
}

/// Decrypts and verifies webhook bodies with the keys of a [`Keyring`]. Cheap to clone and
/// safe to share between threads; keys added to the keyring later are used at once.
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    keyring: Keyring,
    options: ReceiverOptions,
}

impl WebhookReceiver {
    /// A receiver with the default options.
    pub fn new(keyring: Keyring) -> Self {
        WebhookReceiver::with_options(keyring, ReceiverOptions::default())
    }

    /// A receiver with the given options.
    pub fn with_options(keyring: Keyring, options: ReceiverOptions) -> Self {
        WebhookReceiver { keyring, options }
    }

    /// The keyring (shared: adding to it affects this receiver).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The options.
    pub fn options(&self) -> &ReceiverOptions {
        &self.options
    }

    /// Decrypts and verifies one raw request body (the exact bytes received: a body that was
    /// altered, truncated or decoded with a wrong charset fails to verify).
    ///
    /// # Errors
    /// `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`, `DECRYPTION_FAILED`,
    /// `PAYLOAD_NOT_JSON`, `TIMESTAMP_OUT_OF_RANGE` (only with a time window configured).
    pub fn decrypt(&self, body: &[u8]) -> Result<Webhook, WebhookError> {
        self.decrypt_at(body, crate::clock::wall_clock_now())
    }

    /// As [`WebhookReceiver::decrypt`], with the time window checked against `now`.
    ///
    /// # Errors
    /// As [`WebhookReceiver::decrypt`].
    pub fn decrypt_at(&self, body: &[u8], now: SystemTime) -> Result<Webhook, WebhookError> {
        match self.open_at(body, now)?.parse_into(&mut CheckOnly) {
            Ok((webhook, ())) => Ok(webhook),
            Err(ParseIntoError::Webhook(e)) => Err(e),
            Err(ParseIntoError::Sink(never)) => match never {},
        }
    }

    /// The first half of [`WebhookReceiver::decrypt_at`]: every check up to the tag (size,
    /// envelope, key, tag) and the payload's UTF-8. Bindings call it without holding their
    /// runtime's lock (Python's GIL), then [`OpenedWebhook::parse_into`] to build the payload
    /// in the host language while checking it, in one pass.
    ///
    /// # Errors
    /// `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`, `DECRYPTION_FAILED`,
    /// `PAYLOAD_NOT_JSON` (not UTF-8).
    pub fn open_at(&self, body: &[u8], now: SystemTime) -> Result<OpenedWebhook, WebhookError> {
        let Located {
            sealed,
            mut data,
            nonce,
            tag,
            ciphertext,
        } = self.locate(body, now)?;
        // Decrypted straight to the start of the buffer, which becomes the payload's String.
        let region = data
            .get_mut(..ciphertext.end)
            .ok_or_else(|| sealed.failed())?;
        let plaintext_len = sealed
            .key
            .cipher
            .open_in_place(nonce, &sealed.aad, region, ciphertext.start, tag)
            .map_err(|_| sealed.failed())?;
        data.truncate(plaintext_len);
        sealed.opened(data)
    }

    /// Every check of [`WebhookReceiver::open_at`] before AES-GCM (size, envelope, key), and
    /// where the nonce, tag and ciphertext lie in the decoded `data`.
    pub(crate) fn locate(&self, body: &[u8], now: SystemTime) -> Result<Located, WebhookError> {
        let limit = self.options.max_body_bytes;
        if body.len() > limit {
            return Err(WebhookError::BodyTooLarge {
                size: body.len(),
                limit,
            });
        }
        let (env, data) = envelope::parse(body, NONCE_LEN + TAG_LEN)?;
        let metadata = env.metadata();
        let aad = self.options.profile.aad_bytes(&metadata)?;
        let key = self
            .keyring
            .entry(&metadata.key_id)
            .ok_or_else(|| WebhookError::UnknownKey {
                key_id: crate::error::bounded(metadata.key_id.clone()),
            })?;
        let sealed = Sealed {
            metadata,
            retry_count: env.retry_count,
            aad,
            key,
            max_age: self.options.max_age,
            max_future_skew: self.options.max_future_skew,
            now,
        };

        // `data` is nonce || ciphertext || tag (or nonce || tag || ciphertext); parse()
        // guaranteed at least NONCE_LEN + TAG_LEN bytes, and every access below is checked.
        let len = data.len();
        let (tag_range, ciphertext) = match self.options.profile.tag_position() {
            TagPosition::AfterCiphertext => {
                let tag_at = len
                    .checked_sub(TAG_LEN)
                    .filter(|at| *at >= NONCE_LEN)
                    .ok_or_else(|| sealed.failed())?;
                (tag_at..len, NONCE_LEN..tag_at)
            }
            TagPosition::BeforeCiphertext => {
                let ciphertext_at = NONCE_LEN + TAG_LEN;
                (
                    NONCE_LEN..ciphertext_at,
                    ciphertext_at..len.max(ciphertext_at),
                )
            }
        };
        let nonce: [u8; NONCE_LEN] = data
            .get(..NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| sealed.failed())?;
        let tag: [u8; TAG_LEN] = data
            .get(tag_range)
            .and_then(|t| t.try_into().ok())
            .ok_or_else(|| sealed.failed())?;
        Ok(Located {
            sealed,
            data,
            nonce,
            tag,
            ciphertext,
        })
    }
}

/// A body whose envelope and key checked, its AES-GCM step not yet run: see
/// [`WebhookReceiver::locate`].
pub(crate) struct Located {
    pub(crate) sealed: Sealed,
    /// nonce, ciphertext and tag, as decoded from the envelope.
    pub(crate) data: Vec<u8>,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) tag: [u8; TAG_LEN],
    /// Where the ciphertext lies in `data`.
    pub(crate) ciphertext: std::ops::Range<usize>,
}

/// What the receive path knows of a webhook before its tag verifies.
pub(crate) struct Sealed {
    pub(crate) metadata: WebhookMetadata,
    pub(crate) retry_count: u64,
    pub(crate) aad: Vec<u8>,
    pub(crate) key: Arc<KeyEntry>,
    max_age: Option<Duration>,
    max_future_skew: Option<Duration>,
    now: SystemTime,
}

impl Sealed {
    /// `DECRYPTION_FAILED` for this webhook's key.
    pub(crate) fn failed(&self) -> WebhookError {
        WebhookError::DecryptionFailed {
            key_id: self.metadata.key_id.clone(),
        }
    }

    /// The webhook whose tag verified, with its decrypted payload (checked to be UTF-8).
    pub(crate) fn opened(self, plaintext: Vec<u8>) -> Result<OpenedWebhook, WebhookError> {
        Ok(OpenedWebhook {
            payload: payload_text(plaintext)?,
            metadata: self.metadata,
            retry_count: self.retry_count,
            max_age: self.max_age,
            max_future_skew: self.max_future_skew,
            now: self.now,
        })
    }
}

/// A webhook whose tag verified and whose payload is UTF-8 text not yet parsed, from
/// [`WebhookReceiver::open_at`]. Its only use is [`OpenedWebhook::parse_into`]: nothing of
/// the payload is reachable before it is checked as a JSON object.
pub struct OpenedWebhook {
    metadata: WebhookMetadata,
    retry_count: u64,
    payload: String,
    max_age: Option<Duration>,
    max_future_skew: Option<Duration>,
    now: SystemTime,
}

/// Why [`OpenedWebhook::parse_into`] failed: the webhook, or the sink building the payload.
#[derive(Debug)]
pub enum ParseIntoError<E> {
    /// `PAYLOAD_NOT_JSON` or `TIMESTAMP_OUT_OF_RANGE`.
    Webhook(WebhookError),
    /// The sink's own error.
    Sink(E),
}

impl OpenedWebhook {
    /// The rest of [`WebhookReceiver::decrypt_at`]: checks the payload is a JSON object
    /// (see [`crate::json`]) while `sink` builds it, then the time window. Returns the
    /// webhook and what the sink built.
    ///
    /// # Errors
    /// `PAYLOAD_NOT_JSON`, `TIMESTAMP_OUT_OF_RANGE` (only with a time window configured), or
    /// the sink's error.
    pub fn parse_into<S: JsonSink>(
        self,
        sink: &mut S,
    ) -> Result<(Webhook, S::Value), ParseIntoError<S::Error>> {
        let value = match json::parse_object(&self.payload, sink) {
            Ok(value) => value,
            Err(ParseError::Syntax(e)) => {
                return Err(ParseIntoError::Webhook(payload_not_json(&e)))
            }
            Err(ParseError::Sink(e)) => return Err(ParseIntoError::Sink(e)),
        };
        self.check_time_window().map_err(ParseIntoError::Webhook)?;
        Ok((
            Webhook::new(self.metadata, self.retry_count, self.payload),
            value,
        ))
    }

    fn check_time_window(&self) -> Result<(), WebhookError> {
        let (timestamp, now) = (self.metadata.timestamp.as_str(), self.now);
        let (max_age, max_skew) = (self.max_age, self.max_future_skew);
        if max_age.is_none() && max_skew.is_none() {
            return Ok(());
        }
        let out_of_range = |detail: String| WebhookError::TimestampOutOfRange {
            timestamp: crate::error::bounded(timestamp.to_owned()),
            detail,
        };
        let sent = OffsetDateTime::parse(timestamp, &Rfc3339).map_err(|_| {
            out_of_range("not an RFC 3339 / ISO 8601 time, so its age cannot be checked".into())
        })?;
        let now = offset_date_time(now).ok_or_else(|| {
            out_of_range("the receiver's clock is outside the range of supported dates".into())
        })?;
        if let Some(max_age) = max_age {
            if now - sent > max_age {
                return Err(out_of_range(format!(
                    "older than the maximum age of {}s (it is {}s old)",
                    max_age.as_secs(),
                    (now - sent).whole_seconds()
                )));
            }
        }
        if let Some(max_skew) = max_skew {
            if sent - now > max_skew {
                return Err(out_of_range(format!(
                    "{}s in the future, more than the allowed skew of {}s",
                    (sent - now).whole_seconds(),
                    max_skew.as_secs()
                )));
            }
        }
        Ok(())
    }
}

/// `now` as an [`OffsetDateTime`], or `None` outside the years ±9999 (where
/// `OffsetDateTime::from` would panic).
fn offset_date_time(now: SystemTime) -> Option<OffsetDateTime> {
    let nanos = match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => i128::try_from(before.duration().as_nanos())
            .ok()?
            .checked_neg()?,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

impl std::fmt::Debug for OpenedWebhook {
    /// The metadata and the payload's size, not its content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedWebhook")
            .field("metadata", &self.metadata)
            .field("retry_count", &self.retry_count)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{seal, ErrorCode, WebhookMetadata, WebhookSecret};

    #[test]
    fn a_zero_body_limit_is_refused() {
        let options = ReceiverOptions {
            max_body_bytes: 0,
            ..ReceiverOptions::default()
        };
        assert_eq!(
            options.check().unwrap_err().code(),
            ErrorCode::InvalidConfiguration
        );
        assert!(ReceiverOptions::default().check().is_ok());
    }

    #[test]
    fn a_clock_outside_supported_dates_is_an_error_not_a_panic() {
        let secret = WebhookSecret::from_bytes(&[3; 32]).unwrap();
        let keyring = Keyring::new();
        keyring.add("whk_20251121_01", &secret).unwrap();
        let options = ReceiverOptions {
            max_age: Some(Duration::from_secs(60)),
            ..ReceiverOptions::default()
        };
        let receiver = WebhookReceiver::with_options(keyring, options);
        let metadata = WebhookMetadata {
            id: "wh_1".into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-11-21T14:30:22Z".into(),
            account_id: "sb_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251121_01".into(),
        };
        let body = seal(&metadata, b"{}", &secret, &WireProfile::default())
            .unwrap()
            .body(0);
        for now in [
            UNIX_EPOCH + Duration::from_secs(400_000_000_000),
            UNIX_EPOCH - Duration::from_secs(400_000_000_000),
        ] {
            let err = receiver.decrypt_at(&body, now).unwrap_err();
            assert_eq!(err.code(), ErrorCode::TimestampOutOfRange);
        }
    }
}
