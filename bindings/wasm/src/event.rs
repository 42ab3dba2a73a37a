//! `parseEvent`: the core's typed payload views as the objects the napi binding returns
//! (`node/lib/webhook.js` `shapeEvent` reads them).

use js_sys::Array;
use kompliant_webhooks as core;
use wasm_bindgen::prelude::*;

use crate::error::{webhook_error, Result};
use crate::js::{self, object};

fn user_context(u: &core::UserContext) -> Result<JsValue> {
    object(&[
        ("userId", Some(JsValue::from_str(&u.user_id))),
        ("userType", Some(JsValue::from_str(u.user_type.as_str()))),
    ])
}

fn changes(list: &[core::EntityChange]) -> Result<JsValue> {
    let out = Array::new();
    for c in list {
        out.push(&object(&[
            ("idField", Some(JsValue::from_str(&c.id_field))),
            ("id", Some(JsValue::from_str(&c.id))),
            ("fields", Some(js::string_array(&c.fields).into())),
        ])?);
    }
    Ok(out.into())
}

/// The typed view of `payload` for `eventType`. `PAYLOAD_SCHEMA_MISMATCH` if a known
/// event's payload does not fit its schema or has an unsupported major version.
#[wasm_bindgen(js_name = parseEvent)]
pub fn parse_event(event_type: &str, payload: &str) -> Result<JsValue> {
    let event = core::Event::parse(event_type, payload).map_err(|e| webhook_error(&e))?;
    let s = |v: &str| Some(JsValue::from_str(v));
    match event {
        core::Event::Workflow(w) => object(&[
            ("kind", s("workflow")),
            ("eventType", s(event_type)),
            ("version", s(&w.version)),
            ("subjectRecordId", s(&w.subject_record_id)),
            ("userContext", Some(user_context(&w.user_context)?)),
            ("workflowId", s(&w.workflow_id)),
            ("workflowType", s(&w.workflow_type)),
        ]),
        core::Event::SubjectRecordDataUpdated(d) => {
            let entities = object(&[
                ("business", Some(changes(&d.entities.business)?)),
                ("persons", Some(changes(&d.entities.persons)?)),
                ("bankAccounts", Some(changes(&d.entities.bank_accounts)?)),
                ("salesInfo", Some(changes(&d.entities.sales_info)?)),
            ])?;
            object(&[
                ("kind", s("subjectRecordDataUpdated")),
                ("eventType", s(event_type)),
                ("version", s(&d.version)),
                ("subjectRecordId", s(&d.subject_record_id)),
                ("userContext", Some(user_context(&d.user_context)?)),
                ("entities", Some(entities)),
            ])
        }
        // `Event` is non-exhaustive: a view added to the core later reads as `other`.
        _ => object(&[("kind", s("other")), ("eventType", s(event_type))]),
    }
}
