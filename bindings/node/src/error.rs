//! Errors crossing into JavaScript. napi cannot throw JS subclasses, so every failure is a JS
//! `Error` whose message is [`ERROR_PREFIX`] followed by a JSON object with the stable code
//! and the error's fields; the package's JS layer (`node/lib/errors.js`) rethrows it as its
//! own Error classes. Panics are caught and reported the same way, never aborting Node.

use std::panic::{catch_unwind, AssertUnwindSafe};

use kompliant_webhooks::decided::HANDLER_FAILURE_STATUS as CORE_HANDLER_FAILURE_STATUS;
use kompliant_webhooks::{ApiError, ErrorCode, WebhookError};
use napi_derive::napi;
use serde::Serialize;

/// Marks a message produced by [`encode`]; `node/lib/errors.js` looks for it.
pub(crate) const ERROR_PREFIX: &str = "KOMPLIANT_ERROR:";

/// The JSON carried in the message of every error this crate throws.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Encoded {
    /// `webhook` (receive path), `api` (client), `type` / `range` (bad argument: the JS layer
    /// throws `TypeError` / `RangeError`) or `internal` (a caught panic).
    kind: &'static str,
    /// The stable code (`UNKNOWN_KEY`, `DAILY_KEY_LIMIT`, …); absent for argument errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    /// The operator-facing message (never secrets).
    message: String,
    /// Webhook errors: the suggested HTTP answer. API errors: the HTTP status received.
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
}

impl Encoded {
    fn into_error(self) -> napi::Error {
        let json = serde_json::to_string(&self).unwrap_or_else(|_| {
            r#"{"kind":"internal","code":"INTERNAL","message":"error could not be encoded"}"#
                .to_owned()
        });
        napi::Error::new(
            napi::Status::GenericFailure,
            format!("{ERROR_PREFIX}{json}"),
        )
    }
}

/// A receive-path error (the key id is included when the error names one).
pub(crate) fn webhook_error(e: &WebhookError) -> napi::Error {
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

/// An API-client error with the server's fields.
pub(crate) fn api_error(e: &ApiError) -> napi::Error {
    Encoded {
        kind: "api",
        code: Some(e.code().as_str()),
        message: e.to_string(),
        http_status: e.http_status(),
        server_code: e.server_code().map(str::to_owned),
        sub_code: e.sub_code().map(str::to_owned),
        entity_type: e.entity_type().map(str::to_owned),
        trace_id: e.trace_id().map(str::to_owned),
        retry_after: e.retry_after().map(|d| d.as_secs_f64()),
        method: e.method().map(str::to_owned),
        attempts: Some(e.attempts()),
        ..Encoded::default()
    }
    .into_error()
}

/// An unusable setting (a receiver or profile option): the core's `INVALID_CONFIGURATION`
/// receive-side error, for a value the core's types cannot even hold (a negative or
/// fractional byte count, a negative duration).
pub(crate) fn invalid_configuration(detail: impl Into<String>) -> napi::Error {
    webhook_error(&WebhookError::InvalidConfiguration {
        detail: detail.into(),
    })
}

/// A bad argument of the wrong type (the JS layer throws a `TypeError`).
pub(crate) fn type_error(message: impl Into<String>) -> napi::Error {
    Encoded {
        kind: "type",
        message: message.into(),
        ..Encoded::default()
    }
    .into_error()
}

/// A bad argument value (the JS layer throws a `RangeError`).
pub(crate) fn range_error(message: impl Into<String>) -> napi::Error {
    Encoded {
        kind: "range",
        message: message.into(),
        ..Encoded::default()
    }
    .into_error()
}

/// Runs `f`, turning a panic into an `INTERNAL` error instead of unwinding into Node (which
/// would abort the process). The core is panic-free on input; this is the safety net.
pub(crate) fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Encoded {
            kind: "internal",
            code: Some("INTERNAL"),
            message: "internal error: the native module panicked (please report this bug)"
                .to_owned(),
            ..Encoded::default()
        }
        .into_error())
    })
}

/// The HTTP status a framework adapter answers when the user's webhook handler throws or
/// rejects, whatever the error (the core's `decided::HANDLER_FAILURE_STATUS`: 500, so
/// Kompliant redelivers). Failures of the receive checks answer their own status instead.
#[napi]
pub const HANDLER_FAILURE_STATUS: u32 = CORE_HANDLER_FAILURE_STATUS as u32;

/// An HTTP answer for a webhook delivery: the status and the text safe to send with it.
#[napi(object)]
pub struct NativeHttpAnswer {
    /// The HTTP status.
    pub status: u32,
    /// A text safe to send to the caller: it never says which check failed.
    pub public_message: String,
}

/// The answer a webhook receiver sends when an error with this stable `code` ends a delivery
/// (the core's `ErrorCode::http_status` and `ErrorCode::public_message`): e.g. 503 and
/// "webhook cannot be processed yet; retry later" for `UNKNOWN_KEY`. A `RangeError` for a
/// string that is not a stable code.
#[napi]
pub fn http_answer(code: String) -> napi::Result<NativeHttpAnswer> {
    let code = ErrorCode::parse(&code).ok_or_else(|| {
        range_error(format!(
            "unknown error code {:?} (see ERROR_CODES)",
            bounded_for_message(&code)
        ))
    })?;
    Ok(NativeHttpAnswer {
        status: u32::from(code.http_status()),
        public_message: code.public_message().to_owned(),
    })
}

/// The answer an adapter sends when the user's handler fails: [`HANDLER_FAILURE_STATUS`] with
/// the core's public text for a receiver-side failure (`INTERNAL`, whose status it is).
#[napi]
pub fn handler_failure_answer() -> NativeHttpAnswer {
    NativeHttpAnswer {
        status: HANDLER_FAILURE_STATUS,
        public_message: ErrorCode::Internal.public_message().to_owned(),
    }
}

/// `text` cut to a length fit for an error message (it is the caller's own argument).
fn bounded_for_message(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn decode(e: &napi::Error) -> serde_json::Value {
        let json = e.reason.strip_prefix(ERROR_PREFIX).unwrap();
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn webhook_errors_carry_code_status_and_key_id() {
        let e = webhook_error(&WebhookError::UnknownKey {
            key_id: "whk_20251021_01".into(),
        });
        let v = decode(&e);
        assert_eq!(v["kind"], "webhook");
        assert_eq!(v["code"], "UNKNOWN_KEY");
        assert_eq!(v["httpStatus"], 503);
        assert_eq!(v["keyId"], "whk_20251021_01");
        assert!(v["publicMessage"].as_str().unwrap().contains("retry"));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let r: napi::Result<()> = guard(|| panic!("boom"));
        let v = decode(&r.unwrap_err());
        assert_eq!(v["kind"], "internal");
        assert_eq!(v["code"], "INTERNAL");
        assert!(!v["message"].as_str().unwrap().contains("boom"));
    }

    #[test]
    fn http_answers_come_from_the_core() {
        let a = http_answer("UNKNOWN_KEY".into()).unwrap();
        assert_eq!(a.status, 503);
        assert_eq!(a.public_message, ErrorCode::UnknownKey.public_message());
        assert_eq!(http_answer("BODY_TOO_LARGE".into()).unwrap().status, 413);
        let bad = decode(&http_answer("NOPE".into()).err().unwrap());
        assert_eq!(bad["kind"], "range");
        let handler = handler_failure_answer();
        assert_eq!(handler.status, 500);
        // The text is the one of the core's class for that status.
        assert_eq!(
            u32::from(ErrorCode::Internal.http_status()),
            HANDLER_FAILURE_STATUS
        );
    }

    #[test]
    fn unusable_settings_are_invalid_configuration() {
        let v = decode(&invalid_configuration("maxBodyBytes must be an integer"));
        assert_eq!(v["kind"], "webhook");
        assert_eq!(v["code"], "INVALID_CONFIGURATION");
    }

    #[test]
    fn argument_errors_have_no_code() {
        let v = decode(&range_error("maxBodyBytes must be positive"));
        assert_eq!(v["kind"], "range");
        assert!(v.get("code").is_none());
    }
}
