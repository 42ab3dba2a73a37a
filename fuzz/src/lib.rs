//! What the fuzz targets share: a fixed keyring and receivers, and the checks every error
//! must pass (a stable receive-path code, an answer status, no secret in its text).

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use kompliant_webhooks::{
    ErrorCode, Keyring, ReceiverOptions, WebhookError, WebhookReceiver, WebhookSecret, WireProfile,
};

/// The key id of the fixed keyring (the conformance vector `ok_workflow_created`'s).
pub const KEY_ID: &str = "whk_20251121_01";

/// Its secret, base64 (from `tests/vectors/webhooks.json`, case `ok_workflow_created`).
pub const SECRET_B64: &str = "c0VGk4JgkdIIIfBJ7ojl8TlsIx0TkVijlWcY2/1dQcw=";

/// The receivers' clock, fixed so every run decides the same way.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_735_422) // 2025-11-21T14:30:22Z
}

/// The fixture's secret.
pub fn secret() -> WebhookSecret {
    WebhookSecret::from_base64(SECRET_B64).unwrap_or_else(|_| unreachable!("fixed secret"))
}

/// Receivers over a keyring holding [`KEY_ID`]: the default profile, the profile without
/// AAD, and a strict one (4 KiB body limit, a 1-day age and 5-minute skew window).
pub struct Fixture {
    /// Default profile, default options.
    pub default: WebhookReceiver,
    /// `kompliant-2025-11-21-no-aad`.
    pub no_aad: WebhookReceiver,
    /// Small body limit and a time window.
    pub strict: WebhookReceiver,
}

/// The shared fixture (built once per process).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keyring = Keyring::new();
        keyring
            .add(KEY_ID, &secret())
            .unwrap_or_else(|_| unreachable!("fixed key"));
        let no_aad = ReceiverOptions {
            profile: WireProfile::kompliant_2025_11_21_no_aad(),
            ..ReceiverOptions::default()
        };
        let strict = ReceiverOptions {
            max_body_bytes: 4096,
            max_age: Some(Duration::from_secs(86_400)),
            max_future_skew: Some(Duration::from_secs(300)),
            ..ReceiverOptions::default()
        };
        Fixture {
            default: WebhookReceiver::new(keyring.clone()),
            no_aad: WebhookReceiver::with_options(keyring.clone(), no_aad),
            strict: WebhookReceiver::with_options(keyring, strict),
        }
    })
}

/// The codes `WebhookReceiver::decrypt` may return.
pub const DECRYPT_CODES: &[ErrorCode] = &[
    ErrorCode::BodyTooLarge,
    ErrorCode::MalformedEnvelope,
    ErrorCode::UnknownKey,
    ErrorCode::DecryptionFailed,
    ErrorCode::PayloadNotJson,
    ErrorCode::TimestampOutOfRange,
];

/// Checks a receive-path error for `input`: one of `codes`, a 4xx/5xx answer, and neither
/// its message nor its `Debug` holds the fixture's secret, unless the input itself did (a
/// malformed envelope's message may quote the body, which is the sender's own text).
pub fn check_error(err: &WebhookError, codes: &[ErrorCode], input: &[u8]) {
    assert!(codes.contains(&err.code()), "unexpected code {err:?}");
    assert!(
        matches!(err.http_status(), 400 | 413 | 500 | 503),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {}", err.public_message());
    let in_input = String::from_utf8_lossy(input).contains(SECRET_B64);
    assert!(
        in_input || !text.contains(SECRET_B64),
        "secret in error text"
    );
}
