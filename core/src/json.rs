//! The payload's JSON, parsed once: a strict RFC 8259 parser that checks a decrypted payload
//! and, in the same pass, hands every value to a [`JsonSink`] that builds whatever the caller
//! needs (nothing, for a plain check; Python objects in the Python binding). One parser, so
//! every language accepts and refuses exactly the same payloads.
//!
//! Strict: one JSON object at the top level (whitespace around it allowed), no trailing
//! commas, no comments, no `NaN`/`Infinity`, no control characters in strings, escapes as
//! RFC 8259 lists them, `\u` escapes forming whole characters (a lone surrogate is refused),
//! at most [`MAX_DEPTH`] nested arrays and objects. Duplicate keys are passed on in order (a
//! map-building sink keeps the last, as `json.loads` and `JSON.parse` do). Numbers are handed
//! over as their exact text, so a sink can keep integers of any size exactly.
//!
//! Fast: the input is checked as UTF-8 once (SIMD in `std`); strings are scanned eight bytes
//! at a time and handed over borrowed when they hold no escape.

use std::fmt;

use crate::decided::MAX_PAYLOAD_DEPTH as MAX_DEPTH_DECIDED;

/// Deepest nesting of arrays and objects accepted (the top-level object counts as 1).
pub const MAX_DEPTH: usize = MAX_DEPTH_DECIDED;

/// Receives the values of a JSON text as the parser meets them, and builds the result.
/// Containers are built bottom-up: `begin_*`, then `push`/`insert` per member, then `end_*`.
pub trait JsonSink {
    /// A built value.
    type Value;
    /// An object key, taken before the member's value is parsed.
    type Key;
    /// An array being built.
    type Array;
    /// An object being built.
    type Object;
    /// Why the sink could not build (out of memory in the host language, …).
    type Error;

    /// `null`.
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// `true` or `false`.
    fn boolean(&mut self, value: bool) -> Result<Self::Value, Self::Error>;
    /// A number without fraction or exponent, exactly as written (`-12`, `0`,
    /// `123456789012345678901234567890`): it may not fit 64 bits.
    fn integer(&mut self, text: &str) -> Result<Self::Value, Self::Error>;
    /// A number with a fraction or an exponent, exactly as written (`1.5`, `-2e-3`).
    fn float(&mut self, text: &str) -> Result<Self::Value, Self::Error>;
    /// A string, unescaped.
    fn string(&mut self, value: &str) -> Result<Self::Value, Self::Error>;
    /// An object key, unescaped.
    fn key(&mut self, key: &str) -> Result<Self::Key, Self::Error>;
    /// Starts an array.
    fn begin_array(&mut self) -> Result<Self::Array, Self::Error>;
    /// Appends to an array.
    fn push(&mut self, array: &mut Self::Array, value: Self::Value) -> Result<(), Self::Error>;
    /// Finishes an array.
    fn end_array(&mut self, array: Self::Array) -> Result<Self::Value, Self::Error>;
    /// Starts an object.
    fn begin_object(&mut self) -> Result<Self::Object, Self::Error>;
    /// Adds a member to an object (a repeated key comes again: the sink decides).
    fn insert(
        &mut self,
        object: &mut Self::Object,
        key: Self::Key,
        value: Self::Value,
    ) -> Result<(), Self::Error>;
    /// Finishes an object.
    fn end_object(&mut self, object: Self::Object) -> Result<Self::Value, Self::Error>;
}

/// A sink that builds nothing: [`parse_object`] with it only checks the text.
#[derive(Debug, Default, Clone, Copy)]
pub struct CheckOnly;

impl JsonSink for CheckOnly {
    type Value = ();
    type Key = ();
    type Array = ();
    type Object = ();
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn boolean(&mut self, _: bool) -> Result<(), Self::Error> {
        Ok(())
    }
    fn integer(&mut self, _: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    fn float(&mut self, _: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    fn string(&mut self, _: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    fn key(&mut self, _: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    fn begin_array(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn push(&mut self, _: &mut (), _: ()) -> Result<(), Self::Error> {
        Ok(())
    }
    fn end_array(&mut self, _: ()) -> Result<(), Self::Error> {
        Ok(())
    }
    fn begin_object(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn insert(&mut self, _: &mut (), _: (), _: ()) -> Result<(), Self::Error> {
        Ok(())
    }
    fn end_object(&mut self, _: ()) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Why a text is not a JSON object. `Display` says what and where (line and column), never
/// quoting the text (a payload may hold personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// Valid JSON, but not an object at the top level.
    NotAnObject {
        /// `array`, `string`, `number`, `boolean` or `null`.
        found: &'static str,
    },
    /// Not JSON.
    Invalid {
        /// What was wrong (`expected value`, `invalid escape`, …).
        kind: &'static str,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in bytes) of the error.
        column: usize,
    },
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::NotAnObject { found } => {
                write!(f, "plaintext is a JSON {found}, expected an object")
            }
            SyntaxError::Invalid { kind, line, column } => write!(
                f,
                "plaintext is not valid JSON ({kind} at line {line} column {column})"
            ),
        }
    }
}

/// A failed parse: the text, or the sink.
#[derive(Debug)]
pub enum ParseError<E> {
    /// The text is not a JSON object.
    Syntax(SyntaxError),
    /// The sink failed.
    Sink(E),
}

/// Parses `text`, which must be one JSON object, handing its values to `sink`; returns what
/// the sink built for the top-level object.
///
/// # Errors
/// [`ParseError::Syntax`] if `text` is not a JSON object (see the module documentation for
/// the rules); [`ParseError::Sink`] if the sink failed.
pub fn parse_object<S: JsonSink>(
    text: &str,
    sink: &mut S,
) -> Result<S::Value, ParseError<S::Error>> {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        scratch: String::new(),
        syntax: ("", 0),
    };
    p.skip_ws();
    let found = match p.peek() {
        Some(b'{') => None,
        Some(b'[') => Some("array"),
        Some(b'"') => Some("string"),
        Some(b't' | b'f') => Some("boolean"),
        Some(b'n') => Some("null"),
        Some(b'-' | b'0'..=b'9') => Some("number"),
        Some(_) => {
            let fail = p.fail("expected value");
            return Err(p.report(fail));
        }
        None => {
            let fail = p.fail("EOF while parsing a value");
            return Err(p.report(fail));
        }
    };
    if let Some(found) = found {
        return Err(ParseError::Syntax(SyntaxError::NotAnObject { found }));
    }
    let value = match p.value(sink, 0) {
        Ok(value) => value,
        Err(fail) => return Err(p.report(fail)),
    };
    p.skip_ws();
    if p.pos < p.bytes.len() {
        let fail = p.fail("trailing characters");
        return Err(p.report(fail));
    }
    Ok(value)
}

/// How a parse stopped, kept small so the hot paths return a byte: the syntax error's
/// details wait in `Parser::syntax`.
enum Fail<E> {
    Syntax,
    Sink(E),
}

type Step<T, E> = Result<T, Fail<E>>;

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Unescaped text of the last string that held escapes.
    scratch: String,
    /// The last syntax error: what, and the byte offset.
    syntax: (&'static str, usize),
}

/// Eight copies of byte `b`.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// A mask with the high bit set in each byte of `w` (little-endian order) that is `"`, `\`
/// or a control character (below 0x20); exact for the lowest such byte (the SWAR borrow can
/// only add false positives above a true one).
#[inline]
fn attention_mask(w: u64) -> u64 {
    const ONES: u64 = splat(0x01);
    const HIGH: u64 = splat(0x80);
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero_in(w ^ splat(b'"'));
    let backslash = zero_in(w ^ splat(b'\\'));
    // Bytes below 0x20: subtracting 0x20 borrows into the high bit only for them (bytes with
    // the high bit set are masked out by `!w`).
    let control = w.wrapping_sub(splat(0x20)) & !w & HIGH;
    quote | backslash | control
}

impl<'a> Parser<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Records a syntax error at the current position.
    #[cold]
    #[inline(never)]
    fn fail<E>(&mut self, kind: &'static str) -> Fail<E> {
        self.syntax = (kind, self.pos);
        Fail::Syntax
    }

    /// The public error for `fail`, with line and column.
    #[cold]
    fn report<E>(&self, fail: Fail<E>) -> ParseError<E> {
        match fail {
            Fail::Sink(e) => ParseError::Sink(e),
            Fail::Syntax => {
                let (kind, at) = self.syntax;
                let before = self.bytes.get(..at).unwrap_or(self.bytes);
                let line = 1 + before.iter().filter(|b| **b == b'\n').count();
                let line_start = before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                ParseError::Syntax(SyntaxError::Invalid {
                    kind,
                    line,
                    column: at - line_start + 1,
                })
            }
        }
    }

    fn value<S: JsonSink>(&mut self, sink: &mut S, depth: usize) -> Step<S::Value, S::Error> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                let s = self.string()?;
                sink.string(s).map_err(Fail::Sink)
            }
            Some(b'{') => self.object(sink, depth + 1),
            Some(b'[') => self.array(sink, depth + 1),
            Some(b'-' | b'0'..=b'9') => self.number(sink),
            Some(b't') => {
                self.literal(b"true")?;
                sink.boolean(true).map_err(Fail::Sink)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                sink.boolean(false).map_err(Fail::Sink)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                sink.null().map_err(Fail::Sink)
            }
            Some(_) => Err(self.fail("expected value")),
            None => Err(self.fail("EOF while parsing a value")),
        }
    }

    #[inline]
    fn literal<E>(&mut self, word: &'static [u8]) -> Step<(), E> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.fail("expected value"))
        }
    }

    #[inline]
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number<S: JsonSink>(&mut self, sink: &mut S) -> Step<S::Value, S::Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        let text = self.text(start, self.pos);
        if integer {
            sink.integer(text).map_err(Fail::Sink)
        } else {
            sink.float(text).map_err(Fail::Sink)
        }
    }

    /// `src[start..end]`: the parser only cuts next to ASCII bytes, so always a whole text.
    #[inline]
    fn text(&self, start: usize, end: usize) -> &'a str {
        let src: &'a str = self.src;
        src.get(start..end).unwrap_or_default()
    }

    /// Parses a string whose opening quote was consumed; returns it unescaped (borrowed from
    /// the input when it holds no escape, else from `scratch`).
    #[inline]
    fn string<E>(&mut self) -> Step<&str, E> {
        let start = self.pos;
        // Eight bytes at a time to the first byte needing attention.
        loop {
            match self.bytes.get(self.pos..self.pos + 8) {
                Some(chunk) => {
                    let word = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
                    let mask = attention_mask(word);
                    if mask == 0 {
                        self.pos += 8;
                        continue;
                    }
                    self.pos += (mask.trailing_zeros() / 8) as usize;
                }
                None => {
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                }
            }
            break;
        }
        match self.peek() {
            Some(b'"') => {
                let s = self.text(start, self.pos);
                self.pos += 1;
                Ok(s)
            }
            Some(b'\\') => {
                let mut out = std::mem::take(&mut self.scratch);
                out.clear();
                out.push_str(self.text(start, self.pos));
                let result = self.escaped_rest(&mut out);
                self.scratch = out;
                result?;
                Ok(self.scratch.as_str())
            }
            Some(_) => {
                Err(self.fail("control character (\\u0000-\\u001F) found while parsing a string"))
            }
            None => Err(self.fail("EOF while parsing a string")),
        }
    }

    /// Continues a string at a backslash, appending to `out`, through the closing quote.
    #[cold]
    fn escaped_rest<E>(&mut self, out: &mut String) -> Step<(), E> {
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text(run, self.pos));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(out)?;
                }
                Some(_) => {
                    return Err(self
                        .fail("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                None => return Err(self.fail("EOF while parsing a string")),
            }
        }
    }

    fn escape<E>(&mut self, out: &mut String) -> Step<(), E> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.fail("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.fail("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.fail("lone trailing surrogate in hex escape"))
                    }
                    other => other,
                };
                match char::from_u32(code) {
                    Some(c) => out.push(c),
                    None => return Err(self.fail("invalid unicode code point")),
                }
                return Ok(());
            }
            Some(_) => return Err(self.fail("invalid escape")),
            None => return Err(self.fail("EOF while parsing a string")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4<E>(&mut self) -> Step<u32, E> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                Some(_) => return Err(self.fail("invalid escape")),
                None => return Err(self.fail("EOF while parsing a string")),
            };
            n = (n << 4) | u32::from(d);
            self.pos += 1;
        }
        Ok(n)
    }

    fn array<S: JsonSink>(&mut self, sink: &mut S, depth: usize) -> Step<S::Value, S::Error> {
        if depth > MAX_DEPTH {
            return Err(self.fail("recursion limit exceeded"));
        }
        self.pos += 1; // '['
        let mut array = sink.begin_array().map_err(Fail::Sink)?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return sink.end_array(array).map_err(Fail::Sink);
        }
        loop {
            self.skip_ws();
            let value = self.value(sink, depth)?;
            sink.push(&mut array, value).map_err(Fail::Sink)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return sink.end_array(array).map_err(Fail::Sink);
                }
                Some(_) => return Err(self.fail("expected `,` or `]`")),
                None => return Err(self.fail("EOF while parsing a list")),
            }
        }
    }

    fn object<S: JsonSink>(&mut self, sink: &mut S, depth: usize) -> Step<S::Value, S::Error> {
        if depth > MAX_DEPTH {
            return Err(self.fail("recursion limit exceeded"));
        }
        self.pos += 1; // '{'
        let mut object = sink.begin_object().map_err(Fail::Sink)?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return sink.end_object(object).map_err(Fail::Sink);
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => self.pos += 1,
                Some(_) => return Err(self.fail("key must be a string")),
                None => return Err(self.fail("EOF while parsing an object")),
            }
            let key = self.string()?;
            let key = sink.key(key).map_err(Fail::Sink)?;
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.fail("expected `:`")),
                None => return Err(self.fail("EOF while parsing an object")),
            }
            self.skip_ws();
            let value = self.value(sink, depth)?;
            sink.insert(&mut object, key, value).map_err(Fail::Sink)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return sink.end_object(object).map_err(Fail::Sink);
                }
                Some(_) => return Err(self.fail("expected `,` or `}`")),
                None => return Err(self.fail("EOF while parsing an object")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A sink building `serde_json::Value`s, to compare with serde_json's own parse.
    struct ToValue;

    impl JsonSink for ToValue {
        type Value = Value;
        type Key = String;
        type Array = Vec<Value>;
        type Object = serde_json::Map<String, Value>;
        type Error = String;

        fn null(&mut self) -> Result<Value, String> {
            Ok(Value::Null)
        }
        fn boolean(&mut self, v: bool) -> Result<Value, String> {
            Ok(Value::Bool(v))
        }
        fn integer(&mut self, t: &str) -> Result<Value, String> {
            serde_json::from_str(t).map_err(|e| e.to_string())
        }
        fn float(&mut self, t: &str) -> Result<Value, String> {
            serde_json::from_str(t).map_err(|e| e.to_string())
        }
        fn string(&mut self, s: &str) -> Result<Value, String> {
            Ok(Value::String(s.to_owned()))
        }
        fn key(&mut self, s: &str) -> Result<String, String> {
            Ok(s.to_owned())
        }
        fn begin_array(&mut self) -> Result<Vec<Value>, String> {
            Ok(Vec::new())
        }
        fn push(&mut self, a: &mut Vec<Value>, v: Value) -> Result<(), String> {
            a.push(v);
            Ok(())
        }
        fn end_array(&mut self, a: Vec<Value>) -> Result<Value, String> {
            Ok(Value::Array(a))
        }
        fn begin_object(&mut self) -> Result<serde_json::Map<String, Value>, String> {
            Ok(serde_json::Map::new())
        }
        fn insert(
            &mut self,
            o: &mut serde_json::Map<String, Value>,
            k: String,
            v: Value,
        ) -> Result<(), String> {
            o.insert(k, v);
            Ok(())
        }
        fn end_object(&mut self, o: serde_json::Map<String, Value>) -> Result<Value, String> {
            Ok(Value::Object(o))
        }
    }

    fn check(text: &str) -> Result<(), SyntaxError> {
        match parse_object(text, &mut CheckOnly) {
            Ok(()) => Ok(()),
            Err(ParseError::Syntax(e)) => Err(e),
            Err(ParseError::Sink(never)) => match never {},
        }
    }

    #[test]
    fn builds_what_serde_json_builds() {
        for text in [
            r#"{}"#,
            r#" {"a" : 1 , "b":[true,false,null,-0,0.5,-1.25e+3,1E-2,"x"],"c":{"d":{}}} "#,
            r#"{"esc":"q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude80 end","": ""}"#,
            r#"{"unicode":"Zürich 🚀 Nguyễn","long":"0123456789abcdefghijklmnopqrstuvwxyz0123456789"}"#,
            "{\"nested\":[[[[[[1]]]]]],\"ws\":\n\t[ ]\r\n}",
            r#"{"dup":1,"dup":2}"#,
        ] {
            let ours = parse_object(text, &mut ToValue).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            assert_eq!(check(text), Ok(()));
        }
    }

    #[test]
    fn numbers_are_handed_over_exactly() {
        struct Numbers(Vec<(bool, String)>);
        impl JsonSink for Numbers {
            type Value = ();
            type Key = ();
            type Array = ();
            type Object = ();
            type Error = ();
            fn null(&mut self) -> Result<(), ()> {
                Ok(())
            }
            fn boolean(&mut self, _: bool) -> Result<(), ()> {
                Ok(())
            }
            fn integer(&mut self, t: &str) -> Result<(), ()> {
                self.0.push((true, t.into()));
                Ok(())
            }
            fn float(&mut self, t: &str) -> Result<(), ()> {
                self.0.push((false, t.into()));
                Ok(())
            }
            fn string(&mut self, _: &str) -> Result<(), ()> {
                Ok(())
            }
            fn key(&mut self, _: &str) -> Result<(), ()> {
                Ok(())
            }
            fn begin_array(&mut self) -> Result<(), ()> {
                Ok(())
            }
            fn push(&mut self, _: &mut (), _: ()) -> Result<(), ()> {
                Ok(())
            }
            fn end_array(&mut self, _: ()) -> Result<(), ()> {
                Ok(())
            }
            fn begin_object(&mut self) -> Result<(), ()> {
                Ok(())
            }
            fn insert(&mut self, _: &mut (), _: (), _: ()) -> Result<(), ()> {
                Ok(())
            }
            fn end_object(&mut self, _: ()) -> Result<(), ()> {
                Ok(())
            }
        }
        let mut n = Numbers(Vec::new());
        parse_object(
            r#"{"a":[0,-0,123456789012345678901234567890,1.0,1e5,-2.5E-3]}"#,
            &mut n,
        )
        .unwrap();
        let got: Vec<(bool, &str)> = n.0.iter().map(|(i, t)| (*i, t.as_str())).collect();
        assert_eq!(
            got,
            [
                (true, "0"),
                (true, "-0"),
                (true, "123456789012345678901234567890"),
                (false, "1.0"),
                (false, "1e5"),
                (false, "-2.5E-3")
            ]
        );
    }

    #[test]
    fn refuses_what_rfc_8259_refuses() {
        for bad in [
            "",
            " ",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\":1}x",
            "{\"a\":1}{}",
            "{'a':1}",
            "{a:1}",
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":+1}",
            "{\"a\":-}",
            "{\"a\":NaN}",
            "{\"a\":Infinity}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"new\nline\"}",
            "{\"a\":\"unterminated",
            "{\"a\":1 /* c */}",
            "\u{feff}{}",
        ] {
            assert!(
                matches!(check(bad), Err(SyntaxError::Invalid { .. })),
                "{bad:?} accepted"
            );
            assert!(
                serde_json::from_str::<Value>(bad).is_err()
                    || bad.contains("\\ud800")
                    || bad.contains("\\udc00"),
                "{bad:?}: serde_json agrees"
            );
        }
    }

    #[test]
    fn refuses_other_top_level_values_by_kind() {
        for (text, found) in [
            ("[]", "array"),
            ("\"s\"", "string"),
            ("1", "number"),
            ("-1", "number"),
            ("true", "boolean"),
            ("null", "null"),
        ] {
            assert_eq!(
                check(text),
                Err(SyntaxError::NotAnObject { found }),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_say_where_without_quoting() {
        let err = check("{\n  \"secret-ish\": \"value\",\n  x\n}").unwrap_err();
        assert_eq!(
            err,
            SyntaxError::Invalid {
                kind: "key must be a string",
                line: 3,
                column: 3
            }
        );
        assert!(!err.to_string().contains("secret-ish"));
    }

    #[test]
    fn nesting_is_bounded_where_serde_json_bounds_it() {
        let nested = |depth: usize| format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        assert_eq!(check(&nested(MAX_DEPTH)), Ok(()));
        assert!(matches!(
            check(&nested(MAX_DEPTH + 1)),
            Err(SyntaxError::Invalid {
                kind: "recursion limit exceeded",
                ..
            })
        ));
        // serde_json's own limit when it builds values.
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH + 1)).is_err());
        let arrays = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(check(&arrays).is_err(), "refused, without a stack overflow");
    }

    #[test]
    fn every_prefix_of_a_valid_text_is_refused_or_accepted_without_panic() {
        let text = r#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude80",{"b":null,"c":true}],"d":"end"}"#;
        for end in 0..text.len() {
            if let Some(prefix) = text.get(..end) {
                assert!(check(prefix).is_err(), "{prefix:?}");
            }
        }
        assert_eq!(check(text), Ok(()));
    }
}
