//! The payload as Python objects, the same values as `json.loads` (`dict`, `list`, `str`,
//! exact `int`s of any size, `float`, `bool`, `None`; a repeated key keeps its last value at
//! its first position), built one of two ways:
//!
//! - `PySink`: while the core's JSON parser checks the text, in one pass with the GIL held
//!   (bodies under 64 KiB, and `Webhook.payload` built on first access);
//! - `tape_to_py`: from a tape the parser recorded without the GIL (`crate::tape`, bodies of
//!   64 KiB and more), so only making the objects holds the GIL. Each distinct key's `str` is
//!   made once per payload, lists are made at their final size, and objects of six members
//!   or more that repeat a shape (the same keys in the same order: a list of records) are
//!   copied from a template `dict` of that shape and their values replaced, which skips
//!   growing a hash table per object.
//!
//! Fast within the limited API (abi3): object keys and short string values come from small
//! caches kept across calls (payloads repeat the same keys, codes and names), integers that
//! fit 64 bits skip Python's text parsing.
//!
//! The one module of the binding using `unsafe`: raw C API calls (pyo3's safe wrappers cost
//! a type check or a conversion per value), each with its SAFETY note.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::os::raw::c_char;
use std::sync::{Mutex, MutexGuard, TryLockError};

use kompliant_webhooks::json::{self, JsonSink, ParseError};
use kompliant_webhooks::WebhookError;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::error::webhook_error;
use crate::tape::{small_integer, Tape, Token};

/// Parses `text` (a JSON object) into a `dict`. The receive path builds the payload during
/// `OpenedWebhook::parse_into`; this is for a webhook whose payload was checked already.
pub(crate) fn payload_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    match json::parse_object(text, &mut PySink::new(py)) {
        Ok(value) => Ok(value),
        Err(ParseError::Sink(e)) => Err(e),
        Err(ParseError::Syntax(e)) => Err(webhook_error(
            py,
            &WebhookError::PayloadNotJson {
                detail: e.to_string(),
            },
        )),
    }
}

/// Builds Python objects from the parser's values. Containers own their members as they
/// go, so a failed parse (dropping the sink and whatever it built) frees everything.
pub(crate) struct PySink<'py> {
    py: Python<'py>,
    /// Items of the arrays being built, innermost last: an array is its start in the stack.
    items: Vec<Bound<'py, PyAny>>,
    /// The string caches, unless another parse holds them: another thread's, or one on
    /// this thread (a finaliser run by the garbage collector during a parse may decrypt).
    caches: Option<MutexGuard<'static, StrCaches>>,
}

impl<'py> PySink<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        let caches = match STR_CACHES.try_lock() {
            Ok(caches) => Some(caches),
            // A panic during a parse (a bug) may have left a slot half written: start afresh.
            Err(TryLockError::Poisoned(poisoned)) => {
                let mut caches = poisoned.into_inner();
                *caches = StrCaches::new();
                Some(caches)
            }
            Err(TryLockError::WouldBlock) => None,
        };
        PySink {
            py,
            items: Vec::new(),
            caches,
        }
    }

    /// A new reference from a C API call, or the Python error it raised.
    #[inline]
    fn owned(&self, ptr: *mut ffi::PyObject) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: `ptr` is the result of a C API call returning a new reference (or NULL
        // with an exception set), made while attached to the interpreter (`self.py`).
        unsafe { Bound::from_owned_ptr_or_err(self.py, ptr) }
    }

    #[inline]
    fn str(&self, s: &str) -> PyResult<Bound<'py, PyAny>> {
        new_str(self.py, s)
    }

    #[inline]
    fn singleton(&self, ptr: *mut ffi::PyObject) -> Bound<'py, PyAny> {
        // SAFETY: `ptr` is `None`, `True` or `False`, immortal singletons: borrowed here and
        // turned into a new reference.
        unsafe { Bound::from_borrowed_ptr(self.py, ptr) }
    }
}

impl<'py> JsonSink for PySink<'py> {
    type Value = Bound<'py, PyAny>;
    type Key = Bound<'py, PyAny>;
    type Array = usize;
    type Object = Bound<'py, PyAny>;
    type Error = PyErr;

    #[inline]
    fn null(&mut self) -> PyResult<Self::Value> {
        // SAFETY: reads the address of the `None` singleton.
        Ok(self.singleton(unsafe { ffi::Py_None() }))
    }

    #[inline]
    fn boolean(&mut self, value: bool) -> PyResult<Self::Value> {
        // SAFETY: reads the address of the `True` or `False` singleton.
        Ok(self.singleton(unsafe {
            if value {
                ffi::Py_True()
            } else {
                ffi::Py_False()
            }
        }))
    }

    #[inline]
    fn integer(&mut self, text: &str) -> PyResult<Self::Value> {
        match small_integer(text) {
            // SAFETY: plain C API call with the GIL held.
            Some(n) => self.owned(unsafe { ffi::PyLong_FromLongLong(n) }),
            None => self.big_integer(text),
        }
    }

    #[inline]
    fn float(&mut self, text: &str) -> PyResult<Self::Value> {
        // Correctly rounded, as Python's `float()` (which `json.loads` uses): `1e400` is inf.
        let value: f64 = text
            .parse()
            .map_err(|_| PyValueError::new_err("invalid JSON number"))?;
        // SAFETY: plain C API call with the GIL held.
        self.owned(unsafe { ffi::PyFloat_FromDouble(value) })
    }

    #[inline]
    fn string(&mut self, value: &str) -> PyResult<Self::Value> {
        match self.caches.as_deref_mut() {
            Some(caches) if value.len() <= MAX_CACHED_STRING_LEN => {
                caches.strings.get(self.py, value)
            }
            _ => self.str(value),
        }
    }

    #[inline]
    fn key(&mut self, key: &str) -> PyResult<Self::Key> {
        match self.caches.as_deref_mut() {
            Some(caches) if key.len() <= MAX_CACHED_KEY_LEN => caches.keys.get(self.py, key),
            _ => self.str(key),
        }
    }

    #[inline]
    fn begin_array(&mut self) -> PyResult<usize> {
        Ok(self.items.len())
    }

    #[inline]
    fn push(&mut self, _start: &mut usize, value: Self::Value) -> PyResult<()> {
        self.items.push(value);
        Ok(())
    }

    fn end_array(&mut self, start: usize) -> PyResult<Self::Value> {
        let len = self.items.len().saturating_sub(start);
        // SAFETY: plain C API call with the GIL held; `len` fits (it counts items in memory).
        let list = self.owned(unsafe { ffi::PyList_New(len as ffi::Py_ssize_t) })?;
        for (i, item) in self.items.drain(start..).enumerate() {
            // SAFETY: `list` is a new list of `len` empty slots, `i < len`; SetItem steals
            // the item's reference (also on failure, which cannot happen in bounds).
            unsafe {
                ffi::PyList_SetItem(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
            }
        }
        Ok(list)
    }

    #[inline]
    fn begin_object(&mut self) -> PyResult<Self::Object> {
        // SAFETY: plain C API call with the GIL held.
        self.owned(unsafe { ffi::PyDict_New() })
    }

    #[inline]
    fn insert(
        &mut self,
        object: &mut Self::Object,
        key: Self::Key,
        value: Self::Value,
    ) -> PyResult<()> {
        // SAFETY: `object` is a dict, `key` a str, `value` any object; SetItem takes its own
        // references (ours drop after the call). A repeated key keeps its first position and
        // takes the last value, as in `json.loads`.
        let status = unsafe { ffi::PyDict_SetItem(object.as_ptr(), key.as_ptr(), value.as_ptr()) };
        if status == 0 {
            Ok(())
        } else {
            Err(PyErr::fetch(self.py))
        }
    }

    #[inline]
    fn end_object(&mut self, object: Self::Object) -> PyResult<Self::Value> {
        Ok(object)
    }
}

/// Builds the payload's `dict` from a tape made without the GIL (`crate::tape`): the same
/// objects as the one-pass path (`PySink`, whose caches and conversions it uses), with
/// nothing left to check.
pub(crate) fn tape_to_py<'py>(py: Python<'py>, tape: &Tape) -> PyResult<Bound<'py, PyAny>> {
    let mut builder = Builder {
        sink: PySink::new(py),
        tape,
        tokens: tape.tokens.iter(),
        keys: vec![None; tape.keys.len()],
        members: Vec::new(),
        shapes: vec![None; tape.keys.len()],
    };
    builder.value()
}

/// Objects of at least this many members are made from a template of their shape: smaller
/// ones fit a new `dict`'s first table (no growing), where copying a template saved nothing
/// (measured: 2 members and up was slower than 6 and up at 1-16 KiB).
const TEMPLATE_MIN_MEMBERS: usize = 6;

struct Builder<'t, 'py> {
    sink: PySink<'py>,
    tape: &'t Tape,
    tokens: std::slice::Iter<'t, Token>,
    /// The `str` of each distinct key, once made.
    keys: Vec<Option<Bound<'py, PyAny>>>,
    /// Members of the objects being built (key index, value), innermost last.
    members: Vec<(u32, Bound<'py, PyAny>)>,
    /// By an object's first key: the last object shape (its keys) starting with it, and a
    /// `dict` of those keys (a template: copying it and replacing its values builds an
    /// object of that shape without growing a hash table).
    shapes: Vec<Option<(Vec<u32>, Bound<'py, PyAny>)>>,
}

impl<'py> Builder<'_, 'py> {
    fn next(&mut self) -> PyResult<Token> {
        self.tokens
            .next()
            .copied()
            .ok_or_else(|| PyValueError::new_err("payload tape ended early"))
    }

    fn value(&mut self) -> PyResult<Bound<'py, PyAny>> {
        match self.next()? {
            Token::Null => self.sink.null(),
            Token::Bool(b) => self.sink.boolean(b),
            // SAFETY: plain C API call with the GIL held.
            Token::Int(n) => self.sink.owned(unsafe { ffi::PyLong_FromLongLong(n) }),
            Token::BigInt(span) => self.sink.big_integer(self.tape.text(span)),
            // SAFETY: plain C API call with the GIL held.
            Token::Float(x) => self.sink.owned(unsafe { ffi::PyFloat_FromDouble(x) }),
            Token::BadFloat => Err(PyValueError::new_err("invalid JSON number")),
            Token::Str(span) => self.sink.string(self.tape.text(span)),
            Token::Key(_) => Err(PyValueError::new_err("payload tape: key out of place")),
            Token::Array(len) => {
                // SAFETY: plain C API call with the GIL held; `len` is a u32.
                let list = self
                    .sink
                    .owned(unsafe { ffi::PyList_New(len as ffi::Py_ssize_t) })?;
                for i in 0..len {
                    let item = self.value()?;
                    // SAFETY: `list` is a new list of `len` slots, `i < len`, each set once;
                    // SetItem steals the item's reference. A failure above drops the list
                    // with its remaining slots NULL, which a list's deallocation allows.
                    unsafe {
                        ffi::PyList_SetItem(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
                    }
                }
                Ok(list)
            }
            Token::Object(len) => {
                let start = self.members.len();
                for _ in 0..len {
                    let index = match self.next()? {
                        Token::Key(index) => index,
                        _ => return Err(PyValueError::new_err("payload tape: key expected")),
                    };
                    let value = self.value()?;
                    self.members.push((index, value));
                }
                self.object(start)
            }
        }
    }

    /// The object of the members from `start` on (taken from `members`).
    fn object(&mut self, start: usize) -> PyResult<Bound<'py, PyAny>> {
        let Builder {
            sink,
            tape,
            keys,
            members,
            shapes,
            ..
        } = self;
        let new = members.get(start..).unwrap_or_default();
        let first = new.first().map_or(usize::MAX, |m| m.0 as usize);
        let shaped = new.len() >= TEMPLATE_MIN_MEMBERS;
        let template = match shapes.get(first) {
            Some(Some((shape, template)))
                if shaped
                    && shape.len() == new.len()
                    && shape.iter().zip(new).all(|(k, m)| *k == m.0) =>
            {
                Some(template.clone())
            }
            _ => None,
        };
        let (mut dict, learn) = match &template {
            // SAFETY: `template` is a dict; plain C API call with the GIL held.
            Some(t) => (sink.owned(unsafe { ffi::PyDict_Copy(t.as_ptr()) })?, false),
            None => (sink.begin_object()?, shaped),
        };
        let shape: Vec<u32> = if learn {
            new.iter().map(|m| m.0).collect()
        } else {
            Vec::new()
        };
        for (index, value) in members.drain(start..) {
            let key = key_str(keys, sink, tape, index as usize)?;
            sink.insert(&mut dict, key, value)?;
        }
        if learn {
            // SAFETY: `dict` is a dict; plain C API call with the GIL held.
            let template = sink.owned(unsafe { ffi::PyDict_Copy(dict.as_ptr()) })?;
            if let Some(slot) = shapes.get_mut(first) {
                *slot = Some((shape, template));
            }
        }
        Ok(dict)
    }
}

/// The `str` of key `index`, made (or taken from the cache) once per payload.
#[inline]
fn key_str<'py>(
    keys: &mut [Option<Bound<'py, PyAny>>],
    sink: &mut PySink<'py>,
    tape: &Tape,
    index: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(Some(key)) = keys.get(index) {
        return Ok(key.clone());
    }
    let span = tape.keys.get(index).copied();
    let key = sink.key(span.map_or("", |s| tape.text(s)))?;
    if let Some(slot) = keys.get_mut(index) {
        *slot = Some(key.clone());
    }
    Ok(key)
}

impl<'py> PySink<'py> {
    /// An integer beyond 64 bits, through Python's own conversion (as `json.loads`, so the
    /// interpreter's limit on digits, `sys.set_int_max_str_digits`, applies alike).
    #[cold]
    fn big_integer(&self, text: &str) -> PyResult<Bound<'py, PyAny>> {
        let text = CString::new(text).map_err(|_| PyValueError::new_err("invalid JSON number"))?;
        // SAFETY: `text` is NUL-terminated and alive during the call; no end pointer wanted.
        self.owned(unsafe { ffi::PyLong_FromString(text.as_ptr(), std::ptr::null_mut(), 10) })
    }
}

/// A new `str` holding `s`.
#[inline]
fn new_str<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `s` is valid UTF-8 of `s.len()` bytes (at most isize::MAX, so the cast is
    // lossless), alive during the call, made while attached to the interpreter.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_FromStringAndSize(
                s.as_ptr().cast::<c_char>(),
                s.len() as ffi::Py_ssize_t,
            ),
        )
    }
}

/// Longest object key cached (a payload's keys are short names).
const MAX_CACHED_KEY_LEN: usize = 64;
/// Longest string value cached: codes, enum values, field names, countries repeat; longer
/// values (ids, names, free text) rarely do.
const MAX_CACHED_STRING_LEN: usize = 16;
// A tag keeps a cached text's length in 7 bits.
const _: () = assert!(MAX_CACHED_KEY_LEN < 128 && MAX_CACHED_STRING_LEN < 128);
/// Sets of each cache (a power of two), each of `WAYS` slots: 1,024 strings per cache.
const SETS: usize = 512;
const WAYS: usize = 2;
const SLOTS: usize = SETS * WAYS;

/// The caches of object keys and of short string values, shared by every parse.
pub(crate) struct StrCaches {
    keys: StrCache<MAX_CACHED_KEY_LEN>,
    strings: StrCache<MAX_CACHED_STRING_LEN>,
}

impl StrCaches {
    const fn new() -> Self {
        StrCaches {
            keys: StrCache::new(),
            strings: StrCache::new(),
        }
    }
}

static STR_CACHES: Mutex<StrCaches> = Mutex::new(StrCaches::new());

/// Python `str` objects of recently seen texts of at most `MAX` bytes: a payload's keys
/// (and many short values) repeat within it and from one webhook to the next; a cached
/// `str` is made once and keeps its hash, so inserting it in a dict hashes nothing.
/// Set-associative, replacing the least recently filled slot of a set; bounded (1,024
/// strings). Laid out for the lookup: the tags (8 KB) are read first, the text only on a
/// tag match.
struct StrCache<const MAX: usize> {
    /// Each slot's tag (`text_tag`: its text's hash and length), 0 for an empty slot.
    tags: Vec<u64>,
    texts: Vec<[u8; MAX]>,
    objects: Vec<Option<Py<PyAny>>>,
}

impl<const MAX: usize> StrCache<MAX> {
    const fn new() -> Self {
        StrCache {
            tags: Vec::new(),
            texts: Vec::new(),
            objects: Vec::new(),
        }
    }

    /// The cached `str` for `text` (at most `MAX` bytes), made and cached on a miss.
    #[inline]
    fn get<'py>(&mut self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
        if self.tags.len() != SLOTS {
            self.tags = vec![0; SLOTS];
            self.texts = vec![[0; MAX]; SLOTS];
            self.objects = (0..SLOTS).map(|_| None).collect();
        }
        let bytes = text.as_bytes();
        let tag = text_tag(bytes);
        let first = (tag >> (64 - SETS.trailing_zeros())) as usize * WAYS;
        for slot in first..first + WAYS {
            // Equal tags: equal lengths, so equal bytes below mean equal texts.
            if self.tags.get(slot) == Some(&tag) {
                let same = self
                    .texts
                    .get(slot)
                    .and_then(|t| t.get(..bytes.len()))
                    .is_some_and(|t| t == bytes);
                if let (true, Some(Some(object))) = (same, self.objects.get(slot)) {
                    return Ok(object.bind(py).clone());
                }
            }
        }
        let object = new_str(py, text)?;
        // The newest text goes first in its set; the last one is forgotten.
        let ways = first..first + WAYS;
        if let (Some(tags), Some(texts), Some(objects)) = (
            self.tags.get_mut(ways.clone()),
            self.texts.get_mut(ways.clone()),
            self.objects.get_mut(ways),
        ) {
            tags.rotate_right(1);
            texts.rotate_right(1);
            objects.rotate_right(1);
            if let (Some(t), Some(x), Some(o)) =
                (tags.first_mut(), texts.first_mut(), objects.first_mut())
            {
                if let Some(head) = x.get_mut(..bytes.len()) {
                    head.copy_from_slice(bytes);
                    *t = tag;
                    *o = Some(object.clone().unbind());
                }
            }
        }
        Ok(object)
    }
}

/// The tag of a text of at most 127 bytes: an FxHash-style hash over 8-byte words (the last
/// word read overlapping the one before, no partial copies) in the high bits, the length
/// in the low 7 bits, and bit 7 set (a tag is never 0, the empty slot's).
#[inline]
pub(crate) fn text_tag(key: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let word = |at: usize| {
        key.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let len = key.len();
    let mut h = mix(0, len as u64);
    if len >= 8 {
        let mut at = 0;
        while at + 8 < len {
            h = mix(h, word(at));
            at += 8;
        }
        h = mix(h, word(len - 8));
    } else if len >= 4 {
        let half = |at: usize| {
            key.get(at..at + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map_or(0, u32::from_le_bytes)
        };
        h = mix(h, u64::from(half(0)) << 32 | u64::from(half(len - 4)));
    } else if len > 0 {
        let byte = |at: usize| u64::from(key.get(at).copied().unwrap_or(0));
        h = mix(h, byte(0) << 16 | byte(len / 2) << 8 | byte(len - 1));
    }
    (h & !0xff) | 0x80 | (len as u64 & 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_tags_differ_for_near_texts() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "abcd",
            "abce",
            "version",
            "versioN",
            "subject_record_id",
            "subject_record_ie",
            "a_long_key_of_exactly_24b",
        ];
        let hashes: std::collections::HashSet<u64> =
            keys.iter().map(|k| text_tag(k.as_bytes())).collect();
        assert_eq!(hashes.len(), keys.len());
        assert!(hashes.iter().all(|h| *h != 0));
        for key in keys {
            assert_eq!(text_tag(key.as_bytes()) & 0x7f, key.len() as u64);
        }
    }
}
