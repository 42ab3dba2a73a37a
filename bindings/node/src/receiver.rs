//! `WebhookReceiver`: raw body in, verified webhook parts out (the core's
//! [`core::WebhookReceiver`]). The payload crosses as the core's exact text, checked by the
//! core as a JSON object; the JS layer parses it with `JSON.parse`, which is several times
//! faster than building objects here. A decrypted webhook crosses as two strings in an
//! array: the payload, made by [`crate::text`] in the form V8 keeps it, and the other parts
//! joined in one string ([`joined_parts`]); every value crossing napi costs time.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kompliant_webhooks as core;
use napi::bindgen_prelude::{Array, BufferSlice, External, Float64ArraySlice};
use napi::{Env, JsString};
use napi_derive::napi;

use crate::error::{guard, invalid_configuration, range_error, type_error, webhook_error};
use crate::keyring::Keyring;
use crate::tape::{Shapes, TapeSink};
use crate::text::{latin1_js_string, short_js_string, JsText};

/// A wire profile of your own (when Kompliant's real layout differs from the built-ins): the
/// configuration values of the core's `WireProfile::from_names`, passed through unchanged.
#[napi(object)]
pub struct NativeCustomProfile {
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

/// How a receiver checks webhooks (every field optional: the documented defaults).
#[napi(object)]
pub struct NativeReceiverOptions {
    /// A built-in profile by name (`kompliant-2025-11-21`, `kompliant-2025-11-21-no-aad`).
    pub profile: Option<String>,
    /// A custom profile (instead of `profile`).
    pub custom_profile: Option<NativeCustomProfile>,
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
pub(crate) fn profile_from(
    profile: Option<&str>,
    custom: Option<&NativeCustomProfile>,
) -> napi::Result<core::WireProfile> {
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

/// A JS number of seconds as a `Duration` (finite, not negative).
/// `INVALID_CONFIGURATION` for a value no `Duration` can hold.
fn seconds(name: &str, value: f64) -> napi::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid_configuration(format!("{name} must be a finite number of seconds >= 0"))
    })
}

/// A JS number as a byte count (a safe integer >= 0; whether it is usable is the core's
/// `ReceiverOptions::check`). `INVALID_CONFIGURATION` for a value no `usize` can hold.
fn byte_count(name: &str, value: f64) -> napi::Result<usize> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if value.fract() != 0.0 || !(0.0..=MAX_SAFE_INTEGER).contains(&value) {
        return Err(invalid_configuration(format!(
            "{name} must be a whole number of bytes"
        )));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(value as usize)
}

/// Milliseconds since the Unix epoch as a `SystemTime`.
fn time_from_ms(ms: f64) -> napi::Result<SystemTime> {
    let since = Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| range_error("now must be a time at or after 1970-01-01"))?;
    UNIX_EPOCH
        .checked_add(since)
        .ok_or_else(|| range_error("now is out of range"))
}

/// Verifies and decrypts webhook bodies with the keys of a [`Keyring`].
#[napi]
pub struct WebhookReceiver {
    inner: core::WebhookReceiver,
}

#[napi]
impl WebhookReceiver {
    /// A receiver over `keyring` (shared: keys added to it later are used at once).
    #[napi(constructor)]
    pub fn new(keyring: &Keyring, options: Option<NativeReceiverOptions>) -> napi::Result<Self> {
        guard(|| {
            let mut opts = core::ReceiverOptions::default();
            if let Some(o) = options {
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
            Ok(WebhookReceiver {
                inner: core::WebhookReceiver::with_options(keyring.inner.clone(), opts),
            })
        })
    }

    /// This receiver as a plain handle for [`decrypt`] and [`decrypt_string`]: a function
    /// taking a handle is called in less than half the time of a method of this class
    /// (napi-rs checks and registers a class receiver), which counts on small webhooks. It
    /// shares the keyring (keys added later are used at once) and holds the object shapes
    /// met in payloads ([`Shapes`]).
    #[napi(ts_return_type = "ExternalObject<'ReceiverHandle'>")]
    pub fn handle(&self) -> External<ReceiverHandle> {
        External::new(ReceiverHandle {
            receiver: self.inner.clone(),
            shapes: Shapes::default(),
        })
    }

    /// Largest body accepted, in bytes.
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let max = self.inner.options().max_body_bytes as f64;
        max
    }

    /// The wire profile's name.
    #[napi(getter)]
    pub fn profile_name(&self) -> String {
        self.inner.options().profile.name().to_owned()
    }
}

/// The caller's `Float64Array` the tape is written into (borrowed for the call). An alias:
/// napi-rs takes a `&mut [f64]` argument written as such for a class instance.
type TapeArray<'a> = &'a mut [f64];

/// What [`WebhookReceiver::handle`] gives: the receiver, and the object shapes of the
/// payloads it decrypted (for the tape, see [`crate::tape`]).
pub struct ReceiverHandle {
    receiver: core::WebhookReceiver,
    shapes: Shapes,
}

/// Decrypts one raw body (the exact bytes received, borrowed: no copy) with the receiver of
/// `handle` (`WebhookReceiver.handle()`). `nowMs` replaces the clock for the opt-in time
/// window. The payload is checked by the core as a JSON object while its tape is written
/// ([`crate::tape`]) into `tape` (the caller's, reused across calls). Returns
/// `[latin1, parts, text, wide?, spilled?]`: the tape's Latin-1 strings, the other parts as
/// one string (see [`joined_parts`]), the payload's exact UTF-8 text (a Buffer; or, for a
/// text under 64 KiB, the index in `latin1` from which its bytes follow, one a character),
/// the tape's UTF-16 strings when there are any, and the whole tape when it did not fit
/// `tape`. Each value crossing into JS costs time: the last two are usually absent.
#[napi(
    ts_return_type = "[latin1: string, parts: string, text: Buffer | number, wide?: string, spilled?: Float64Array]"
)]
pub fn decrypt<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &mut External<ReceiverHandle>,
    body: &[u8],
    tape: TapeArray<'e>,
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    guard(|| open(env, handle, body, tape, now_ms))
}

/// As [`decrypt`], for a body already held as a string (its UTF-8 bytes are opened).
#[napi(
    ts_return_type = "[latin1: string, parts: string, text: Buffer | number, wide?: string, spilled?: Float64Array]"
)]
pub fn decrypt_string<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &mut External<ReceiverHandle>,
    body: String,
    tape: TapeArray<'e>,
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    guard(|| open(env, handle, body.as_bytes(), tape, now_ms))
}

/// The keys of shape `id` of `handle`'s payloads, in order (for the JS layer's compiled
/// object literal).
#[napi]
pub fn shape_keys(
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &External<ReceiverHandle>,
    id: u32,
) -> napi::Result<Vec<String>> {
    guard(|| {
        handle
            .shapes
            .keys(id)
            .map(<[String]>::to_vec)
            .ok_or_else(|| range_error("no such shape"))
    })
}

/// Below this many bytes, the payload's text crosses inside the Latin-1 string (see `open`);
/// from it on, as a Buffer, so that a long-lived slice of a string value does not keep a
/// large text alive with it.
const SMALL_TEXT: usize = 64 * 1024;

fn open<'e>(
    env: &'e Env,
    handle: &mut ReceiverHandle,
    body: &[u8],
    tape: &mut [f64],
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    let receiver = &handle.receiver;
    let options = receiver.options();
    let now = match now_ms {
        Some(ms) => time_from_ms(ms)?,
        // The core reads `now` only for a time window: without one, no clock read.
        None if options.max_age.is_none() && options.max_future_skew.is_none() => UNIX_EPOCH,
        None => SystemTime::now(),
    };
    let opened = receiver.open_at(body, now).map_err(|e| webhook_error(&e))?;
    // In the wasm32 build (emnapi) writes to a JS typed array's memory do not reach JS: there
    // the whole tape comes back as a new array.
    #[cfg(target_family = "wasm")]
    let tape: &mut [f64] = {
        let _ = tape;
        &mut []
    };
    let mut sink = TapeSink::new(tape, &mut handle.shapes, body.len() * 3 / 4);
    let (webhook, ()) = match opened.parse_into(&mut sink) {
        Ok(done) => done,
        Err(core::ParseIntoError::Webhook(e)) => return Err(webhook_error(&e)),
        Err(core::ParseIntoError::Sink(never)) => match never {},
    };
    let finished = sink.finish();
    let (metadata, retry_count, payload) = webhook.into_parts();
    let parts = joined_parts(&metadata, retry_count);
    let mut decrypted = env.create_array(3)?;
    let mut latin1 = finished.latin1;
    if payload.len() < SMALL_TEXT {
        // The text's UTF-8 bytes ride at the end of the Latin-1 string, one character each:
        // a Buffer of its own costs 1.4 µs at 1 KiB (a quarter of the call), this a copy.
        let at = u32::try_from(latin1.len()).map_err(|_| range_error("payload too large"))?;
        latin1.extend_from_slice(payload.as_bytes());
        decrypted.set(0, latin1_js_string(env, &latin1)?)?;
        decrypted.set(2, at)?;
    } else {
        decrypted.set(0, latin1_js_string(env, &latin1)?)?;
        // Copies, never external buffers: Node runs an external buffer's finalizer only on a
        // later turn of the event loop, so a synchronous loop of decrypts held every payload
        // (measured: 256 KiB payloads grew the process by 250 KB a call); a copy is V8's
        // memory, freed by any collection.
        decrypted.set(2, BufferSlice::copy_from(env, payload.as_bytes())?)?;
    }
    decrypted.set(1, short_js_string(env, &parts)?)?;
    if !finished.wide.is_empty() || finished.spilled.is_some() {
        decrypted.set(3, env.create_string_utf16(&finished.wide)?)?;
    }
    if let Some(spilled) = finished.spilled {
        decrypted.set(4, Float64ArraySlice::copy_from(env, spilled)?)?;
    }
    Ok(decrypted)
}

/// The parts of a webhook besides its payload, as one string: a separator, then `id`,
/// `eventType`, `timestamp`, `accountId`, `schemaVersion`, `keyId` and the retry count
/// (decimal), each followed by the separator but the last. The separator is the first character from U+0000 on that no field
/// holds (U+0000 but for a forged envelope; there always is one: the fields cannot hold
/// more distinct characters than they have).
fn joined_parts(m: &core::WebhookMetadata, retry_count: u64) -> String {
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

/// The exact payload text of a `decrypt` result, from its UTF-8 `text` (checked by the
/// core), as a JS string made the cheapest way ([`crate::text`]).
#[napi]
pub fn payload_text<'e>(env: &'e Env, text: &[u8]) -> napi::Result<JsString<'e>> {
    guard(|| {
        let text = String::from_utf8(text.to_vec())
            .map_err(|_| type_error("the payload text is not UTF-8"))?;
        JsText::exact(text).into_js(env)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn custom(
        tag_position: Option<&str>,
        aad_fields: Option<&[&str]>,
        aad_separator: Option<&str>,
    ) -> NativeCustomProfile {
        NativeCustomProfile {
            name: "mine".into(),
            tag_position: tag_position.map(str::to_owned),
            aad_fields: aad_fields.map(|f| f.iter().map(|s| (*s).to_owned()).collect()),
            aad_separator: aad_separator.map(str::to_owned),
        }
    }

    fn code(e: &napi::Error) -> String {
        let json = e.reason.strip_prefix("KOMPLIANT_ERROR:").unwrap();
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
