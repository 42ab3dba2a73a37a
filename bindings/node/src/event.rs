//! `parseEvent`: the typed event views as plain objects; the JS layer shapes them into a
//! discriminated union on `type`. The view, its properties and their values are
//! `kompliant_webhooks_js_shared::event` (shared with the WebAssembly build); this module
//! only makes napi values of its [`Plain`] tree.

use kompliant_webhooks_js_shared::event::{self as shared, Plain};
use napi::bindgen_prelude::{Object, ToNapiValue, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::error::{guard, thrown};

fn js_value(env: &Env, plain: Plain) -> napi::Result<Unknown<'_>> {
    match plain {
        Plain::Str(s) => s.into_unknown(env),
        Plain::List(items) => items
            .into_iter()
            .map(|item| js_value(env, item))
            .collect::<napi::Result<Vec<_>>>()?
            .into_unknown(env),
        Plain::Object(entries) => {
            let mut object = Object::new(env)?;
            for (key, value) in entries {
                object.set(key, js_value(env, value)?)?;
            }
            object.into_unknown(env)
        }
    }
}

/// The typed view of `payload` for `eventType` (see `kompliant_webhooks_js_shared::event`).
/// `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload does not fit its schema or has an
/// unsupported major version.
#[napi(ts_return_type = "{ kind: string; eventType: string; [property: string]: unknown }")]
pub fn parse_event(env: &Env, event_type: String, payload: String) -> napi::Result<Unknown<'_>> {
    guard(|| {
        js_value(
            env,
            shared::parse_event(&event_type, &payload).map_err(thrown)?,
        )
    })
}
