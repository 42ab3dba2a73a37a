//! [`ApiError`]: every failure of an API call, with a stable [`ErrorCode`] and the server's
//! own code, sub-code, entity type and trace id when it sent them.

use std::fmt;
use std::time::Duration;

use crate::error::{bounded, ErrorCode};

/// A failed API call.
///
/// [`ApiError::code`] is the stable, cross-language code to branch on. The server's own
/// `code`, `sub_code` and `entity_type` ([`ApiError::server_code`], [`ApiError::sub_code`],
/// [`ApiError::entity_type`]) are kept as sent, for codes this SDK does not know yet.
///
/// `Display` is the operator-facing message for logs: the API method, the code, the
/// server's message and the HTTP status, trace id and number of attempts. It never contains
/// credentials, auth headers or webhook secrets; response bodies quoted in it are cut short
/// and have the client's credentials masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ApiError {
    // Boxed: errors travel in every `Result` of the client and should stay one pointer wide.
    inner: Box<Details>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    code: ErrorCode,
    message: String,
    method: Option<String>,
    http_status: Option<u16>,
    server_code: Option<String>,
    sub_code: Option<String>,
    entity_type: Option<String>,
    trace_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
}

impl ApiError {
    /// A new error with `code` and an operator-facing `message` (cut to a bounded length).
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let details = Details {
            code,
            message: bounded(message.into()),
            method: None,
            http_status: None,
            server_code: None,
            sub_code: None,
            entity_type: None,
            trace_id: None,
            retry_after: None,
            attempts: 0,
        };
        ApiError {
            inner: Box::new(details),
        }
    }

    /// Shorthand for an `INVALID_CONFIGURATION` error.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidConfiguration, message)
    }

    /// Shorthand for an `INVALID_RESPONSE` error.
    pub(crate) fn invalid_response(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidResponse, message)
    }

    /// The stable code of this error (see [`ErrorCode`]).
    pub fn code(&self) -> ErrorCode {
        self.inner.code
    }

    /// The message: the server's `message` for errors the API returned, otherwise the
    /// client's description of what failed.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The API method that failed, e.g. `webhook.key.create` (`None` for configuration
    /// errors raised before any call).
    pub fn method(&self) -> Option<&str> {
        self.inner.method.as_deref()
    }

    /// The HTTP status of the last answer, if an answer was received.
    pub fn http_status(&self) -> Option<u16> {
        self.inner.http_status
    }

    /// The server's `errors[0].code` as sent (e.g. `SYSTEM_RULE_VIOLATION`), if any.
    pub fn server_code(&self) -> Option<&str> {
        self.inner.server_code.as_deref()
    }

    /// The server's `errors[0].sub_code` (e.g. `DAILY_KEY_LIMIT`), if any.
    pub fn sub_code(&self) -> Option<&str> {
        self.inner.sub_code.as_deref()
    }

    /// The server's `errors[0].entity_type` (e.g. `Webhook Key`), if any.
    pub fn entity_type(&self) -> Option<&str> {
        self.inner.entity_type.as_deref()
    }

    /// The server's `meta.trace_id`, to quote to Kompliant support, if the answer had one.
    pub fn trace_id(&self) -> Option<&str> {
        self.inner.trace_id.as_deref()
    }

    /// The server's `Retry-After` (in seconds), if the last answer carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// How many HTTP attempts were made (0 if the call failed before sending anything).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    pub(crate) fn with_method(mut self, method: &str) -> Self {
        self.inner.method = Some(printable(method.to_owned()));
        self
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Self {
        self.inner.http_status = Some(status);
        self
    }

    pub(crate) fn with_server_fields(
        mut self,
        server_code: Option<String>,
        sub_code: Option<String>,
        entity_type: Option<String>,
    ) -> Self {
        self.inner.server_code = server_code.map(printable);
        self.inner.sub_code = sub_code.map(printable);
        self.inner.entity_type = entity_type.map(printable);
        self
    }

    pub(crate) fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.inner.trace_id = trace_id.map(printable);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// Puts `context` in front of the message, keeping the code and every other field.
    pub(crate) fn with_context(mut self, context: &str) -> Self {
        self.inner.message = format!("{context}: {}", self.inner.message);
        self
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(method) = &self.inner.method {
            out.push_str(method);
            out.push_str(": ");
        }
        out.push_str(self.inner.code.as_str());
        if !self.inner.message.is_empty() {
            out.push_str(": ");
            out.push_str(&self.inner.message);
        }
        let mut details: Vec<String> = Vec::new();
        if let Some(status) = self.inner.http_status {
            details.push(format!("HTTP {status}"));
        }
        match (&self.inner.server_code, &self.inner.sub_code) {
            (Some(code), Some(sub)) => details.push(format!("server code {code}/{sub}")),
            (Some(code), None) => details.push(format!("server code {code}")),
            (None, Some(sub)) => details.push(format!("server sub-code {sub}")),
            (None, None) => {}
        }
        if let Some(entity) = &self.inner.entity_type {
            details.push(format!("entity {entity:?}"));
        }
        if let Some(trace) = &self.inner.trace_id {
            details.push(format!("trace id {trace}"));
        }
        if let Some(after) = self.inner.retry_after {
            details.push(format!("retry after {}s", after.as_secs()));
        }
        if self.inner.attempts > 1 {
            details.push(format!("{} attempts", self.inner.attempts));
        }
        if !details.is_empty() {
            out.push_str(" (");
            out.push_str(&details.join("; "));
            out.push(')');
        }
        out
    }
}

/// A server-sent string fit for a log line: control characters (line breaks included)
/// replaced by spaces, cut to a bounded length.
pub(crate) fn printable(text: String) -> String {
    let text = if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        text
    };
    bounded(text)
}

/// Renders a value for an error message without quoting it when it may be a secret.
pub(crate) struct Shape<'a>(pub &'a serde_json::Value);

impl fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_method_code_status_and_trace() {
        let e = ApiError::new(
            ErrorCode::DailyKeyLimit,
            "Maximum daily key creation limit reached",
        )
        .with_method("webhook.key.create")
        .with_http_status(400)
        .with_server_fields(
            Some("SYSTEM_RULE_VIOLATION".into()),
            Some("DAILY_KEY_LIMIT".into()),
            Some("Webhook Key".into()),
        )
        .with_trace_id(Some("trc_1".into()))
        .with_attempts(1);
        assert_eq!(
            e.to_string(),
            "webhook.key.create: DAILY_KEY_LIMIT: Maximum daily key creation limit reached \
             (HTTP 400; server code SYSTEM_RULE_VIOLATION/DAILY_KEY_LIMIT; entity \"Webhook Key\"; trace id trc_1)"
        );
    }

    #[test]
    fn context_keeps_the_code() {
        let e = ApiError::new(ErrorCode::ServerError, "boom").with_context("key whk_1 stored");
        assert_eq!(e.code(), ErrorCode::ServerError);
        assert_eq!(e.message(), "key whk_1 stored: boom");
    }
}
