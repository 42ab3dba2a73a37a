//! The payload as a tape for the JS layer to build the object from (`node/lib/payload.js`),
//! written by a [`JsonSink`] while the core checks the payload: one pass, no JS string of the
//! payload, no `JSON.parse`.
//!
//! Why: V8's `JSON.parse` is most of the time of a receive (80% at 16 KiB of small objects),
//! and JS building the same objects from a tape is 5-7 times faster: object literals of a
//! known shape (`{[k0]: val(), [k1]: val(), …}`, compiled once per shape) skip the key
//! hashing and map transitions `JSON.parse` does per member, and the string values are
//! slices of two strings made in one copy each.
//!
//! The tape is `f64`s, written into the caller's `Float64Array` (reused across calls; a new
//! one when the tape does not fit). `tape[0]` is the tape's length, `tape[1]` where the
//! generic objects' keys start (after the root value, which starts at `tape[2]`). A value is
//! an op followed by its operands:
//!
//! - [`OBJ`] `id`, then the member values in the order of shape `id`'s keys;
//! - [`GOBJ`] `at`, then the member values; `tape[at]` is the member count, then for each
//!   member its key as [`STR1`]/[`STR2`] `start` `len` (an object of a shape not (yet)
//!   registered: see [`Shapes`]);
//! - [`ARR`] `n`, then `n` values;
//! - [`STR1`] `start` `len`: a slice of the Latin-1 string; [`STR2`] `start` `len`: a slice of
//!   the UTF-16 string (strings with a character above U+00FF);
//! - [`NUM`] `x`; [`TRUE`], [`FALSE`], [`NULL`].
//!
//! Numbers are the `f64` of their exact text (Rust's parse is correctly rounded, as
//! `JSON.parse` is), so `-0`, `1e400` and long integers come out as `JSON.parse` makes them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use kompliant_webhooks::json::JsonSink;

/// An object of a registered shape.
pub const OBJ: f64 = 0.0;
/// An object with its keys on the tape.
pub const GOBJ: f64 = 1.0;
/// An array.
pub const ARR: f64 = 2.0;
/// A string of the Latin-1 pool.
pub const STR1: f64 = 3.0;
/// A string of the UTF-16 pool.
pub const STR2: f64 = 4.0;
/// A number.
pub const NUM: f64 = 5.0;
/// `true`.
pub const TRUE: f64 = 6.0;
/// `false`.
pub const FALSE: f64 = 7.0;
/// `null`.
pub const NULL: f64 = 8.0;

/// Header slots at the start of the tape.
pub const HEADER: usize = 2;

/// Most keys of a registered shape (a larger object is generic: a compiled literal of
/// hundreds of keys would cost more than it saves).
const MAX_SHAPE_KEYS: usize = 64;
/// Most shapes registered per receiver (then new shapes stay generic).
const MAX_SHAPES: usize = 4096;
/// Most key sequences remembered per receiver (seen once, or registered).
const MAX_SEEN: usize = 65_536;

/// FxHash (rustc's): the key sequences are short and come from authenticated payloads,
/// and the table is bounded ([`MAX_SEEN`]), so no flooding-resistant hash is needed.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A key sequence's registration.
#[derive(Clone, Copy)]
enum Slot {
    /// Seen once: registered when seen again (objects seen once, such as maps keyed by
    /// ids, are not worth a compiled literal).
    Seen,
    /// Registered with this id.
    Id(u32),
}

/// A receiver's object shapes (key sequences), registered when seen twice; the JS layer
/// compiles one object literal per id (asking [`Shapes::keys`] the first time).
#[derive(Default)]
pub struct Shapes {
    slots: HashMap<Box<[u8]>, Slot, BuildHasherDefault<Fx>>,
    keys: Vec<Vec<String>>,
    /// The last registered shape seen per nesting depth and member count (a direct-mapped
    /// cache of [`RECENT`] entries): objects of an array mostly repeat the one before, and a
    /// byte comparison is cheaper than hashing the keys and probing the table.
    recent: Vec<Option<(Vec<u8>, u32)>>,
}

/// Entries of `Shapes::recent`.
const RECENT: usize = 64;

impl Shapes {
    /// The id of the shape `seq` (keys as [`TapeSink`] encodes them), registering it when
    /// seen the second time; `None` while it is not registered.
    fn id(&mut self, seq: &[u8], depth: usize, members: usize) -> Option<u32> {
        if self.recent.is_empty() {
            self.recent.resize_with(RECENT, || None);
        }
        let way = (depth.wrapping_mul(31) ^ members.wrapping_mul(7) ^ seq.len()) % RECENT;
        if let Some(Some((recent, id))) = self.recent.get(way) {
            if recent.as_slice() == seq {
                return Some(*id);
            }
        }
        let id = self.lookup(seq)?;
        match self.recent.get_mut(way) {
            Some(Some(entry)) => {
                entry.0.clear();
                entry.0.extend_from_slice(seq);
                entry.1 = id;
            }
            Some(empty) => *empty = Some((seq.to_vec(), id)),
            None => {}
        }
        Some(id)
    }

    /// [`Shapes::id`] without the cache.
    fn lookup(&mut self, seq: &[u8]) -> Option<u32> {
        if let Some(slot) = self.slots.get_mut(seq) {
            return match *slot {
                Slot::Id(id) => Some(id),
                Slot::Seen if self.keys.len() < MAX_SHAPES => {
                    let id = u32::try_from(self.keys.len()).ok()?;
                    *slot = Slot::Id(id);
                    self.keys
                        .push(decode_keys(seq).map(str::to_owned).collect());
                    Some(id)
                }
                Slot::Seen => None,
            };
        }
        if self.slots.len() < MAX_SEEN {
            self.slots.insert(seq.into(), Slot::Seen);
        }
        None
    }

    /// The keys of shape `id`, in order.
    pub fn keys(&self, id: u32) -> Option<&[String]> {
        self.keys.get(usize::try_from(id).ok()?).map(Vec::as_slice)
    }
}

/// The keys of an encoded key sequence: each key's length (4 bytes, little-endian) then its
/// UTF-8.
fn decode_keys(mut seq: &[u8]) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        let (len, rest) = seq.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let key = rest.get(..len)?;
        seq = rest.get(len..)?;
        std::str::from_utf8(key).ok()
    })
}

/// The tape, written into the caller's array while it fits, then into `spill`.
struct Tape<'a> {
    fixed: &'a mut [f64],
    spill: Vec<f64>,
    len: usize,
}

impl Tape<'_> {
    fn push(&mut self, v: f64) {
        match self.fixed.get_mut(self.len) {
            Some(slot) => *slot = v,
            None => self.spill.push(v),
        }
        self.len += 1;
    }

    fn set(&mut self, at: usize, v: f64) {
        let slot = match at.checked_sub(self.fixed.len()) {
            None => self.fixed.get_mut(at),
            Some(i) => self.spill.get_mut(i),
        };
        if let Some(slot) = slot {
            *slot = v;
        }
    }
}

#[allow(clippy::cast_precision_loss)] // tape positions and lengths are far below 2^53
fn num(n: usize) -> f64 {
    n as f64
}

/// An object being built: where its op is, where its keys start in `TapeSink::keys`, how
/// many members it has.
pub struct Object {
    at: usize,
    keys_from: usize,
    members: usize,
}

/// An array being built: where its op is, how many elements it has.
pub struct Array {
    at: usize,
    len: usize,
}

/// The sink writing the tape (see the module documentation).
pub struct TapeSink<'a> {
    tape: Tape<'a>,
    /// Strings whose characters are all at most U+00FF.
    latin1: Vec<u8>,
    /// Strings with a character above U+00FF.
    wide: Vec<u16>,
    /// The keys of the objects being built (innermost last), encoded as in [`decode_keys`].
    keys: Vec<u8>,
    /// The generic objects' key lists, appended to the tape at the end.
    generic: Vec<f64>,
    /// Objects open (for the shape cache).
    depth: usize,
    shapes: &'a mut Shapes,
}

/// What [`TapeSink::finish`] gives: the tape when it did not fit the caller's array (its
/// first part is in that array), and the two string pools.
pub struct Finished {
    /// The whole tape, when it did not fit the caller's array.
    pub spilled: Option<Vec<f64>>,
    /// The strings whose characters are all at most U+00FF, one byte each.
    pub latin1: Vec<u8>,
    /// The strings with a wider character, as UTF-16.
    pub wide: Vec<u16>,
}

impl<'a> TapeSink<'a> {
    /// A sink writing into `fixed` (then beyond it) with the shapes of `shapes`, for a
    /// payload of about `text_len` bytes. A payload whose tape will not fit `fixed` by the
    /// usual measure (a tape slot per 4 to 8 bytes of JSON) gets its own array at once,
    /// rather than filling `fixed` then copying it.
    pub fn new(fixed: &'a mut [f64], shapes: &'a mut Shapes, text_len: usize) -> Self {
        let expected = text_len / 4 + HEADER;
        let tape = if expected > fixed.len() {
            Tape {
                fixed: &mut [],
                spill: Vec::with_capacity(expected),
                len: 0,
            }
        } else {
            Tape {
                fixed,
                spill: Vec::new(),
                len: 0,
            }
        };
        let mut sink = TapeSink {
            tape,
            latin1: Vec::with_capacity(text_len / 2),
            wide: Vec::new(),
            keys: Vec::with_capacity(256),
            generic: Vec::new(),
            depth: 0,
            shapes,
        };
        for _ in 0..HEADER {
            sink.tape.push(0.0);
        }
        sink
    }

    /// Ends the tape (its header, then the generic keys).
    pub fn finish(mut self) -> Finished {
        let generic_at = self.tape.len;
        for v in std::mem::take(&mut self.generic) {
            self.tape.push(v);
        }
        let len = self.tape.len;
        self.tape.set(0, num(len));
        self.tape.set(1, num(generic_at));
        let spilled = if self.tape.spill.is_empty() {
            None
        } else if self.tape.fixed.is_empty() {
            Some(self.tape.spill)
        } else {
            let mut all = Vec::with_capacity(len);
            all.extend_from_slice(self.tape.fixed);
            all.append(&mut self.tape.spill);
            Some(all)
        };
        Finished {
            spilled,
            latin1: self.latin1,
            wide: self.wide,
        }
    }

    /// `s` into a pool: its op, start and length.
    fn pool(&mut self, s: &str) -> [f64; 3] {
        if s.is_ascii() {
            let start = self.latin1.len();
            self.latin1.extend_from_slice(s.as_bytes());
            return [STR1, num(start), num(s.len())];
        }
        let start = self.latin1.len();
        for c in s.chars() {
            match u8::try_from(c) {
                Ok(b) => self.latin1.push(b),
                Err(_) => {
                    self.latin1.truncate(start);
                    let wide_start = self.wide.len();
                    self.wide.extend(s.encode_utf16());
                    return [STR2, num(wide_start), num(self.wide.len() - wide_start)];
                }
            }
        }
        [STR1, num(start), num(self.latin1.len() - start)]
    }
}

impl JsonSink for TapeSink<'_> {
    type Value = ();
    type Key = ();
    type Array = Array;
    type Object = Object;
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<(), Self::Error> {
        self.tape.push(NULL);
        Ok(())
    }
    fn boolean(&mut self, value: bool) -> Result<(), Self::Error> {
        self.tape.push(if value { TRUE } else { FALSE });
        Ok(())
    }
    fn integer(&mut self, text: &str) -> Result<(), Self::Error> {
        self.float(text)
    }
    fn float(&mut self, text: &str) -> Result<(), Self::Error> {
        // A JSON number always parses (out of range: ±infinity, as in JSON.parse).
        self.tape.push(NUM);
        self.tape.push(text.parse::<f64>().unwrap_or(f64::NAN));
        Ok(())
    }
    fn string(&mut self, value: &str) -> Result<(), Self::Error> {
        for v in self.pool(value) {
            self.tape.push(v);
        }
        Ok(())
    }
    fn key(&mut self, key: &str) -> Result<(), Self::Error> {
        // A key longer than 4 GiB cannot be in a body the receiver accepts.
        let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
        self.keys.extend_from_slice(&len.to_le_bytes());
        self.keys.extend_from_slice(key.as_bytes());
        Ok(())
    }
    fn begin_array(&mut self) -> Result<Array, Self::Error> {
        let at = self.tape.len;
        self.tape.push(ARR);
        self.tape.push(0.0);
        Ok(Array { at, len: 0 })
    }
    fn push(&mut self, array: &mut Array, (): ()) -> Result<(), Self::Error> {
        array.len += 1;
        Ok(())
    }
    fn end_array(&mut self, array: Array) -> Result<(), Self::Error> {
        self.tape.set(array.at + 1, num(array.len));
        Ok(())
    }
    fn begin_object(&mut self) -> Result<Object, Self::Error> {
        let at = self.tape.len;
        self.tape.push(OBJ);
        self.tape.push(0.0);
        self.depth += 1;
        Ok(Object {
            at,
            keys_from: self.keys.len(),
            members: 0,
        })
    }
    fn insert(&mut self, object: &mut Object, (): (), (): ()) -> Result<(), Self::Error> {
        object.members += 1;
        Ok(())
    }
    fn end_object(&mut self, object: Object) -> Result<(), Self::Error> {
        let seq = self.keys.get(object.keys_from..).unwrap_or_default();
        self.depth -= 1;
        let id = if object.members <= MAX_SHAPE_KEYS {
            self.shapes.id(seq, self.depth, object.members)
        } else {
            None
        };
        if let Some(id) = id {
            self.tape.set(object.at + 1, f64::from(id));
        } else {
            let seq = std::mem::take(&mut self.keys);
            let keys = seq.get(object.keys_from..).unwrap_or_default();
            self.tape.set(object.at, GOBJ);
            self.tape.set(object.at + 1, num(self.generic.len()));
            self.generic.push(num(object.members));
            for key in decode_keys(keys) {
                let slot = self.pool(key);
                self.generic.extend_from_slice(&slot);
            }
            self.keys = seq;
        }
        self.keys.truncate(object.keys_from);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use kompliant_webhooks::json::parse_object;

    /// The tape of `text` with `shapes`, in a caller's array of `slots`.
    fn tape(text: &str, shapes: &mut Shapes, slots: usize) -> (Vec<f64>, Finished) {
        let mut fixed = vec![0.0; slots];
        let mut sink = TapeSink::new(&mut fixed, shapes, 0);
        parse_object(text, &mut sink).unwrap();
        let finished = sink.finish();
        let tape = finished.spilled.clone().unwrap_or_else(|| fixed.clone());
        let len = tape[0] as usize;
        (tape[..len].to_vec(), finished)
    }

    #[test]
    fn shapes_are_registered_when_seen_twice() {
        let mut shapes = Shapes::default();
        let text = r#"{"a":[{"x":1,"y":"é"},{"x":2,"y":"ễ"}],"b":true}"#;
        let (t, f) = tape(text, &mut shapes, 64);
        // The root and the first {x,y} are met once: generic; the second {x,y} is registered.
        assert_eq!(t[2], GOBJ);
        // Generic keys are pooled when their object ends.
        assert_eq!(f.latin1, b"\xe9xyab".to_vec());
        assert_eq!(f.wide, "ễ".encode_utf16().collect::<Vec<_>>());
        assert_eq!(shapes.keys(0).unwrap(), ["x", "y"]);
        assert!(shapes.keys(1).is_none());
        // The second time, the root is registered too: no generic object is left.
        let (t, _) = tape(text, &mut shapes, 64);
        assert_eq!(t[1] as usize, t.len(), "no generic keys");
        assert_eq!(&t[2..4], &[OBJ, 1.0]);
        assert_eq!(shapes.keys(1).unwrap(), ["a", "b"]);
        assert_eq!(
            &t[4..],
            &[
                ARR, 2.0, OBJ, 0.0, NUM, 1.0, STR1, 0.0, 1.0, OBJ, 0.0, NUM, 2.0, STR2, 0.0, 1.0,
                TRUE
            ]
        );
    }

    #[test]
    fn numbers_are_the_correctly_rounded_f64_of_their_text() {
        let mut shapes = Shapes::default();
        let (t, _) = tape(r#"{"n":[-0,1e400,9007199254740993,0.1]}"#, &mut shapes, 64);
        let nums: Vec<f64> = t.windows(2).filter(|w| w[0] == NUM).map(|w| w[1]).collect();
        assert!(nums[0] == 0.0 && nums[0].is_sign_negative());
        assert_eq!(nums[1], f64::INFINITY);
        assert_eq!(nums[2], 9_007_199_254_740_992.0);
        assert_eq!(nums[3], 0.1);
    }

    #[test]
    fn a_tape_longer_than_the_callers_array_comes_back_whole() {
        let text = format!("{{\"a\":[{}]}}", vec!["1"; 100].join(","));
        let (small, f) = tape(&text, &mut Shapes::default(), 16);
        assert!(f.spilled.is_some());
        let (large, f) = tape(&text, &mut Shapes::default(), 1024);
        assert!(f.spilled.is_none());
        assert_eq!(small, large);
    }

    /// Walks one value of `t` from `pos`, checking every shape id is registered; returns
    /// where the next value starts.
    fn walk(t: &[f64], pos: usize, shapes: &Shapes) -> usize {
        let op = t[pos];
        if op == OBJ {
            let keys = shapes.keys(t[pos + 1] as u32).expect("a registered shape");
            (0..keys.len()).fold(pos + 2, |p, _| walk(t, p, shapes))
        } else if op == GOBJ {
            let members = t[t[1] as usize + t[pos + 1] as usize] as usize;
            (0..members).fold(pos + 2, |p, _| walk(t, p, shapes))
        } else if op == ARR {
            (0..t[pos + 1] as usize).fold(pos + 2, |p, _| walk(t, p, shapes))
        } else if op == STR1 || op == STR2 {
            pos + 3
        } else if op == NUM {
            pos + 2
        } else {
            pos + 1
        }
    }

    #[test]
    fn empty_objects_are_a_shape_like_any_other() {
        let mut shapes = Shapes::default();
        for _ in 0..3 {
            let (t, _) = tape(r#"{"a":{"b":{}},"c":[{},{},{"d":{}}]}"#, &mut shapes, 64);
            assert_eq!(walk(&t, HEADER, &shapes), t[1] as usize);
        }
    }

    #[test]
    fn large_objects_stay_generic() {
        let mut shapes = Shapes::default();
        let members: Vec<String> = (0..=MAX_SHAPE_KEYS)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect();
        let text = format!("{{\"o\":{{{}}}}}", members.join(","));
        for _ in 0..3 {
            let (t, _) = tape(&text, &mut shapes, 4096);
            assert_eq!(t[4], GOBJ);
        }
    }
}
