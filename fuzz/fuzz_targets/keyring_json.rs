//! Arbitrary text as a keyring JSON document. Nothing may panic; a refusal is
//! `INVALID_KEY` and never quotes a secret; a loaded keyring holds exactly the document's
//! key ids.

#![no_main]

use kompliant_webhooks::{ErrorCode, Keyring};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|text: &str| {
    match Keyring::from_json(text) {
        Ok(keyring) => {
            let document: Map<String, Value> =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("accepted non-object: {e}"));
            let mut ids: Vec<&String> = document.keys().collect();
            ids.sort();
            assert_eq!(keyring.key_ids().iter().collect::<Vec<_>>(), ids);
            let debug = format!("{keyring:?}");
            for secret in document.values().filter_map(Value::as_str) {
                assert!(!debug.contains(secret.trim()), "secret in Debug");
            }
        }
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{err:?}");
            let message = format!("{err} {err:?}");
            // Values of a JSON object document: none may appear in the message, unless it
            // is also a key id (key ids are quoted on purpose) or too short to be a secret.
            if let Ok(Value::Object(document)) = serde_json::from_str::<Value>(text) {
                for secret in document.values().filter_map(Value::as_str) {
                    let quotable = secret.len() < 16
                        || document.keys().any(|k| k.contains(secret))
                        || !secret
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
                    assert!(
                        quotable || !message.contains(secret),
                        "secret in error: {message}"
                    );
                }
            }
        }
    }
});
