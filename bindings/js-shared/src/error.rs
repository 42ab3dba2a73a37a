//! Errors crossing into JavaScript, in the one shape both JS bindings throw: a JS `Error`
//! whose message is [`ERROR_PREFIX`] followed by a JSON object with the stable code and the
//! error's fields. Neither napi nor wasm-bindgen can throw the package's Error subclasses;
//! the package's JS layer (`node/lib/errors.js`, `fromNative`) rethrows it as its own classes.
//! Messages come from the core's errors, which never hold secret bytes.

use kompliant_webhooks::decided::HANDLER_FAILURE_STATUS as CORE_HANDLER_FAILURE_STATUS;
use kompliant_webhooks::{ErrorCode, WebhookError};
use serde::Serialize;

/// Marks a message produced by [`Encoded::into_error`]; `node/lib/errors.js` looks for it.
pub const ERROR_PREFIX: &str = "KOMPLIANT_ERROR:";

/// The JSON carried in the message of every error the JS bindings throw.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Encoded {
    /// `webhook` (receive path), `api` (client), `type` / `range` (bad argument: the JS layer
    /// throws `TypeError` / `RangeError`) or `internal` (a caught panic).
    pub kind: &'static str,
    /// The stable code (`UNKNOWN_KEY`, `DAILY_KEY_LIMIT`, …); absent for argument errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The operator-facing message (never secrets).
    pub message: String,
    /// Webhook errors: the suggested HTTP answer. API errors: the HTTP status received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Webhook errors: the text safe to send back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_message: Option<&'static str>,
    /// The key id the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// API errors: the server's own code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_code: Option<String>,
    /// API errors: the server's sub-code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    /// API errors: the server's entity type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// API errors: the server's trace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// API errors: the server's `Retry-After`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<f64>,
    /// API errors: the method that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// API errors: the HTTP attempts made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
}

/// An error for a binding to throw as a JS `Error` with [`JsError::message`] as its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError(String);

impl JsError {
    /// The message of the JS `Error` to throw.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// As [`JsError::message`], owned.
    pub fn into_message(self) -> String {
        self.0
    }
}

/// What the shared functions return.
pub type Result<T> = std::result::Result<T, JsError>;

impl Encoded {
    /// The error carrying this JSON.
    pub fn into_error(self) -> JsError {
        let json = serde_json::to_string(&self).unwrap_or_else(|_| {
            r#"{"kind":"internal","code":"INTERNAL","message":"error could not be encoded"}"#
                .to_owned()
        });
        JsError(format!("{ERROR_PREFIX}{json}"))
    }
}

/// A receive-path error (the key id is included when the error names one).
pub fn webhook_error(e: &WebhookError) -> JsError {
    let key_id = match e {
        WebhookError::UnknownKey { key_id } | WebhookError::DecryptionFailed { key_id } => {
            Some(key_id.clone())
        }
        WebhookError::InvalidKey { key_id, .. } => key_id.clone(),
        _ => None,
    };
    Encoded {
        kind: "webhook",
        code: Some(e.code().as_str()),
        message: e.to_string(),
        http_status: Some(e.http_status()),
        public_message: Some(e.public_message()),
        key_id,
        ..Encoded::default()
    }
    .into_error()
}

/// An unusable setting (a receiver or profile option): the core's `INVALID_CONFIGURATION`
/// receive-side error, for a value the core's types cannot even hold (a negative or
/// fractional byte count, a negative duration).
pub fn invalid_configuration(detail: impl Into<String>) -> JsError {
    webhook_error(&WebhookError::InvalidConfiguration {
        detail: detail.into(),
    })
}

/// A bad argument of the wrong type (the JS layer throws a `TypeError`).
pub fn type_error(message: impl Into<String>) -> JsError {
    Encoded {
        kind: "type",
        message: message.into(),
        ..Encoded::default()
    }
    .into_error()
}

/// A bad argument value (the JS layer throws a `RangeError`).
pub fn range_error(message: impl Into<String>) -> JsError {
    Encoded {
        kind: "range",
        message: message.into(),
        ..Encoded::default()
    }
    .into_error()
}

/// The error reported for a caught panic (a bug: the core is panic-free on input).
pub fn panicked() -> JsError {
    Encoded {
        kind: "internal",
        code: Some("INTERNAL"),
        message: "internal error: the native module panicked (please report this bug)".to_owned(),
        ..Encoded::default()
    }
    .into_error()
}

/// The HTTP status a framework adapter answers when the user's webhook handler throws or
/// rejects, whatever the error (the core's `decided::HANDLER_FAILURE_STATUS`: 500, so
/// Kompliant redelivers). Failures of the receive checks answer their own status instead.
pub const HANDLER_FAILURE_STATUS: u32 = CORE_HANDLER_FAILURE_STATUS as u32;

/// An HTTP answer for a webhook delivery: the status and the text safe to send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The HTTP status.
    pub status: u32,
    /// A text safe to send to the caller: it never says which check failed.
    pub public_message: String,
}

/// The answer a webhook receiver sends when an error with this stable `code` ends a delivery
/// (the core's `ErrorCode::http_status` and `ErrorCode::public_message`). A `RangeError` for
/// a string that is not a stable code.
pub fn http_answer(code: &str) -> Result<HttpAnswer> {
    let parsed = ErrorCode::parse(code).ok_or_else(|| {
        range_error(format!(
            "unknown error code {:?} (see ERROR_CODES)",
            bounded_for_message(code)
        ))
    })?;
    Ok(HttpAnswer {
        status: u32::from(parsed.http_status()),
        public_message: parsed.public_message().to_owned(),
    })
}

/// The answer an adapter sends when the user's handler fails: [`HANDLER_FAILURE_STATUS`] with
/// the core's public text for a receiver-side failure (`INTERNAL`, whose status it is).
pub fn handler_failure_answer() -> HttpAnswer {
    HttpAnswer {
        status: HANDLER_FAILURE_STATUS,
        public_message: ErrorCode::Internal.public_message().to_owned(),
    }
}

/// Every stable error code, in the core's order.
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// `text` cut to a length fit for an error message (it is the caller's own argument).
pub fn bounded_for_message(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}
