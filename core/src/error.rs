//! Stable error codes (the cross-language contract) and the receive-path error type.

use std::fmt;

use crate::decided::MAX_ERROR_DETAIL_LEN;

/// A stable, SCREAMING_SNAKE error code. Every binding exposes the same string as `code`,
/// the conformance vectors name them, and `docs/errors.md` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The body is not a well-formed webhook envelope.
    MalformedEnvelope,
    /// The envelope names a key id the keyring does not hold.
    UnknownKey,
    /// A secret or key id handed to the keyring is unusable (not base64, not 32 bytes, ...).
    InvalidKey,
    /// The AES-GCM tag did not verify: tampered body or metadata, or the wrong secret.
    DecryptionFailed,
    /// The authenticated plaintext is not a UTF-8 JSON object.
    PayloadNotJson,
    /// The body is larger than the receiver's limit.
    BodyTooLarge,
    /// The webhook's timestamp is outside the receiver's opt-in time window.
    TimestampOutOfRange,
    /// A typed event view was asked for, but the payload does not match its schema.
    PayloadSchemaMismatch,
    /// A file could not be read or written.
    IoError,
    /// An internal failure (e.g. the system random generator); never caused by input.
    Internal,
    /// API: the request was refused as malformed (`BAD_REQUEST`, or HTTP 400 / 413 / 415).
    BadRequest,
    /// API: no such key or endpoint configuration for these credentials (`ENTITY_NOT_FOUND`).
    EntityNotFound,
    /// API: the key is DELETED and can never be activated again
    /// (`SYSTEM_RULE_VIOLATION` / `KEY_DELETED`).
    KeyDeleted,
    /// API: the account created its 100 keys for this UTC day
    /// (`SYSTEM_RULE_VIOLATION` / `DAILY_KEY_LIMIT`).
    DailyKeyLimit,
    /// API: the account already has an endpoint configuration with this URL.
    UrlAlreadyExists,
    /// API: the account already has the maximum number of endpoint configurations (20).
    MaxWebhookUrlLimit,
    /// API: another `SYSTEM_RULE_VIOLATION` (see the error's `sub_code`).
    SystemRuleViolation,
    /// API: HTTP 401, the credentials or the signature were refused.
    Unauthorized,
    /// API: HTTP 403, the credentials may not do this.
    Forbidden,
    /// API: HTTP 429, too many requests; see the error's `retry_after`.
    RateLimited,
    /// API: HTTP 5xx, a failure on the server side.
    ServerError,
    /// API: no complete answer within the client's timeout.
    Timeout,
    /// API: the server could not be reached, or the connection broke.
    ConnectionFailed,
    /// API: the answer is not what the API documents (not JSON, wrong shape, bad secret, ...).
    InvalidResponse,
    /// API: the client's credentials or options are unusable (missing, not base64, bad URL, ...).
    InvalidConfiguration,
    /// API: key rotation created a key but the caller's store step failed; the key was not
    /// activated.
    StoreFailed,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MalformedEnvelope,
        ErrorCode::UnknownKey,
        ErrorCode::InvalidKey,
        ErrorCode::DecryptionFailed,
        ErrorCode::PayloadNotJson,
        ErrorCode::BodyTooLarge,
        ErrorCode::TimestampOutOfRange,
        ErrorCode::PayloadSchemaMismatch,
        ErrorCode::IoError,
        ErrorCode::Internal,
        ErrorCode::BadRequest,
        ErrorCode::EntityNotFound,
        ErrorCode::KeyDeleted,
        ErrorCode::DailyKeyLimit,
        ErrorCode::UrlAlreadyExists,
        ErrorCode::MaxWebhookUrlLimit,
        ErrorCode::SystemRuleViolation,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::ServerError,
        ErrorCode::Timeout,
        ErrorCode::ConnectionFailed,
        ErrorCode::InvalidResponse,
        ErrorCode::InvalidConfiguration,
        ErrorCode::StoreFailed,
    ];

    /// The stable string form, e.g. `"UNKNOWN_KEY"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedEnvelope => "MALFORMED_ENVELOPE",
            ErrorCode::UnknownKey => "UNKNOWN_KEY",
            ErrorCode::InvalidKey => "INVALID_KEY",
            ErrorCode::DecryptionFailed => "DECRYPTION_FAILED",
            ErrorCode::PayloadNotJson => "PAYLOAD_NOT_JSON",
            ErrorCode::BodyTooLarge => "BODY_TOO_LARGE",
            ErrorCode::TimestampOutOfRange => "TIMESTAMP_OUT_OF_RANGE",
            ErrorCode::PayloadSchemaMismatch => "PAYLOAD_SCHEMA_MISMATCH",
            ErrorCode::IoError => "IO_ERROR",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::EntityNotFound => "ENTITY_NOT_FOUND",
            ErrorCode::KeyDeleted => "KEY_DELETED",
            ErrorCode::DailyKeyLimit => "DAILY_KEY_LIMIT",
            ErrorCode::UrlAlreadyExists => "URL_ALREADY_EXISTS",
            ErrorCode::MaxWebhookUrlLimit => "MAX_WEBHOOK_URL_LIMIT",
            ErrorCode::SystemRuleViolation => "SYSTEM_RULE_VIOLATION",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ServerError => "SERVER_ERROR",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::ConnectionFailed => "CONNECTION_FAILED",
            ErrorCode::InvalidResponse => "INVALID_RESPONSE",
            ErrorCode::InvalidConfiguration => "INVALID_CONFIGURATION",
            ErrorCode::StoreFailed => "STORE_FAILED",
        }
    }

    /// Parses the string form back; `None` for an unknown string.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The HTTP status a webhook receiver should answer with when this error ends a
    /// delivery (spec §4, decided): unknown key → 503 (retry later: the new key may not be
    /// deployed yet), malformed or forged → 400, too large → 413, receiver-side faults → 500.
    ///
    /// Only meaningful for receive-path codes: the API-client codes (`BAD_REQUEST` through
    /// `STORE_FAILED`) are never the answer to a webhook and return 500. The HTTP status the
    /// API answered with is [`ApiError::http_status`](crate::client::ApiError::http_status).
    /// The answers of the duplicate-guard flow (processed, duplicate, in progress, handler
    /// failed) are [`ReceiveOutcome::http_status`](crate::ReceiveOutcome::http_status), which
    /// defers to this for refused bodies.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::UnknownKey => 503,
            ErrorCode::BodyTooLarge => 413,
            ErrorCode::MalformedEnvelope
            | ErrorCode::DecryptionFailed
            | ErrorCode::PayloadNotJson
            | ErrorCode::TimestampOutOfRange
            | ErrorCode::PayloadSchemaMismatch => 400,
            ErrorCode::InvalidKey | ErrorCode::IoError | ErrorCode::Internal => 500,
            ErrorCode::BadRequest
            | ErrorCode::EntityNotFound
            | ErrorCode::KeyDeleted
            | ErrorCode::DailyKeyLimit
            | ErrorCode::UrlAlreadyExists
            | ErrorCode::MaxWebhookUrlLimit
            | ErrorCode::SystemRuleViolation
            | ErrorCode::Unauthorized
            | ErrorCode::Forbidden
            | ErrorCode::RateLimited
            | ErrorCode::ServerError
            | ErrorCode::Timeout
            | ErrorCode::ConnectionFailed
            | ErrorCode::InvalidResponse
            | ErrorCode::InvalidConfiguration
            | ErrorCode::StoreFailed => 500,
        }
    }
}

impl ErrorCode {
    /// The text a webhook receiver sends back with [`ErrorCode::http_status`]: it says only
    /// what class of failure happened, never which check failed or anything about keys (the
    /// same text as [`WebhookError::public_message`], for bindings that hold only the code).
    pub const fn public_message(self) -> &'static str {
        match self.http_status() {
            503 => "webhook cannot be processed yet; retry later",
            413 => "webhook body too large",
            400 => "webhook rejected",
            _ => "webhook receiver error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error on the receive path (envelope, keyring, decryption, payload).
///
/// `Display` is the operator-facing message for logs: it names the failed check but never
/// contains secret bytes or plaintext. What to send back to the HTTP caller is
/// [`WebhookError::http_status`] with [`WebhookError::public_message`], which reveal nothing
/// about which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// See [`ErrorCode::MalformedEnvelope`].
    #[error("malformed envelope: {detail}")]
    MalformedEnvelope {
        /// What is wrong with the envelope.
        detail: String,
    },
    /// See [`ErrorCode::UnknownKey`].
    #[error("unknown key id {key_id:?}: the keyring holds no such key (deploy the new key, or keep retired keys for the retry horizon)")]
    UnknownKey {
        /// The key id the envelope named.
        key_id: String,
    },
    /// See [`ErrorCode::InvalidKey`].
    #[error("invalid key{}: {detail}", key_label(.key_id))]
    InvalidKey {
        /// The key id the secret was given for, when known.
        key_id: Option<String>,
        /// What is wrong (never the secret itself).
        detail: String,
    },
    /// See [`ErrorCode::DecryptionFailed`].
    #[error("decryption failed with key {key_id:?}: the authentication tag did not verify (body or metadata altered, or the secret for this key id is wrong)")]
    DecryptionFailed {
        /// The key id used.
        key_id: String,
    },
    /// See [`ErrorCode::PayloadNotJson`].
    #[error("payload is not a JSON object: {detail}")]
    PayloadNotJson {
        /// What was found instead (a category and position, never the content).
        detail: String,
    },
    /// See [`ErrorCode::BodyTooLarge`].
    #[error("body is {size} bytes, over the receiver's limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The receiver's limit in bytes.
        limit: usize,
    },
    /// See [`ErrorCode::TimestampOutOfRange`].
    #[error("timestamp {timestamp:?} is outside the receiver's window: {detail}")]
    TimestampOutOfRange {
        /// The verified timestamp of the webhook.
        timestamp: String,
        /// Which bound it broke.
        detail: String,
    },
    /// See [`ErrorCode::PayloadSchemaMismatch`].
    #[error("payload does not match the schema of {event_type}: {detail}")]
    PayloadSchemaMismatch {
        /// The event type whose typed view was asked for.
        event_type: String,
        /// What does not match.
        detail: String,
    },
    /// See [`ErrorCode::IoError`].
    #[error("cannot access {path}: {detail}")]
    IoError {
        /// The file.
        path: String,
        /// The operating system's reason.
        detail: String,
    },
    /// See [`ErrorCode::InvalidConfiguration`]: a receiver or profile setting is unusable.
    #[error("invalid configuration: {detail}")]
    InvalidConfiguration {
        /// Which setting, and what is allowed.
        detail: String,
    },
    /// See [`ErrorCode::Internal`].
    #[error("internal error: {detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
}

fn key_label(key_id: &Option<String>) -> String {
    match key_id {
        Some(id) => format!(" {id:?}"),
        None => String::new(),
    }
}

impl WebhookError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            WebhookError::MalformedEnvelope { .. } => ErrorCode::MalformedEnvelope,
            WebhookError::UnknownKey { .. } => ErrorCode::UnknownKey,
            WebhookError::InvalidKey { .. } => ErrorCode::InvalidKey,
            WebhookError::DecryptionFailed { .. } => ErrorCode::DecryptionFailed,
            WebhookError::PayloadNotJson { .. } => ErrorCode::PayloadNotJson,
            WebhookError::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            WebhookError::TimestampOutOfRange { .. } => ErrorCode::TimestampOutOfRange,
            WebhookError::PayloadSchemaMismatch { .. } => ErrorCode::PayloadSchemaMismatch,
            WebhookError::IoError { .. } => ErrorCode::IoError,
            WebhookError::InvalidConfiguration { .. } => ErrorCode::InvalidConfiguration,
            WebhookError::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The HTTP status a receiver should answer with (see [`ErrorCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// A short text safe to return to the HTTP caller: it says only what class of failure
    /// happened, never which check failed or anything about keys.
    pub fn public_message(&self) -> &'static str {
        self.code().public_message()
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        WebhookError::MalformedEnvelope {
            detail: bounded(detail.into()),
        }
    }

    pub(crate) fn invalid_key(key_id: Option<&str>, detail: impl Into<String>) -> Self {
        WebhookError::InvalidKey {
            key_id: key_id.map(|k| bounded(k.to_owned())),
            detail: detail.into(),
        }
    }

    pub(crate) fn not_json(detail: impl Into<String>) -> Self {
        WebhookError::PayloadNotJson {
            detail: detail.into(),
        }
    }
}

/// Cuts an operator-facing detail to [`MAX_ERROR_DETAIL_LEN`] bytes on a char boundary.
pub(crate) fn bounded(mut detail: String) -> String {
    if detail.len() > MAX_ERROR_DETAIL_LEN {
        let mut cut = MAX_ERROR_DETAIL_LEN;
        while !detail.is_char_boundary(cut) {
            cut -= 1;
        }
        detail.truncate(cut);
        detail.push('…');
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn unknown_key_asks_for_a_retry_and_forgery_does_not() {
        assert_eq!(ErrorCode::UnknownKey.http_status(), 503);
        assert_eq!(ErrorCode::DecryptionFailed.http_status(), 400);
        assert_eq!(ErrorCode::MalformedEnvelope.http_status(), 400);
        assert_eq!(ErrorCode::BodyTooLarge.http_status(), 413);
    }

    #[test]
    fn public_message_follows_the_http_status_class() {
        assert_eq!(
            ErrorCode::UnknownKey.public_message(),
            "webhook cannot be processed yet; retry later"
        );
        assert_eq!(
            ErrorCode::BodyTooLarge.public_message(),
            "webhook body too large"
        );
        assert_eq!(
            ErrorCode::DecryptionFailed.public_message(),
            "webhook rejected"
        );
        assert_eq!(
            ErrorCode::Internal.public_message(),
            "webhook receiver error"
        );
        for code in ErrorCode::ALL {
            assert!(!code.public_message().contains("key"), "{code}");
        }
    }

    #[test]
    fn public_message_does_not_name_the_check() {
        let e = WebhookError::DecryptionFailed {
            key_id: "whk_20251021_01".into(),
        };
        assert!(!e.public_message().contains("whk_"));
        assert!(!e.public_message().contains("tag"));
    }

    #[test]
    fn long_details_are_cut_on_a_char_boundary() {
        let d = bounded("é".repeat(1000));
        assert!(d.len() <= MAX_ERROR_DETAIL_LEN + "…".len());
        assert!(d.ends_with('…'));
    }
}
