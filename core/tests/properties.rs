//! Property tests: sealing and decrypting round-trip for arbitrary metadata and payloads,
//! and no mutation of a sealed body gets through (or panics).

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use kompliant_webhooks::{
    seal, ErrorCode, Keyring, WebhookMetadata, WebhookReceiver, WebhookSecret, WireProfile,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const KEY_ID: &str = "whk_20251121_01";

/// The codes a damaged body may produce (never INVALID_KEY, INTERNAL, or an API code).
const RECEIVE_CODES: [ErrorCode; 4] = [
    ErrorCode::MalformedEnvelope,
    ErrorCode::UnknownKey,
    ErrorCode::DecryptionFailed,
    ErrorCode::PayloadNotJson,
];

fn receiver(secret: &WebhookSecret) -> WebhookReceiver {
    let keyring = Keyring::new();
    keyring.add(KEY_ID, secret).unwrap();
    WebhookReceiver::new(keyring)
}

/// Any string without the AAD separator (which the profile refuses in metadata).
fn field() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| s.replace('|', "¦"))
}

fn metadata() -> impl Strategy<Value = WebhookMetadata> {
    (field(), field(), field(), field(), field()).prop_map(
        |(id, event_type, timestamp, account_id, schema_version)| WebhookMetadata {
            id,
            event_type,
            timestamp,
            account_id,
            schema_version,
            key_id: KEY_ID.into(),
        },
    )
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::btree_map(any::<String>(), json_value(), 0..8)
        .prop_map(|m| serde_json::to_vec(&m.into_iter().collect::<Map<_, _>>()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn seal_then_decrypt_round_trips(metadata in metadata(), payload in payload(), retry_count in 0..=kompliant_webhooks::decided::MAX_RETRY_COUNT, key in any::<[u8; 32]>()) {
        let secret = WebhookSecret::from_bytes(&key).unwrap();
        let body = seal(&metadata, &payload, &secret, &WireProfile::default()).unwrap().body(retry_count);
        let webhook = receiver(&secret).decrypt(&body).unwrap();
        prop_assert_eq!(webhook.metadata(), &metadata);
        prop_assert_eq!(webhook.retry_count(), retry_count);
        prop_assert_eq!(webhook.payload_bytes(), &payload[..]);
    }

    /// The payload parser (core/src/json.rs) accepts exactly what serde_json accepts as a
    /// JSON object: on valid payloads, pretty-printed payloads, and mutations of them (a byte
    /// replaced by a JSON-significant one, or cut). Two deliberate differences: a number out
    /// of f64's range is text to our parser (sinks decide; serde_json refuses it), and
    /// neither accepts a lone surrogate escape.
    #[test]
    fn the_payload_parser_agrees_with_serde_json(
        payload in payload(),
        pretty in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(&b"{}[]:,\"0-1.eE+ntfu\\x\n "[..])), 0..3),
        cut in any::<Option<prop::sample::Index>>(),
    ) {
        let mut text = if pretty {
            serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&payload).unwrap()).unwrap()
        } else {
            payload
        };
        for (at, byte) in edits {
            if !text.is_empty() {
                let i = at.index(text.len());
                text[i] = byte;
            }
        }
        if let Some(cut) = cut {
            let len = cut.index(text.len() + 1);
            text.truncate(len);
        }
        let Ok(text) = String::from_utf8(text) else { return Ok(()) };
        let ours = kompliant_webhooks::json::parse_object(&text, &mut kompliant_webhooks::json::CheckOnly).is_ok();
        let theirs = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v.is_object(),
            Err(e) if e.to_string().contains("number out of range") => ours,
            Err(_) => false,
        };
        prop_assert_eq!(ours, theirs, "{}", text);
    }

    #[test]
    fn arbitrary_bytes_give_a_typed_error(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let secret = WebhookSecret::from_bytes(&[7; 32]).unwrap();
        let err = receiver(&secret).decrypt(&body).unwrap_err();
        prop_assert!(RECEIVE_CODES.contains(&err.code()), "{}", err.code());
    }
}

/// Every single-byte change of a sealed body is refused with a typed error, except inside
/// the unauthenticated `retry_count` value, where the verified content must be unchanged.
#[test]
fn every_single_byte_mutation_is_rejected() {
    let secret = WebhookSecret::from_bytes(&[0x5a; 32]).unwrap();
    let receiver = receiver(&secret);
    let metadata = WebhookMetadata {
        id: "wh_2x8mKq9vNcR4tLpW7yJhBd".into(),
        event_type: "SUBJECT_RECORD_DATA_UPDATED".into(),
        timestamp: "2025-11-21T14:30:22.123Z".into(),
        account_id: "lv_8f3k2m9x".into(),
        schema_version: "2025-11-21".into(),
        key_id: KEY_ID.into(),
    };
    let payload = br#"{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u_1","user_type":"USER"},"entities":{"business":[{"business_id":"b_1","fields":["legal_name"]}]}}"#;
    let body = seal(&metadata, payload, &secret, &WireProfile::default())
        .unwrap()
        .body(12);
    let original = receiver.decrypt(&body).unwrap();

    let text = std::str::from_utf8(&body).unwrap();
    let count_at = text.find("\"retry_count\":").unwrap() + "\"retry_count\":".len();
    let count_span = count_at..count_at + 2;

    let mut accepted_in_count = 0;
    for i in 0..body.len() {
        for replacement in [
            body[i] ^ 0x01,
            body[i] ^ 0x80,
            body[i] ^ 0x20,
            b'0',
            b'"',
            b'\\',
            b'|',
            0x00,
        ] {
            if replacement == body[i] {
                continue;
            }
            let mut mutated = body.clone();
            mutated[i] = replacement;
            match receiver.decrypt(&mutated) {
                Err(e) => assert!(
                    RECEIVE_CODES.contains(&e.code()),
                    "byte {i}: unexpected code {}",
                    e.code()
                ),
                Ok(webhook) => {
                    assert!(
                        count_span.contains(&i),
                        "byte {i} changed from {:?} to {:?} and the body was still accepted",
                        body[i] as char,
                        replacement as char
                    );
                    assert_eq!(webhook.metadata(), original.metadata());
                    assert_eq!(webhook.payload_bytes(), original.payload_bytes());
                    accepted_in_count += 1;
                }
            }
        }
    }
    assert!(
        accepted_in_count > 0,
        "retry_count is documented as unauthenticated"
    );
}

/// Dropping any byte (truncation anywhere) is refused.
#[test]
fn every_single_byte_deletion_is_rejected() {
    let secret = WebhookSecret::from_bytes(&[0x33; 32]).unwrap();
    let receiver = receiver(&secret);
    let metadata = WebhookMetadata {
        id: "wh_1".into(),
        event_type: "WORKFLOW_CREATED".into(),
        timestamp: "2026-03-17T21:59:40Z".into(),
        account_id: "sb_1".into(),
        schema_version: "2025-11-21".into(),
        key_id: KEY_ID.into(),
    };
    let body = seal(
        &metadata,
        br#"{"version":"1.0"}"#,
        &secret,
        &WireProfile::default(),
    )
    .unwrap()
    .body(0);
    let text = std::str::from_utf8(&body).unwrap();
    let zero_at = text.rfind('0').unwrap();
    for i in 0..body.len() {
        let mut mutated = body.clone();
        mutated.remove(i);
        // Deleting the `0` of `"retry_count":0` leaves `"retry_count":}`: malformed too.
        assert!(
            receiver.decrypt(&mutated).is_err(),
            "deleting byte {i} (zero at {zero_at}) was accepted"
        );
    }
}
