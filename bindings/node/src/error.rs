//! Errors crossing into JavaScript. napi cannot throw JS subclasses, so every failure is a JS
//! `Error` whose message is the shared encoding (`kompliant_webhooks_js_shared::error`: a
//! prefix, then a JSON object with the stable code and the error's fields); the package's JS
//! layer (`node/lib/errors.js`) rethrows it as its own Error classes. Panics are caught and reported the same way, never aborting Node.

use std::panic::{catch_unwind, AssertUnwindSafe};

use kompliant_webhooks::{ApiError, WebhookError};
use kompliant_webhooks_js_shared::error as shared;
use kompliant_webhooks_js_shared::error::{Encoded, JsError};
use napi_derive::napi;

#[cfg(test)]
use kompliant_webhooks::ErrorCode;
#[cfg(test)]
use kompliant_webhooks_js_shared::error::ERROR_PREFIX;

/// The JS `Error` napi throws for a shared error (its message is the encoded JSON).
pub(crate) fn thrown(e: JsError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, e.into_message())
}

/// A receive-path error (the key id is included when the error names one).
pub(crate) fn webhook_error(e: &WebhookError) -> napi::Error {
    thrown(shared::webhook_error(e))
}

/// An API-client error with the server's fields.
pub(crate) fn api_error(e: &ApiError) -> napi::Error {
    let e = Encoded {
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
    .into_error();
    thrown(e)
}

/// A bad argument of the wrong type (the JS layer throws a `TypeError`).
pub(crate) fn type_error(message: impl Into<String>) -> napi::Error {
    thrown(shared::type_error(message))
}

/// A bad argument value (the JS layer throws a `RangeError`).
pub(crate) fn range_error(message: impl Into<String>) -> napi::Error {
    thrown(shared::range_error(message))
}

/// Runs `f`, turning a panic into an `INTERNAL` error instead of unwinding into Node (which
/// would abort the process). The core is panic-free on input; this is the safety net.
pub(crate) fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(thrown(shared::panicked())))
}

/// As [`guard`], for a shared function.
pub(crate) fn guard_shared<T>(f: impl FnOnce() -> shared::Result<T>) -> napi::Result<T> {
    guard(|| f().map_err(thrown))
}

/// The HTTP status a framework adapter answers when the user's webhook handler throws or
/// rejects, whatever the error (the core's `decided::HANDLER_FAILURE_STATUS`: 500, so
/// Kompliant redelivers). Failures of the receive checks answer their own status instead.
#[napi]
pub const HANDLER_FAILURE_STATUS: u32 = shared::HANDLER_FAILURE_STATUS;

/// An HTTP answer for a webhook delivery: the status and the text safe to send with it.
#[napi(object)]
pub struct NativeHttpAnswer {
    /// The HTTP status.
    pub status: u32,
    /// A text safe to send to the caller: it never says which check failed.
    pub public_message: String,
}

impl From<shared::HttpAnswer> for NativeHttpAnswer {
    fn from(a: shared::HttpAnswer) -> Self {
        NativeHttpAnswer {
            status: a.status,
            public_message: a.public_message,
        }
    }
}

/// The answer a webhook receiver sends when an error with this stable `code` ends a delivery
/// (the core's `ErrorCode::http_status` and `ErrorCode::public_message`): e.g. 503 and
/// "webhook cannot be processed yet; retry later" for `UNKNOWN_KEY`. A `RangeError` for a
/// string that is not a stable code.
#[napi]
pub fn http_answer(code: String) -> napi::Result<NativeHttpAnswer> {
    shared::http_answer(&code)
        .map(NativeHttpAnswer::from)
        .map_err(thrown)
}

/// The answer an adapter sends when the user's handler fails: [`HANDLER_FAILURE_STATUS`] with
/// the core's public text for a receiver-side failure (`INTERNAL`, whose status it is).
#[napi]
pub fn handler_failure_answer() -> NativeHttpAnswer {
    shared::handler_failure_answer().into()
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
        let v = decode(&thrown(shared::invalid_configuration(
            "maxBodyBytes must be an integer",
        )));
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
