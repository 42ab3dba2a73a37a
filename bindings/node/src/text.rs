//! The core's text as JS strings, made the cheapest way V8 allows.
//!
//! V8 keeps a string as Latin-1 (one byte per character) when every character is at most
//! U+00FF, else as UTF-16. Decoding UTF-8 into either (`napi_create_string_utf8`, and what
//! `buffer.toString('utf8')` does) is V8's slow path once a text holds any non-ASCII
//! character, about 1 GB/s; copying Latin-1 or UTF-16 in is a `memcpy`. So the text is
//! converted here, in one pass, and handed over as Latin-1 or UTF-16.
//!
//! A payload is only ever given to `JSON.parse`, and its exact text is rarely read, so a
//! JSON text whose only characters above U+00FF are few is handed over as Latin-1 with those
//! characters written as JSON `\uXXXX` escapes ([`JsText::Escaped`]): the same JSON value
//! for `JSON.parse`, half the bytes of UTF-16 to convert, copy and fault in (a long string
//! takes fresh pages of V8's heap every time). Its exact text is [`unescape_wide`] of it,
//! which the JS layer asks for only when it is read. That is exact because such a text holds
//! no `\u` escape of a character above U+00FF of its own (else it is handed over as UTF-16).
//!
//! The strings are copies, not external strings: V8 does not count an external string's
//! buffer towards its collection triggers, so a loop of large webhooks would hold every one
//! until an unrelated full collection (measured: 4 MiB payloads grew the process by 4 MiB a
//! call, to gigabytes).

use napi::{Env, JsString};

/// A JSON text in the form handed to V8.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsText {
    /// Every character is at most U+00FF: the text itself, one byte per character (an
    /// ASCII text is its own Latin-1).
    Latin1(Vec<u8>),
    /// The text as Latin-1 with every character above U+00FF written as a `\uXXXX` escape
    /// (two for a character beyond U+FFFF): the same JSON value, not the same text.
    Escaped(Vec<u8>),
    /// The text itself as UTF-16 code units.
    Utf16(Vec<u16>),
}

impl JsText {
    /// `text`, a JSON text (checked by the core), in the cheapest form: Latin-1 when it
    /// fits (an ASCII text is taken as it is, without a copy), else escaped Latin-1 when that
    /// is exact (see the module documentation) and at most a quarter longer, else UTF-16.
    pub(crate) fn json(text: String) -> JsText {
        if text.is_ascii() {
            return JsText::Latin1(text.into_bytes());
        }
        match to_latin1(&text, true) {
            Latin1::Exact(latin1) => JsText::Latin1(latin1),
            Latin1::Escaped(escaped) => JsText::Escaped(escaped),
            Latin1::Unfit => JsText::Utf16(to_utf16(&text)),
        }
    }

    /// `text` itself in the cheapest exact form: Latin-1 when it fits, else UTF-16.
    pub(crate) fn exact(text: String) -> JsText {
        if text.is_ascii() {
            return JsText::Latin1(text.into_bytes());
        }
        match to_latin1(&text, false) {
            Latin1::Exact(latin1) => JsText::Latin1(latin1),
            _ => JsText::Utf16(to_utf16(&text)),
        }
    }

    /// Whether the JS string will be [`JsText::Escaped`] (not the exact text).
    pub(crate) fn is_escaped(&self) -> bool {
        matches!(self, JsText::Escaped(_))
    }

    /// The JS string (a copy).
    pub(crate) fn into_js(self, env: &Env) -> napi::Result<JsString<'_>> {
        match self {
            JsText::Latin1(bytes) | JsText::Escaped(bytes) => latin1_js_string(env, &bytes),
            JsText::Utf16(units) => env.create_string_utf16(&units),
        }
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
/// UTF-16 instead. Native builds pass straight through.
fn latin1_js_string<'e>(env: &'e Env, bytes: &[u8]) -> napi::Result<JsString<'e>> {
    #[cfg(target_family = "wasm")]
    if bytes.contains(&0) {
        let units: Vec<u16> = bytes.iter().map(|b| u16::from(*b)).collect();
        return env.create_string_utf16(&units);
    }
    env.create_string_latin1(bytes)
}

/// The exact text of a [`JsText::Escaped`] JSON text (given back as the JS string made of
/// it): its `\uXXXX` escapes of characters above U+00FF decoded, everything else as it is.
pub(crate) fn unescape_wide(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let escape = rest.get(at..).unwrap_or_default();
        match wide_escape(escape) {
            Some((c, len)) => {
                out.push(c);
                rest = escape.get(len..).unwrap_or_default();
            }
            None => {
                // Any other escape stays as written: the backslash and the next character
                // (so `\\u0123` stays an escaped backslash followed by `u0123`).
                let len = escape.chars().take(2).map(char::len_utf8).sum();
                out.push_str(escape.get(..len).unwrap_or_default());
                rest = escape.get(len..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character of a `\uXXXX` escape above U+00FF at the start of `s` (a surrogate pair is
/// two escapes), and the escape's length; `None` for anything else.
fn wide_escape(s: &str) -> Option<(char, usize)> {
    let unit = |at: usize| {
        let hex = s.get(at..at + 6)?.strip_prefix("\\u")?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok()
    };
    let first = unit(0).filter(|u| *u > 0xFF)?;
    if (0xD800..0xDC00).contains(&first) {
        let second = unit(6).filter(|u| (0xDC00..0xE000).contains(u))?;
        let c = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?;
        return Some((c, 12));
    }
    char::from_u32(first).map(|c| (c, 6))
}

/// Bytes per step of the fast paths.
const BLOCK: usize = 16;
const HIGH_BITS: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;
const LOW_BITS: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;

/// The length of the run at the start of `bytes` of ASCII bytes, other than backslashes
/// when `stop_at_backslash`.
fn plain_run(bytes: &[u8], stop_at_backslash: bool) -> usize {
    let mut n = 0;
    while let Some(block) = bytes.get(n..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        let word = u128::from_le_bytes(*block);
        let mut stops = word & HIGH_BITS;
        if stop_at_backslash {
            // The lowest zero byte of `word ^ "\\…"` is the first backslash.
            let x = word ^ (LOW_BITS * u128::from(b'\\'));
            stops |= x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS;
        }
        if stops != 0 {
            return n + (stops.trailing_zeros() / 8) as usize;
        }
        n += BLOCK;
    }
    let tail = bytes.get(n..).unwrap_or_default();
    n + tail
        .iter()
        .take_while(|&&b| b < 0x80 && !(stop_at_backslash && b == b'\\'))
        .count()
}

/// What [`to_latin1`] made.
enum Latin1 {
    /// The text itself.
    Exact(Vec<u8>),
    /// The text with characters above U+00FF escaped.
    Escaped(Vec<u8>),
    /// Not possible: a character above U+00FF (not escaping), or escaping would not be
    /// exact or would make the text more than a quarter longer.
    Unfit,
}

/// `text` as Latin-1; with `escape`, each character above U+00FF as `\uXXXX` escapes, as
/// long as `text` (then a JSON text) holds no such escape of its own before that character.
fn to_latin1(text: &str, escape: bool) -> Latin1 {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let budget = bytes.len() + bytes.len() / 4;
    let mut out = Vec::with_capacity(bytes.len());
    let mut may_escape = escape;
    let mut escaped = false;
    let mut i = 0;
    loop {
        let rest = bytes.get(i..).unwrap_or_default();
        let run = plain_run(rest, may_escape);
        out.extend_from_slice(rest.get(..run).unwrap_or_default());
        i += run;
        match bytes.get(i..).unwrap_or_default() {
            [] => break,
            [b'\\', b'u', hex @ ..] => {
                // The text's own escape. One above U+00FF could not be told from an added
                // one: from here on nothing is escaped (and before, nothing may have been).
                let code = hex.get(..4).and_then(|h| std::str::from_utf8(h).ok());
                if code.is_none_or(|h| u32::from_str_radix(h, 16).map_or(true, |c| c > 0xFF)) {
                    if escaped {
                        return Latin1::Unfit;
                    }
                    may_escape = false;
                }
                out.extend_from_slice(bytes.get(i..i + 6).unwrap_or_default());
                i += 6;
            }
            [b'\\', next, ..] => {
                // `\\`, `\"`, `\n`, …: ASCII.
                out.extend_from_slice(&[b'\\', *next]);
                i += 2;
            }
            [byte, ..] if *byte < 0x80 => {
                // A backslash ends a run only when escaping; otherwise unreachable.
                out.push(*byte);
                i += 1;
            }
            [lead @ (0xC2 | 0xC3), next, ..] => {
                // U+0080..=U+00FF.
                out.push((lead & 0x1F) << 6 | (next & 0x3F));
                i += 2;
            }
            _ => {
                let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
                    return Latin1::Unfit;
                };
                if !may_escape {
                    return Latin1::Unfit;
                }
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    let u = usize::from(*unit);
                    let digit = |shift: usize| HEX.get((u >> shift) & 0xF).copied().unwrap_or(b'0');
                    out.extend_from_slice(&[b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]);
                }
                escaped = true;
                i += c.len_utf8();
                if out.len() > budget {
                    return Latin1::Unfit;
                }
            }
        }
    }
    if escaped {
        Latin1::Escaped(out)
    } else {
        Latin1::Exact(out)
    }
}

/// `text` as UTF-16 code units.
fn to_utf16(text: &str) -> Vec<u16> {
    let bytes = text.as_bytes();
    let mut out: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    loop {
        let rest = bytes.get(i..).unwrap_or_default();
        let run = plain_run(rest, false);
        out.extend(
            rest.get(..run)
                .unwrap_or_default()
                .iter()
                .map(|&b| u16::from(b)),
        );
        i += run;
        // `i` is at a character boundary: ASCII bytes were passed, other characters whole.
        let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        let mut units = [0; 2];
        out.extend_from_slice(c.encode_utf16(&mut units));
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    /// JSON texts with every kind of character, around the block boundaries.
    fn samples() -> Vec<String> {
        let mut v: Vec<String> = [
            r#"{}"#,
            r#"{"a":"é"}"#,
            r#"{"a":"\u0080\u00ff"}"#,
            r#"{"a":"ễ"}"#,
            r#"{"😀":"😀"}"#,
            r#"{"name":"Björn Müller, São Paulo, Zürich — Nguyễn 😀","n":-1.5e10}"#,
            r#"{"escapes":"\\u1ec5 \\\u00e9 \" \n \t \/ \\","x":"ễ"}"#,
            r#"{"é":"0123456789abcdeé0123456789abcdef"}"#,
            r#"{"a":"0123456789abcdef0123456789abcdeễ"}"#,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for c in [
            'é',
            'ÿ',
            'Ā',
            'ễ',
            '😀',
            '\u{7ff}',
            '\u{800}',
            '\u{ffff}',
            '\u{10000}',
        ] {
            for at in 0..40 {
                v.push(format!(
                    "{{\"{}{c}{}\":1}}",
                    "x".repeat(at),
                    "y".repeat(40 - at)
                ));
            }
        }
        v
    }

    fn as_latin1_str(bytes: &[u8]) -> String {
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    #[test]
    fn every_form_is_the_text_or_its_json_value() {
        for s in samples() {
            let value: serde_json::Value = serde_json::from_str(&s).unwrap();
            match JsText::json(s.clone()) {
                JsText::Latin1(bytes) => assert_eq!(as_latin1_str(&bytes), s),
                JsText::Escaped(bytes) => {
                    let latin1 = as_latin1_str(&bytes);
                    assert!(s.chars().any(|c| u32::from(c) > 0xFF), "{s:?}");
                    assert_eq!(
                        serde_json::from_str::<serde_json::Value>(&latin1).unwrap(),
                        value
                    );
                    assert_eq!(unescape_wide(&latin1), s, "the exact text comes back");
                }
                JsText::Utf16(units) => assert_eq!(units, s.encode_utf16().collect::<Vec<_>>()),
            }
        }
    }

    #[test]
    fn exact_forms_are_the_text() {
        for s in samples() {
            match JsText::exact(s.clone()) {
                JsText::Latin1(bytes) => assert_eq!(as_latin1_str(&bytes), s),
                JsText::Utf16(units) => assert_eq!(units, s.encode_utf16().collect::<Vec<_>>()),
                JsText::Escaped(_) => panic!("never escaped"),
            }
        }
    }

    #[test]
    fn own_wide_escapes_mean_utf16() {
        // The text's own `\u1ec5` could not be told from an added one: UTF-16, exact.
        for s in [
            r#"{"a":"\u1ec5 ễ"}"#,
            r#"{"a":"ễ \u1ec5"}"#,
            r#"{"a":"\ud83d\ude00 ễ"}"#,
        ] {
            assert_eq!(
                JsText::json(s.to_owned()),
                JsText::Utf16(s.encode_utf16().collect())
            );
        }
        // Nothing to escape: Latin-1, exact.
        let s = r#"{"a":"é \u1ec5"}"#;
        assert_eq!(
            JsText::json(s.to_owned()),
            JsText::Latin1(s.chars().map(|c| c as u8).collect())
        );
        // An escaped backslash before `u1ec5` is no escape; `\u00e9` is not above U+00FF.
        let s = r#"{"a":"\\u1ec5 \u00e9 ễ"}"#.to_owned();
        let JsText::Escaped(bytes) = JsText::json(s.clone()) else {
            panic!("escaped")
        };
        assert_eq!(as_latin1_str(&bytes), r#"{"a":"\\u1ec5 \u00e9 \u1ec5"}"#);
        assert_eq!(unescape_wide(&as_latin1_str(&bytes)), s);
    }

    #[test]
    fn dense_wide_text_is_utf16() {
        let s = format!("{{\"a\":\"{}\"}}", "漢字".repeat(100));
        assert!(matches!(JsText::json(s), JsText::Utf16(_)));
    }

    #[test]
    fn ascii_text_is_taken_without_a_copy() {
        let s = String::from("{\"id\":\"wh_1\"}");
        let ptr = s.as_ptr();
        match JsText::json(s) {
            JsText::Latin1(bytes) => assert_eq!(bytes.as_ptr(), ptr),
            other => panic!("ASCII is Latin-1, got {other:?}"),
        }
    }
}
