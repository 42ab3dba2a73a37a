//! Typed event views (the core's [`core::Event`]) as plain objects; the JS layer shapes them
//! into a discriminated union on `type`.

use kompliant_webhooks as core;
use napi_derive::napi;

use crate::error::{guard, webhook_error};

/// Who caused an event.
#[napi(object)]
pub struct NativeUserContext {
    /// The acting user's id.
    pub user_id: String,
    /// `USER`, `API_KEY`, `SYSTEM`, or a newer value as sent.
    pub user_type: String,
}

/// One changed entity.
#[napi(object)]
pub struct NativeEntityChange {
    /// The id field's name, e.g. `person_id`.
    pub id_field: String,
    /// The entity's id.
    pub id: String,
    /// Changed field paths.
    pub fields: Vec<String>,
}

/// Changed entities by kind.
#[napi(object)]
pub struct NativeEntities {
    /// `business`
    pub business: Vec<NativeEntityChange>,
    /// `persons`
    pub persons: Vec<NativeEntityChange>,
    /// `bank_accounts`
    pub bank_accounts: Vec<NativeEntityChange>,
    /// `sales_info`
    pub sales_info: Vec<NativeEntityChange>,
}

/// A typed event view; `kind` says which fields are set.
#[napi(object)]
pub struct NativeEvent {
    /// `workflow`, `subjectRecordDataUpdated` or `other`.
    pub kind: String,
    /// The event type.
    pub event_type: String,
    /// Payload version (typed views only).
    pub version: Option<String>,
    /// The subject record (typed views only).
    pub subject_record_id: Option<String>,
    /// Who caused it (typed views only).
    pub user_context: Option<NativeUserContext>,
    /// Workflow events only.
    pub workflow_id: Option<String>,
    /// Workflow events only.
    pub workflow_type: Option<String>,
    /// `SUBJECT_RECORD_DATA_UPDATED` only.
    pub entities: Option<NativeEntities>,
}

fn user_context(u: core::UserContext) -> NativeUserContext {
    NativeUserContext {
        user_id: u.user_id,
        user_type: u.user_type.as_str().to_owned(),
    }
}

fn changes(list: Vec<core::EntityChange>) -> Vec<NativeEntityChange> {
    list.into_iter()
        .map(|c| NativeEntityChange {
            id_field: c.id_field,
            id: c.id,
            fields: c.fields,
        })
        .collect()
}

/// The typed view of `payload` for `eventType`. `PAYLOAD_SCHEMA_MISMATCH` if a known event's
/// payload does not fit its schema or has an unsupported major version.
#[napi]
pub fn parse_event(event_type: String, payload: String) -> napi::Result<NativeEvent> {
    guard(|| {
        let event = core::Event::parse(&event_type, &payload).map_err(|e| webhook_error(&e))?;
        let empty = |kind: &str| NativeEvent {
            kind: kind.to_owned(),
            event_type: event_type.clone(),
            version: None,
            subject_record_id: None,
            user_context: None,
            workflow_id: None,
            workflow_type: None,
            entities: None,
        };
        Ok(match event {
            core::Event::Workflow(w) => NativeEvent {
                version: Some(w.version),
                subject_record_id: Some(w.subject_record_id),
                user_context: Some(user_context(w.user_context)),
                workflow_id: Some(w.workflow_id),
                workflow_type: Some(w.workflow_type),
                ..empty("workflow")
            },
            core::Event::SubjectRecordDataUpdated(s) => NativeEvent {
                version: Some(s.version),
                subject_record_id: Some(s.subject_record_id),
                user_context: Some(user_context(s.user_context)),
                entities: Some(NativeEntities {
                    business: changes(s.entities.business),
                    persons: changes(s.entities.persons),
                    bank_accounts: changes(s.entities.bank_accounts),
                    sales_info: changes(s.entities.sales_info),
                }),
                ..empty("subjectRecordDataUpdated")
            },
            // `Event` is non-exhaustive: a view added to the core later reads as `other`
            // until this binding learns it; the raw payload is always there.
            _ => empty("other"),
        })
    })
}
