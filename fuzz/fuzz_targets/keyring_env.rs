//! Arbitrary environment variables (names and values of any bytes) through
//! `Keyring::from_env_vars`. Nothing may panic; a refusal is `INVALID_KEY` and never quotes
//! a value; a loaded keyring holds one key per `KOMPLIANT_WEBHOOK_SECRET_` variable.

#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use kompliant_webhooks::decided::ENV_SECRET_PREFIX;
use kompliant_webhooks::{ErrorCode, Keyring};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|vars: Vec<(Vec<u8>, Vec<u8>)>| {
    let env: Vec<(OsString, OsString)> = vars
        .iter()
        .map(|(name, value)| {
            (
                OsString::from_vec(name.clone()),
                OsString::from_vec(value.clone()),
            )
        })
        .collect();
    match Keyring::from_env_vars(env) {
        Ok(keyring) => {
            let prefixed: Vec<&[u8]> = vars
                .iter()
                .filter_map(|(name, _)| name.strip_prefix(ENV_SECRET_PREFIX.as_bytes()))
                .collect();
            for id in keyring.key_ids() {
                let suffix = id
                    .strip_prefix("whk_")
                    .unwrap_or_else(|| panic!("key id {id}"));
                assert!(
                    prefixed.contains(&suffix.as_bytes()),
                    "key {id} from nowhere"
                );
            }
            assert!(keyring.len() <= prefixed.len());
        }
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{err:?}");
            let message = format!("{err} {err:?}");
            for (_, value) in &vars {
                let Ok(value) = std::str::from_utf8(value) else {
                    continue;
                };
                // Names are quoted on purpose: a value that is also part of a name may appear.
                let in_a_name = vars
                    .iter()
                    .any(|(name, _)| String::from_utf8_lossy(name).contains(value));
                let secret_like = value.len() >= 16
                    && !in_a_name
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
                assert!(
                    !secret_like || !message.contains(value),
                    "value in error: {message}"
                );
            }
        }
    }
});
