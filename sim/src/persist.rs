//! The optional state file: accounts, keys and live configs as JSON, loaded at start and
//! replaced atomically (temporary file in the same directory, fsync, rename, fsync of the
//! directory), mode 0600 because it holds secrets. Pending deliveries, the delivery log and
//! fault switches are not persisted.
//!
//! Hygiene: deleted configs are not kept at all (a deleted config answers exactly as an
//! unknown one, 404 `ENTITY_NOT_FOUND`), a DELETED key keeps its record but not its secret
//! (nothing seals with it again: retries and redeliveries reuse the envelope sealed at trigger
//! time), and the temporary files a killed writer left are removed at start.
//!
//! Writes are coalesced by a [`StateWriter`]: each change hands it the serialised state; a
//! key change is written before its answer is sent ([`Durability::Now`]: the caller holds a
//! secret or an activation the file must not lose), a config change is written by a
//! background thread at most once per [`STATE_WRITE_INTERVAL`] ([`Durability::Soon`]), so a
//! burst costs one write per interval. `kill -9` can lose at most the config changes of the
//! last interval; the file on disk is always a complete old or a complete new state.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::Account;
use crate::decided::{OLDEST_STATE_FILE_FORMAT, STATE_FILE_FORMAT, STATE_WRITE_INTERVAL};
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

/// Reads the state file; `None` if it does not exist. Removes the temporary files a killed
/// writer of it left behind first (each holds a copy of every secret), and drops what an
/// older simulator kept needlessly (deleted configs, the secrets of DELETED keys).
pub(crate) fn load(path: &Path) -> Result<Option<(Vec<Account>, Store)>, SimError> {
    let err = |detail: String| SimError::StateFile {
        path: path.display().to_string(),
        detail,
    };
    match kompliant_webhooks::shared::remove_leftover_temps(path) {
        Ok(_) => {}
        // No directory yet: there is nothing to remove, and writing will say what is wrong.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(err(format!(
                "cannot remove its leftover temporary files: {e}"
            )))
        }
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(format!("cannot read it: {e}"))),
    };
    let mut state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
        // serde's text can quote a value (a secret): keep only the category and position.
        err(format!(
            "not a simulator state file ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    if !(OLDEST_STATE_FILE_FORMAT..=STATE_FILE_FORMAT).contains(&state.format) {
        return Err(err(format!(
            "format {} is not a supported format ({OLDEST_STATE_FILE_FORMAT} to {STATE_FILE_FORMAT})",
            state.format
        )));
    }
    for (account_id, data) in &mut state.data {
        data.prune()
            .map_err(|key_id| err(format!("key {key_id} of {account_id} has no secret")))?;
    }
    Ok(Some((state.accounts, state.data)))
}

/// The state as the file holds it.
pub(crate) fn encode(accounts: &[Account], data: &Store) -> io::Result<Zeroizing<Vec<u8>>> {
    let text = serde_json::to_vec_pretty(&StateFileRef {
        format: STATE_FILE_FORMAT,
        accounts,
        data,
    })
    .map_err(io::Error::other)?;
    Ok(Zeroizing::new(text))
}

/// Replaces the state file atomically with the given state.
pub(crate) fn save(path: &Path, accounts: &[Account], data: &Store) -> io::Result<()> {
    kompliant_webhooks::shared::write_private_file(path, &encode(accounts, data)?)
}

/// When a change must be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Before the change is answered (key creation and activation).
    Now,
    /// Within [`STATE_WRITE_INTERVAL`] (config changes), coalesced with the changes around it.
    Soon,
}

/// Writes the state file for a running simulator: the newest state handed to it, atomically,
/// at most once per [`STATE_WRITE_INTERVAL`] for [`Durability::Soon`] changes, at once for
/// [`Durability::Now`] ones. Closing it (or dropping it) writes what is pending; from then on
/// every change is written at once.
pub(crate) struct StateWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    path: PathBuf,
    /// The newest state not yet written. Lock order: `disk` before `pending`.
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Held while the file is written, so writes land in the order of their states.
    disk: Mutex<Disk>,
    /// Writes that replaced the file, for tests.
    writes: AtomicU64,
}

#[derive(Default)]
struct Pending {
    /// The newest state and its sequence number.
    state: Option<(u64, Zeroizing<Vec<u8>>)>,
    /// Sequence number of the last state handed over.
    last_seq: u64,
    /// Closed: no background writes any more; every change is written at once.
    closed: bool,
    /// The last write failed: changes are written at once (and refused if they cannot be)
    /// until one succeeds.
    failing: bool,
}

struct Disk {
    /// Sequence number of the state on disk.
    written: u64,
    /// When the last write was attempted.
    last_attempt: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StateWriter {
    /// A writer of `path` (already written with the initial state), with its thread.
    pub fn start(path: PathBuf) -> io::Result<StateWriter> {
        let shared = Arc::new(Shared {
            path,
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            disk: Mutex::new(Disk {
                written: 0,
                last_attempt: Some(Instant::now()),
            }),
            writes: AtomicU64::new(0),
        });
        let thread = std::thread::Builder::new()
            .name("kompliant-sim-state".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run()
            })?;
        Ok(StateWriter {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands over the new state `bytes` (call it while holding the store lock, so states are
    /// handed over in the order they were made). With [`Durability::Now`], or while writes
    /// fail, or once closed, returns after the file holds this state (or a newer one).
    pub fn write(&self, bytes: Zeroizing<Vec<u8>>, durability: Durability) -> io::Result<()> {
        let (seq, at_once) = {
            let mut p = lock(&self.shared.pending);
            p.last_seq += 1;
            let seq = p.last_seq;
            p.state = Some((seq, bytes));
            (seq, durability == Durability::Now || p.failing || p.closed)
        };
        if at_once {
            self.shared.write_pending(seq)
        } else {
            self.shared.wake.notify_all();
            Ok(())
        }
    }

    /// Replaces the pending state without writing it (after a change was undone).
    pub fn replace_pending(&self, bytes: Zeroizing<Vec<u8>>) {
        let mut p = lock(&self.shared.pending);
        p.last_seq += 1;
        p.state = Some((p.last_seq, bytes));
    }

    /// Stops the background thread and writes what is pending. Idempotent.
    pub fn close(&self) -> io::Result<()> {
        let seq = {
            let mut p = lock(&self.shared.pending);
            p.closed = true;
            p.last_seq
        };
        self.shared.wake.notify_all();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        self.shared.write_pending(seq)
    }

    /// Writes that replaced the file since start (the initial write excluded).
    pub fn writes(&self) -> u64 {
        self.shared.writes.load(Ordering::Relaxed)
    }
}

impl Drop for StateWriter {
    fn drop(&mut self) {
        // Nobody to report to: a failed final write leaves the previous complete file.
        let _ = self.close();
    }
}

impl Shared {
    /// The background thread: waits for a pending state, then for the interval since the
    /// last write to pass, and writes the newest state. A failed write is retried an
    /// interval later.
    fn run(&self) {
        loop {
            {
                let mut p = lock(&self.pending);
                while p.state.is_none() && !p.closed {
                    p = self.wake.wait(p).unwrap_or_else(PoisonError::into_inner);
                }
                if p.closed {
                    return;
                }
            }
            let last = lock(&self.disk).last_attempt;
            let due = last.map_or_else(Instant::now, |at| at + STATE_WRITE_INTERVAL);
            {
                let mut p = lock(&self.pending);
                loop {
                    let now = Instant::now();
                    if p.closed {
                        return;
                    }
                    if now >= due {
                        break;
                    }
                    p = self
                        .wake
                        .wait_timeout(p, due - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
            let seq = lock(&self.pending).last_seq;
            // The error is kept in `failing`: the next change is written at once and reports it.
            let _ = self.write_pending(seq);
        }
    }

    /// Makes the file hold state `seq` or a newer one: writes the pending state unless a
    /// newer or equal one is on disk already.
    fn write_pending(&self, seq: u64) -> io::Result<()> {
        let mut disk = lock(&self.disk);
        if disk.written >= seq {
            return Ok(());
        }
        let Some((newest, bytes)) = lock(&self.pending).state.take() else {
            return Ok(());
        };
        disk.last_attempt = Some(Instant::now());
        let result = kompliant_webhooks::shared::write_private_file(&self.path, &bytes);
        let mut p = lock(&self.pending);
        match result {
            Ok(()) => {
                disk.written = newest;
                p.failing = false;
                self.writes.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                p.failing = true;
                if p.state.is_none() {
                    p.state = Some((newest, bytes));
                }
            }
        }
        result
    }
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
        assert_eq!(d.key(&key_id).unwrap().secret, Some(secret));
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
            r#"{"format":3,"accounts":[]}"#.to_owned(),
            r#"{"format":0,"accounts":[]}"#.to_owned(),
            // A key that is not DELETED must have its secret.
            r#"{"format":2,"accounts":[],"data":{"sb_1":{"keys":[{"key_id":"whk_20251121_01","status":"ACTIVE","created_at":"x"}]}}}"#.to_owned(),
            r#"{"format":1,"accounts":[{"account_id":"sb_1","api_key":"k","secret_key":"SECRETSECRET","auth_token":5}]}"#.to_owned(),
        ] {
            fs::write(&path, &bad).unwrap();
            let err = load(&path).err().unwrap();
            assert!(matches!(err, SimError::StateFile { .. }), "{bad}");
            assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
        }
    }

    #[test]
    fn a_format_1_file_loses_deleted_configs_and_deleted_key_secrets_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let account = Account::generate_sandbox();
        let secret = WebhookSecret::generate().unwrap();
        let b64 = secret.to_base64();
        let text = serde_json::json!({
            "format": 1,
            "accounts": [account],
            "data": {account.account_id.clone(): {
                "keys": [
                    {"key_id": "whk_20251121_01", "secret": b64.as_str(), "status": "DELETED",
                     "created_at": "2025-11-21T01:00:00.000Z", "deleted_at": "2025-11-21T02:00:00.000Z"},
                    {"key_id": "whk_20251121_02", "secret": b64.as_str(), "status": "ACTIVE",
                     "created_at": "2025-11-21T01:00:00.000Z", "activated_at": "2025-11-21T02:00:00.000Z"}
                ],
                "configs": [
                    {"config_id": "whc_gone", "url": "https://gone.example/",
                     "created_at": "2025-11-21T01:00:00.000Z", "deleted_at": "2025-11-21T01:30:00.000Z"},
                    {"config_id": "whc_live", "url": "https://live.example/",
                     "created_at": "2025-11-21T01:00:00.000Z"}
                ]
            }}
        });
        fs::write(&path, text.to_string()).unwrap();
        let (accounts, store) = load(&path).unwrap().unwrap();
        let d = store.get(&account.account_id).unwrap();
        assert!(d.key("whk_20251121_01").unwrap().secret.is_none());
        assert_eq!(d.key("whk_20251121_02").unwrap().secret, Some(secret));
        let ids: Vec<&str> = d.live_configs().map(|c| c.config_id.as_str()).collect();
        assert_eq!(ids, ["whc_live"]);
        save(&path, &accounts, &store).unwrap();
        let written = fs::read_to_string(&path).unwrap();
        assert!(
            !written.contains("whc_gone") && !written.contains("deleted_at\": \"2025-11-21T01:30")
        );
        assert_eq!(
            written.matches(b64.as_str()).count(),
            1,
            "only the live key's secret"
        );
        assert!(written.contains("\"format\": 2"), "{written}");
    }

    #[test]
    fn leftover_temporary_files_are_removed_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let leftover = dir.path().join(".state.json.0123456789abcdef.tmp");
        fs::write(&leftover, "secrets").unwrap();
        assert!(load(&path).unwrap().is_none());
        assert!(!leftover.exists());
    }

    #[test]
    fn a_burst_of_coalesced_states_is_one_write_and_close_writes_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "initial").unwrap();
        let writer = StateWriter::start(path.clone()).unwrap();
        // Within the interval of the start-up write: nothing is written before it ends.
        for n in 0..200 {
            writer
                .write(
                    Zeroizing::new(format!("{n}").into_bytes()),
                    Durability::Soon,
                )
                .unwrap();
        }
        assert!(writer.writes() <= 1, "{}", writer.writes());
        writer.close().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "199");
        assert!(writer.writes() <= 2, "{}", writer.writes());
        // Once closed, each state is written at once.
        writer
            .write(Zeroizing::new(b"after".to_vec()), Durability::Soon)
            .unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "after");
    }

    #[test]
    fn a_durable_state_is_on_disk_when_write_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let writer = StateWriter::start(path.clone()).unwrap();
        writer
            .write(Zeroizing::new(b"soon".to_vec()), Durability::Soon)
            .unwrap();
        writer
            .write(Zeroizing::new(b"now".to_vec()), Durability::Now)
            .unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "now");
        // The coalesced one was superseded, not written after it.
        std::thread::sleep(STATE_WRITE_INTERVAL * 3);
        assert_eq!(fs::read_to_string(&path).unwrap(), "now");
        assert_eq!(writer.writes(), 1);
    }
}
