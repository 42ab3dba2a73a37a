//! The payload parsed WITHOUT the GIL into a tape: the core's JSON parser checks the text (the
//! same checks and errors as every binding) and this sink records its values as compact
//! tokens, strings unescaped into one arena and numbers already converted. Building the
//! `dict` from the tape (`payload::tape_to_py`) is then all that needs the interpreter: no
//! scanning, no validation, no unescaping, no number parsing, and containers whose sizes are
//! known (a `list` is made at its final size).
//!
//! Why: `decrypt` of one thread then holds the GIL only for making the objects, so two
//! threads decrypting overlap everything else (issue 16).

use std::sync::Mutex;

use kompliant_webhooks::json::JsonSink;

use crate::payload::text_tag;

/// A run of the arena: where a string's unescaped text starts, and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// One value of the payload, in the parser's order (a container's members follow it; an
/// object's as key, value, key, value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token {
    Null,
    Bool(bool),
    /// An integer of at most 18 digits (fits an `i64` without overflow checks).
    Int(i64),
    /// A longer integer, its text in the arena: Python converts it (its digit limit applies,
    /// as in `json.loads`).
    BigInt(Span),
    /// A number with a fraction or an exponent, correctly rounded (as Python's `float()`).
    Float(f64),
    /// A number Rust could not read as a float (never for a checked JSON number): building
    /// it raises, as the one-pass path does.
    BadFloat,
    Str(Span),
    /// An object key, by its index in `Tape::keys`: equal keys have one index, so the
    /// builder makes (or takes from its cache) each key's `str` once per payload.
    Key(u32),
    /// An array of this many members.
    Array(u32),
    /// An object of this many members (repeated keys counted each time).
    Object(u32),
}

/// The tape of one payload.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    pub(crate) tokens: Vec<Token>,
    /// Every string and each distinct key, unescaped, back to back.
    pub(crate) arena: String,
    /// The distinct keys, in order of first appearance.
    pub(crate) keys: Vec<Span>,
}

impl Tape {
    /// The bytes of a span, if any.
    #[inline]
    fn bytes(&self, span: Option<&Span>) -> Option<&[u8]> {
        let span = span?;
        let start = span.start as usize;
        self.arena.as_bytes().get(start..start + span.len as usize)
    }

    /// The text of a span (empty for a span outside the arena, which the sink never makes).
    #[inline]
    pub(crate) fn text(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.arena
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }
}

/// Tapes kept for the next payloads, at most `SPARE_TAPES_MAX` of at most
/// `SPARE_TAPE_MAX_BYTES` each (enough for payloads of a few hundred kilobytes; larger ones
/// allocate afresh): at most 8 MiB held, whatever the number of threads.
static SPARE_TAPES: Mutex<Vec<Tape>> = Mutex::new(Vec::new());
const SPARE_TAPES_MAX: usize = 4;
const SPARE_TAPE_MAX_BYTES: usize = 2 << 20;

impl Tape {
    /// Gives the tape's memory back for the next payload (see `SPARE_TAPES`).
    pub(crate) fn recycle(mut self) {
        let bytes = self.tokens.capacity() * std::mem::size_of::<Token>()
            + self.arena.capacity()
            + self.keys.capacity() * std::mem::size_of::<Span>();
        if bytes > SPARE_TAPE_MAX_BYTES {
            return;
        }
        self.tokens.clear();
        self.arena.clear();
        self.keys.clear();
        if let Ok(mut spares) = SPARE_TAPES.lock() {
            if spares.len() < SPARE_TAPES_MAX {
                spares.push(self);
            }
        }
    }
}

/// The payload does not fit the tape's 32-bit offsets and counts (a payload of gigabytes):
/// the caller builds it the one-pass way instead.
#[derive(Debug)]
pub(crate) struct TapeTooLarge;

/// The distinct texts of one kind (keys, or short strings) met so far in a payload: an
/// open-addressing table of `(tag, index)` by `text_tag`, its texts in the arena.
#[derive(Default)]
struct Interner {
    /// Power-of-two sized, at most half full; a tag is never 0 (an empty slot).
    slots: Vec<(u64, u32)>,
    /// Each index's tag, to rehash when the table grows.
    tags: Vec<u64>,
}

impl Interner {
    /// The index of `text` in `spans` (its distinct texts), added (to `arena` and `spans`) if new.
    #[inline]
    fn index(
        &mut self,
        arena: &mut String,
        spans: &mut Vec<Span>,
        text: &str,
    ) -> Result<u32, TapeTooLarge> {
        if self.tags.len() * 2 >= self.slots.len() {
            self.grow();
        }
        let tag = text_tag(text.as_bytes());
        let mask = self.slots.len() - 1;
        let mut at = home(tag, self.slots.len());
        loop {
            match self.slots.get(at).copied() {
                Some((0, _)) => break,
                Some((t, index)) if t == tag => {
                    let known = spans.get(index as usize).and_then(|span| {
                        let start = span.start as usize;
                        arena.as_bytes().get(start..start + span.len as usize)
                    });
                    if known == Some(text.as_bytes()) {
                        return Ok(index);
                    }
                }
                Some(_) => {}
                None => return Err(TapeTooLarge),
            }
            at = (at + 1) & mask;
        }
        let index = u32::try_from(spans.len()).map_err(|_| TapeTooLarge)?;
        spans.push(span_of(arena, text)?);
        self.tags.push(tag);
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = (tag, index);
        }
        Ok(index)
    }

    #[cold]
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        self.slots = vec![(0, 0); size];
        let mask = size - 1;
        for (index, &tag) in (0u32..).zip(self.tags.iter()) {
            let mut at = home(tag, size);
            while let Some(slot) = self.slots.get_mut(at) {
                if slot.0 == 0 {
                    *slot = (tag, index);
                    break;
                }
                at = (at + 1) & mask;
            }
        }
    }
}

/// A tag's first slot in a table of `size` (a power of two, at least 2) slots: the tag's
/// top bits, the well-mixed ones (a multiplicative hash's low bits depend only on the low
/// bytes of the text, which share prefixes such as `p_000`).
#[inline]
fn home(tag: u64, size: usize) -> usize {
    (tag >> (64 - size.trailing_zeros())) as usize
}

/// Appends `text` to the arena.
#[inline]
fn span_of(arena: &mut String, text: &str) -> Result<Span, TapeTooLarge> {
    let start = u32::try_from(arena.len()).map_err(|_| TapeTooLarge)?;
    let len = u32::try_from(text.len()).map_err(|_| TapeTooLarge)?;
    start.checked_add(len).ok_or(TapeTooLarge)?;
    arena.push_str(text);
    Ok(Span { start, len })
}

/// A container being recorded: its token's index, and its members so far.
pub(crate) struct Open {
    at: usize,
    members: u32,
}

/// Records the parser's values into a [`Tape`]. Holds no Python object: runs on any thread,
/// without the GIL.
pub(crate) struct TapeSink {
    tape: Tape,
    keys: Interner,
    /// The key met after each key (by index) the last time, `NONE` if none yet: objects of
    /// one shape repeat their keys in the same order, so the next key is usually this one
    /// and is found by one comparison, without hashing.
    successor: Vec<u32>,
    /// The last key met (`NONE` at the start).
    previous: u32,
}

const NONE: u32 = u32::MAX;

impl TapeSink {
    /// A sink whose tape has room for a payload of `len` bytes (a guess: one token per 12
    /// bytes, half the text in strings), so the tape rarely grows: a spare tape if one is
    /// free (its memory already mapped: a fresh allocation of hundreds of kilobytes costs a
    /// page fault per 4 KiB touched, a fifth of the time at 256 KiB), else a new one.
    pub(crate) fn with_capacity(len: usize) -> Self {
        let spare = SPARE_TAPES.lock().ok().and_then(|mut spares| spares.pop());
        let mut tape = spare.unwrap_or_default();
        tape.tokens.reserve(len / 12 + 4);
        tape.arena.reserve(len / 2);
        TapeSink {
            tape,
            keys: Interner::default(),
            successor: Vec::new(),
            previous: NONE,
        }
    }

    pub(crate) fn finish(self) -> Tape {
        self.tape
    }

    #[inline]
    fn span(&mut self, text: &str) -> Result<Span, TapeTooLarge> {
        span_of(&mut self.tape.arena, text)
    }

    #[inline]
    fn open(&mut self, token: Token) -> Open {
        self.tape.tokens.push(token);
        Open {
            at: self.tape.tokens.len() - 1,
            members: 0,
        }
    }
}

/// The value of an integer's text (`-?[0-9]+`, as the parser hands it over) when it has at
/// most 18 digits (so it fits an `i64` without overflow checks).
#[inline]
pub(crate) fn small_integer(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        n = n * 10 + i64::from(d.wrapping_sub(b'0'));
    }
    Some(if negative { -n } else { n })
}

impl JsonSink for TapeSink {
    type Value = ();
    type Key = ();
    type Array = Open;
    type Object = Open;
    type Error = TapeTooLarge;

    #[inline]
    fn null(&mut self) -> Result<(), TapeTooLarge> {
        self.tape.tokens.push(Token::Null);
        Ok(())
    }

    #[inline]
    fn boolean(&mut self, value: bool) -> Result<(), TapeTooLarge> {
        self.tape.tokens.push(Token::Bool(value));
        Ok(())
    }

    #[inline]
    fn integer(&mut self, text: &str) -> Result<(), TapeTooLarge> {
        let token = match small_integer(text) {
            Some(n) => Token::Int(n),
            None => Token::BigInt(self.span(text)?),
        };
        self.tape.tokens.push(token);
        Ok(())
    }

    #[inline]
    fn float(&mut self, text: &str) -> Result<(), TapeTooLarge> {
        // Correctly rounded, as Python's `float()` (which `json.loads` uses): `1e400` is inf.
        let token = text.parse().map_or(Token::BadFloat, Token::Float);
        self.tape.tokens.push(token);
        Ok(())
    }

    #[inline]
    fn string(&mut self, value: &str) -> Result<(), TapeTooLarge> {
        let span = self.span(value)?;
        self.tape.tokens.push(Token::Str(span));
        Ok(())
    }

    #[inline]
    fn key(&mut self, key: &str) -> Result<(), TapeTooLarge> {
        let tape = &mut self.tape;
        let predicted = self.successor.get(self.previous as usize).copied();
        let index = match predicted {
            Some(index)
                if index != NONE
                    && tape.bytes(tape.keys.get(index as usize)) == Some(key.as_bytes()) =>
            {
                index
            }
            _ => {
                let index = self.keys.index(&mut tape.arena, &mut tape.keys, key)?;
                if self.successor.len() < tape.keys.len() {
                    self.successor.resize(tape.keys.len(), NONE);
                }
                if let Some(slot) = self.successor.get_mut(self.previous as usize) {
                    *slot = index;
                }
                index
            }
        };
        self.previous = index;
        self.tape.tokens.push(Token::Key(index));
        Ok(())
    }

    #[inline]
    fn begin_array(&mut self) -> Result<Open, TapeTooLarge> {
        Ok(self.open(Token::Array(0)))
    }

    #[inline]
    fn push(&mut self, array: &mut Open, _value: ()) -> Result<(), TapeTooLarge> {
        array.members = array.members.checked_add(1).ok_or(TapeTooLarge)?;
        Ok(())
    }

    #[inline]
    fn end_array(&mut self, array: Open) -> Result<(), TapeTooLarge> {
        if let Some(token) = self.tape.tokens.get_mut(array.at) {
            *token = Token::Array(array.members);
        }
        Ok(())
    }

    #[inline]
    fn begin_object(&mut self) -> Result<Open, TapeTooLarge> {
        Ok(self.open(Token::Object(0)))
    }

    #[inline]
    fn insert(&mut self, object: &mut Open, _key: (), _value: ()) -> Result<(), TapeTooLarge> {
        object.members = object.members.checked_add(1).ok_or(TapeTooLarge)?;
        Ok(())
    }

    #[inline]
    fn end_object(&mut self, object: Open) -> Result<(), TapeTooLarge> {
        if let Some(token) = self.tape.tokens.get_mut(object.at) {
            *token = Token::Object(object.members);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompliant_webhooks::json::parse_object;

    fn tape(text: &str) -> Tape {
        let mut sink = TapeSink::with_capacity(0);
        assert!(parse_object(text, &mut sink).is_ok(), "{text}");
        sink.finish()
    }

    #[test]
    fn records_values_in_order_with_container_sizes() {
        let long = "a string longer than sixteen bytes";
        let t = tape(&format!(
            r#"{{"a":[1,-2.5,"x\u00e9",null,true,"{long}","x\u00e9"],"b":{{}},"a":123456789012345678901}}"#
        ));
        let key = |i: usize| t.keys.get(i).map(|s| t.text(*s));
        assert_eq!((key(0), key(1), key(2)), (Some("a"), Some("b"), None));
        let texts: Vec<&str> = t
            .tokens
            .iter()
            .filter_map(|token| match token {
                Token::Str(s) | Token::BigInt(s) => Some(t.text(*s)),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["xé", long, "xé", "123456789012345678901"]);
        let shape: Vec<Token> = t
            .tokens
            .iter()
            .map(|token| match token {
                Token::Str(_) | Token::BigInt(_) => Token::Null,
                other => *other,
            })
            .collect();
        assert_eq!(
            shape,
            [
                Token::Object(3),
                Token::Key(0),
                Token::Array(7),
                Token::Int(1),
                Token::Float(-2.5),
                Token::Null,
                Token::Null,
                Token::Bool(true),
                Token::Null,
                Token::Null,
                Token::Key(1),
                Token::Object(0),
                Token::Key(0),
                Token::Null,
            ]
        );
    }

    #[test]
    fn interns_keys_whatever_their_order() {
        let members: Vec<String> = (0..1000)
            .map(|i| format!(r#""k{i}":{{"a":1,"b":2}}"#))
            .collect();
        let t = tape(&format!(
            r#"{{{},"x":{{"b":1,"a":2,"b":3}},"k5":0}}"#,
            members.join(",")
        ));
        assert_eq!(t.keys.len(), 1003);
        let names: Vec<&str> = t.keys.iter().map(|s| t.text(*s)).collect();
        assert_eq!(names.get(..4), Some(&["k0", "a", "b", "k1"][..]));
        let indices: Vec<u32> = t
            .tokens
            .iter()
            .filter_map(|token| match token {
                Token::Key(i) => Some(*i),
                _ => None,
            })
            .collect();
        let keys: Vec<&str> = indices
            .iter()
            .filter_map(|i| t.keys.get(*i as usize).map(|s| t.text(*s)))
            .collect();
        assert_eq!(
            keys.get(keys.len() - 5..),
            Some(&["x", "b", "a", "b", "k5"][..])
        );
        assert_eq!(indices.last(), indices.get(15));
    }

    #[test]
    fn small_integers_are_exact_up_to_18_digits() {
        assert_eq!(small_integer("0"), Some(0));
        assert_eq!(small_integer("-0"), Some(0));
        assert_eq!(small_integer("42"), Some(42));
        assert_eq!(
            small_integer("-999999999999999999"),
            Some(-999_999_999_999_999_999)
        );
        assert_eq!(small_integer("1000000000000000000"), None);
        assert_eq!(small_integer("-"), None);
    }
}
