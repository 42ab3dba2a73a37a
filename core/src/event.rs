//! Typed views of the documented payloads (spec §3, payload version 1.x). Unknown event
//! types and unknown fields pass through: the raw JSON is always on the [`crate::Webhook`].

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::WebhookError;

/// The payload major version these views understand.
pub const SUPPORTED_PAYLOAD_MAJOR: &str = "1";

/// A decrypted payload, typed by event type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `WORKFLOW_*` events (`WORKFLOW_CREATED`, `WORKFLOW_STARTED`, `WORKFLOW_COMPLETED`, …).
    Workflow(WorkflowEvent),
    /// `SUBJECT_RECORD_DATA_UPDATED`.
    SubjectRecordDataUpdated(SubjectRecordDataUpdated),
    /// Any other event type (e.g. `DOCUMENT_UPLOADED`): read the raw payload.
    Other {
        /// The event type.
        event_type: String,
    },
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserContext {
    /// The acting user's id.
    pub user_id: String,
    /// The kind of actor.
    pub user_type: UserType,
}

/// The kind of actor behind an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserType {
    /// `USER`
    User,
    /// `API_KEY`
    ApiKey,
    /// `SYSTEM`
    System,
    /// A value added by Kompliant after this SDK was released.
    Other(String),
}

impl UserType {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            UserType::User => "USER",
            UserType::ApiKey => "API_KEY",
            UserType::System => "SYSTEM",
            UserType::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for UserType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "USER" => UserType::User,
            "API_KEY" => UserType::ApiKey,
            "SYSTEM" => UserType::System,
            _ => UserType::Other(s),
        })
    }
}

/// A workflow event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowEvent {
    /// The event type, e.g. `WORKFLOW_COMPLETED`.
    #[serde(skip)]
    pub event_type: String,
    /// Payload version, `MAJOR.MINOR`.
    pub version: String,
    /// The subject record (`sr_…`).
    pub subject_record_id: String,
    /// Who caused it.
    pub user_context: UserContext,
    /// The workflow (`w_…`).
    pub workflow_id: String,
    /// The workflow type, e.g. `BUSINESS_APPLICATION`.
    pub workflow_type: String,
}

/// A `SUBJECT_RECORD_DATA_UPDATED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubjectRecordDataUpdated {
    /// Payload version, `MAJOR.MINOR`.
    pub version: String,
    /// The subject record (`sr_…`).
    pub subject_record_id: String,
    /// Who caused it.
    pub user_context: UserContext,
    /// What changed, by entity kind.
    pub entities: Entities,
}

/// Changed entities, by kind. A kind absent from the payload is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Entities {
    /// `business` (id field `business_id`)
    #[serde(default, deserialize_with = "business")]
    pub business: Vec<EntityChange>,
    /// `persons` (id field `person_id`)
    #[serde(default, deserialize_with = "persons")]
    pub persons: Vec<EntityChange>,
    /// `bank_accounts` (id field `bank_account_id`)
    #[serde(default, deserialize_with = "bank_accounts")]
    pub bank_accounts: Vec<EntityChange>,
    /// `sales_info` (id field `sales_info_id`)
    #[serde(default, deserialize_with = "sales_info")]
    pub sales_info: Vec<EntityChange>,
}

/// One changed entity: its id and the changed field paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityChange {
    /// The name of the id field, e.g. `person_id`.
    pub id_field: String,
    /// The entity's id.
    pub id: String,
    /// Changed field paths, e.g. `address.city`.
    pub fields: Vec<String>,
}

/// The id field of each entity kind (spec §3: `{<entity>_id, fields}`; decided: the
/// singular of the kind). Other members of an entity are ignored, so a field Kompliant adds
/// later (even one ending in `_id`) cannot be mistaken for the id.
const ENTITY_ID_FIELDS: [(&str, &str); 4] = [
    ("business", "business_id"),
    ("persons", "person_id"),
    ("bank_accounts", "bank_account_id"),
    ("sales_info", "sales_info_id"),
];

macro_rules! entity_list {
    ($kind:ident) => {
        fn $kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<EntityChange>, D::Error> {
            entity_changes(d, stringify!($kind))
        }
    };
}
entity_list!(business);
entity_list!(persons);
entity_list!(bank_accounts);
entity_list!(sales_info);

fn entity_changes<'de, D: serde::Deserializer<'de>>(
    d: D,
    kind: &str,
) -> Result<Vec<EntityChange>, D::Error> {
    use serde::de::Error;
    let id_field = ENTITY_ID_FIELDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, f)| *f)
        .ok_or_else(|| D::Error::custom(format_args!("no id field known for `{kind}`")))?;
    Vec::<Map<String, Value>>::deserialize(d)?
        .into_iter()
        .map(|mut entity| {
            let fields = match entity.remove("fields") {
                Some(v) => Vec::<String>::deserialize(v).map_err(D::Error::custom)?,
                None => return Err(D::Error::missing_field("fields")),
            };
            match entity.remove(id_field) {
                Some(Value::String(id)) => Ok(EntityChange {
                    id_field: id_field.to_owned(),
                    id,
                    fields,
                }),
                _ => Err(D::Error::custom(format_args!(
                    "an entity of `{kind}` needs a string `{id_field}`"
                ))),
            }
        })
        .collect()
}

impl Event {
    /// Builds the typed view of `payload` for `event_type`.
    ///
    /// # Errors
    /// `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload does not fit its schema or has
    /// an unsupported major version.
    pub fn parse(event_type: &str, payload: &str) -> Result<Event, WebhookError> {
        let mismatch = |detail: String| WebhookError::PayloadSchemaMismatch {
            event_type: event_type.to_owned(),
            detail: crate::error::bounded(detail),
        };
        let event = if event_type.starts_with("WORKFLOW_") {
            let mut e: WorkflowEvent =
                serde_json::from_str(payload).map_err(|e| mismatch(schema_detail(&e)))?;
            e.event_type = event_type.to_owned();
            check_version(&e.version).map_err(mismatch)?;
            Event::Workflow(e)
        } else if event_type == "SUBJECT_RECORD_DATA_UPDATED" {
            let e: SubjectRecordDataUpdated =
                serde_json::from_str(payload).map_err(|e| mismatch(schema_detail(&e)))?;
            check_version(&e.version).map_err(mismatch)?;
            Event::SubjectRecordDataUpdated(e)
        } else {
            Event::Other {
                event_type: event_type.to_owned(),
            }
        };
        Ok(event)
    }
}

/// A schema error's detail without payload content: serde's "invalid type" messages quote
/// the offending value, which may be personal data, so only "missing field" texts are kept.
fn schema_detail(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("missing field") {
        text
    } else {
        format!(
            "a field has the wrong type or shape (line {} column {})",
            e.line(),
            e.column()
        )
    }
}

fn check_version(version: &str) -> Result<(), String> {
    match version.split_once('.') {
        Some((SUPPORTED_PAYLOAD_MAJOR, minor)) if !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "payload version {version:?} is not {SUPPORTED_PAYLOAD_MAJOR}.x (a major version change is breaking: upgrade the SDK)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const WORKFLOW: &str = r#"{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u_1","user_type":"API_KEY"},"workflow_id":"w_1","workflow_type":"BUSINESS_APPLICATION","new_field":1}"#;

    #[test]
    fn workflow_events_are_typed() {
        let Event::Workflow(w) = Event::parse("WORKFLOW_COMPLETED", WORKFLOW).unwrap() else {
            panic!("not a workflow event")
        };
        assert_eq!(w.event_type, "WORKFLOW_COMPLETED");
        assert_eq!(w.workflow_id, "w_1");
        assert_eq!(w.user_context.user_type, UserType::ApiKey);
    }

    #[test]
    fn subject_record_updates_list_entities() {
        let p = r#"{"version":"1.1","subject_record_id":"sr_1","user_context":{"user_id":"u","user_type":"ROBOT"},
            "entities":{"business":[{"business_id":"b_1","fields":["legal_name","address.city"]}],"persons":[{"document_id":"doc_9","person_id":"p_1","fields":[]}]}}"#;
        let Event::SubjectRecordDataUpdated(e) =
            Event::parse("SUBJECT_RECORD_DATA_UPDATED", p).unwrap()
        else {
            panic!("wrong view")
        };
        assert_eq!(e.user_context.user_type, UserType::Other("ROBOT".into()));
        assert_eq!(e.entities.business[0].id_field, "business_id");
        assert_eq!(
            e.entities.business[0].fields,
            ["legal_name", "address.city"]
        );
        assert_eq!(e.entities.persons[0].id, "p_1");
        assert_eq!(e.entities.persons[0].id_field, "person_id");
        assert!(e.entities.bank_accounts.is_empty());
    }

    #[test]
    fn unknown_types_fall_back() {
        assert_eq!(
            Event::parse("DOCUMENT_UPLOADED", "{}").unwrap(),
            Event::Other {
                event_type: "DOCUMENT_UPLOADED".into()
            }
        );
    }

    #[test]
    fn schema_mismatch_and_major_bump_are_errors() {
        let missing = WORKFLOW.replace(r#""workflow_id":"w_1","#, "");
        assert_eq!(
            Event::parse("WORKFLOW_CREATED", &missing)
                .unwrap_err()
                .code(),
            ErrorCode::PayloadSchemaMismatch
        );
        let v2 = WORKFLOW.replace("\"1.0\"", "\"2.0\"");
        let err = Event::parse("WORKFLOW_CREATED", &v2).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadSchemaMismatch);
        assert!(err.to_string().contains("2.0"));
        let wrong = WORKFLOW.replace(r#""w_1""#, r#"["private"]"#);
        let err = Event::parse("WORKFLOW_CREATED", &wrong).unwrap_err();
        assert!(!err.to_string().contains("private"), "{err}");
    }
}
