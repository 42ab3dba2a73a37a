//! A keyring that follows its file: [`Keyring::watch`]. A running receiver picks up a key
//! another process added (a rotation), retired or removed, without a restart.
//!
//! How it stays cheap and never blocks a request:
//! - a lookup checks the file at most once per interval (1 s by default): one atomic read
//!   of the time of the next check; the check itself is a `stat`, and the file is read
//!   only when its stamp (inode, size, times) changed;
//! - one thread checks at a time; the others carry on with the keys they have (`try_lock`),
//!   except a lookup of a key id the keyring does not hold, which checks at once (waiting
//!   for a check already running): a webhook sealed with a key stored a moment ago is
//!   decrypted, not answered 503; lookups that waited together share the check one of
//!   them ran, so a burst of forged key ids cannot queue a `stat` each;
//! - new keys are built before the keyring's lock is taken, which is held only to swap;
//! - a file that becomes invalid (half-written, corrupt, no keys, deleted, a directory, a
//!   FIFO: never opened) keeps the last good keys; the problem is reported once, through the
//!   listener (the language's logging in each binding), and again only after a good load.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::decided::KEYRING_WATCH_INTERVAL;
use crate::error::WebhookError;
use crate::keyring::{in_file, Keyring};
use crate::keyring_file::{read_keyring_file, FileStamp};

/// What a watched keyring reports about its file (see [`WatchOptions::on_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringFileEvent {
    /// The file changed and its keys were loaded: the key ids now held.
    Reloaded {
        /// The keyring file.
        path: String,
        /// The key ids now held, sorted.
        key_ids: Vec<String>,
    },
    /// The file changed and cannot be loaded; the keyring keeps the keys it had. Each
    /// problem is reported once: the same problem is not reported again until a good load
    /// (a file changed into another broken state is another problem).
    Problem {
        /// The keyring file.
        path: String,
        /// Why (`INVALID_KEY` or `IO_ERROR`; never quotes a secret).
        error: WebhookError,
    },
}

impl std::fmt::Display for KeyringFileEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyringFileEvent::Reloaded { path, key_ids } => {
                write!(f, "keyring file {path} reloaded: {}", key_ids.join(", "))
            }
            KeyringFileEvent::Problem { path, error } => write!(
                f,
                "keyring file {path} changed but cannot be loaded, keeping the keys loaded before: {error}"
            ),
        }
    }
}

/// A function told of each [`KeyringFileEvent`]. Called on the thread of the lookup that
/// noticed the change, with no lock held; keep it short (log and return).
pub type KeyringFileListener = Arc<dyn Fn(&KeyringFileEvent) + Send + Sync>;

/// Options of [`Keyring::watch_with`].
#[derive(Clone)]
pub struct WatchOptions {
    interval: Duration,
    listener: Option<KeyringFileListener>,
}

impl Default for WatchOptions {
    /// Checks every [`KEYRING_WATCH_INTERVAL`] (1 s); reports through the `log` crate
    /// (target `kompliant_webhooks::keyring`: reloads at `info`, problems at `warn`).
    fn default() -> Self {
        WatchOptions {
            interval: KEYRING_WATCH_INTERVAL,
            listener: None,
        }
    }
}

impl WatchOptions {
    /// Checks the file at most once per `interval` (a lookup of an unknown key id checks at
    /// once anyway). Zero checks on every lookup.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Reports reloads and problems to `listener` instead of the `log` crate.
    #[must_use]
    pub fn on_event(mut self, listener: KeyringFileListener) -> Self {
        self.listener = Some(listener);
        self
    }
}

impl std::fmt::Debug for WatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchOptions")
            .field("interval", &self.interval)
            .field("listener", &self.listener.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

/// The file a keyring follows, and what was last seen of it.
pub(crate) struct FileWatch {
    path: PathBuf,
    interval_nanos: u64,
    epoch: Instant,
    /// Nanoseconds after `epoch` when the next check is due.
    next_check: AtomicU64,
    state: Mutex<WatchState>,
    listener: Option<KeyringFileListener>,
    /// How many checks ran (tests only).
    #[cfg(test)]
    checks: AtomicU64,
}

struct WatchState {
    /// When the last check began (nanoseconds after `epoch`): a lookup that waited for the
    /// lock skips its own check if one began after it arrived (that one saw the file as it
    /// was when the lookup arrived), so a burst of unknown key ids costs one `stat`, not one
    /// each in a row.
    last_started: u64,
    /// The stamp of what was last looked at (loaded, or refused): unchanged means nothing to do.
    seen: Option<FileStamp>,
    /// The problem last reported, until a good load.
    reported: Option<WebhookError>,
}

/// Whether a check may wait for one already running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Skip if not due or if another thread is checking (every lookup).
    IfDue,
    /// Check now, waiting for a check already running (a key id the keyring lacks).
    Now,
}

impl Keyring {
    /// Loads the keyring file at `path` and follows it: a key another process adds (the
    /// store step of a rotation: [`add_to_keyring_file`](crate::add_to_keyring_file)),
    /// retires or removes is picked up by the next lookup, at most 1 s after the change, and
    /// at once by a webhook naming a key id the keyring does not hold yet. Checking is a
    /// `stat` at most once a second; the file is read only when it changed. If the file
    /// becomes invalid, the keyring keeps its last good keys and reports the problem once
    /// (through the `log` crate; see [`Keyring::watch_with`]). Clones follow the same file.
    ///
    /// The keys follow the file: keys added with [`Keyring::add`], and retirements or
    /// removals made in memory, are replaced at the next change of the file. A change is
    /// seen by its stamp (inode, size, times): a writer that renames a new file into place
    /// (this SDK, editors, Kubernetes secret volumes) is always seen; an in-place rewrite
    /// of the same size within one tick of the filesystem's timestamps may not be.
    ///
    /// # Errors
    /// As [`Keyring::from_file`]: the file must load now.
    pub fn watch(path: impl AsRef<Path>) -> Result<Keyring, WebhookError> {
        Keyring::watch_with(path, WatchOptions::default())
    }

    /// As [`Keyring::watch`], with `options` (check interval, where to report).
    ///
    /// # Errors
    /// As [`Keyring::from_file`].
    pub fn watch_with(
        path: impl AsRef<Path>,
        options: WatchOptions,
    ) -> Result<Keyring, WebhookError> {
        let path = path.as_ref();
        let (text, stamp) = read_keyring_file(path)?;
        let mut keyring = Keyring::from_json(&text).map_err(|e| in_file(e, path))?;
        let epoch = Instant::now();
        let interval_nanos = u64::try_from(options.interval.as_nanos()).unwrap_or(u64::MAX);
        keyring.watch = Some(Arc::new(FileWatch {
            path: path.to_path_buf(),
            interval_nanos,
            epoch,
            next_check: AtomicU64::new(interval_nanos),
            state: Mutex::new(WatchState {
                last_started: 0,
                seen: Some(stamp),
                reported: None,
            }),
            listener: options.listener,
            #[cfg(test)]
            checks: AtomicU64::new(0),
        }));
        Ok(keyring)
    }

    /// Whether the next lookup will look at the watched file (its interval has passed);
    /// `false` if the keyring is not watched. Bindings release their runtime's lock (e.g.
    /// Python's GIL) around a decrypt that will, so file I/O never holds it.
    pub fn file_check_due(&self) -> bool {
        self.watch.as_deref().is_some_and(FileWatch::due)
    }

    /// The file this keyring follows, if made by [`Keyring::watch`].
    pub fn watched_path(&self) -> Option<&Path> {
        self.watch.as_deref().map(|w| w.path.as_path())
    }
}

impl FileWatch {
    /// Checks the file if `check` says so, reloading `keyring` if it changed.
    pub(crate) fn refresh(&self, keyring: &Keyring, check: Check) {
        let now = self.nanos();
        let mut state = match check {
            Check::IfDue => {
                if now < self.next_check.load(Ordering::Relaxed) {
                    return;
                }
                match self.state.try_lock() {
                    Ok(state) => state,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => return,
                }
            }
            Check::Now => {
                let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                if state.last_started >= now {
                    return;
                }
                state
            }
        };
        let started = self.nanos();
        state.last_started = started;
        self.next_check.store(
            started.saturating_add(self.interval_nanos),
            Ordering::Relaxed,
        );
        let event = self.check(keyring, state);
        if let Some(event) = event {
            self.report(&event);
        }
    }

    fn due(&self) -> bool {
        self.nanos() >= self.next_check.load(Ordering::Relaxed)
    }

    fn nanos(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Looks at the file under the state lock (released before the event is reported).
    fn check(
        &self,
        keyring: &Keyring,
        mut state: std::sync::MutexGuard<'_, WatchState>,
    ) -> Option<KeyringFileEvent> {
        #[cfg(test)]
        self.checks.fetch_add(1, Ordering::Relaxed);
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| FileStamp::of(&m));
        if stamp.is_some() && stamp == state.seen {
            return None;
        }
        // The event names the file: a content error is not prefixed with it again.
        let loaded = read_keyring_file(&self.path)
            .and_then(|(text, stamp)| keyring.replace_from_json(&text).map(|()| stamp));
        let path = self.path.display().to_string();
        match loaded {
            Ok(stamp) => {
                state.seen = Some(stamp);
                state.reported = None;
                drop(state);
                Some(KeyringFileEvent::Reloaded {
                    path,
                    key_ids: keyring.key_ids_unwatched(),
                })
            }
            Err(error) => {
                state.seen = stamp;
                if state.reported.as_ref() == Some(&error) {
                    return None;
                }
                state.reported = Some(error.clone());
                drop(state);
                Some(KeyringFileEvent::Problem { path, error })
            }
        }
    }

    fn report(&self, event: &KeyringFileEvent) {
        match (&self.listener, event) {
            (Some(listener), _) => listener(event),
            (None, KeyringFileEvent::Reloaded { .. }) => {
                log::info!(target: "kompliant_webhooks::keyring", "{event}");
            }
            (None, KeyringFileEvent::Problem { .. }) => {
                log::warn!(target: "kompliant_webhooks::keyring", "{event}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::add_to_keyring_file;
    use crate::envelope::WebhookMetadata;
    use crate::error::ErrorCode;
    use crate::profile::WireProfile;
    use crate::receiver::WebhookReceiver;
    use crate::secret::WebhookSecret;

    fn secret(byte: u8) -> WebhookSecret {
        WebhookSecret::from_bytes(&[byte; 32]).unwrap()
    }

    fn body(key_id: &str, byte: u8) -> Vec<u8> {
        let metadata = WebhookMetadata {
            id: "wh_1".into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-11-21T14:30:22Z".into(),
            account_id: "sb_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: key_id.into(),
        };
        crate::seal(&metadata, b"{}", &secret(byte), &WireProfile::default())
            .unwrap()
            .body(0)
    }

    /// A watched keyring whose events are collected, checking at every lookup unless `interval`.
    fn watched(path: &Path, interval: Duration) -> (Keyring, Arc<Mutex<Vec<KeyringFileEvent>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let options = WatchOptions::default()
            .interval(interval)
            .on_event(Arc::new(move |e: &KeyringFileEvent| {
                sink.lock().unwrap().push(e.clone())
            }));
        (Keyring::watch_with(path, options).unwrap(), events)
    }

    fn problems(events: &Mutex<Vec<KeyringFileEvent>>) -> usize {
        let events = events.lock().unwrap();
        events
            .iter()
            .filter(|e| matches!(e, KeyringFileEvent::Problem { .. }))
            .count()
    }

    #[test]
    fn a_key_stored_by_a_rotation_decrypts_its_first_webhook_without_waiting_for_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        // An hour between routine checks: only the unknown key id can make it look.
        let (keyring, events) = watched(&path, Duration::from_secs(3600));
        let receiver = WebhookReceiver::new(keyring.clone());
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();

        add_to_keyring_file(&path, "whk_20251121_01", &secret(2)).unwrap();
        let webhook = receiver.decrypt(&body("whk_20251121_01", 2)).unwrap();
        assert_eq!(webhook.key_id(), "whk_20251121_01");
        // The retired key still decrypts redeliveries.
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        assert_eq!(
            *events.lock().unwrap(),
            [KeyringFileEvent::Reloaded {
                path: path.display().to_string(),
                key_ids: vec!["whk_20251021_01".into(), "whk_20251121_01".into()],
            }]
        );
        // An unknown key id with the file unchanged: a stat, no reload, UNKNOWN_KEY.
        let err = receiver.decrypt(&body("whk_20991231_01", 3)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownKey);
        assert_eq!(events.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_removed_key_goes_at_the_next_check_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        add_to_keyring_file(&path, "whk_20251121_01", &secret(2)).unwrap();
        // One keyring not due for an hour, one due at every lookup: time plays no part.
        let (not_due, _) = watched(&path, Duration::from_secs(3600));
        let (due, _) = watched(&path, Duration::ZERO);
        let b64 = secret(2).to_base64();
        std::fs::write(
            &path,
            format!(r#"{{"whk_20251121_01": "{}"}}"#, b64.as_str()),
        )
        .unwrap();
        assert!(
            not_due.contains("whk_20251021_01"),
            "checked at most once per interval"
        );
        assert!(!due.contains("whk_20251021_01"));
        assert_eq!(due.key_ids(), ["whk_20251121_01"]);
    }

    #[test]
    fn lookups_of_unknown_key_ids_waiting_together_share_one_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        let (keyring, _) = watched(&path, Duration::from_secs(3600));
        let watch = Arc::clone(keyring.watch.as_ref().unwrap());
        let receiver = WebhookReceiver::new(keyring);
        let forged = body("whk_20991231_01", 9);
        std::thread::scope(|scope| {
            // A check is running (the lock is held) while 8 forged webhooks arrive.
            let running = watch.state.lock().unwrap();
            for _ in 0..8 {
                scope.spawn(|| {
                    let err = receiver.decrypt(&forged).unwrap_err();
                    assert_eq!(err.code(), ErrorCode::UnknownKey);
                });
            }
            std::thread::sleep(Duration::from_millis(300));
            drop(running);
        });
        // The first to get the lock looks; the others arrived before it began, so they
        // skip (a thread starting late would check once more: hence not exactly 1).
        let checks = watch.checks.load(Ordering::Relaxed);
        assert!((1..=3).contains(&checks), "{checks} checks for 8 lookups");
    }

    #[test]
    fn a_broken_file_keeps_the_last_good_keys_and_is_reported_once_until_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        let good = std::fs::read(&path).unwrap();
        let (keyring, events) = watched(&path, Duration::ZERO);
        let receiver = WebhookReceiver::new(keyring.clone());

        // Half-written (an editor saving in place), then still broken in another way, then
        // no keys at all: one report each time the problem changes, the keys stay.
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        for _ in 0..3 {
            receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        }
        assert_eq!(problems(&events), 1);
        std::fs::write(&path, "{}").unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        assert_eq!(problems(&events), 2);

        // Deleted, then a directory, then a FIFO (never opened: no lookup blocks).
        std::fs::remove_file(&path).unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        std::fs::create_dir(&path).unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        std::fs::remove_dir(&path).unwrap();
        #[cfg(unix)]
        {
            let made = std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap();
            assert!(made.success());
            receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
            receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
            std::fs::remove_file(&path).unwrap();
        }
        let reported: Vec<String> = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                KeyringFileEvent::Problem { error, .. } => {
                    Some(format!("{} {error}", error.code()))
                }
                KeyringFileEvent::Reloaded { .. } => None,
            })
            .collect();
        assert!(reported[2].starts_with("IO_ERROR"), "{reported:?}");
        assert!(reported[3].contains("a directory"), "{reported:?}");
        #[cfg(unix)]
        assert!(reported[4].contains("FIFO"), "{reported:?}");
        assert_eq!(keyring.key_ids(), ["whk_20251021_01"]);

        // Fixed: reloaded, reported as such; a later problem is reported again.
        std::fs::write(&path, &good).unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        assert!(matches!(
            events.lock().unwrap().last(),
            Some(KeyringFileEvent::Reloaded { .. })
        ));
        let before = problems(&events);
        std::fs::write(&path, "[").unwrap();
        receiver.decrypt(&body("whk_20251021_01", 1)).unwrap();
        assert_eq!(problems(&events), before + 1);
        for event in events.lock().unwrap().iter() {
            assert!(!event.to_string().contains(secret(1).to_base64().as_str()));
        }
    }

    #[test]
    fn the_file_must_load_when_the_watch_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        assert_eq!(
            Keyring::watch(&path).unwrap_err().code(),
            ErrorCode::IoError
        );
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(
            Keyring::watch(&path).unwrap_err().code(),
            ErrorCode::InvalidKey
        );
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        let keyring = Keyring::watch(&path).unwrap();
        assert_eq!(keyring.watched_path(), Some(path.as_path()));
        assert_eq!(keyring.clone().watched_path(), Some(path.as_path()));
        assert_eq!(Keyring::new().watched_path(), None);
    }

    #[test]
    fn threads_decrypting_through_rotations_never_miss_a_stored_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        add_to_keyring_file(&path, "whk_20251021_01", &secret(1)).unwrap();
        let receiver = WebhookReceiver::new(Keyring::watch(&path).unwrap());
        let newest = std::sync::atomic::AtomicU8::new(1);
        let done = std::sync::atomic::AtomicBool::new(false);
        let decrypted = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    while !done.load(Ordering::SeqCst) {
                        let n = newest.load(Ordering::SeqCst);
                        let key_id = format!("whk_20251021_{n:02}");
                        receiver.decrypt(&body(&key_id, n)).unwrap();
                        decrypted.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            for n in 2..=20u8 {
                add_to_keyring_file(&path, &format!("whk_20251021_{n:02}"), &secret(n)).unwrap();
                newest.store(n, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
            done.store(true, Ordering::SeqCst);
        });
        assert!(decrypted.load(Ordering::Relaxed) > 19 * 4);
        receiver.decrypt(&body("whk_20251021_20", 20)).unwrap();
        assert_eq!(receiver.keyring().len(), 20);
    }
}
