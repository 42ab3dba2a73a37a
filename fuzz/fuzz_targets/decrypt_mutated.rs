//! A valid webhook sealed from fuzzer-chosen metadata and payload, then changed in one way.
//! Checks the authenticity promise: unchanged, it opens to exactly what was sealed; with a
//! flipped `data` byte or an edited metadata field it is refused (under the default
//! profile); whatever the change, an accepted body carries exactly the sealed payload and,
//! under the default profile, the sealed metadata (only the unauthenticated `retry_count`
//! may differ).

#![no_main]

use arbitrary::Arbitrary;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kompliant_webhooks::{seal_with_nonce, ErrorCode, WebhookMetadata, WireProfile};
use kompliant_webhooks_fuzz::{check_error, fixture, now, secret, DECRYPT_CODES, KEY_ID};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

#[derive(Arbitrary, Debug)]
struct Case {
    id: String,
    event_type: String,
    timestamp: String,
    account_id: String,
    schema_version: String,
    /// The payload is `{"v": value}` (always a JSON object).
    value: String,
    retry_count: u64,
    nonce: [u8; 12],
    no_aad: bool,
    change: Change,
}

#[derive(Arbitrary, Debug)]
enum Change {
    None,
    /// XOR a byte of the decoded `data` (nonce, ciphertext or tag).
    FlipData {
        at: u16,
        mask: u8,
    },
    /// Append a character to one of the six metadata fields.
    EditField {
        field: u8,
        append: char,
    },
    /// XOR a byte of the raw JSON body.
    FlipBody {
        at: u16,
        mask: u8,
    },
    /// Keep only the first bytes of the body.
    Truncate {
        at: u16,
    },
    /// Seal for a key id the keyring does not hold.
    OtherKey,
}

const FIELDS: [&str; 6] = [
    "id",
    "event_type",
    "timestamp",
    "account_id",
    "schema_version",
    "key_id",
];

fuzz_target!(|case: Case| {
    let metadata = WebhookMetadata {
        id: case.id,
        event_type: case.event_type,
        timestamp: case.timestamp,
        account_id: case.account_id,
        schema_version: case.schema_version,
        key_id: if matches!(case.change, Change::OtherKey) {
            "whk_19990101_01".to_owned()
        } else {
            KEY_ID.to_owned()
        },
    };
    let payload = json!({ "v": case.value }).to_string();
    let (profile, receiver) = if case.no_aad {
        (
            WireProfile::kompliant_2025_11_21_no_aad(),
            &fixture().no_aad,
        )
    } else {
        (WireProfile::kompliant_2025_11_21(), &fixture().default)
    };
    let Ok(sealed) = seal_with_nonce(
        &metadata,
        payload.as_bytes(),
        &secret(),
        &profile,
        case.nonce,
    ) else {
        return; // a metadata field holds the AAD separator: sealing refuses it too
    };
    let mut envelope: Value = serde_json::from_slice(&sealed.body(case.retry_count))
        .unwrap_or_else(|e| panic!("sealed body is not JSON: {e}"));

    let expected = match case.change {
        Change::None => Ok(()),
        Change::OtherKey => Err(Some(ErrorCode::UnknownKey)),
        Change::FlipData { at, mask } => {
            let mut data = STANDARD
                .decode(sealed.data())
                .unwrap_or_else(|e| panic!("sealed data is not base64: {e}"));
            let at = usize::from(at) % data.len();
            data[at] ^= mask;
            envelope["data"] = Value::String(STANDARD.encode(&data));
            if mask == 0 {
                Ok(())
            } else {
                Err(Some(ErrorCode::DecryptionFailed))
            }
        }
        Change::EditField { field, append } => {
            let name = FIELDS[usize::from(field) % FIELDS.len()];
            let mut value = envelope[name].as_str().unwrap_or_default().to_owned();
            value.push(append);
            let unknown_key = name == "key_id";
            envelope[name] = Value::String(value);
            if append == '|' && !case.no_aad {
                Err(Some(ErrorCode::MalformedEnvelope))
            } else if unknown_key {
                Err(Some(ErrorCode::UnknownKey))
            } else if case.no_aad {
                // Without AAD the metadata is not authenticated: the edit goes through.
                Ok(())
            } else {
                Err(Some(ErrorCode::DecryptionFailed))
            }
        }
        Change::FlipBody { .. } | Change::Truncate { .. } => Err(None),
    };

    let mut body = serde_json::to_vec(&envelope).unwrap_or_else(|e| panic!("{e}"));
    match case.change {
        Change::FlipBody { at, mask } if !body.is_empty() => {
            let at = usize::from(at) % body.len();
            body[at] ^= mask;
        }
        Change::Truncate { at } => body.truncate(usize::from(at) % body.len().max(1)),
        _ => {}
    }

    let result = receiver.decrypt_at(&body, now());
    match (&result, expected) {
        (Ok(webhook), _) => {
            if let Change::EditField { .. } = case.change {
                assert!(case.no_aad, "an edited field was accepted under AAD");
                return;
            }
            // Without AAD only `data` is authenticated: a changed body may change metadata.
            if !case.no_aad {
                assert_eq!(webhook.metadata(), &metadata, "accepted metadata differs");
            }
            assert_eq!(webhook.payload_str(), payload, "accepted payload differs");
            if matches!(case.change, Change::None) {
                assert_eq!(webhook.retry_count(), case.retry_count);
            }
            assert!(
                !matches!(case.change, Change::Truncate { .. }),
                "a truncated body was accepted"
            );
        }
        (Err(err), Ok(())) => panic!("an intact webhook was refused: {err:?}"),
        (Err(err), Err(Some(code))) => {
            assert_eq!(err.code(), code, "{err:?}");
            check_error(err, DECRYPT_CODES, &body);
        }
        (Err(err), Err(None)) => check_error(err, DECRYPT_CODES, &body),
    }
});
