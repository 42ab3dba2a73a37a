//! The open connections: which are idle and since when, so that the one idle the longest
//! can be closed to make room, and those idle too long closed at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A connection's number.
pub(crate) type ConnectionId = u64;

struct Entry {
    /// A request was read whole and its handler has not answered yet.
    busy: bool,
    /// Since when it is in its current state (accepted, or last answered).
    since: Instant,
    /// Notified to close the connection.
    close: Arc<Notify>,
}

pub(crate) struct Connections {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: ConnectionId,
    open: HashMap<ConnectionId, Entry>,
}

impl Connections {
    pub(crate) fn new(max: usize) -> Connections {
        Connections {
            max: max.max(1),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, closing the one idle the longest if the limit is reached;
    /// `None` if every open connection is busy. The `Notify` is told when to close.
    pub(crate) fn open(&self) -> Option<(ConnectionId, Arc<Notify>)> {
        let mut inner = self.lock();
        if inner.open.len() >= self.max {
            let oldest = inner
                .open
                .iter()
                .filter(|(_, e)| !e.busy)
                .min_by_key(|(_, e)| e.since)
                .map(|(id, _)| *id)?;
            if let Some(entry) = inner.open.remove(&oldest) {
                entry.close.notify_one();
            }
        }
        let id = inner.next;
        inner.next += 1;
        let close = Arc::new(Notify::new());
        inner.open.insert(
            id,
            Entry {
                busy: false,
                since: Instant::now(),
                close: Arc::clone(&close),
            },
        );
        Some((id, close))
    }

    /// Marks a connection busy (handler running) or idle again (answered).
    pub(crate) fn set_busy(&self, id: ConnectionId, busy: bool) {
        if let Some(entry) = self.lock().open.get_mut(&id) {
            entry.busy = busy;
            entry.since = Instant::now();
        }
    }

    /// Closes the connections idle longer than `timeout`.
    pub(crate) fn close_idle(&self, timeout: Duration) {
        self.lock().open.retain(|_, entry| {
            let keep = entry.busy || entry.since.elapsed() < timeout;
            if !keep {
                entry.close.notify_one();
            }
            keep
        });
    }

    /// Forgets a connection that ended.
    pub(crate) fn close(&self, id: ConnectionId) {
        self.lock().open.remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().open.len()
    }

    pub(crate) fn busy(&self) -> usize {
        self.lock().open.values().filter(|e| e.busy).count()
    }
}
