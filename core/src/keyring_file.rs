//! Keyring files: adding a secret to the JSON file receivers load with
//! [`Keyring::from_file`](crate::Keyring::from_file), atomically and readable by the owner only.
//! This is the store step of a key rotation when receivers read their keys from a file.

use std::path::Path;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::WebhookError;
use crate::keyring::{check_key_id, Keyring};
use crate::private_file::{remove_leftover_temps, write_private_file, PathLock};
use crate::secret::WebhookSecret;

/// Adds `key_id` to the keyring file at `path`, creating the file if needed. Existing keys
/// are kept; adding a key id the file already holds with the same secret changes nothing.
///
/// The file is replaced atomically with mode 0600 ([`write_private_file`]), so a reader
/// never sees a partial file and a crash leaves either the old or the new keyring. Writers
/// in every process take an OS file lock ([`PathLock`], on `.<name>.lock` beside the file)
/// across the read-modify-write, so concurrent additions from several processes or threads
/// all survive; under it, temporary files a crashed writer left (copies of the secrets) are
/// removed.
///
/// # Errors
/// `INVALID_KEY` for a bad key id, an existing file that is not a valid keyring, or a file
/// that already holds `key_id` with a different secret (see [`Keyring::add`]); `IO_ERROR` if
/// the file cannot be read or written.
pub fn add_to_keyring_file(
    path: impl AsRef<Path>,
    key_id: &str,
    secret: &WebhookSecret,
) -> Result<(), WebhookError> {
    let path = path.as_ref();
    check_key_id(key_id)?;
    let io = |e: std::io::Error| WebhookError::IoError {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let _lock = PathLock::acquire(path).map_err(io)?;
    remove_leftover_temps(path).map_err(io)?;
    let mut entries: Map<String, Value> = match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            // Refuse to extend a file receivers could not load, or to change a key's secret.
            Keyring::from_json(&text)?.add(key_id, secret)?;
            serde_json::from_str(&text)
                .map_err(|_| WebhookError::invalid_key(None, "keyring file is not a JSON object"))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(io(e)),
    };
    if !entries.contains_key(key_id) {
        entries.insert(
            key_id.to_owned(),
            Value::String(secret.to_base64().to_string()),
        );
    }
    let mut text = Zeroizing::new(serde_json::to_string_pretty(&entries).unwrap_or_default());
    text.push('\n');
    wipe(entries);
    write_private_file(path, text.as_bytes()).map_err(io)
}

/// Overwrites the secret strings of a parsed keyring before it is dropped.
fn wipe(entries: Map<String, Value>) {
    for (_, value) in entries {
        if let Value::String(s) = value {
            drop(Zeroizing::new(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn creates_then_extends_a_file_receivers_can_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let first = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        let second = WebhookSecret::from_bytes(&[2; 32]).unwrap();
        add_to_keyring_file(&path, "whk_20251021_01", &first).unwrap();
        add_to_keyring_file(&path, "whk_20251121_01", &second).unwrap();
        let keyring = Keyring::from_file(&path).unwrap();
        assert_eq!(keyring.key_ids(), ["whk_20251021_01", "whk_20251121_01"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            keyring_dir_files(dir.path()),
            ["keys.json"],
            "no temporary file left"
        );
    }

    #[test]
    fn refuses_to_extend_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "[1,2]").unwrap();
        let s = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        let err = add_to_keyring_file(&path, "whk_20251021_01", &s).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[1,2]");
    }

    #[test]
    fn a_different_secret_for_a_stored_key_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let first = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        add_to_keyring_file(&path, "whk_20251021_01", &first).unwrap();
        add_to_keyring_file(&path, "whk_20251021_01", &first).unwrap();
        let other = WebhookSecret::from_bytes(&[2; 32]).unwrap();
        let err = add_to_keyring_file(&path, "whk_20251021_01", &other).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        let keyring = Keyring::from_file(&path).unwrap();
        assert_eq!(keyring.key_ids(), ["whk_20251021_01"]);
    }

    #[test]
    fn concurrent_adds_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::thread::scope(|scope| {
            for t in 0..4u8 {
                let path = &path;
                scope.spawn(move || {
                    for i in 0..25u8 {
                        let secret = WebhookSecret::from_bytes(&[t * 32 + i; 32]).unwrap();
                        add_to_keyring_file(path, &format!("whk_2025102{t}_{i:02}"), &secret)
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(Keyring::from_file(&path).unwrap().len(), 100);
        assert_eq!(keyring_dir_files(dir.path()), ["keys.json"]);
    }

    #[test]
    fn a_crashed_writers_temporary_file_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let first = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        add_to_keyring_file(&path, "whk_20251021_01", &first).unwrap();
        // What a writer killed between writing its temporary file and the rename leaves.
        std::fs::write(
            dir.path().join(".keys.json.00000000deadbeef.tmp"),
            "{\"secret\": 1}",
        )
        .unwrap();
        let second = WebhookSecret::from_bytes(&[2; 32]).unwrap();
        add_to_keyring_file(&path, "whk_20251121_01", &second).unwrap();
        assert_eq!(keyring_dir_files(dir.path()), ["keys.json"]);
    }

    /// The files a keyring's directory holds, the lock sidecar aside, sorted.
    fn keyring_dir_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn unwritable_directory_is_an_io_error() {
        let s = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        let err =
            add_to_keyring_file("/nonexistent-dir/keys.json", "whk_20251021_01", &s).unwrap_err();
        assert_eq!(err.code(), ErrorCode::IoError);
    }
}
