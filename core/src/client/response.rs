//! The response envelope (spec §5): a success envelope becomes an [`ApiResponse`]; anything
//! else (an error envelope, an HTML page, an empty or truncated body, JSON of another shape)
//! becomes a typed [`ApiError`].

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::client::error::{ApiError, Shape};
use crate::error::{bounded, ErrorCode};
use crate::keyring::json_error_kind;

/// A successful API answer: the `data` object and what `meta` said about it.
///
/// `Debug` shows only how many members `data` has: a generic [`crate::KompliantClient::call`]
/// of `webhook.key.create` carries `shared_secret` in `data`.
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ApiResponse {
    /// The `data` member (an empty object when the server sent none).
    pub data: Value,
    /// `meta.trace_id`, if present.
    pub trace_id: Option<String>,
    /// `meta.warnings`, if present (empty otherwise).
    pub warnings: Vec<Value>,
}

impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither values nor member names: a server or proxy may echo a credential anywhere.
        let members = match &self.data {
            Value::Object(map) => map.len(),
            _ => 0,
        };
        f.debug_struct("ApiResponse")
            .field(
                "data",
                &format_args!("<object of {members} members, [REDACTED]>"),
            )
            .field("trace_id", &self.trace_id)
            .field("warnings", &self.warnings.len())
            .finish()
    }
}

/// One HTTP answer, as read from the wire.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    /// `Location` of a redirect (never followed: the API does not redirect).
    pub(crate) location: Option<String>,
    /// The body, wiped on drop (a key-create answer holds a webhook secret).
    pub(crate) body: Zeroizing<Vec<u8>>,
}

/// Masks the client's credentials in text quoted from a response body.
#[derive(Clone)]
pub(crate) struct Redactor {
    secrets: Vec<Zeroizing<String>>,
}

impl Redactor {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        Redactor {
            secrets: secrets
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(|s| Zeroizing::new(s.to_owned()))
                .collect(),
        }
    }

    /// This redactor, also masking `extra` (e.g. a new webhook secret).
    pub(crate) fn with<'a>(&self, extra: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut secrets = self.secrets.clone();
        secrets.extend(
            extra
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(|s| Zeroizing::new(s.to_owned())),
        );
        Redactor { secrets }
    }

    /// `text` with the client's credentials masked (for server-sent fields kept whole, such
    /// as a trace id: a server or proxy may echo a request header into them).
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "[REDACTED]");
            }
        }
        text
    }

    /// An excerpt of `body` fit for an error message: lossy UTF-8, credentials masked,
    /// control characters replaced by spaces (no log injection), cut to a bounded length.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        let mut text = Zeroizing::new(String::from_utf8_lossy(body).into_owned());
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = Zeroizing::new(text.replace(secret.as_str(), "[REDACTED]"));
            }
        }
        let clean: String = text
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        bounded(clean)
    }
}

/// Turns one HTTP answer into the call's result.
pub(crate) fn interpret(raw: &RawResponse, redactor: &Redactor) -> Result<ApiResponse, ApiError> {
    let status = raw.status;
    let parsed: Option<Result<Value, serde_json::Error>> =
        (!raw.body.iter().all(u8::is_ascii_whitespace)).then(|| serde_json::from_slice(&raw.body));
    let envelope = match &parsed {
        Some(Ok(Value::Object(map))) => Some(map),
        _ => None,
    };
    let meta = envelope
        .and_then(|m| m.get("meta"))
        .and_then(Value::as_object);
    let trace_id = meta
        .and_then(|m| m.get("trace_id"))
        .and_then(Value::as_str)
        .map(|t| redactor.mask(t));
    let first_error = envelope
        .and_then(|m| m.get("errors"))
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
        .and_then(Value::as_object);

    if (200..300).contains(&status) {
        let meta_status = meta.and_then(|m| m.get("status"));
        if envelope.is_some() && meta_status.and_then(Value::as_str) == Some("SUCCESS") {
            let warnings = warnings(meta);
            // Move `data` out instead of copying it: a key-create answer holds a secret.
            let data = match parsed {
                Some(Ok(Value::Object(mut map))) => map.remove("data"),
                _ => None,
            };
            return Ok(ApiResponse {
                data: data.unwrap_or_else(|| Value::Object(Map::new())),
                trace_id,
                warnings,
            });
        }
        // An error envelope with a code we know is that error, whatever the status says.
        if let Some(err) = first_error.and_then(|e| from_error_object(e, None, redactor)) {
            return Err(err.with_http_status(status).with_trace_id(trace_id));
        }
        // Never quote a 2xx body: it may be a key-create answer holding a secret.
        let what = match &parsed {
            None => "the body is empty".to_owned(),
            Some(Err(e)) => format!("the body is not JSON ({})", json_error_kind(e)),
            Some(Ok(v)) if envelope.is_none() => format!("the body is {}, not an object", Shape(v)),
            Some(Ok(_)) => match meta_status {
                None => "the body has no meta.status".to_owned(),
                Some(Value::String(s)) => {
                    format!(
                        "meta.status is {:?}, not \"SUCCESS\"",
                        bounded(redactor.mask(s))
                    )
                }
                Some(other) => format!("meta.status is {}, not \"SUCCESS\"", Shape(other)),
            },
        };
        return Err(ApiError::invalid_response(format!(
            "HTTP {status} but not a success envelope: {what}"
        ))
        .with_http_status(status)
        .with_trace_id(trace_id));
    }

    if status >= 400 {
        let err = match first_error.and_then(|e| from_error_object(e, Some(status), redactor)) {
            Some(err) => err,
            None => ApiError::new(
                by_status(status, false),
                format!(
                    "HTTP {status} without a Kompliant error envelope{}; body: {}",
                    if status == 404 {
                        " (is base_url right?)"
                    } else {
                        ""
                    },
                    describe_body(&raw.body, redactor)
                ),
            ),
        };
        return Err(err
            .with_http_status(status)
            .with_trace_id(trace_id)
            .with_retry_after(raw.retry_after));
    }

    let redirect = raw
        .location
        .as_deref()
        .map(|l| format!(" to {:?}", redactor.excerpt(l.as_bytes())))
        .unwrap_or_default();
    Err(ApiError::invalid_response(format!(
        "unexpected HTTP status {status}{redirect} (the API answers 200 or an error status; redirects are not followed)"
    ))
    .with_http_status(status))
}

fn warnings(meta: Option<&Map<String, Value>>) -> Vec<Value> {
    match meta.and_then(|m| m.get("warnings")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// The error an `errors[0]` object describes. With `status` (an error status), an unknown
/// server code is classified by the status; without (a 2xx answer), only known codes count.
fn from_error_object(
    error: &Map<String, Value>,
    status: Option<u16>,
    redactor: &Redactor,
) -> Option<ApiError> {
    let text = |field: &str| {
        error
            .get(field)
            .and_then(Value::as_str)
            .map(|t| redactor.mask(t))
    };
    let server_code = text("code");
    let sub_code = text("sub_code");
    let known = known_code(server_code.as_deref(), sub_code.as_deref());
    let code = match (known, status) {
        (Some(code), _) => code,
        (None, Some(status)) if server_code.is_some() => by_status(status, true),
        _ => return None,
    };
    let message = text("message")
        .map(|m| redactor.excerpt(m.as_bytes()))
        .unwrap_or_else(|| "(the server sent no message)".to_owned());
    Some(ApiError::new(code, message).with_server_fields(
        server_code,
        sub_code,
        text("entity_type"),
    ))
}

/// The stable code for a server code and sub-code this SDK knows (sub-code first:
/// `SYSTEM_RULE_VIOLATION` is refined by it).
pub(crate) fn known_code(server_code: Option<&str>, sub_code: Option<&str>) -> Option<ErrorCode> {
    let specific = |c: &str| match c {
        "KEY_DELETED" => Some(ErrorCode::KeyDeleted),
        "DAILY_KEY_LIMIT" => Some(ErrorCode::DailyKeyLimit),
        "URL_ALREADY_EXISTS" => Some(ErrorCode::UrlAlreadyExists),
        "MAX_WEBHOOK_URL_LIMIT" => Some(ErrorCode::MaxWebhookUrlLimit),
        _ => None,
    };
    if let Some(code) = sub_code.and_then(specific) {
        return Some(code);
    }
    let server_code = server_code?;
    specific(server_code).or(match server_code {
        "BAD_REQUEST" => Some(ErrorCode::BadRequest),
        "ENTITY_NOT_FOUND" => Some(ErrorCode::EntityNotFound),
        "SYSTEM_RULE_VIOLATION" => Some(ErrorCode::SystemRuleViolation),
        "UNAUTHORIZED" => Some(ErrorCode::Unauthorized),
        "FORBIDDEN" => Some(ErrorCode::Forbidden),
        _ => None,
    })
}

/// The stable code for an error status whose body names no code this SDK knows.
/// `enveloped`: the body was a Kompliant error envelope (so a 404 is a real "not found",
/// not a wrong base URL).
pub(crate) fn by_status(status: u16, enveloped: bool) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 if enveloped => ErrorCode::EntityNotFound,
        404 => ErrorCode::InvalidResponse,
        429 => ErrorCode::RateLimited,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::BadRequest,
    }
}

fn describe_body(body: &[u8], redactor: &Redactor) -> String {
    let excerpt = redactor.excerpt(body);
    if excerpt.is_empty() {
        "empty".to_owned()
    } else {
        format!("{excerpt:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_response_never_shows_data_values() {
        let r = ApiResponse {
            data: serde_json::json!({"key_id": "whk_1", "shared_secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQ="}),
            trace_id: Some("trc_1".into()),
            warnings: Vec::new(),
        };
        let dbg = format!("{r:?}");
        assert!(
            !dbg.contains("shared_secret") && !dbg.contains("c2VjcmV0"),
            "{dbg}"
        );
        assert!(dbg.contains("2 members"), "{dbg}");
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            retry_after: None,
            location: None,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    fn err(status: u16, body: &str) -> ApiError {
        interpret(&raw(status, body), &Redactor::new(["tok_secret"])).unwrap_err()
    }

    #[test]
    fn success_envelope_with_unknown_fields() {
        let r = interpret(
            &raw(
                200,
                r#"{"meta":{"status":"SUCCESS","trace_id":"trc_1","warnings":["w"],"x":1},"data":{"a":1},"extra":true}"#,
            ),
            &Redactor::new([]),
        )
        .unwrap();
        assert_eq!(r.data["a"], 1);
        assert_eq!(r.trace_id.as_deref(), Some("trc_1"));
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn sub_code_refines_system_rule_violation() {
        assert_eq!(
            known_code(Some("SYSTEM_RULE_VIOLATION"), Some("DAILY_KEY_LIMIT")),
            Some(ErrorCode::DailyKeyLimit)
        );
        assert_eq!(
            known_code(Some("SYSTEM_RULE_VIOLATION"), Some("NEW_RULE")),
            Some(ErrorCode::SystemRuleViolation)
        );
        assert_eq!(
            known_code(Some("URL_ALREADY_EXISTS"), None),
            Some(ErrorCode::UrlAlreadyExists)
        );
        assert_eq!(known_code(Some("SOMETHING_NEW"), None), None);
    }

    #[test]
    fn unknown_codes_fall_back_to_the_status() {
        let e = err(
            503,
            r#"{"meta":{"status":"ERROR"},"errors":[{"code":"UNAVAILABLE","message":"m"}]}"#,
        );
        assert_eq!(e.code(), ErrorCode::ServerError);
        assert_eq!(e.server_code(), Some("UNAVAILABLE"));
        assert_eq!(err(413, "").code(), ErrorCode::BadRequest);
        assert_eq!(err(415, "<html/>").code(), ErrorCode::BadRequest);
        assert_eq!(
            err(404, "<html>Not Found</html>").code(),
            ErrorCode::InvalidResponse
        );
        assert_eq!(
            err(
                404,
                r#"{"meta":{"status":"ERROR"},"errors":[{"code":"NOPE"}]}"#
            )
            .code(),
            ErrorCode::EntityNotFound
        );
    }

    #[test]
    fn quoted_bodies_are_masked_cleaned_and_cut() {
        let body = format!("<html>\ntoken tok_secret\r\n{}</html>", "x".repeat(5000));
        let e = err(502, &body);
        let msg = e.to_string();
        assert!(!msg.contains("tok_secret"), "{msg}");
        assert!(msg.contains("[REDACTED]"), "{msg}");
        assert!(!msg.contains('\n'));
        assert!(msg.len() < 600, "{}", msg.len());
    }

    #[test]
    fn non_success_2xx_is_invalid_response_and_never_quoted() {
        for body in [
            "",
            "  ",
            "not json",
            "[1]",
            r#"{"data":{"shared_secret":"c2VjcmV0"}}"#,
            r#"{"meta":{"status":"PENDING"},"data":{"shared_secret":"c2VjcmV0"}}"#,
            r#"{"meta":{"status":"ERROR"},"errors":[{"code":"WHO_KNOWS"}]}"#,
        ] {
            let e = err(200, body);
            assert_eq!(e.code(), ErrorCode::InvalidResponse, "{body}");
            assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
        }
        let e = err(
            200,
            r#"{"meta":{"status":"ERROR"},"errors":[{"code":"ENTITY_NOT_FOUND","message":"m"}]}"#,
        );
        assert_eq!(e.code(), ErrorCode::EntityNotFound);
    }
}
