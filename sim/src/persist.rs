//! The optional state file: accounts, keys (with their secrets) and configs as JSON, loaded at
//! start and replaced atomically after every change (temporary file in the same directory,
//! fsync, rename, fsync of the directory), mode 0600 because it holds secrets. Pending
//! deliveries, the delivery log and fault switches are not persisted.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::Account;
use crate::decided::STATE_FILE_FORMAT;
use crate::error::SimError;
use crate::store::Store;

/// What the state file holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u32,
    accounts: Vec<Account>,
    #[serde(default)]
    data: Store,
}

/// Borrowed form of [`StateFile`] for writing.
#[derive(Serialize)]
struct StateFileRef<'a> {
    format: u32,
    accounts: &'a [Account],
    data: &'a Store,
}

/// Reads the state file; `None` if it does not exist.
pub(crate) fn load(path: &Path) -> Result<Option<(Vec<Account>, Store)>, SimError> {
    let err = |detail: String| SimError::StateFile {
        path: path.display().to_string(),
        detail,
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(format!("cannot read it: {e}"))),
    };
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
        // serde's text can quote a value (a secret): keep only the category and position.
        err(format!(
            "not a simulator state file ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    if state.format != STATE_FILE_FORMAT {
        return Err(err(format!(
            "format {} is not the supported format {STATE_FILE_FORMAT}",
            state.format
        )));
    }
    Ok(Some((state.accounts, state.data)))
}

/// Replaces the state file atomically with the given state.
pub(crate) fn save(path: &Path, accounts: &[Account], data: &Store) -> io::Result<()> {
    let text = Zeroizing::new(
        serde_json::to_vec_pretty(&StateFileRef {
            format: STATE_FILE_FORMAT,
            accounts,
            data,
        })
        .map_err(io::Error::other)?,
    );
    kompliant_webhooks::write_private_file(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AccountData;
    use kompliant_webhooks::WebhookSecret;
    use time::macros::datetime;

    #[test]
    fn round_trip_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let account = Account::generate_sandbox();
        let mut data = AccountData::default();
        let secret = WebhookSecret::generate().unwrap();
        let key_id = data
            .create_key(secret.clone(), datetime!(2025-11-21 1:00 UTC))
            .unwrap()
            .key_id
            .clone();
        data.create_config(
            "whc_1".into(),
            "https://a.example/",
            datetime!(2025-11-21 1:00 UTC),
        )
        .unwrap();
        let mut store = Store::new();
        store.insert(account.account_id.clone(), data);
        save(&path, std::slice::from_ref(&account), &store).unwrap();
        save(&path, std::slice::from_ref(&account), &store).unwrap();
        let (accounts, loaded) = load(&path).unwrap().unwrap();
        assert_eq!(accounts, vec![account.clone()]);
        let d = loaded.get(&account.account_id).unwrap();
        assert_eq!(d.key(&key_id).unwrap().secret, secret);
        assert_eq!(d.live_config("whc_1").unwrap().url, "https://a.example/");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn bad_files_are_errors_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for bad in [
            "{".to_owned(),
            r#"{"format":2,"accounts":[]}"#.to_owned(),
            r#"{"format":1,"accounts":[{"account_id":"sb_1","api_key":"k","secret_key":"SECRETSECRET","auth_token":5}]}"#.to_owned(),
        ] {
            fs::write(&path, &bad).unwrap();
            let err = load(&path).err().unwrap();
            assert!(matches!(err, SimError::StateFile { .. }), "{bad}");
            assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
        }
    }
}
