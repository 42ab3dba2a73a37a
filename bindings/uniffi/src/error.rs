//! The one error type of the bindings: a variant per stable core code (Kotlin
//! `KompliantException.UnknownKey`, Swift `KompliantError.UnknownKey`), each carrying that code.

use std::fmt;
use std::time::Duration;

use kompliant_webhooks::{ApiError, ErrorCode, WebhookError};

/// What the Kompliant API said about a failed call (absent for receive-path errors).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApiErrorInfo {
    /// The server's `message` for errors the API returned, otherwise the client's description
    /// of what failed.
    pub message: String,
    /// The API method that failed, e.g. `webhook.key.create` (absent for configuration errors
    /// raised before any call).
    pub method: Option<String>,
    /// The HTTP status of the API's last answer, if an answer was received.
    pub http_status: Option<u16>,
    /// The server's `errors[0].code` as sent (e.g. `SYSTEM_RULE_VIOLATION`), if any.
    pub server_code: Option<String>,
    /// The server's `errors[0].sub_code` (e.g. `DAILY_KEY_LIMIT`), if any.
    pub sub_code: Option<String>,
    /// The server's `errors[0].entity_type` (e.g. `Webhook Key`), if any.
    pub entity_type: Option<String>,
    /// The server's `meta.trace_id`, to quote to Kompliant support, if the answer had one.
    pub trace_id: Option<String>,
    /// The server's `Retry-After`, if the last answer carried one.
    pub retry_after: Option<Duration>,
    /// How many HTTP attempts were made (0 if the call failed before sending anything).
    pub attempts: u32,
}

macro_rules! kompliant_error {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// Every failure of this SDK. There is one variant per stable error code of the core
        /// (`docs/errors.md`); each carries:
        ///
        /// - `code`: the stable code string, e.g. `"UNKNOWN_KEY"` (the cross-language contract);
        /// - `detail`: the operator-facing message for logs. It names the failed check but
        ///   never contains secret bytes or plaintext. Do not send it to a webhook's sender:
        ///   answer with `httpStatus()` and `publicMessage()`;
        /// - `api`: for API-client failures, what the Kompliant API said (HTTP status,
        ///   server code, sub-code, trace id, ...); absent on the receive path.
        ///
        /// In Kotlin this is `KompliantException` (a sealed class: catch the base class or one
        /// variant); in Swift `KompliantError` (an enum). `toString()` / `description` is the
        /// log line: the code followed by the detail.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        #[uniffi::export(Display)]
        pub enum KompliantError {
            $(
                $(#[$doc])*
                $variant {
                    /// The stable error code (see `docs/errors.md`).
                    code: String,
                    /// The operator-facing message (no secrets, no plaintext).
                    detail: String,
                    /// What the Kompliant API said, for API-client failures.
                    api: Option<ApiErrorInfo>,
                },
            )*
        }

        impl KompliantError {
            /// The error of `code` with this detail.
            pub(crate) fn new(code: ErrorCode, detail: String, api: Option<ApiErrorInfo>) -> Self {
                let code_text = code.as_str().to_owned();
                match code {
                    $(ErrorCode::$variant => KompliantError::$variant { code: code_text, detail, api },)*
                    // A code added to the core after this binding: keep its text, mark it internal.
                    _ => KompliantError::Internal { code: code_text, detail, api },
                }
            }

            fn parts(&self) -> (&str, &str, Option<&ApiErrorInfo>) {
                match self {
                    $(KompliantError::$variant { code, detail, api } => (code, detail, api.as_ref()),)*
                }
            }
        }
    };
}

kompliant_error! {
    /// `MALFORMED_ENVELOPE`: the body is not a well-formed webhook envelope (answer 400).
    MalformedEnvelope,
    /// `UNKNOWN_KEY`: the envelope names a key id the keyring does not hold (answer 503 so
    /// Kompliant retries: the new key may not be deployed yet).
    UnknownKey,
    /// `INVALID_KEY`: a secret or key id handed to a keyring is unusable (not base64, not 32
    /// bytes, ...).
    InvalidKey,
    /// `DECRYPTION_FAILED`: the AES-GCM tag did not verify: tampered body or metadata, or the
    /// wrong secret (answer 400).
    DecryptionFailed,
    /// `PAYLOAD_NOT_JSON`: the authenticated plaintext is not a UTF-8 JSON object (answer 400).
    PayloadNotJson,
    /// `BODY_TOO_LARGE`: the body is larger than the receiver's limit (answer 413).
    BodyTooLarge,
    /// `TIMESTAMP_OUT_OF_RANGE`: the webhook's timestamp is outside the receiver's opt-in
    /// time window (answer 400).
    TimestampOutOfRange,
    /// `PAYLOAD_SCHEMA_MISMATCH`: a typed event view was asked for, but the payload does not
    /// match its schema.
    PayloadSchemaMismatch,
    /// `IO_ERROR`: a file could not be read or written.
    IoError,
    /// `INTERNAL`: an internal failure (e.g. the system random generator failed, or a client
    /// call panicked on its worker thread); never caused by input. A panic in a synchronous
    /// call (receive path, keyrings, sealing) is NOT this variant: UniFFI catches it and throws
    /// its own `InternalException` (Kotlin) / an internal error (Swift), never aborting.
    Internal,
    /// `BAD_REQUEST`: the API refused the request as malformed.
    BadRequest,
    /// `ENTITY_NOT_FOUND`: no such key or endpoint configuration for these credentials.
    EntityNotFound,
    /// `KEY_DELETED`: the key is DELETED and can never be activated again.
    KeyDeleted,
    /// `DAILY_KEY_LIMIT`: the account created its 100 keys for this UTC day.
    DailyKeyLimit,
    /// `URL_ALREADY_EXISTS`: the account already has an endpoint with this URL.
    UrlAlreadyExists,
    /// `MAX_WEBHOOK_URL_LIMIT`: the account already has 20 endpoint configurations.
    MaxWebhookUrlLimit,
    /// `SYSTEM_RULE_VIOLATION`: another rule violation (see `api.subCode`).
    SystemRuleViolation,
    /// `UNAUTHORIZED`: HTTP 401, the credentials or the signature were refused.
    Unauthorized,
    /// `FORBIDDEN`: HTTP 403, the credentials may not do this.
    Forbidden,
    /// `RATE_LIMITED`: HTTP 429, too many requests (see `api.retryAfter`).
    RateLimited,
    /// `SERVER_ERROR`: HTTP 5xx, a failure on Kompliant's side.
    ServerError,
    /// `TIMEOUT`: no complete answer within the client's timeout.
    Timeout,
    /// `CONNECTION_FAILED`: the API could not be reached, or the connection broke.
    ConnectionFailed,
    /// `INVALID_RESPONSE`: the answer is not what the API documents.
    InvalidResponse,
    /// `INVALID_CONFIGURATION`: credentials or options are unusable (missing, not base64, a
    /// bad URL, an unknown wire profile name, a request body that is not JSON, ...).
    InvalidConfiguration,
    /// `STORE_FAILED`: key rotation created a key but the store callback failed; the key was
    /// not activated.
    StoreFailed,
}

#[uniffi::export]
impl KompliantError {
    /// The stable error code, e.g. `"UNKNOWN_KEY"` (the same as the variant's `code`).
    pub fn code(&self) -> String {
        self.parts().0.to_owned()
    }

    /// The operator-facing message (the same as the variant's `detail`).
    pub fn detail(&self) -> String {
        self.parts().1.to_owned()
    }

    /// What the Kompliant API said, for API-client failures (the same as the variant's `api`).
    pub fn api(&self) -> Option<ApiErrorInfo> {
        self.parts().2.cloned()
    }

    /// The HTTP status a webhook receiver should answer with when this error ends a delivery:
    /// 503 for `UNKNOWN_KEY` (Kompliant retries later), 413 for `BODY_TOO_LARGE`, 400 for
    /// malformed or forged webhooks, 500 otherwise. (The status the Kompliant API answered a
    /// client call with is `api.httpStatus`.)
    pub fn http_status(&self) -> u16 {
        self.core_code().http_status()
    }

    /// A short text safe to return to a webhook's sender: it says only what class of failure
    /// happened, never which check failed or anything about keys.
    pub fn public_message(&self) -> String {
        self.core_code().public_message().to_owned()
    }
}

impl KompliantError {
    /// The core's code (`INTERNAL` for a code this build does not know).
    fn core_code(&self) -> ErrorCode {
        ErrorCode::parse(self.parts().0).unwrap_or(ErrorCode::Internal)
    }

    /// An `INVALID_CONFIGURATION` error raised by the binding itself.
    pub(crate) fn invalid_configuration(detail: impl Into<String>) -> Self {
        KompliantError::new(ErrorCode::InvalidConfiguration, detail.into(), None)
    }

    /// An `INTERNAL` error raised by the binding itself.
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        KompliantError::new(ErrorCode::Internal, detail.into(), None)
    }
}

impl fmt::Display for KompliantError {
    /// The log line. API errors already start with the method and the code (the core's text);
    /// receive-path errors get the code in front of the detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, detail, api) = self.parts();
        if api.is_some() {
            f.write_str(detail)
        } else {
            write!(f, "{code}: {detail}")
        }
    }
}

impl std::error::Error for KompliantError {}

impl From<WebhookError> for KompliantError {
    fn from(e: WebhookError) -> Self {
        KompliantError::new(e.code(), e.to_string(), None)
    }
}

impl From<ApiError> for KompliantError {
    fn from(e: ApiError) -> Self {
        let api = ApiErrorInfo {
            message: e.message().to_owned(),
            method: e.method().map(str::to_owned),
            http_status: e.http_status(),
            server_code: e.server_code().map(str::to_owned),
            sub_code: e.sub_code().map(str::to_owned),
            entity_type: e.entity_type().map(str::to_owned),
            trace_id: e.trace_id().map(str::to_owned),
            retry_after: e.retry_after(),
            attempts: e.attempts(),
        };
        KompliantError::new(e.code(), e.to_string(), Some(api))
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KompliantError {
    /// A foreign callback (the key store of a rotation, a duplicate guard) threw something
    /// other than a `KompliantException` / `KompliantError`; `reason` is its text (Kotlin
    /// its stack trace, first line `toString()`; Swift `String(describing:)`). The rotation
    /// passes it to the core's `PendingRotation::store_failed`, which masks secrets in it;
    /// the duplicate guard's bridge keeps only the thrown type's name
    /// ([`KompliantError::unexpected_callback_reason`]).
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KompliantError::new(
            ErrorCode::StoreFailed,
            format!("{UNEXPECTED_CALLBACK_PREFIX}{}", e.reason),
            None,
        )
    }
}

/// How the detail of an error from UniFFI's unexpected-callback-error path starts.
const UNEXPECTED_CALLBACK_PREFIX: &str = "the store threw ";

impl KompliantError {
    /// What UniFFI reported for a foreign callback that threw something other than a
    /// `KompliantException` / `KompliantError` (Kotlin: the stack trace; Swift:
    /// `String(describing:)`), or `None` for the SDK's own typed error. The duplicate guard's
    /// bridge takes only a type name from it.
    pub(crate) fn unexpected_callback_reason(&self) -> Option<&str> {
        match self {
            KompliantError::StoreFailed {
                detail, api: None, ..
            } => detail.strip_prefix(UNEXPECTED_CALLBACK_PREFIX),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_variant() {
        for code in ErrorCode::ALL {
            let e = KompliantError::new(*code, "d".into(), None);
            assert_eq!(e.code(), code.as_str());
            assert_eq!(e.http_status(), code.http_status());
            let internal = matches!(e, KompliantError::Internal { .. });
            assert_eq!(internal, *code == ErrorCode::Internal, "{code}");
        }
    }

    #[test]
    fn receive_errors_keep_the_core_text_and_public_message() {
        let core = WebhookError::UnknownKey {
            key_id: "whk_20251021_01".into(),
        };
        let e = KompliantError::from(core.clone());
        assert!(matches!(e, KompliantError::UnknownKey { .. }));
        assert_eq!(e.to_string(), format!("UNKNOWN_KEY: {core}"));
        assert_eq!(e.http_status(), 503);
        assert_eq!(e.public_message(), core.public_message());
    }
}
