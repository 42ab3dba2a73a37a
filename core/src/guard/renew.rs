//! Lease renewal while handlers run: one background thread per process (started on first
//! use) renews every running claim at its interval, so a handler slower than its lease is not
//! run a second time by a redelivery. A renewal that finds the claim lost stops and says so;
//! one that fails (store unreachable) is tried again at the next interval.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::error::WebhookError;
use crate::guard::{ClaimToken, Held, WebhookGuard};

/// What one running claim's renewals found.
#[derive(Debug, Default)]
pub(crate) struct RenewState {
    lost: AtomicBool,
    error: Mutex<Option<WebhookError>>,
}

impl RenewState {
    /// Whether a renewal found the claim held by another (or gone).
    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// The last renewal error, if the last renewal failed.
    pub(crate) fn take_error(&self) -> Option<WebhookError> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// One claim being renewed; renewals stop when it is dropped.
pub(crate) struct Renewal {
    id: u64,
    state: Arc<RenewState>,
}

impl Renewal {
    /// Renews `token`'s claim on `webhook_id` through `guard` every `every` for `lease`.
    pub(crate) fn start(
        guard: Arc<dyn WebhookGuard>,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
        every: Duration,
    ) -> Renewal {
        let state = Arc::new(RenewState::default());
        let job = Job {
            guard,
            webhook_id: webhook_id.to_owned(),
            token: token.clone(),
            lease,
            every,
            state: Arc::clone(&state),
        };
        let id = renewer().add(job);
        Renewal { id, state }
    }

    pub(crate) fn state(&self) -> &RenewState {
        &self.state
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        renewer().remove(self.id);
    }
}

struct Job {
    guard: Arc<dyn WebhookGuard>,
    webhook_id: String,
    token: ClaimToken,
    lease: Duration,
    every: Duration,
    state: Arc<RenewState>,
}

#[derive(Default)]
struct Queue {
    next_id: u64,
    jobs: HashMap<u64, Arc<Job>>,
    /// When each job is due; entries of removed jobs are skipped when they come up.
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    thread_started: bool,
}

struct Renewer {
    queue: Mutex<Queue>,
    changed: Condvar,
}

fn renewer() -> &'static Renewer {
    static RENEWER: OnceLock<Renewer> = OnceLock::new();
    RENEWER.get_or_init(|| Renewer {
        queue: Mutex::new(Queue::default()),
        changed: Condvar::new(),
    })
}

impl Renewer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update leaves the queue consistent before it could panic.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&'static self, job: Job) -> u64 {
        let mut queue = self.lock();
        let id = queue.next_id;
        queue.next_id += 1;
        let at = Instant::now() + job.every;
        queue.due.push(Reverse((at, id)));
        queue.jobs.insert(id, Arc::new(job));
        if !queue.thread_started {
            let started = std::thread::Builder::new()
                .name("kompliant-claim-renewer".into())
                .spawn(move || self.run());
            match started {
                Ok(_) => queue.thread_started = true,
                Err(e) => {
                    // Without the thread there are no renewals: the handler's claim lapses
                    // with its lease, as without renewal; say so once per claim.
                    if let Some(job) = queue.jobs.get(&id) {
                        *job.state
                            .error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) =
                            Some(WebhookError::Internal {
                                detail: format!("cannot start the claim renewal thread: {e}"),
                            });
                    }
                }
            }
        }
        drop(queue);
        self.changed.notify_one();
        id
    }

    fn remove(&self, id: u64) {
        let mut queue = self.lock();
        queue.jobs.remove(&id);
        // Keep the heap from filling with removed jobs' entries.
        if queue.due.len() > 2 * queue.jobs.len() + 64 {
            let Queue { jobs, due, .. } = &mut *queue;
            due.retain(|Reverse((_, id))| jobs.contains_key(id));
        }
    }

    fn run(&self) {
        let mut queue = self.lock();
        loop {
            let now = Instant::now();
            match queue.due.peek().copied() {
                None => {
                    queue = self
                        .changed
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(Reverse((at, _))) if at > now => {
                    queue = self
                        .changed
                        .wait_timeout(queue, at - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Some(Reverse((_, id))) => {
                    queue.due.pop();
                    let Some(job) = queue.jobs.get(&id).cloned() else {
                        continue;
                    };
                    drop(queue);
                    // The guard's call runs without the queue's lock: a slow store delays
                    // the renewals behind it, never a handler.
                    // A guard that panics must not end renewals for every claim of the
                    // process: its panic is this renewal's error.
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        job.guard.renew(&job.webhook_id, &job.token, job.lease)
                    }))
                    .unwrap_or_else(|_| {
                        Err(WebhookError::Internal {
                            detail: "the duplicate guard's renew panicked".into(),
                        })
                    });
                    queue = self.lock();
                    let again = match answer {
                        Ok(Held::Held) => {
                            job.state.take_error();
                            true
                        }
                        Ok(Held::Lost) => {
                            job.state.lost.store(true, Ordering::Release);
                            false
                        }
                        Err(e) => {
                            *job.state
                                .error
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) = Some(e);
                            true
                        }
                    };
                    if again && queue.jobs.contains_key(&id) {
                        queue.due.push(Reverse((Instant::now() + job.every, id)));
                    }
                }
            }
        }
    }
}
