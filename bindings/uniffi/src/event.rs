//! The typed views of a decrypted payload ([`Event`]), as the core parses them.

use kompliant_webhooks as core;

/// A decrypted payload, typed by event type. Unknown event types are `Other`; unknown fields
/// are ignored here and kept in `Webhook.payloadJson()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Event {
    /// `WORKFLOW_*` events (`WORKFLOW_CREATED`, `WORKFLOW_STARTED`, `WORKFLOW_COMPLETED`, …).
    Workflow {
        /// The workflow event.
        workflow: WorkflowEvent,
    },
    /// `SUBJECT_RECORD_DATA_UPDATED`.
    SubjectRecordDataUpdated {
        /// What changed.
        update: SubjectRecordDataUpdated,
    },
    /// Any other event type (e.g. `DOCUMENT_UPLOADED`): read the raw payload.
    Other {
        /// The event type.
        event_type: String,
    },
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserContext {
    /// The acting user's id.
    pub user_id: String,
    /// The kind of actor.
    pub user_type: UserType,
}

/// The kind of actor behind an event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UserType {
    /// `USER`
    User,
    /// `API_KEY`
    ApiKey,
    /// `SYSTEM`
    System,
    /// A value added by Kompliant after this SDK was released.
    Other {
        /// The value as sent.
        value: String,
    },
}

/// A workflow event's payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkflowEvent {
    /// The event type, e.g. `WORKFLOW_COMPLETED`.
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
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Entities {
    /// `business`
    pub business: Vec<EntityChange>,
    /// `persons`
    pub persons: Vec<EntityChange>,
    /// `bank_accounts`
    pub bank_accounts: Vec<EntityChange>,
    /// `sales_info`
    pub sales_info: Vec<EntityChange>,
}

/// One changed entity: its id and the changed field paths.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntityChange {
    /// The name of the id field, e.g. `person_id`.
    pub id_field: String,
    /// The entity's id.
    pub id: String,
    /// Changed field paths, e.g. `address.city`.
    pub fields: Vec<String>,
}

impl Event {
    /// The binding's view of a core event of type `event_type`.
    pub(crate) fn from_core(e: core::Event, event_type: &str) -> Self {
        match e {
            core::Event::Workflow(w) => Event::Workflow {
                workflow: WorkflowEvent {
                    event_type: w.event_type,
                    version: w.version,
                    subject_record_id: w.subject_record_id,
                    user_context: w.user_context.into(),
                    workflow_id: w.workflow_id,
                    workflow_type: w.workflow_type,
                },
            },
            core::Event::SubjectRecordDataUpdated(u) => Event::SubjectRecordDataUpdated {
                update: SubjectRecordDataUpdated {
                    version: u.version,
                    subject_record_id: u.subject_record_id,
                    user_context: u.user_context.into(),
                    entities: Entities {
                        business: changes(u.entities.business),
                        persons: changes(u.entities.persons),
                        bank_accounts: changes(u.entities.bank_accounts),
                        sales_info: changes(u.entities.sales_info),
                    },
                },
            },
            core::Event::Other { event_type } => Event::Other { event_type },
            // A view added to the core after this binding: the raw payload is still there.
            _ => Event::Other {
                event_type: event_type.to_owned(),
            },
        }
    }
}

fn changes(list: Vec<core::EntityChange>) -> Vec<EntityChange> {
    list.into_iter()
        .map(|c| EntityChange {
            id_field: c.id_field,
            id: c.id,
            fields: c.fields,
        })
        .collect()
}

impl From<core::UserContext> for UserContext {
    fn from(c: core::UserContext) -> Self {
        let user_type = match c.user_type {
            core::UserType::User => UserType::User,
            core::UserType::ApiKey => UserType::ApiKey,
            core::UserType::System => UserType::System,
            core::UserType::Other(value) => UserType::Other { value },
        };
        UserContext {
            user_id: c.user_id,
            user_type,
        }
    }
}
