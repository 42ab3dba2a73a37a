//! `parseEvent`: the core's typed payload views ([`core::Event`]) as the plain object the JS
//! layer receives (`node/lib/webhook.js` `shapeEvent` turns it into the discriminated union
//! on `type`): which `kind`, which properties each view sets and their names, the user
//! type's name, and `other` for any view this crate does not know. The object is a [`Plain`]
//! tree; each binding only turns that tree into its own JS values.

use kompliant_webhooks as core;

use crate::error::{webhook_error, Result};

/// A JS value made of strings, arrays and plain objects (properties in order; an absent
/// property is left out, as napi-rs leaves out a `None` field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// A string.
    Str(String),
    /// An array.
    List(Vec<Plain>),
    /// A plain object: its properties, in order.
    Object(Vec<(&'static str, Plain)>),
}

fn text(s: impl Into<String>) -> Plain {
    Plain::Str(s.into())
}

fn user_context(u: core::UserContext) -> Plain {
    Plain::Object(vec![
        ("userId", text(u.user_id)),
        ("userType", text(u.user_type.as_str())),
    ])
}

fn changes(list: Vec<core::EntityChange>) -> Plain {
    Plain::List(
        list.into_iter()
            .map(|c| {
                Plain::Object(vec![
                    ("idField", text(c.id_field)),
                    ("id", text(c.id)),
                    (
                        "fields",
                        Plain::List(c.fields.into_iter().map(Plain::Str).collect()),
                    ),
                ])
            })
            .collect(),
    )
}

/// The typed view of `payload` for `event_type`: `{ kind, eventType, … }` with `kind`
/// `workflow` (`version`, `subjectRecordId`, `userContext`, `workflowId`, `workflowType`),
/// `subjectRecordDataUpdated` (`version`, `subjectRecordId`, `userContext`, `entities`:
/// `business`, `persons`, `bankAccounts`, `salesInfo`, each a list of `{ idField, id, fields }`)
/// or `other`. `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload does not fit its schema or
/// has an unsupported major version.
pub fn parse_event(event_type: &str, payload: &str) -> Result<Plain> {
    let event = core::Event::parse(event_type, payload).map_err(|e| webhook_error(&e))?;
    let object = |kind: &str| vec![("kind", text(kind)), ("eventType", text(event_type))];
    Ok(Plain::Object(match event {
        core::Event::Workflow(w) => {
            let mut o = object("workflow");
            o.extend([
                ("version", text(w.version)),
                ("subjectRecordId", text(w.subject_record_id)),
                ("userContext", user_context(w.user_context)),
                ("workflowId", text(w.workflow_id)),
                ("workflowType", text(w.workflow_type)),
            ]);
            o
        }
        core::Event::SubjectRecordDataUpdated(s) => {
            let mut o = object("subjectRecordDataUpdated");
            let e = s.entities;
            o.extend([
                ("version", text(s.version)),
                ("subjectRecordId", text(s.subject_record_id)),
                ("userContext", user_context(s.user_context)),
                (
                    "entities",
                    Plain::Object(vec![
                        ("business", changes(e.business)),
                        ("persons", changes(e.persons)),
                        ("bankAccounts", changes(e.bank_accounts)),
                        ("salesInfo", changes(e.sales_info)),
                    ]),
                ),
            ]);
            o
        }
        // `Event` is non-exhaustive: a view added to the core later reads as `other` until
        // this crate learns it; the raw payload is always there.
        _ => object("other"),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const USER: &str = r#""user_context":{"user_id":"u_1","user_type":"API_KEY"}"#;

    /// The properties every typed view starts with, `USER` as its user context.
    fn typed(
        kind: &str,
        event_type: &str,
        version: &str,
        subject: &str,
    ) -> Vec<(&'static str, Plain)> {
        let user = Plain::Object(vec![("userId", text("u_1")), ("userType", text("API_KEY"))]);
        vec![
            ("kind", text(kind)),
            ("eventType", text(event_type)),
            ("version", text(version)),
            ("subjectRecordId", text(subject)),
            ("userContext", user),
        ]
    }

    #[test]
    fn workflow_sets_the_workflow_properties() {
        let payload = format!(
            r#"{{"version":"1.2","subject_record_id":"sr_1",{USER},"workflow_id":"w_1","workflow_type":"BUSINESS_APPLICATION","extra":true}}"#
        );
        let view = parse_event("WORKFLOW_COMPLETED", &payload).unwrap();
        let mut want = typed("workflow", "WORKFLOW_COMPLETED", "1.2", "sr_1");
        want.extend([
            ("workflowId", text("w_1")),
            ("workflowType", text("BUSINESS_APPLICATION")),
        ]);
        assert_eq!(view, Plain::Object(want));
    }

    #[test]
    fn subject_record_update_lists_entities_by_kind() {
        let payload = format!(
            r#"{{"version":"1.0","subject_record_id":"sr_2",{USER},"entities":{{"persons":[{{"person_id":"p_1","fields":["address.city","name"]}}]}}}}"#
        );
        let view = parse_event("SUBJECT_RECORD_DATA_UPDATED", &payload).unwrap();
        let person = Plain::Object(vec![
            ("idField", text("person_id")),
            ("id", text("p_1")),
            (
                "fields",
                Plain::List(vec![text("address.city"), text("name")]),
            ),
        ]);
        let mut want = typed(
            "subjectRecordDataUpdated",
            "SUBJECT_RECORD_DATA_UPDATED",
            "1.0",
            "sr_2",
        );
        let entities = Plain::Object(vec![
            ("business", Plain::List(vec![])),
            ("persons", Plain::List(vec![person])),
            ("bankAccounts", Plain::List(vec![])),
            ("salesInfo", Plain::List(vec![])),
        ]);
        want.push(("entities", entities));
        assert_eq!(view, Plain::Object(want));
    }

    #[test]
    fn other_events_carry_only_their_type() {
        let view = parse_event("DOCUMENT_UPLOADED", r#"{"anything":1}"#).unwrap();
        assert_eq!(
            view,
            Plain::Object(vec![
                ("kind", text("other")),
                ("eventType", text("DOCUMENT_UPLOADED"))
            ])
        );
    }

    #[test]
    fn a_known_event_that_does_not_fit_is_a_schema_mismatch() {
        let err = parse_event("WORKFLOW_CREATED", r#"{"version":"1.0"}"#).unwrap_err();
        assert!(
            err.message().contains("PAYLOAD_SCHEMA_MISMATCH"),
            "{}",
            err.message()
        );
    }
}
