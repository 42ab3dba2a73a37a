//! The bridge that lets a guard written in Kotlin or Swift (the exported [`WebhookGuard`]
//! interface, string answers) plug into the core's fenced `WebhookGuard`, as the Python
//! binding bridges a Python guard.

use std::sync::Arc;
use std::time::Duration;

use kompliant_webhooks as core;
use kompliant_webhooks::{Claim, ClaimToken, ErrorCode, Held, WebhookError};

use super::WebhookGuard;
use crate::error::KompliantError;

/// The core's guard over a foreign one: answers are parsed with `Claim::parse` /
/// `Held::parse`; an unknown answer, or anything thrown, is `INTERNAL` naming only the thrown
/// type (its message may quote a store's address or credentials). A `KompliantError` the
/// guard threw keeps its code and detail (the SDK's own error: `MemoryGuard` answers an
/// unusable id with `MALFORMED_ENVELOPE` through this path when Kotlin or Swift pass it as a
/// `WebhookGuard`).
pub(crate) struct ForeignGuard(pub(crate) Arc<dyn WebhookGuard>);

/// Longest part of an unknown answer quoted in the error.
const QUOTED_ANSWER_CHARS: usize = 40;

impl ForeignGuard {
    fn parse<T>(
        method: &str,
        answer: Result<String, KompliantError>,
        parse: fn(&str) -> Option<T>,
        all: &[&str],
    ) -> Result<T, WebhookError> {
        let text = answer.map_err(|e| thrown(method, &e))?;
        parse(&text).ok_or_else(|| {
            let mut quoted: String = text.chars().take(QUOTED_ANSWER_CHARS).collect();
            if quoted.len() < text.len() {
                quoted.push('…');
            }
            WebhookError::Internal {
                detail: format!(
                    "the duplicate guard's {method}() returned {quoted:?}, not one of {}",
                    all.join(", ")
                ),
            }
        })
    }

    fn claims() -> Vec<&'static str> {
        Claim::ALL.iter().map(|c| c.as_str()).collect()
    }

    fn helds() -> Vec<&'static str> {
        Held::ALL.iter().map(|h| h.as_str()).collect()
    }
}

/// The core error for what a guard method threw.
fn thrown(method: &str, error: &KompliantError) -> WebhookError {
    let Some(reason) = error.unexpected_callback_reason() else {
        return typed(method, error);
    };
    let detail = match thrown_type(reason) {
        Some(name) => format!("the duplicate guard's {method}() threw {name}"),
        None => format!(
            "the duplicate guard's {method}() threw an error (its text is not shown: it may hold secrets)"
        ),
    };
    WebhookError::Internal { detail }
}

/// A `KompliantError` a guard threw (the SDK's own typed error, whose detail never holds
/// secrets) as the core error: the receive path's codes a guard can mean keep their code
/// (`MemoryGuard`'s `MALFORMED_ENVELOPE` for an unusable id: 400), any other is `INTERNAL`
/// (the guard could not decide: 500) quoting it.
fn typed(method: &str, error: &KompliantError) -> WebhookError {
    let detail = error.detail();
    let strip = |prefix: &str| detail.strip_prefix(prefix).unwrap_or(&detail).to_owned();
    match ErrorCode::parse(&error.code()) {
        Some(ErrorCode::MalformedEnvelope) => WebhookError::MalformedEnvelope {
            detail: strip("malformed envelope: "),
        },
        Some(ErrorCode::InvalidConfiguration) => WebhookError::InvalidConfiguration {
            detail: strip("invalid configuration: "),
        },
        Some(ErrorCode::Internal) => WebhookError::Internal {
            detail: strip("internal error: "),
        },
        _ => WebhookError::Internal {
            detail: format!("the duplicate guard's {method}() threw {error}"),
        },
    }
}

/// The type name at the start of what UniFFI reports for a foreign exception (Kotlin: the
/// stack trace, whose first line is `toString()`, `pkg.Class: message`; Swift:
/// `String(describing:)`, `Type(field: …)` for a struct, `Module.Class` for a class), or
/// `None` when the text does not start with one. Only a package-qualified name or a name
/// followed by `(` counts, so a custom description's first word is never taken for a type.
fn thrown_type(reason: &str) -> Option<&str> {
    let end = reason
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.')))
        .unwrap_or(reason.len());
    let (name, rest) = reason.split_at(end);
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let qualified = name.contains('.')
        && !name.ends_with('.')
        && (rest.is_empty() || rest.starts_with(": ") || rest.starts_with('\n'));
    (starts_well && (qualified || rest.starts_with('('))).then_some(name)
}

impl core::WebhookGuard for ForeignGuard {
    fn claim(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Claim, WebhookError> {
        let answer = self.0.claim(
            webhook_id.to_owned(),
            token.as_str().to_owned(),
            millis(lease),
        );
        Self::parse("claim", answer, Claim::parse, &Self::claims())
    }

    fn renew(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Held, WebhookError> {
        let answer = self.0.renew(
            webhook_id.to_owned(),
            token.as_str().to_owned(),
            millis(lease),
        );
        Self::parse("renew", answer, Held::parse, &Self::helds())
    }

    fn complete(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        let answer = self
            .0
            .complete(webhook_id.to_owned(), token.as_str().to_owned());
        Self::parse("complete", answer, Held::parse, &Self::helds())
    }

    fn release(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        let answer = self
            .0
            .release(webhook_id.to_owned(), token.as_str().to_owned());
        Self::parse("release", answer, Held::parse, &Self::helds())
    }
}

/// A lease in whole milliseconds (at least 1, as Redis needs).
fn millis(lease: Duration) -> u64 {
    kompliant_webhooks::redis::millis(lease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_type_name_is_taken_from_a_thrown_error() {
        let kotlin =
            "java.lang.IllegalStateException: redis://user:hunter2@db\n\tat Foo.claim(Foo.kt:3)";
        assert_eq!(thrown_type(kotlin), Some("java.lang.IllegalStateException"));
        assert_eq!(
            thrown_type("com.acme.Guard$Down"),
            Some("com.acme.Guard$Down")
        );
        assert_eq!(
            thrown_type("StoreDown(detail: \"hunter2\")"),
            Some("StoreDown")
        );
        assert_eq!(thrown_type("MyApp.StoreError"), Some("MyApp.StoreError"));
        for secret_first in [
            "hunter2",
            "password is hunter2",
            "redis.acme.internal refused",
            "Error Domain=NSPOSIXErrorDomain Code=61",
            "",
            "10.0.0.1: refused",
        ] {
            assert_eq!(thrown_type(secret_first), None, "{secret_first}");
        }
    }

    #[test]
    fn a_thrown_error_is_internal_without_its_text_and_a_typed_one_keeps_its_code() {
        let unexpected = KompliantError::from(uniffi::UnexpectedUniFFICallbackError {
            reason: "java.io.IOException: AUTH hunter2 failed".into(),
        });
        let e = thrown("claim", &unexpected);
        assert_eq!(e.code(), ErrorCode::Internal);
        assert_eq!(
            e.to_string(),
            "internal error: the duplicate guard's claim() threw java.io.IOException"
        );
        let core = WebhookError::MalformedEnvelope {
            detail: "id too long".into(),
        };
        let e = thrown("claim", &KompliantError::from(core.clone()));
        assert_eq!(e, core, "a typed error keeps its code and text");
        let api = KompliantError::new(ErrorCode::ConnectionFailed, "down".into(), None);
        assert_eq!(
            thrown("renew", &api).to_string(),
            "internal error: the duplicate guard's renew() threw CONNECTION_FAILED: down"
        );
    }
}
