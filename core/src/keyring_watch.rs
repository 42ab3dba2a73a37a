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
//!   decrypted, not answered 503;
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
    /// The file changed and cannot be loaded; the keyring keeps the keys it had. Reported
    /// once per problem: again only after a good load.
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
}

struct WatchState {
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
    /// The keys follow the file: keys added with [`Keyring::add`] are replaced at the next
    /// change of the file.
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
                seen: Some(stamp),
                reported: None,
            }),
            listener: options.listener,
        }));
        Ok(keyring)
    }

    /// The file this keyring follows, if made by [`Keyring::watch`].
    pub fn watched_path(&self) -> Option<&Path> {
        self.watch.as_deref().map(|w| w.path.as_path())
    }
}

impl FileWatch {
    /// Checks the file if `check` says so, reloading `keyring` if it changed.
    pub(crate) fn refresh(&self, keyring: &Keyring, check: Check) {
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let state = match check {
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
            Check::Now => self.state.lock().unwrap_or_else(PoisonError::into_inner),
        };
        self.next_check
            .store(now.saturating_add(self.interval_nanos), Ordering::Relaxed);
        let event = self.check(keyring, state);
        if let Some(event) = event {
            self.report(&event);
        }
    }

    /// Looks at the file under the state lock (released before the event is reported).
    fn check(
        &self,
        keyring: &Keyring,
        mut state: std::sync::MutexGuard<'_, WatchState>,
    ) -> Option<KeyringFileEvent> {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| FileStamp::of(&m));
        if stamp.is_some() && stamp == state.seen {
            return None;
        }
        let loaded = read_keyring_file(&self.path).and_then(|(text, stamp)| {
            keyring
                .replace_from_json(&text)
                .map(|()| stamp)
                .map_err(|e| in_file(e, &self.path))
        });
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
