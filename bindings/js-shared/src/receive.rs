//! The receive path as both JS bindings call it: receiver options from JS values, one
//! decrypt into the payload tape ([`crate::tape`]) and the parts the JS layer reads
//! (`node/lib/receiver.js`, `webhook.js`, `payload.js`), so the Node and WebAssembly builds
//! return the same result. The bindings only turn [`Decrypted`] into JS values.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kompliant_webhooks as core;
use kompliant_webhooks::Clock as _;

use crate::error::{invalid_configuration, range_error, type_error, webhook_error, Result};
use crate::tape::{Shapes, TapeSink};

/// A wire profile of your own (when Kompliant's real layout differs from the built-ins): the
/// configuration values of the core's `WireProfile::from_names`, passed through unchanged.
#[derive(Debug, Clone, Default)]
pub struct CustomProfile {
    /// The profile's name (for logs).
    pub name: String,
    /// `after_ciphertext` (`nonce || ciphertext || tag`, the default) or `before_ciphertext`.
    pub tag_position: Option<String>,
    /// Envelope names of the authenticated fields in order (`id`, `event_type`, …); absent
    /// for the documented six, empty for no AAD.
    pub aad_fields: Option<Vec<String>>,
    /// Separator between the AAD fields (default `|`).
    pub aad_separator: Option<String>,
}

/// How a receiver checks webhooks, as the JS layer passes it (every field optional: the
/// documented defaults).
#[derive(Debug, Clone, Default)]
pub struct ReceiverSettings {
    /// A built-in profile by name.
    pub profile: Option<String>,
    /// A custom profile (instead of `profile`).
    pub custom_profile: Option<CustomProfile>,
    /// Largest body accepted, in bytes (default 8 MiB).
    pub max_body_bytes: Option<f64>,
    /// Refuse webhooks older than this many seconds (off by default).
    pub max_age_seconds: Option<f64>,
    /// Refuse webhooks further than this many seconds in the future (off by default).
    pub max_future_skew_seconds: Option<f64>,
}

/// The wire profile named by `profile` or described by `custom`: the core's
/// `WireProfile::named` / `WireProfile::from_names` (`INVALID_CONFIGURATION` for an unknown
/// name, tag position or field, or an empty separator).
pub fn profile_from(
    profile: Option<&str>,
    custom: Option<&CustomProfile>,
) -> Result<core::WireProfile> {
    let profile = match (profile, custom) {
        (Some(_), Some(_)) => {
            return Err(type_error(
                "give either a built-in profile name or a custom profile, not both",
            ))
        }
        (None, None) => Ok(core::WireProfile::default()),
        (Some(name), None) => core::WireProfile::named(name),
        (None, Some(c)) => core::WireProfile::from_names(
            &c.name,
            c.tag_position.as_deref(),
            c.aad_fields.as_deref(),
            c.aad_separator.as_deref(),
        ),
    };
    profile.map_err(|e| webhook_error(&e))
}

/// The core's receiver options from `settings`, checked by the core.
pub fn receiver_options(settings: Option<&ReceiverSettings>) -> Result<core::ReceiverOptions> {
    let mut opts = core::ReceiverOptions::default();
    if let Some(o) = settings {
        opts.profile = profile_from(o.profile.as_deref(), o.custom_profile.as_ref())?;
        if let Some(max) = o.max_body_bytes {
            opts.max_body_bytes = byte_count("maxBodyBytes", max)?;
        }
        if let Some(age) = o.max_age_seconds {
            opts.max_age = Some(seconds("maxAgeSeconds", age)?);
        }
        if let Some(skew) = o.max_future_skew_seconds {
            opts.max_future_skew = Some(seconds("maxFutureSkewSeconds", skew)?);
        }
    }
    opts.check().map_err(|e| webhook_error(&e))?;
    Ok(opts)
}

/// A JS number of seconds as a `Duration` (finite, not negative).
/// `INVALID_CONFIGURATION` for a value no `Duration` can hold.
pub fn seconds(name: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid_configuration(format!("{name} must be a finite number of seconds >= 0"))
    })
}

/// A JS number as a byte count (a safe integer >= 0; whether it is usable is the core's
/// `ReceiverOptions::check`). `INVALID_CONFIGURATION` for a value no `usize` can hold.
pub fn byte_count(name: &str, value: f64) -> Result<usize> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if value.fract() != 0.0 || !(0.0..=MAX_SAFE_INTEGER).contains(&value) {
        return Err(invalid_configuration(format!(
            "{name} must be a whole number of bytes"
        )));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    usize::try_from(value as u64)
        .map_err(|_| invalid_configuration(format!("{name} is too large for this platform")))
}

/// Milliseconds since the Unix epoch as a `SystemTime`.
pub fn time_from_ms(ms: f64) -> Result<SystemTime> {
    let since = Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| range_error("now must be a time at or after 1970-01-01"))?;
    UNIX_EPOCH
        .checked_add(since)
        .ok_or_else(|| range_error("now is out of range"))
}

/// A receiver and the object shapes of the payloads it decrypted (for the tape, see
/// [`crate::tape`]): what a binding's receiver handle holds.
pub struct ReceiverHandle {
    receiver: core::WebhookReceiver,
    shapes: Shapes,
}

impl ReceiverHandle {
    /// A handle over `receiver` (sharing its keyring), with no shape met yet.
    pub fn new(receiver: core::WebhookReceiver) -> Self {
        ReceiverHandle {
            receiver,
            shapes: Shapes::default(),
        }
    }

    /// The keys of shape `id` of this handle's payloads, in order (a `RangeError` for an id
    /// never given out).
    pub fn shape_keys(&self, id: u32) -> Result<Vec<String>> {
        self.shapes
            .keys(id)
            .map(<[String]>::to_vec)
            .ok_or_else(|| range_error("no such shape"))
    }
}

/// Below this many bytes, the payload's text crosses inside the Latin-1 string (see
/// [`PayloadText::InLatin1`]); from it on, as bytes of its own, so that a long-lived slice of
/// a string value does not keep a large text alive with it.
pub const SMALL_TEXT: usize = 64 * 1024;

/// Where a decrypt's payload text is.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadText {
    /// Its UTF-8 bytes end the Latin-1 string from this index, one character a byte: a
    /// buffer of its own costs 1.4 µs at 1 KiB in Node (a quarter of the call), this a copy.
    InLatin1(u32),
    /// The text, for a JS byte array (texts of [`SMALL_TEXT`] and more).
    Bytes(String),
}

/// One decrypt, as the JS layer reads it: `[latin1, parts, text, wide?, spilled?]`.
pub struct Decrypted {
    /// The tape's Latin-1 strings (then, for a small payload, its text: [`PayloadText`]).
    pub latin1: Vec<u8>,
    /// The other parts as one string ([`joined_parts`]).
    pub parts: String,
    /// The payload's exact text.
    pub text: PayloadText,
    /// The tape's UTF-16 strings.
    pub wide: Vec<u16>,
    /// The whole tape when it did not fit the caller's array.
    pub spilled: Option<Vec<f64>>,
}

impl Decrypted {
    /// Whether the result carries its 4th element (`wide`, empty or not): when there are
    /// wide strings or a spilled tape (the 5th element).
    pub fn has_wide(&self) -> bool {
        !self.wide.is_empty() || self.spilled.is_some()
    }
}

/// Decrypts one raw body with `handle`'s receiver; the payload is checked by the core as a
/// JSON object while its tape is written into `tape` (the caller's, reused across calls; the
/// tape's length is `tape[0]`) or, when it does not fit, returned in
/// [`Decrypted::spilled`]. `now_ms` replaces the clock for the opt-in time window.
pub fn decrypt(
    handle: &mut ReceiverHandle,
    body: &[u8],
    tape: &mut [f64],
    now_ms: Option<f64>,
) -> Result<Decrypted> {
    let now = now_for(&handle.receiver, now_ms)?;
    let opened = handle
        .receiver
        .open_at(body, now)
        .map_err(|e| webhook_error(&e))?;
    let mut sink = TapeSink::new(tape, &mut handle.shapes, body.len() * 3 / 4);
    let (webhook, ()) = parsed(opened, &mut sink)?;
    let finished = sink.finish();
    let (metadata, retry_count, payload) = webhook.into_parts();
    let mut latin1 = finished.latin1;
    let text = if payload.len() < SMALL_TEXT {
        let at = u32::try_from(latin1.len()).map_err(|_| range_error("payload too large"))?;
        latin1.extend_from_slice(payload.as_bytes());
        PayloadText::InLatin1(at)
    } else {
        PayloadText::Bytes(payload)
    };
    Ok(Decrypted {
        latin1,
        parts: joined_parts(&metadata, retry_count),
        text,
        wide: finished.wide,
        spilled: finished.spilled,
    })
}

/// `opened`'s payload checked as a JSON object by the core, through `sink` (which cannot fail).
fn parsed<S: core::json::JsonSink<Error = std::convert::Infallible>>(
    opened: core::OpenedWebhook,
    sink: &mut S,
) -> Result<(core::Webhook, S::Value)> {
    match opened.parse_into(sink) {
        Ok(done) => Ok(done),
        Err(core::ParseIntoError::Webhook(e)) => Err(webhook_error(&e)),
        Err(core::ParseIntoError::Sink(never)) => match never {},
    }
}

/// The time `receiver` checks a webhook at: `now_ms`, else the clock (read only when the
/// receiver has a time window).
fn now_for(receiver: &core::WebhookReceiver, now_ms: Option<f64>) -> Result<SystemTime> {
    let options = receiver.options();
    Ok(match now_ms {
        Some(ms) => time_from_ms(ms)?,
        // The core reads `now` only for a time window: without one, no clock read.
        None if options.max_age.is_none() && options.max_future_skew.is_none() => UNIX_EPOCH,
        None => core::SystemClock.system_now(),
    })
}

/// [`decrypt`] with its AES-GCM run by the host (the core's `host_aead`): every check up to
/// AES-GCM, handing out what the host decrypts with.
///
/// # Errors
/// As [`decrypt`] before AES-GCM: `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`,
/// `DECRYPTION_FAILED`, `TIMESTAMP_OUT_OF_RANGE`, a `RangeError` for a bad `now_ms`.
#[cfg(feature = "host-aead")]
pub fn open_sealed(
    handle: &ReceiverHandle,
    body: &[u8],
    now_ms: Option<f64>,
) -> Result<core::host_aead::SealedWebhook> {
    let now = now_for(&handle.receiver, now_ms)?;
    handle
        .receiver
        .open_sealed_at(body, now)
        .map_err(|e| webhook_error(&e))
}

/// The rest of [`decrypt`] for a webhook of [`open_sealed`] whose payload object the host
/// builds itself from the text (`JSON.parse`): the core checks the plaintext as [`decrypt`]
/// does (UTF-8, a JSON object within the core's limits, the time window) without building
/// anything, and gives the parts besides the payload ([`joined_parts`]).
///
/// # Errors
/// As [`decrypt`] from AES-GCM on: `DECRYPTION_FAILED` (`plaintext` is `None`: the host
/// refused the tag), `PAYLOAD_NOT_JSON`, `TIMESTAMP_OUT_OF_RANGE`, `INTERNAL` for a plaintext
/// of the wrong length.
#[cfg(feature = "host-aead")]
pub fn check_opened(
    sealed: core::host_aead::SealedWebhook,
    plaintext: Option<Vec<u8>>,
) -> Result<String> {
    let opened = sealed.open_with(plaintext).map_err(|e| webhook_error(&e))?;
    let (webhook, ()) = parsed(opened, &mut core::json::CheckOnly)?;
    let (metadata, retry_count, _) = webhook.into_parts();
    Ok(joined_parts(&metadata, retry_count))
}

/// The parts of a webhook besides its payload, as one string: a separator, then `id`,
/// `eventType`, `timestamp`, `accountId`, `schemaVersion`, `keyId` and the retry count
/// (decimal), each followed by the separator but the last. The separator is the first
/// character from U+0000 on that no field holds (U+0000 but for a forged envelope; there
/// always is one: the fields cannot hold more distinct characters than they have).
pub fn joined_parts(m: &core::WebhookMetadata, retry_count: u64) -> String {
    let fields = [
        m.id.as_str(),
        &m.event_type,
        &m.timestamp,
        &m.account_id,
        &m.schema_version,
        &m.key_id,
    ];
    let separator = if fields.iter().all(|f| !f.as_bytes().contains(&0)) {
        '\0' // a byte search (memchr): the usual case, and the fast one
    } else {
        (0..=u32::MAX)
            .filter_map(char::from_u32)
            .find(|c| !fields.iter().any(|f| f.contains(*c)))
            .unwrap_or('\0')
    };
    let mut joined = String::with_capacity(fields.iter().map(|f| f.len() + 4).sum::<usize>() + 32);
    for field in fields {
        joined.push(separator);
        joined.push_str(field);
    }
    joined.push(separator);
    // Writing to a String cannot fail.
    let _ = write!(joined, "{retry_count}");
    joined
}

/// The exact payload text of a `decrypt` result from its UTF-8 bytes (a `TypeError` if they
/// are not UTF-8).
pub fn payload_utf8(text: &[u8]) -> Result<&str> {
    std::str::from_utf8(text).map_err(|_| type_error("the payload text is not UTF-8"))
}

/// As [`payload_utf8`], in the form a JS engine stores it.
pub fn payload_text(text: &[u8]) -> Result<crate::text::JsText> {
    Ok(crate::text::JsText::exact(payload_utf8(text)?.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::error::JsError;

    fn custom(
        tag_position: Option<&str>,
        aad_fields: Option<&[&str]>,
        aad_separator: Option<&str>,
    ) -> CustomProfile {
        CustomProfile {
            name: "mine".into(),
            tag_position: tag_position.map(str::to_owned),
            aad_fields: aad_fields.map(|f| f.iter().map(|s| (*s).to_owned()).collect()),
            aad_separator: aad_separator.map(str::to_owned),
        }
    }

    fn code(e: &JsError) -> String {
        let json = e.message().strip_prefix("KOMPLIANT_ERROR:").unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["code"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn custom_profiles_are_the_cores_from_names() {
        let p = profile_from(
            None,
            Some(&custom(
                Some("before_ciphertext"),
                Some(&["id", "key_id"]),
                None,
            )),
        )
        .unwrap();
        assert_eq!(p.name(), "mine");
        assert_eq!(p.tag_position(), core::TagPosition::BeforeCiphertext);
        assert_eq!(
            p.aad(),
            &core::Aad::Fields {
                fields: vec![core::MetadataField::Id, core::MetadataField::KeyId],
                separator: "|".into()
            }
        );
        // Absent fields: the documented six, as the core's default; an empty list: no AAD.
        let six = profile_from(None, Some(&custom(None, None, Some(";")))).unwrap();
        assert_eq!(
            six.aad(),
            &core::Aad::Fields {
                fields: core::MetadataField::ALL.to_vec(),
                separator: ";".into()
            }
        );
        let none = profile_from(None, Some(&custom(None, Some(&[]), None))).unwrap();
        assert_eq!(none.aad(), &core::Aad::None);
        assert!(profile_from(Some("kompliant-2025-11-21-no-aad"), None).is_ok());
        for bad in [
            profile_from(Some("nope"), None),
            profile_from(None, Some(&custom(Some("beforeCiphertext"), None, None))),
            profile_from(None, Some(&custom(None, Some(&["body"]), None))),
            profile_from(None, Some(&custom(None, None, Some("")))),
        ] {
            assert_eq!(code(&bad.err().unwrap()), "INVALID_CONFIGURATION");
        }
    }

    #[test]
    fn joined_parts_split_back_on_their_first_character() {
        let mut m = core::WebhookMetadata {
            id: "wh_1".into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-11-21T10:00:00Z".into(),
            account_id: "sb_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251121_01".into(),
        };
        let split = |joined: &str| -> Vec<String> {
            let separator = joined.chars().next().unwrap();
            joined.split(separator).map(str::to_owned).collect()
        };
        assert_eq!(
            split(&joined_parts(&m, 3)),
            [
                "",
                "wh_1",
                "WORKFLOW_CREATED",
                "2025-11-21T10:00:00Z",
                "sb_1",
                "2025-11-21",
                "whk_20251121_01",
                "3"
            ]
        );
        // Fields holding U+0000 and the next characters: the first one none holds.
        m.id = "a\0b\u{1}".into();
        m.account_id = "\u{2}\u{3}ễ".into();
        let joined = joined_parts(&m, u64::MAX);
        assert!(joined.starts_with('\u{4}'));
        let parts = split(&joined);
        assert_eq!(parts[1], m.id);
        assert_eq!(parts[4], m.account_id);
        assert_eq!(parts[7], u64::MAX.to_string());
    }

    #[test]
    fn numbers_from_js_are_checked() {
        assert_eq!(
            byte_count("m", 0.0).unwrap(),
            0,
            "refused by the core's check"
        );
        assert_eq!(
            code(&byte_count("m", 1.5).err().unwrap()),
            "INVALID_CONFIGURATION"
        );
        assert!(byte_count("m", -1.0).is_err());
        assert_eq!(byte_count("m", 1024.0).unwrap(), 1024);
        assert_eq!(
            code(&seconds("s", -1.0).err().unwrap()),
            "INVALID_CONFIGURATION"
        );
        assert!(seconds("s", f64::NAN).is_err());
        assert_eq!(
            time_from_ms(1500.0).unwrap(),
            UNIX_EPOCH + Duration::from_millis(1500)
        );
    }
}
