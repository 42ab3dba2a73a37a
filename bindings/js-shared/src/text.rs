//! The core's text in the forms a JavaScript engine stores strings in, for the bindings to
//! hand over with a copy and no decoding.
//!
//! V8 (and the other engines) keep a string as Latin-1 (one byte per character) when every
//! character is at most U+00FF, else as UTF-16. Decoding UTF-8 into either is an engine's
//! slow path once a text holds any non-ASCII character, about 1 GB/s; copying Latin-1 or
//! UTF-16 in is a `memcpy`. So the text is converted here, in one pass: the Node binding
//! hands it to V8 as such (`napi_create_string_latin1` / `_utf16`), the WebAssembly one
//! builds its JS string from it.

/// A JSON text in the form handed to V8.
#[derive(Debug, PartialEq, Eq)]
pub enum JsText {
    /// Every character is at most U+00FF: the text itself, one byte per character (an
    /// ASCII text is its own Latin-1).
    Latin1(Vec<u8>),
    /// The text itself as UTF-16 code units.
    Utf16(Vec<u16>),
}

impl JsText {
    /// `text` itself in the cheapest exact form: Latin-1 when it fits, else UTF-16.
    pub fn exact(text: String) -> JsText {
        if text.is_ascii() {
            return JsText::Latin1(text.into_bytes());
        }
        match to_latin1(&text) {
            Some(latin1) => JsText::Latin1(latin1),
            None => JsText::Utf16(to_utf16(&text)),
        }
    }
}

/// Bytes per step of the fast paths.
const BLOCK: usize = 16;
const HIGH_BITS: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;

/// The length of the run of ASCII bytes at the start of `bytes`.
fn plain_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Some(block) = bytes.get(n..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        let stops = u128::from_le_bytes(*block) & HIGH_BITS;
        if stops != 0 {
            return n + (stops.trailing_zeros() / 8) as usize;
        }
        n += BLOCK;
    }
    let tail = bytes.get(n..).unwrap_or_default();
    n + tail.iter().take_while(|&&b| b < 0x80).count()
}

/// `text` as Latin-1, or `None` when it holds a character above U+00FF.
fn to_latin1(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    loop {
        let rest = bytes.get(i..).unwrap_or_default();
        let run = plain_run(rest);
        out.extend_from_slice(rest.get(..run).unwrap_or_default());
        i += run;
        match bytes.get(i..).unwrap_or_default() {
            [] => return Some(out),
            [lead @ (0xC2 | 0xC3), next, ..] => {
                // U+0080..=U+00FF.
                out.push((lead & 0x1F) << 6 | (next & 0x3F));
                i += 2;
            }
            _ => return None,
        }
    }
}

/// `text` as UTF-16 code units.
fn to_utf16(text: &str) -> Vec<u16> {
    let bytes = text.as_bytes();
    let mut out: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    loop {
        let rest = bytes.get(i..).unwrap_or_default();
        let run = plain_run(rest);
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
    fn exact_forms_are_the_text() {
        for s in samples() {
            match JsText::exact(s.clone()) {
                JsText::Latin1(bytes) => assert_eq!(as_latin1_str(&bytes), s),
                JsText::Utf16(units) => assert_eq!(units, s.encode_utf16().collect::<Vec<_>>()),
            }
        }
    }

    #[test]
    fn wide_text_is_utf16() {
        let s = format!("{{\"a\":\"{}\"}}", "漢字".repeat(100));
        assert!(matches!(JsText::exact(s), JsText::Utf16(_)));
    }

    #[test]
    fn ascii_text_is_taken_without_a_copy() {
        let s = String::from("{\"id\":\"wh_1\"}");
        let ptr = s.as_ptr();
        match JsText::exact(s) {
            JsText::Latin1(bytes) => assert_eq!(bytes.as_ptr(), ptr),
            other => panic!("ASCII is Latin-1, got {other:?}"),
        }
    }
}
