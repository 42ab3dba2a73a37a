//! The core's text as JS strings, made the cheapest way V8 allows.
//!
//! V8 keeps a string as Latin-1 (one byte per character) when every character is at most
//! U+00FF, else as UTF-16. Decoding UTF-8 into either (`napi_create_string_utf8`, and what
//! `buffer.toString('utf8')` does) is V8's slow path once a text holds any non-ASCII
//! character, about 1 GB/s; copying Latin-1 or UTF-16 in is a `memcpy`. So the text is
//! converted here, in one pass, and handed over as Latin-1 or UTF-16.
//!
//! The payload itself reaches JS as a tape of its values ([`crate::tape`]); its exact text
//! is made here only when asked for (`Webhook.payloadText`).
//!
//! The strings are copies, not external strings: V8 does not count an external string's
//! buffer towards its collection triggers, so a loop of large webhooks would hold every one
//! until an unrelated full collection (measured: 4 MiB payloads grew the process by 4 MiB a
//! call, to gigabytes).

use napi::{Env, JsString};

pub(crate) use kompliant_webhooks_js_shared::text::JsText;

/// `text` as a JS string (a copy).
pub(crate) fn js_text<'e>(env: &'e Env, text: JsText) -> napi::Result<JsString<'e>> {
    match text {
        JsText::Latin1(bytes) => latin1_js_string(env, &bytes),
        JsText::Utf16(units) => env.create_string_utf16(&units),
    }
}

/// A short text (an id, a name) as a JS string: ASCII is copied as Latin-1, anything else
/// decoded by V8 (rare, and short).
pub(crate) fn short_js_string<'e>(env: &'e Env, text: &str) -> napi::Result<JsString<'e>> {
    if text.is_ascii() {
        latin1_js_string(env, text.as_bytes())
    } else {
        env.create_string(text)
    }
}

/// `napi_create_string_latin1` of `bytes`, every byte kept. In the wasm32 build the N-API is
/// emnapi's, whose Latin-1 strings end at the first NUL even when given the length (emnapi
/// 1.11): there a text holding a NUL (the separator of `decrypt`'s joined parts) goes in as
/// UTF-16 instead (a payload's string values hold one for `\u0000`). Native builds pass
/// straight through.
pub(crate) fn latin1_js_string<'e>(env: &'e Env, bytes: &[u8]) -> napi::Result<JsString<'e>> {
    #[cfg(target_family = "wasm")]
    if bytes.contains(&0) {
        let units: Vec<u16> = bytes.iter().map(|b| u16::from(*b)).collect();
        return env.create_string_utf16(&units);
    }
    env.create_string_latin1(bytes)
}
