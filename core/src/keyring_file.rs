//! Keyring files: adding a secret to the JSON file receivers load with
//! [`Keyring::from_file`](crate::Keyring::from_file), atomically and readable by the owner only.
//! This is the store step of a key rotation when receivers read their keys from a file.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::WebhookError;
use crate::keyring::{check_key_id, Keyring};
use crate::secret::WebhookSecret;

/// Adds (or replaces) `key_id` in the keyring file at `path`, creating the file if needed.
///
/// The new content is written to a temporary file in the same directory with mode 0600
/// (Unix), flushed to disk and renamed over the old file, so a reader never sees a partial
/// file and a crash leaves either the old or the new keyring. Existing keys are kept.
///
/// # Errors
/// `INVALID_KEY` for a bad key id or an existing file that is not a valid keyring;
/// `IO_ERROR` if the file cannot be read or written.
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
    let mut entries: Map<String, Value> = match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            Keyring::from_json(&text)?; // refuse to extend a file receivers could not load
            serde_json::from_str(&text)
                .map_err(|_| WebhookError::invalid_key(None, "keyring file is not a JSON object"))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(io(e)),
    };
    entries.insert(
        key_id.to_owned(),
        Value::String(secret.to_base64().to_string()),
    );
    let mut text = Zeroizing::new(serde_json::to_string_pretty(&entries).unwrap_or_default());
    text.push('\n');
    wipe(entries);

    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
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
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
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
    fn unwritable_directory_is_an_io_error() {
        let s = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        let err =
            add_to_keyring_file("/nonexistent-dir/keys.json", "whk_20251021_01", &s).unwrap_err();
        assert_eq!(err.code(), ErrorCode::IoError);
    }
}
