//! Realistic event payloads (spec §3, payload version 1.0) for `sim.event.trigger`, and the
//! envelope metadata of a new event.

use kompliant_webhooks::WebhookMetadata;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::api::{bounded, ApiError};
use crate::decided::{
    MAX_EVENT_TYPE_LEN, PAYLOAD_VERSION, SCHEMA_VERSION, WEBHOOK_ID_PREFIX, WEBHOOK_ID_RANDOM_LEN,
};
use crate::ids::{self, RandomError};

/// The event types Kompliant documents (spec §3): the inspector offers a button for each;
/// `sim.event.trigger` accepts any well-formed type.
pub(crate) const DOCUMENTED_EVENT_TYPES: &[&str] = &[
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_COMPLETED",
    "SUBJECT_RECORD_DATA_UPDATED",
    "DOCUMENT_UPLOADED",
];

/// Checks an `event_type`: 1-64 of `A-Z`, `0-9`, `_`.
pub(crate) fn check_event_type(event_type: &str) -> Result<(), ApiError> {
    let ok = !event_type.is_empty()
        && event_type.len() <= MAX_EVENT_TYPE_LEN
        && event_type
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "event_type {:?} must be 1-{MAX_EVENT_TYPE_LEN} characters of A-Z, 0-9 and _ (e.g. WORKFLOW_CREATED)",
            bounded(event_type)
        )))
    }
}

/// Metadata of a new event of `account_id`, sealed with `key_id`.
pub(crate) fn metadata(
    event_type: &str,
    account_id: &str,
    key_id: &str,
    now: OffsetDateTime,
) -> Result<WebhookMetadata, RandomError> {
    Ok(WebhookMetadata {
        id: ids::prefixed(WEBHOOK_ID_PREFIX, WEBHOOK_ID_RANDOM_LEN)?,
        event_type: event_type.to_owned(),
        timestamp: ids::timestamp(now),
        account_id: account_id.to_owned(),
        schema_version: SCHEMA_VERSION.to_owned(),
        key_id: key_id.to_owned(),
    })
}

/// A plausible payload for `event_type`:
/// - `WORKFLOW_*`: `version`, `subject_record_id`, `user_context`, `workflow_id`, `workflow_type`;
/// - `SUBJECT_RECORD_DATA_UPDATED`: the common fields and `entities` (business, persons,
///   bank_accounts, sales_info, each `[{<entity>_id, fields:[…]}]`);
/// - `DOCUMENT_UPLOADED`: the common fields and a document id, type and file name;
/// - anything else: the common fields (`version`, `subject_record_id`, `user_context`).
pub(crate) fn payload(event_type: &str) -> Result<Map<String, Value>, RandomError> {
    let mut p = Map::new();
    p.insert("version".into(), PAYLOAD_VERSION.into());
    p.insert("subject_record_id".into(), ids::prefixed("sr_", 20)?.into());
    p.insert(
        "user_context".into(),
        json!({"user_id": ids::prefixed("u_", 20)?, "user_type": "USER"}),
    );
    if event_type.starts_with("WORKFLOW_") {
        p.insert("workflow_id".into(), ids::prefixed("w_", 20)?.into());
        p.insert("workflow_type".into(), "BUSINESS_APPLICATION".into());
    } else if event_type == "SUBJECT_RECORD_DATA_UPDATED" {
        p.insert(
            "entities".into(),
            json!({
                "business": [{
                    "business_id": ids::prefixed("b_", 20)?,
                    "fields": ["legal_name", "address.line1", "address.city"],
                }],
                "persons": [{
                    "person_id": ids::prefixed("p_", 20)?,
                    "fields": ["first_name", "last_name", "date_of_birth"],
                }],
                "bank_accounts": [{
                    "bank_account_id": ids::prefixed("ba_", 20)?,
                    "fields": ["routing_number", "account_number"],
                }],
                "sales_info": [{
                    "sales_info_id": ids::prefixed("si_", 20)?,
                    "fields": ["annual_revenue"],
                }],
            }),
        );
    } else if event_type == "DOCUMENT_UPLOADED" {
        p.insert("document_id".into(), ids::prefixed("doc_", 20)?.into());
        p.insert("document_type".into(), "BANK_STATEMENT".into());
        p.insert("file_name".into(), "bank-statement-2025-10.pdf".into());
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompliant_webhooks::Event;

    #[test]
    fn payloads_fit_the_typed_views() {
        for t in ["WORKFLOW_CREATED", "WORKFLOW_STARTED", "WORKFLOW_COMPLETED"] {
            let p = serde_json::to_string(&payload(t).unwrap()).unwrap();
            let Event::Workflow(w) = Event::parse(t, &p).unwrap() else {
                panic!("{t}")
            };
            assert!(w.workflow_id.starts_with("w_") && w.subject_record_id.starts_with("sr_"));
        }
        let p = serde_json::to_string(&payload("SUBJECT_RECORD_DATA_UPDATED").unwrap()).unwrap();
        let Event::SubjectRecordDataUpdated(e) =
            Event::parse("SUBJECT_RECORD_DATA_UPDATED", &p).unwrap()
        else {
            panic!("not typed")
        };
        assert_eq!(e.entities.bank_accounts[0].id_field, "bank_account_id");
        assert_eq!(e.entities.sales_info[0].id_field, "sales_info_id");
        let doc = payload("DOCUMENT_UPLOADED").unwrap();
        assert!(doc["document_id"].as_str().unwrap().starts_with("doc_"));
        let other = payload("SOMETHING_NEW").unwrap();
        assert_eq!(other.len(), 3);
        assert_eq!(other["version"], "1.0");
    }

    #[test]
    fn event_types() {
        assert!(check_event_type("WORKFLOW_CREATED").is_ok());
        for bad in ["", "workflow", "A|B", "A B", &"A".repeat(65)] {
            assert!(check_event_type(bad).is_err(), "{bad}");
        }
    }
}
