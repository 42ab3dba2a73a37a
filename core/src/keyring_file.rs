//! Keyring files: the JSON file receivers load with [`Keyring::from_file`] or follow with
//! [`Keyring::watch`], and [`add_to_keyring_file`], the store step of a key rotation that
//! writes it: atomically, readable by the owner only, safe across processes, pruning keys
//! retired longer than the retention.
//!
//! # Format
//!
//! A JSON object from key id to key. A key in use is its base64 secret; a key rotated out is
//! an object with its secret and the time it was retired (RFC 3339, UTC):
//!
//! ```json
//! {
//!   "whk_20251021_01": {"secret": "<base64>", "retired_at": "2025-11-21T09:30:00Z"},
//!   "whk_20251121_01": "<base64>"
//! }
//! ```
//!
//! A file written before retirement times existed (every value a string) is the same format
//! with no key retired. Readers hold every key the file holds, retired or not (a retired key
//! still decrypts redeliveries); only writers drop keys, once retired longer than the
//! retention. Unknown fields of a key object are ignored, so a later version can add some.

use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::decided::{DEFAULT_RETIRED_KEY_RETENTION, MAX_KEYRING_FILE_BYTES};
use crate::error::WebhookError;
use crate::keyring::{check_key_id, json_error_kind, Keyring};
use crate::private_file::{remove_leftover_temps, write_private_file, PathLock};
use crate::secret::WebhookSecret;

/// One key of a keyring file, as read.
pub(crate) struct FileKey {
    pub(crate) key_id: String,
    pub(crate) secret: Zeroizing<String>,
    pub(crate) retired_at: Option<OffsetDateTime>,
}

/// Parses the text of a keyring file (either form of each key, see the module docs). Checks
/// the shape only; secrets and key ids are checked when added to a [`Keyring`].
///
/// # Errors
/// `INVALID_KEY` if the text is not such an object (duplicate key ids included) or a
/// `retired_at` is not an RFC 3339 time. Messages never quote the text.
pub(crate) fn parse_keyring_json(json: &str) -> Result<Vec<FileKey>, WebhookError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let entries = de
        .deserialize_map(KeyringVisitor)
        .and_then(|entries| de.end().map(|()| entries))
        .map_err(|e| {
            WebhookError::invalid_key(
                None,
                format!(
                    "keyring must be a JSON object mapping key ids to base64 secrets ({}, line {} column {})",
                    json_error_kind(&e),
                    e.line(),
                    e.column()
                ),
            )
        })?;
    entries
        .into_iter()
        .map(|(key_id, value)| {
            // A malformed key id is refused without being quoted (it could be a secret).
            check_key_id(&key_id)?;
            let retired_at = match value.retired_at {
                None => None,
                Some(text) => Some(OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                    WebhookError::invalid_key(
                        Some(&key_id),
                        "retired_at is not an RFC 3339 time such as 2025-11-21T09:30:00Z",
                    )
                })?),
            };
            Ok(FileKey {
                key_id,
                secret: value.secret,
                retired_at,
            })
        })
        .collect()
}

/// What the stat of a keyring file shows, to tell whether it changed since it was read: a
/// writer that renames a new file over it changes the inode, an in-place edit the size or
/// modification (or, on Unix, change) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64, i64, i64),
}

impl FileStamp {
    pub(crate) fn of(metadata: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            inode: (
                metadata.dev(),
                metadata.ino(),
                metadata.ctime(),
                metadata.ctime_nsec(),
            ),
        }
    }
}

/// Reads a keyring file's text, and the stamp of the file read.
///
/// # Errors
/// `IO_ERROR` if the file cannot be read (missing included); `INVALID_KEY` if the path is
/// not a regular file (a directory, a FIFO, a device: never opened, so a FIFO cannot hang
/// the reader), the file is larger than [`MAX_KEYRING_FILE_BYTES`] or is not UTF-8.
pub(crate) fn read_keyring_file(
    path: &Path,
) -> Result<(Zeroizing<String>, FileStamp), WebhookError> {
    let io = |e: std::io::Error| WebhookError::IoError {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    check_regular(path, &fs::metadata(path).map_err(io)?)?;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    // Replaced by a FIFO between the check and the open: opening must not wait for a writer.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    check_regular(path, &metadata)?;
    // Sized up front so the buffer never reallocates (a reallocation would leave an unwiped
    // copy of the secrets behind); the file may grow meanwhile, so it stays bounded anyway.
    let capacity = metadata.len().min(MAX_KEYRING_FILE_BYTES) as usize + 1;
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(MAX_KEYRING_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_KEYRING_FILE_BYTES {
        return Err(WebhookError::invalid_key(
            None,
            format!(
                "keyring file {} is larger than {MAX_KEYRING_FILE_BYTES} bytes: is it the right file?",
                path.display()
            ),
        ));
    }
    // No copy: the bytes become the string (or go back into a wiped buffer if not UTF-8).
    let text = match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Zeroizing::new(text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            drop(Zeroizing::new(e.into_bytes()));
            return Err(WebhookError::invalid_key(
                None,
                format!(
                    "keyring file {} is not UTF-8 text (invalid byte at offset {offset}): it must be a JSON object of key ids to base64 secrets",
                    path.display(),
                ),
            ));
        }
    };
    Ok((text, FileStamp::of(&metadata)))
}

fn check_regular(path: &Path, metadata: &fs::Metadata) -> Result<(), WebhookError> {
    if metadata.is_file() {
        return Ok(());
    }
    let kind = if metadata.is_dir() {
        "a directory"
    } else {
        file_kind(metadata)
    };
    Err(WebhookError::invalid_key(
        None,
        format!(
            "keyring path {} is {kind}, not a regular file: point it at the JSON keyring file",
            path.display()
        ),
    ))
}

#[cfg(unix)]
fn file_kind(metadata: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = metadata.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn file_kind(_: &fs::Metadata) -> &'static str {
    "a special file"
}

/// Adds `key_id` to the keyring file at `path` as the key now in use, creating the file if
/// needed, with the default retention of retired keys
/// ([`DEFAULT_RETIRED_KEY_RETENTION`], 7 days: Kompliant's retry horizon). See
/// [`add_to_keyring_file_with_retention`].
///
/// # Errors
/// As [`add_to_keyring_file_with_retention`].
pub fn add_to_keyring_file(
    path: impl AsRef<Path>,
    key_id: &str,
    secret: &WebhookSecret,
) -> Result<(), WebhookError> {
    add_to_keyring_file_with_retention(path, key_id, secret, DEFAULT_RETIRED_KEY_RETENTION)
}

/// Adds `key_id` to the keyring file at `path` as the key now in use (the store step of a
/// rotation), creating the file if needed:
///
/// - every other key not yet retired is marked retired now (the new key replaces it; it
///   stays in the file, and receivers keep decrypting redeliveries sealed with it);
/// - keys retired longer than `retention` ago are removed (their secrets leave the file),
///   except keys that may still be ACTIVE at Kompliant: the keys this write retires and those
///   the rotation before retired (the latest `retired_at` in the file) always stay, since an
///   activation may have failed;
/// - adding a key id the file already holds with the same secret makes it the key in use
///   again (its retirement is cancelled); with a different secret it is refused.
///
/// The file is replaced atomically with mode 0600 ([`write_private_file`]), so a reader
/// never sees a partial file and a crash leaves either the old or the new keyring. Writers
/// in every process take an OS file lock (`PathLock`, on `.<name>.lock` beside the file)
/// across the read-modify-write, so concurrent additions from several processes or threads
/// all survive; under it, temporary files a crashed writer left (copies of the secrets) are
/// removed.
///
/// # Errors
/// `INVALID_KEY` for a bad key id, an existing file that is not a valid keyring (or not a
/// regular file), or a file that already holds `key_id` with a different secret (see
/// [`Keyring::add`]); `IO_ERROR` if the file cannot be read or written.
pub fn add_to_keyring_file_with_retention(
    path: impl AsRef<Path>,
    key_id: &str,
    secret: &WebhookSecret,
    retention: Duration,
) -> Result<(), WebhookError> {
    add_at(path.as_ref(), key_id, secret, retention, SystemTime::now())
}

fn add_at(
    path: &Path,
    key_id: &str,
    secret: &WebhookSecret,
    retention: Duration,
    now: SystemTime,
) -> Result<(), WebhookError> {
    check_key_id(key_id)?;
    let io = |e: std::io::Error| WebhookError::IoError {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let _lock = PathLock::acquire(path).map_err(io)?;
    remove_leftover_temps(path).map_err(io)?;
    let mut keys = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        _ => {
            let (text, _) = read_keyring_file(path)?;
            let keys = parse_keyring_json(&text)?;
            // Refuse to extend a file receivers could not load, or to change a key's secret.
            let keyring = Keyring::new();
            for key in &keys {
                keyring.add_base64(&key.key_id, &key.secret)?;
            }
            keyring.add(key_id, secret)?;
            keys
        }
    };
    let now = OffsetDateTime::from(now);
    let retention = time::Duration::try_from(retention).unwrap_or(time::Duration::MAX);
    // The file cannot know which key Kompliant has ACTIVE: the last activation may have
    // failed, or a key was only created (`kompliant keys create --keyring`). So whatever the
    // retention, a write keeps the keys in use until now (it retires them) and the keys the
    // previous rotation retired (the latest retirement time before this write): one of them
    // may still be the ACTIVE key. See docs/decided.md, "Pruning keyring files".
    let previous_rotation = keys.iter().filter_map(|key| key.retired_at).max();
    keys.retain_mut(|key| {
        if key.key_id == key_id {
            key.retired_at = None;
            return true;
        }
        match key.retired_at {
            None => {
                key.retired_at = Some(now);
                true
            }
            Some(at) => Some(at) == previous_rotation || now - at < retention,
        }
    });
    if !keys.iter().any(|key| key.key_id == key_id) {
        keys.push(FileKey {
            key_id: key_id.to_owned(),
            secret: secret.to_base64(),
            retired_at: None,
        });
    }
    write_private_file(path, render(&keys).as_bytes()).map_err(io)
}

/// The text of a keyring file holding `keys`, in their order. Key ids, base64 and RFC 3339
/// times need no JSON escaping (key ids were checked: ASCII letters, digits, `_-.`).
fn render(keys: &[FileKey]) -> Zeroizing<String> {
    // Sized up front so the buffer never reallocates and leaves unwiped copies of secrets:
    // per key, its id, secret and at most `,\n  "": {"secret": "", "retired_at": ""}` (44
    // bytes) around a 20-byte time.
    let capacity = 4 + keys
        .iter()
        .map(|key| key.key_id.len() + key.secret.len() + 64)
        .sum::<usize>();
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    text.push('{');
    for (i, key) in keys.iter().enumerate() {
        text.push_str(if i == 0 { "\n  \"" } else { ",\n  \"" });
        text.push_str(&key.key_id);
        text.push_str("\": ");
        match key.retired_at {
            None => {
                text.push('"');
                text.push_str(&key.secret);
                text.push('"');
            }
            Some(at) => {
                text.push_str("{\"secret\": \"");
                text.push_str(&key.secret);
                text.push_str("\", \"retired_at\": \"");
                text.push_str(&rfc3339(at));
                text.push_str("\"}");
            }
        }
    }
    text.push_str(if keys.is_empty() { "}\n" } else { "\n}\n" });
    text
}

/// `2025-11-21T09:30:00Z`: UTC, whole seconds.
fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The value of one key in a keyring file: a base64 secret, or an object with `secret` and
/// optional `retired_at`.
struct FileValue {
    secret: Zeroizing<String>,
    retired_at: Option<String>,
}

struct KeyringVisitor;

impl<'de> Visitor<'de> for KeyringVisitor {
    type Value = Vec<(String, FileValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of key id to base64 secret")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, FileValue)> = Vec::new();
        while let Some(key_id) = map.next_key::<String>()? {
            let value = map.next_value::<FileValue>()?;
            if entries.iter().any(|(k, _)| *k == key_id) {
                return Err(de::Error::custom("duplicate key id"));
            }
            entries.push((key_id, value));
        }
        Ok(entries)
    }
}

impl<'de> serde::Deserialize<'de> for FileValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FileValueVisitor)
    }
}

struct FileValueVisitor;

impl<'de> Visitor<'de> for FileValueVisitor {
    type Value = FileValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a base64 secret, or an object with \"secret\" and \"retired_at\"")
    }

    fn visit_str<E: de::Error>(self, secret: &str) -> Result<FileValue, E> {
        self.visit_string(secret.to_owned())
    }

    fn visit_string<E: de::Error>(self, secret: String) -> Result<FileValue, E> {
        Ok(FileValue {
            secret: Zeroizing::new(secret),
            retired_at: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileValue, A::Error> {
        let mut secret = None;
        let mut retired_at = None;
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                "secret" => secret = Some(Zeroizing::new(map.next_value::<String>()?)),
                "retired_at" => retired_at = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(FileValue {
            secret: secret.ok_or_else(|| de::Error::missing_field("secret"))?,
            retired_at,
        })
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

    fn secret(byte: u8) -> WebhookSecret {
        WebhookSecret::from_bytes(&[byte; 32]).unwrap()
    }

    fn at(text: &str) -> SystemTime {
        OffsetDateTime::parse(text, &Rfc3339).unwrap().into()
    }

    #[test]
    fn a_new_key_retires_the_others_with_the_time_and_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let week = DEFAULT_RETIRED_KEY_RETENTION;
        add_at(
            &path,
            "whk_20251021_01",
            &secret(1),
            week,
            at("2025-10-21T08:00:00Z"),
        )
        .unwrap();
        add_at(
            &path,
            "whk_20251121_01",
            &secret(2),
            week,
            at("2025-11-21T09:30:00.750Z"),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\n  \"whk_20251021_01\": {{\"secret\": \"{}\", \"retired_at\": \"2025-11-21T09:30:00Z\"}},\n  \"whk_20251121_01\": \"{}\"\n}}\n",
                secret(1).to_base64().as_str(),
                secret(2).to_base64().as_str()
            )
        );
        // Readers hold both: the retired key still decrypts redeliveries.
        let keyring = Keyring::from_file(&path).unwrap();
        assert_eq!(keyring.key_ids(), ["whk_20251021_01", "whk_20251121_01"]);
        assert!(keyring.retired_keys().is_empty());
    }

    #[test]
    fn keys_retired_longer_than_the_retention_are_pruned_at_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let week = DEFAULT_RETIRED_KEY_RETENTION;
        add_at(
            &path,
            "whk_20251001_01",
            &secret(1),
            week,
            at("2025-10-01T00:00:00Z"),
        )
        .unwrap();
        add_at(
            &path,
            "whk_20251021_01",
            &secret(2),
            week,
            at("2025-10-21T00:00:00Z"),
        )
        .unwrap();
        // 6 days 23 hours after the first key was retired: still kept.
        add_at(
            &path,
            "whk_20251027_01",
            &secret(3),
            week,
            at("2025-10-27T23:00:00Z"),
        )
        .unwrap();
        assert_eq!(Keyring::from_file(&path).unwrap().len(), 3);
        // Third rotation, more than 7 days after the first retirement: the first key goes, the
        // second (retired 10-27) stays.
        add_at(
            &path,
            "whk_20251029_01",
            &secret(4),
            week,
            at("2025-10-29T00:00:00Z"),
        )
        .unwrap();
        let keyring = Keyring::from_file(&path).unwrap();
        assert_eq!(
            keyring.key_ids(),
            ["whk_20251021_01", "whk_20251027_01", "whk_20251029_01"]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(secret(1).to_base64().as_str()),
            "the pruned secret left the file"
        );
        // A shorter retention prunes sooner.
        add_at(
            &path,
            "whk_20251029_02",
            &secret(5),
            Duration::from_secs(3600),
            at("2025-10-29T00:30:00Z"),
        )
        .unwrap();
        assert_eq!(
            Keyring::from_file(&path).unwrap().key_ids(),
            ["whk_20251027_01", "whk_20251029_01", "whk_20251029_02"],
            "retired 10-27 (23:00) is past an hour, retired 10-29 (00:00) is not"
        );
    }

    #[test]
    fn a_key_that_may_still_be_active_is_never_pruned() {
        // whk_…01 is ACTIVE; whk_…02 was stored but its activation failed, and the next
        // rotation comes weeks later: 01 (retired long ago by 02's write) may still be the
        // ACTIVE key, so it stays, however short the retention.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let ids = |path: &Path| Keyring::from_file(path).unwrap().key_ids();
        for retention in [DEFAULT_RETIRED_KEY_RETENTION, Duration::ZERO] {
            let _ = std::fs::remove_file(&path);
            let add = |id: &str, n: u8, when: &str| {
                add_at(&path, id, &secret(n), retention, at(when)).unwrap();
            };
            add("whk_20251001_01", 1, "2025-10-01T00:00:00Z");
            add("whk_20251001_02", 2, "2025-10-01T00:05:00Z");
            // Retention zero: the write that retires 02 keeps it (and 01, retired by the
            // rotation before).
            add("whk_20251101_01", 3, "2025-11-01T00:00:00Z");
            assert_eq!(
                ids(&path),
                ["whk_20251001_01", "whk_20251001_02", "whk_20251101_01"],
                "retention {retention:?}"
            );
            // One more rotation: 01 was retired two rotations ago and past the retention.
            add("whk_20251201_01", 4, "2025-12-01T00:00:00Z");
            assert_eq!(
                ids(&path),
                ["whk_20251001_02", "whk_20251101_01", "whk_20251201_01"],
                "retention {retention:?}"
            );
        }
    }

    #[test]
    fn a_file_without_retirement_times_loads_and_is_extended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(
            &path,
            format!(
                r#"{{"whk_20251021_01": "{}", "whk_20251021_02": "{}"}}"#,
                secret(1).to_base64().as_str(),
                secret(2).to_base64().as_str()
            ),
        )
        .unwrap();
        assert_eq!(Keyring::from_file(&path).unwrap().len(), 2);
        add_to_keyring_file(&path, "whk_20251121_01", &secret(3)).unwrap();
        let keys = parse_keyring_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let retired: Vec<bool> = keys.iter().map(|k| k.retired_at.is_some()).collect();
        assert_eq!(retired, [true, true, false]);
    }

    #[test]
    fn re_adding_a_retired_key_makes_it_the_key_in_use_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        add_to_keyring_file(&path, "whk_20251121_01", &secret(2)).unwrap();
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        let keys = parse_keyring_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let state: Vec<(&str, bool)> = keys
            .iter()
            .map(|k| (k.key_id.as_str(), k.retired_at.is_some()))
            .collect();
        assert_eq!(
            state,
            [("whk_20251021_01", false), ("whk_20251121_01", true)]
        );
    }

    #[test]
    fn key_objects_are_checked_and_unknown_fields_ignored() {
        let b64 = secret(1).to_base64().as_str().to_owned();
        let ok = format!(
            r#"{{"whk_20251021_01": {{"secret": "{b64}", "retired_at": "2025-11-21T09:30:00+02:00", "note": [1]}}}}"#
        );
        assert_eq!(Keyring::from_json(&ok).unwrap().len(), 1);
        for bad in [
            format!(r#"{{"whk_20251021_01": {{"secret": "{b64}", "retired_at": "yesterday"}}}}"#),
            r#"{"whk_20251021_01": {"retired_at": "2025-11-21T09:30:00Z"}}"#.to_owned(),
            format!(r#"{{"whk_20251021_01": {{"secret": "{b64}", "retired_at": 5}}}}"#),
        ] {
            let err = Keyring::from_json(&bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{bad}");
            assert!(!format!("{err} {err:?}").contains(&b64), "{err}");
        }
        // A secret pasted as the key id of a key object is refused without being quoted.
        let swapped = format!(r#"{{"{b64}": {{"secret": "{b64}", "retired_at": "yesterday"}}}}"#);
        let err = Keyring::from_json(&swapped).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(!format!("{err} {err:?}").contains(&b64), "{err}");
    }

    #[test]
    fn special_files_and_non_utf8_text_are_invalid_key_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let err = Keyring::from_file(dir.path()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(err.to_string().contains("a directory"), "{err}");

        let latin1 = dir.path().join("latin1.json");
        std::fs::write(&latin1, b"{\"whk_20251021_01\": \"caf\xe9\"}").unwrap();
        let err = Keyring::from_file(&latin1).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(err.to_string().contains("not UTF-8"), "{err}");

        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; MAX_KEYRING_FILE_BYTES as usize + 1]).unwrap();
        assert_eq!(
            Keyring::from_file(&big).unwrap_err().code(),
            ErrorCode::InvalidKey
        );

        let missing = Keyring::from_file(dir.path().join("missing.json")).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::IoError);

        #[cfg(unix)]
        {
            // A FIFO with no writer: opening it for reading would wait forever.
            let fifo = dir.path().join("fifo.json");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let err = Keyring::from_file(&fifo).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey);
            assert!(err.to_string().contains("FIFO"), "{err}");
            let err = add_to_keyring_file(&fifo, "whk_20251021_01", &secret(1)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey);
        }
    }

    #[test]
    fn an_empty_keyring_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "{}\n").unwrap();
        let err = Keyring::from_file(&path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        let text = err.to_string();
        assert!(
            text.contains("holds no key") && text.contains("keys.json"),
            "{text}"
        );
        // A writer may still start from it.
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        assert_eq!(Keyring::from_file(&path).unwrap().len(), 1);
    }

    #[test]
    fn unwritable_directory_is_an_io_error() {
        let s = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        let err =
            add_to_keyring_file("/nonexistent-dir/keys.json", "whk_20251021_01", &s).unwrap_err();
        assert_eq!(err.code(), ErrorCode::IoError);
    }
}
