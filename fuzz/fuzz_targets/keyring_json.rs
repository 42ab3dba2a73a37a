//! Arbitrary text as a keyring JSON document. Nothing may panic; a refusal is
//! `INVALID_KEY` and never quotes a secret (of a key in use or of a retired key's object); a
//! loaded keyring holds exactly the document's key ids.

#![no_main]

use kompliant_webhooks::{ErrorCode, Keyring};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// The secret of a key: the string of a key in use, or the `secret` of a retired key's object.
fn secret_of(value: &Value) -> Option<&str> {
    value
        .as_str()
        .or_else(|| value.get("secret").and_then(Value::as_str))
}

fuzz_target!(|text: &str| {
    match Keyring::from_json(text) {
        Ok(keyring) => {
            let document: Map<String, Value> =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("accepted non-object: {e}"));
            let mut ids: Vec<&String> = document.keys().collect();
            ids.sort();
            assert_eq!(keyring.key_ids().iter().collect::<Vec<_>>(), ids);
            let debug = format!("{keyring:?}");
            for secret in document.values().filter_map(secret_of) {
                assert!(!debug.contains(secret.trim()), "secret in Debug");
            }
        }
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{err:?}");
            let message = format!("{err} {err:?}");
            // Values of a JSON object document: none may appear in the message, unless it
            // is also a key id (key ids are quoted on purpose) or too short to be a secret.
            if let Ok(Value::Object(document)) = serde_json::from_str::<Value>(text) {
                for secret in document.values().filter_map(secret_of) {
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
