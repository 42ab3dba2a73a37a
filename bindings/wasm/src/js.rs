//! Reading the JS layer's option objects and making its result objects and strings: the
//! conversions napi-rs derives for `#[napi(object)]` structs, written out for wasm-bindgen.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{type_error, Result};

/// `obj[key]`, or `None` when it is absent, `undefined` or `null` (napi's `Option` reading).
pub(crate) fn field(obj: &JsValue, key: &str) -> Result<Option<JsValue>> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(None);
    }
    if !obj.is_object() {
        return Err(type_error("expected an object"));
    }
    let v = Reflect::get(obj, &JsValue::from_str(key))?;
    Ok((!v.is_undefined() && !v.is_null()).then_some(v))
}

/// A string field (a `TypeError` for another type).
pub(crate) fn string_field(obj: &JsValue, key: &str) -> Result<Option<String>> {
    field(obj, key)?
        .map(|v| {
            v.as_string()
                .ok_or_else(|| type_error(format!("{key} must be a string")))
        })
        .transpose()
}

/// A required string field.
pub(crate) fn required_string(obj: &JsValue, key: &str) -> Result<String> {
    string_field(obj, key)?.ok_or_else(|| type_error(format!("{key} must be a string")))
}

/// A number field (a `TypeError` for another type).
pub(crate) fn number_field(obj: &JsValue, key: &str) -> Result<Option<f64>> {
    field(obj, key)?
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| type_error(format!("{key} must be a number")))
        })
        .transpose()
}

/// A field holding an array of strings.
pub(crate) fn strings_field(obj: &JsValue, key: &str) -> Result<Option<Vec<String>>> {
    let Some(v) = field(obj, key)? else {
        return Ok(None);
    };
    let array: Array = v
        .dyn_into()
        .map_err(|_| type_error(format!("{key} must be an array of strings")))?;
    array
        .iter()
        .map(|s| {
            s.as_string()
                .ok_or_else(|| type_error(format!("{key} must be an array of strings")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// A field holding bytes (any `Uint8Array`, a `Buffer` included).
pub(crate) fn bytes_field(obj: &JsValue, key: &str) -> Result<Option<Vec<u8>>> {
    field(obj, key)?
        .map(|v| {
            v.dyn_into::<Uint8Array>()
                .map(|a| a.to_vec())
                .map_err(|_| type_error(format!("{key} must be a Uint8Array")))
        })
        .transpose()
}

/// A plain object of `entries`, skipping `None`s (as napi-rs leaves a `None` field out).
pub(crate) fn object(entries: &[(&str, Option<JsValue>)]) -> Result<JsValue> {
    let obj = Object::new();
    for (key, value) in entries {
        if let Some(value) = value {
            Reflect::set(&obj, &JsValue::from_str(key), value)?;
        }
    }
    Ok(obj.into())
}

/// A JS array of strings.
pub(crate) fn string_array(items: &[String]) -> Array {
    items.iter().map(|s| JsValue::from_str(s)).collect()
}

/// The JS string of `bytes` read as Latin-1 (each byte one character, U+0000 to U+00FF).
///
/// Not `TextDecoder('latin1')`: the Encoding Standard maps that label to windows-1252, which
/// differs on 0x80-0x9F. The bytes are widened to UTF-8 here (ASCII, the usual case, as is)
/// and wasm-bindgen's string passing decodes that: one pass each side.
pub(crate) fn latin1_string(bytes: &[u8]) -> JsValue {
    if bytes.is_ascii() {
        return JsValue::from_str(std::str::from_utf8(bytes).unwrap_or_default());
    }
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    JsValue::from_str(&text)
}

/// The JS string of UTF-16 code units `units` (lone surrogates kept, as napi's
/// `create_string_utf16` keeps them).
pub(crate) fn utf16_string(units: &[u16]) -> JsValue {
    match String::from_utf16(units) {
        Ok(text) => JsValue::from_str(&text),
        // Not reached for the core's text (UTF-8, so valid UTF-16); kept exact anyway, in
        // chunks below the engines' argument-count limit.
        Err(_) => {
            let mut out = js_sys::JsString::from("");
            for chunk in units.chunks(8192) {
                out = out.concat(&js_sys::JsString::from_char_code(chunk));
            }
            out.into()
        }
    }
}
