//! `parseEvent`: the core's typed payload views as the objects the napi binding returns
//! (`node/lib/webhook.js` `shapeEvent` reads them). The view, its properties and their
//! values are `kompliant_webhooks_js_shared::event`; this module only makes JS values of its
//! [`Plain`] tree.

use js_sys::Array;
use kompliant_webhooks_js_shared::event::{self as shared, Plain};
use wasm_bindgen::prelude::*;

use crate::error::{thrown, Result};
use crate::js::object;

fn js_value(plain: &Plain) -> Result<JsValue> {
    Ok(match plain {
        Plain::Str(s) => JsValue::from_str(s),
        Plain::List(items) => items
            .iter()
            .map(js_value)
            .collect::<Result<Array>>()?
            .into(),
        Plain::Object(entries) => {
            let values = entries
                .iter()
                .map(|(key, value)| Ok((*key, Some(js_value(value)?))))
                .collect::<Result<Vec<_>>>()?;
            object(&values)?
        }
    })
}

/// The typed view of `payload` for `eventType` (see `kompliant_webhooks_js_shared::event`).
/// `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload does not fit its schema or has an
/// unsupported major version.
#[wasm_bindgen(js_name = parseEvent)]
pub fn parse_event(event_type: &str, payload: &str) -> Result<JsValue> {
    js_value(&shared::parse_event(event_type, payload).map_err(thrown)?)
}
