//! The keyring: every webhook key a receiver currently accepts, by key id, so a rotation
//! never drops a webhook. Each key's AES-GCM state is built once, when the key is added; a
//! retired key is kept until its expiry, then dropped.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::aead::AeadKey;
use crate::clock::{system_later, Clock, SystemClock};
use crate::decided::{
    ENV_SECRET_PREFIX, KEY_ID_PREFIX, KEY_SEQUENCE_MAX_DIGITS, KEY_SEQUENCE_MIN_DIGITS,
    MAX_KEY_ID_LEN,
};
use crate::error::WebhookError;
use crate::keyring_file::{parse_keyring_json, read_keyring_file};
use crate::keyring_watch::{Check, FileWatch};
use crate::secret::WebhookSecret;

/// A set of webhook keys, `key_id → secret`, safe to share between threads.
///
/// Cloning is cheap and shares the keys: a receiver built from a clone sees keys added
/// later (that is how a running receiver picks up a rotated key). Only the AES-GCM state is
/// kept (wiped on drop); `Debug` lists key ids and prints `[REDACTED]` for the secrets.
///
/// After a rotation, [`Keyring::retire`] the old key rather than removing it: redeliveries
/// of webhooks sealed before the rotation still name it, for up to Kompliant's retry
/// horizon. A retired key decrypts as before until its expiry; the first access after that
/// drops it (its key material is wiped).
#[derive(Clone)]
pub struct Keyring {
    keys: Arc<RwLock<BTreeMap<String, Slot>>>,
    clock: Arc<dyn Clock>,
    /// The file the keys follow ([`Keyring::watch`]).
    pub(crate) watch: Option<Arc<FileWatch>>,
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring::with_clock(Arc::new(SystemClock))
    }
}

/// A held key, and when it is dropped if it was retired.
#[derive(Clone)]
struct Slot {
    entry: Arc<KeyEntry>,
    retired_until: Option<SystemTime>,
}

impl Slot {
    fn expired(&self, now: SystemTime) -> bool {
        self.retired_until.is_some_and(|until| until <= now)
    }
}

/// A retired key still held by a keyring (see [`Keyring::retire`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetiredKey {
    /// The key id.
    pub key_id: String,
    /// When the keyring drops the key.
    pub expires_at: SystemTime,
}

/// One key: its AES-GCM state (round keys and GHASH table, wiped on drop: see
/// `crate::aead`) and a one-way fingerprint of the secret, so re-adding a key id with a
/// different secret is caught.
pub(crate) struct KeyEntry {
    pub(crate) cipher: AeadKey,
    fingerprint: [u8; 32],
    /// The secret itself, for a host that runs AES-GCM with its own implementation
    /// (`crate::host_aead`); wiped on drop.
    #[cfg(feature = "host-aead")]
    pub(crate) secret: WebhookSecret,
    /// Unique per entry in this process: lets a host cache its own key object per entry.
    #[cfg(feature = "host-aead")]
    pub(crate) generation: u64,
}

impl KeyEntry {
    fn new(secret: &WebhookSecret) -> Result<Self, WebhookError> {
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        hasher.update(b"kompliant-webhooks keyring fingerprint v1\0");
        hasher.update(secret.expose_bytes());
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(hasher.finish().as_ref());
        Ok(KeyEntry {
            cipher: AeadKey::new(secret.expose_bytes())?,
            fingerprint,
            #[cfg(feature = "host-aead")]
            secret: secret.clone(),
            #[cfg(feature = "host-aead")]
            generation: crate::host_aead::next_generation(),
        })
    }
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Keyring::default()
    }

    /// An empty keyring whose retired keys expire on `clock` (a
    /// [`ManualClock`](crate::ManualClock) in tests).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Keyring {
            keys: Arc::default(),
            clock,
            watch: None,
        }
    }

    /// Adds the key `key_id`. Adding a key id again with the same secret changes nothing,
    /// except that a retired key is no longer retired (it is kept until removed).
    ///
    /// # Errors
    /// `INVALID_KEY` if `key_id` is empty, longer than 128 bytes, or has characters other
    /// than ASCII letters, digits, `_`, `-` and `.`; or if the keyring already holds `key_id`
    /// with a DIFFERENT secret. Key ids are unique only within one Kompliant account (every
    /// account's first key of a day is `whk_<day>_01`), so that usually means two accounts'
    /// keys in one keyring: keep one keyring per account. To replace a key on purpose,
    /// [`Keyring::remove`] it first.
    pub fn add(&self, key_id: &str, secret: &WebhookSecret) -> Result<(), WebhookError> {
        check_key_id(key_id)?;
        let entry = KeyEntry::new(secret)?;
        let mut keys = self.write();
        if let Some(existing) = keys.get_mut(key_id) {
            if existing.entry.fingerprint == entry.fingerprint {
                existing.retired_until = None;
                return Ok(());
            }
            return Err(WebhookError::invalid_key(
                Some(key_id),
                "the keyring already holds this key id with a different secret (key ids are unique per account only: keep one keyring per account, or remove the key first to replace it)",
            ));
        }
        keys.insert(
            key_id.to_owned(),
            Slot {
                entry: Arc::new(entry),
                retired_until: None,
            },
        );
        Ok(())
    }

    /// Adds the key `key_id` from its base64 secret (see [`Keyring::add`]).
    ///
    /// # Errors
    /// `INVALID_KEY` for a bad key id, or a secret that is not base64 of exactly 32 bytes.
    pub fn add_base64(&self, key_id: &str, secret_base64: &str) -> Result<(), WebhookError> {
        check_key_id(key_id)?;
        let secret =
            WebhookSecret::from_base64(secret_base64).map_err(|e| with_key_id(e, key_id))?;
        self.add(key_id, &secret)
    }

    /// Adds a key from its raw 32 bytes (see [`Keyring::add`]); an error names `key_id`.
    ///
    /// # Errors
    /// `INVALID_KEY` for a malformed key id or a secret that is not 32 bytes; as
    /// [`Keyring::add`] otherwise.
    pub fn add_bytes(&self, key_id: &str, secret: &[u8]) -> Result<(), WebhookError> {
        check_key_id(key_id)?;
        let secret = WebhookSecret::from_bytes(secret).map_err(|e| with_key_id(e, key_id))?;
        self.add(key_id, &secret)
    }

    /// Removes the key `key_id` at once; returns whether it was present. After a rotation,
    /// prefer [`Keyring::retire`]: redeliveries still carry the old key id.
    pub fn remove(&self, key_id: &str) -> bool {
        self.write().remove(key_id).is_some()
    }

    /// Retires the key `key_id`: it still decrypts webhooks for `keep_for` (from now), then
    /// the keyring drops it. Pass
    /// [`DEFAULT_RETIRED_KEY_RETENTION`](crate::decided::DEFAULT_RETIRED_KEY_RETENTION)
    /// (7 days, Kompliant's retry horizon) unless you know better. Retiring a retired key
    /// again sets a new expiry; [`Keyring::add`] with the same secret cancels the
    /// retirement. Returns whether the key was held.
    pub fn retire(&self, key_id: &str, keep_for: Duration) -> bool {
        self.retire_at(key_id, system_later(self.clock.system_now(), keep_for))
    }

    /// As [`Keyring::retire`], dropping the key at wall-clock time `expires_at` (a time in
    /// the past drops it at the next access).
    pub fn retire_at(&self, key_id: &str, expires_at: SystemTime) -> bool {
        match self.write().get_mut(key_id) {
            Some(slot) => {
                slot.retired_until = Some(expires_at);
                true
            }
            None => false,
        }
    }

    /// The retired keys still held, with their expiry, sorted by key id.
    pub fn retired_keys(&self) -> Vec<RetiredKey> {
        self.read()
            .iter()
            .filter_map(|(key_id, slot)| {
                slot.retired_until.map(|expires_at| RetiredKey {
                    key_id: key_id.clone(),
                    expires_at,
                })
            })
            .collect()
    }

    /// Whether the keyring holds `key_id` (a retired key until its expiry).
    pub fn contains(&self, key_id: &str) -> bool {
        self.read().contains_key(key_id)
    }

    /// The key ids held, sorted (retired keys included until their expiry).
    pub fn key_ids(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Number of keys held (retired keys included until their expiry).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the keyring is empty.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Loads a keyring from the text of a keyring file: a JSON object
    /// `{"whk_20251021_01": "<base64 secret>", ...}`, where a key rotated out may be
    /// `{"secret": "<base64>", "retired_at": "<RFC 3339>"}` (the format
    /// [`add_to_keyring_file`](crate::add_to_keyring_file) writes; see
    /// [`keyring_file`](crate::keyring_file)). Retired keys are held like the others: they
    /// still decrypt redeliveries, until a writer removes them from the file.
    ///
    /// # Errors
    /// `INVALID_KEY` if the text is not such an object (duplicate key ids included), any key
    /// id, secret or retirement time is invalid, or it holds no key (a keyring that accepts
    /// nothing would answer every webhook 503). Messages never quote the secrets.
    pub fn from_json(json: &str) -> Result<Self, WebhookError> {
        let keyring = Keyring::new();
        keyring.replace_from_json(json)?;
        Ok(keyring)
    }

    /// Loads a keyring from a keyring file (see [`Keyring::from_json`]). To follow a file
    /// that changes while the receiver runs (a rotation by another process), use
    /// [`Keyring::watch`].
    ///
    /// # Errors
    /// `IO_ERROR` if the file cannot be read; `INVALID_KEY` if the path is not a regular
    /// file (a directory, a FIFO: never opened), the file is not UTF-8, or as
    /// [`Keyring::from_json`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, WebhookError> {
        let path = path.as_ref();
        let (text, _) = read_keyring_file(path)?;
        Keyring::from_json(&text).map_err(|e| in_file(e, path))
    }

    /// Replaces every key with those of the keyring file text `json`, or changes nothing on
    /// error. The new keys are built before the map is locked, which is held only to swap.
    pub(crate) fn replace_from_json(&self, json: &str) -> Result<(), WebhookError> {
        let loaded = Keyring::new();
        for key in parse_keyring_json(json)? {
            loaded.add_base64(&key.key_id, &key.secret)?;
        }
        if loaded.is_empty() {
            return Err(WebhookError::invalid_key(
                None,
                "the keyring holds no key: add the secret of the account's ACTIVE webhook key (e.g. `kompliant keys rotate --keyring <file>`, or add_to_keyring_file)",
            ));
        }
        let keys =
            std::mem::take(&mut *loaded.keys.write().unwrap_or_else(PoisonError::into_inner));
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(())
    }

    /// Loads every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of the process
    /// environment as key `whk_<YYYYMMDD>_<NN>`.
    ///
    /// # Errors
    /// `INVALID_KEY` if a variable has the prefix but not the `<YYYYMMDD>_<NN>` suffix, or
    /// its value is not a valid secret (a typo must not silently drop a key).
    pub fn from_env() -> Result<Self, WebhookError> {
        Keyring::from_env_vars(std::env::vars_os())
    }

    /// As [`Keyring::from_env`], from the given `(name, value)` pairs.
    ///
    /// # Errors
    /// As [`Keyring::from_env`].
    pub fn from_env_vars<I>(vars: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let keyring = Keyring::new();
        for (name, value) in vars {
            let Some(suffix) = name
                .to_str()
                .and_then(|n| n.strip_prefix(ENV_SECRET_PREFIX))
            else {
                continue;
            };
            let key_id = key_id_from_env_suffix(suffix).ok_or_else(|| {
                WebhookError::invalid_key(
                    None,
                    format!(
                        "environment variable {ENV_SECRET_PREFIX}{suffix} does not end in <YYYYMMDD>_<NN> (e.g. {ENV_SECRET_PREFIX}20251021_01)"
                    ),
                )
            })?;
            let value = Zeroizing::new(value.into_string().map_err(|_| {
                WebhookError::invalid_key(
                    Some(&key_id),
                    format!("environment variable {ENV_SECRET_PREFIX}{suffix} is not valid UTF-8"),
                )
            })?);
            keyring.add_base64(&key_id, &value)?;
        }
        if keyring.is_empty() {
            return Err(WebhookError::invalid_key(
                None,
                format!(
                    "no {ENV_SECRET_PREFIX}<YYYYMMDD>_<NN> environment variable is set: set one per webhook key (e.g. {ENV_SECRET_PREFIX}20251021_01=<base64 secret> for key whk_20251021_01), or load a keyring file"
                ),
            ));
        }
        Ok(keyring)
    }

    /// The key `key_id`, if held (a retired key past its expiry is dropped here). The clock
    /// is read only for a retired key.
    pub(crate) fn entry(&self, key_id: &str) -> Option<Arc<KeyEntry>> {
        let Some(watch) = &self.watch else {
            return self.held_entry(key_id);
        };
        watch.refresh(self, Check::IfDue);
        self.held_entry(key_id).or_else(|| {
            // Perhaps stored a moment ago by a rotation: look at the file now.
            watch.refresh(self, Check::Now);
            self.held_entry(key_id)
        })
    }

    /// The key ids held, without looking at a watched file (for its own report).
    pub(crate) fn key_ids_unwatched(&self) -> Vec<String> {
        self.lock_read().keys().cloned().collect()
    }

    /// [`Keyring::entry`] among the keys held now.
    fn held_entry(&self, key_id: &str) -> Option<Arc<KeyEntry>> {
        let (until, entry) = {
            let keys = self.lock_read();
            let slot = keys.get(key_id)?;
            match slot.retired_until {
                None => return Some(Arc::clone(&slot.entry)),
                Some(until) => (until, Arc::clone(&slot.entry)),
            }
        };
        if until > self.clock.system_now() {
            return Some(entry);
        }
        // Expired: drop it (and any other expired key). Looked up again, in case another
        // thread re-added it meanwhile.
        self.write().get(key_id).map(|slot| Arc::clone(&slot.entry))
    }

    /// The map for reading, with every retired key past its expiry dropped first.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Slot>> {
        if let Some(watch) = &self.watch {
            watch.refresh(self, Check::IfDue);
        }
        let keys = self.lock_read();
        if !keys.values().any(|slot| slot.retired_until.is_some()) {
            return keys;
        }
        let now = self.clock.system_now();
        if !keys.values().any(|slot| slot.expired(now)) {
            return keys;
        }
        drop(keys);
        drop(self.write());
        self.lock_read()
    }

    fn lock_read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Slot>> {
        // A panic while holding the lock cannot leave the map half-updated (every write is
        // a single insert, remove or field update), so a poisoned lock is still safe to use.
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The map for writing, with every retired key past its expiry dropped first.
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Slot>> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.values().any(|slot| slot.retired_until.is_some()) {
            let now = self.clock.system_now();
            keys.retain(|_, slot| !slot.expired(now));
        }
        keys
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.read().keys().map(|k| (k, "[REDACTED]")))
            .finish()
    }
}

/// Checks the shape of a key id handed to a keyring.
pub(crate) fn check_key_id(key_id: &str) -> Result<(), WebhookError> {
    let well_formed = !key_id.is_empty()
        && key_id.len() <= MAX_KEY_ID_LEN
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if well_formed {
        Ok(())
    } else {
        // The rejected text is not echoed: a secret passed as the key id by mistake (too long
        // for a key id in every spelling) would otherwise end up in logs.
        Err(WebhookError::invalid_key(
            None,
            format!(
                "a key id of {} bytes was refused: key ids are 1-{MAX_KEY_ID_LEN} ASCII letters, digits, '_', '-' or '.' (is the key id swapped with the secret?)",
                key_id.len()
            ),
        ))
    }
}

/// `20251021_01` → `whk_20251021_01`; `None` unless that is a Kompliant key id
/// ([`is_kompliant_key_id`]).
fn key_id_from_env_suffix(suffix: &str) -> Option<String> {
    let key_id = format!("{KEY_ID_PREFIX}{suffix}");
    is_kompliant_key_id(&key_id).then_some(key_id)
}

/// Whether `key_id` has the shape Kompliant gives its key ids: `whk_YYYYMMDD_NN`, eight date
/// digits and a per-day sequence of 2 to 9 digits (`KEY_SEQUENCE_MIN_DIGITS`; at most 100 keys
/// a day need 3). A keyring accepts any well-formed id (`check_key_id`); this shape is
/// required where the SDK reads Kompliant's names: key ids in environment variable names, and
/// the simulator's API.
pub fn is_kompliant_key_id(key_id: &str) -> bool {
    let Some((date, seq)) = key_id
        .strip_prefix(KEY_ID_PREFIX)
        .and_then(|rest| rest.split_once('_'))
    else {
        return false;
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    date.len() == 8
        && digits(date)
        && (KEY_SEQUENCE_MIN_DIGITS..=KEY_SEQUENCE_MAX_DIGITS).contains(&seq.len())
        && digits(seq)
}

/// An `INVALID_KEY` error about the content of the keyring file `path`, saying which file.
pub(crate) fn in_file(err: WebhookError, path: &Path) -> WebhookError {
    match err {
        WebhookError::InvalidKey { key_id, detail } => WebhookError::InvalidKey {
            key_id,
            detail: format!("keyring file {}: {detail}", path.display()),
        },
        other => other,
    }
}

fn with_key_id(err: WebhookError, key_id: &str) -> WebhookError {
    match err {
        WebhookError::InvalidKey { detail, .. } => WebhookError::invalid_key(Some(key_id), detail),
        other => other,
    }
}

/// A serde_json error's category, without its text (which can quote the input).
pub(crate) fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "JSON syntax error",
        serde_json::error::Category::Data => "unexpected JSON structure",
        serde_json::error::Category::Eof => "unexpected end of JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kompliant_key_id_shape() {
        for ok in [
            "whk_20251121_01",
            "whk_20251121_100",
            "whk_20251121_123456789",
        ] {
            assert!(is_kompliant_key_id(ok), "{ok}");
        }
        for bad in [
            "whk_20251121_1",
            "whk_2025112_01",
            "wk_20251121_01",
            "whk_20251121",
            "whk_20251121_0a",
            "whk_20251121_01_",
            "whk_20251121_1234567890",
            "WHK_20251121_01",
        ] {
            assert!(!is_kompliant_key_id(bad), "{bad}");
        }
    }
    use crate::error::ErrorCode;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    fn b64(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn loads_json_with_several_keys() {
        let json = format!(
            r#"{{"whk_20251021_01":"{}","whk_20251121_02":"{}"}}"#,
            b64(1),
            b64(2)
        );
        let k = Keyring::from_json(&json).unwrap();
        assert_eq!(k.key_ids(), ["whk_20251021_01", "whk_20251121_02"]);
        assert!(k.remove("whk_20251021_01"));
        assert!(!k.remove("whk_20251021_01"));
        assert_eq!(k.len(), 1);
    }

    #[test]
    fn refuses_documents_that_are_not_an_object_of_strings_without_echoing_them() {
        for bad in [
            "[]".to_owned(),
            format!("\"{}\"", b64(9)),
            r#"{"whk_1": 5}"#.to_owned(),
            format!(r#"{{"whk_1":"{0}","whk_1":"{0}"}}"#, b64(9)),
            "{".to_owned(),
            format!(r#"{{"whk_1":"{}"}} trailing"#, b64(9)),
        ] {
            let err = Keyring::from_json(&bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{bad}");
            assert!(!err.to_string().contains(&b64(9)), "{err}");
        }
    }

    #[test]
    fn wrong_length_secret_names_the_key() {
        let json = format!(r#"{{"whk_20251021_01":"{}"}}"#, STANDARD.encode([1u8; 31]));
        let err = Keyring::from_json(&json).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(err.to_string().contains("whk_20251021_01"));
        assert!(err.to_string().contains("31 bytes"));
    }

    #[test]
    fn env_vars_become_key_ids() {
        let vars = [
            ("PATH".into(), "/bin".into()),
            ("KOMPLIANT_WEBHOOK_SECRET_20251021_01".into(), b64(1).into()),
            (
                "KOMPLIANT_WEBHOOK_SECRET_20251121_100".into(),
                format!("{}\n", b64(2)).into(),
            ),
        ];
        let k = Keyring::from_env_vars(vars).unwrap();
        assert_eq!(k.key_ids(), ["whk_20251021_01", "whk_20251121_100"]);
    }

    #[test]
    fn no_key_variable_is_an_error_naming_what_to_set() {
        let err = Keyring::from_env_vars([("PATH".into(), "/bin".into())]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(
            err.to_string()
                .contains("KOMPLIANT_WEBHOOK_SECRET_20251021_01=<base64 secret>"),
            "{err}"
        );
        let err = Keyring::from_json(" { } ").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(err.to_string().contains("holds no key"), "{err}");
        // An empty keyring built on purpose is fine.
        assert!(Keyring::new().is_empty());
    }

    #[test]
    fn env_var_with_a_bad_suffix_is_an_error_not_a_silent_skip() {
        for name in [
            "KOMPLIANT_WEBHOOK_SECRET_2025102_01",
            "KOMPLIANT_WEBHOOK_SECRET_20251021_1",
            "KOMPLIANT_WEBHOOK_SECRET_20251021",
            "KOMPLIANT_WEBHOOK_SECRET_",
        ] {
            let err = Keyring::from_env_vars([(name.into(), b64(1).into())]).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{name}");
        }
    }

    #[test]
    fn bad_key_ids_are_refused() {
        let s = WebhookSecret::from_bytes(&[1; 32]).unwrap();
        for id in ["", "has space", "ключ", &"x".repeat(MAX_KEY_ID_LEN + 1)] {
            assert_eq!(
                Keyring::new().add(id, &s).unwrap_err().code(),
                ErrorCode::InvalidKey
            );
        }
        assert!(Keyring::new().add(&"x".repeat(MAX_KEY_ID_LEN), &s).is_ok());
    }

    #[test]
    fn add_bytes_names_the_key_id_of_a_bad_secret() {
        let k = Keyring::new();
        let err = k.add_bytes("whk_20251021_01", &[7; 31]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(
            matches!(&err, WebhookError::InvalidKey { key_id: Some(id), .. } if id == "whk_20251021_01"),
            "{err:?}"
        );
        k.add_bytes("whk_20251021_01", &[7; 32]).unwrap();
        assert!(k.contains("whk_20251021_01"));
    }

    #[test]
    fn a_secret_swapped_into_the_key_id_is_refused_in_every_spelling_and_never_echoed() {
        let secret = WebhookSecret::from_bytes(&[0xa7; 32]).unwrap();
        for spelling in secret.spellings().iter() {
            let err = Keyring::new().add(spelling, &secret).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidKey);
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(spelling.as_str()), "{shown}");
            let json = format!("{{\"{}\": \"not a secret\"}}", spelling.as_str());
            let err = Keyring::from_json(&json).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(spelling.as_str()), "{shown}");
        }
    }

    #[test]
    fn debug_lists_ids_and_redacts_secrets() {
        let k = Keyring::new();
        k.add_base64("whk_20251021_01", &b64(0x41)).unwrap();
        let dbg = format!("{k:?}");
        assert!(dbg.contains("whk_20251021_01"));
        assert!(dbg.contains("[REDACTED]"));
        assert!(!dbg.contains(&b64(0x41)));
        assert!(!dbg.contains("65, 65"));
    }

    #[test]
    fn a_key_id_with_a_different_secret_is_refused_and_the_same_secret_is_a_no_op() {
        let k = Keyring::new();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        let err = k.add_base64("whk_20251021_01", &b64(2)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(err.to_string().contains("one keyring per account"), "{err}");
        assert!(k.remove("whk_20251021_01"));
        k.add_base64("whk_20251021_01", &b64(2)).unwrap();
    }

    #[test]
    fn a_secret_passed_as_key_id_is_not_echoed() {
        let err = Keyring::new()
            .add_base64(&b64(7), "whk_20251021_01")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(!err.to_string().contains(&b64(7)), "{err}");
        assert!(!format!("{err:?}").contains(&b64(7)));
    }

    #[test]
    fn key_material_is_wiped_on_drop() {
        // The secret itself; the AES key schedule is checked in crate::aead's tests.
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<WebhookSecret>();
    }

    fn clocked() -> (Keyring, Arc<crate::clock::ManualClock>) {
        let clock = Arc::new(crate::clock::ManualClock::new());
        (Keyring::with_clock(clock.clone()), clock)
    }

    #[test]
    fn a_retired_key_decrypts_until_its_expiry_then_is_dropped() {
        let (k, clock) = clocked();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        k.add_base64("whk_20251121_01", &b64(2)).unwrap();
        let keep = Duration::from_secs(7 * 24 * 3600);
        let retired_at = clock.system_now();
        assert!(k.retire("whk_20251021_01", keep));
        assert!(!k.retire("whk_19990101_01", keep));
        assert_eq!(
            k.retired_keys(),
            [RetiredKey {
                key_id: "whk_20251021_01".into(),
                expires_at: retired_at + keep,
            }]
        );
        clock.advance(keep - Duration::from_secs(1));
        assert!(k.entry("whk_20251021_01").is_some());
        assert_eq!(k.len(), 2);
        clock.advance(Duration::from_secs(1));
        assert!(k.entry("whk_20251021_01").is_none());
        assert_eq!(k.key_ids(), ["whk_20251121_01"]);
        assert!(k.retired_keys().is_empty());
        // Dropped for good: another secret may now take the id.
        k.add_base64("whk_20251021_01", &b64(3)).unwrap();
    }

    #[test]
    fn every_access_drops_expired_keys() {
        let (k, clock) = clocked();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        k.retire("whk_20251021_01", Duration::from_secs(60));
        let clone = k.clone();
        clock.advance(Duration::from_secs(60));
        assert!(!clone.contains("whk_20251021_01"));
        assert!(k.is_empty());
        assert_eq!(format!("{k:?}"), "{}");
        // The expired slot is gone from the shared map, not only hidden.
        assert!(k.lock_read().is_empty());
    }

    #[test]
    fn re_adding_a_retired_key_cancels_the_retirement_and_retiring_again_resets_it() {
        let (k, clock) = clocked();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        k.retire("whk_20251021_01", Duration::from_secs(60));
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        assert!(k.retired_keys().is_empty());
        clock.advance(Duration::from_secs(3600));
        assert!(k.contains("whk_20251021_01"));

        k.retire("whk_20251021_01", Duration::from_secs(60));
        k.retire("whk_20251021_01", Duration::from_secs(600));
        clock.advance(Duration::from_secs(300));
        assert!(k.contains("whk_20251021_01"));
        let at = clock.system_now() - Duration::from_secs(1);
        assert!(k.retire_at("whk_20251021_01", at));
        assert!(!k.contains("whk_20251021_01"));
    }

    #[test]
    fn an_absurd_retention_keeps_the_key_instead_of_panicking() {
        let (k, clock) = clocked();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        assert!(k.retire("whk_20251021_01", Duration::MAX));
        clock.advance(Duration::from_secs(100 * 365 * 24 * 3600));
        assert!(k.contains("whk_20251021_01"));
    }

    #[test]
    fn clones_share_keys() {
        let k = Keyring::new();
        let clone = k.clone();
        k.add_base64("whk_20251021_01", &b64(1)).unwrap();
        assert!(clone.contains("whk_20251021_01"));
    }
}
