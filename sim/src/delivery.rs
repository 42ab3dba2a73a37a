//! The delivery engine: a time-ordered queue of delivery attempts served by a few worker
//! threads (each worker is its own scheduler: it sleeps until the earliest attempt is due).
//! An attempt POSTs the event's sealed envelope — the same one every time, only
//! `retry_count` changes — and a failure is retried after `retry_base * 2^(attempt-1)`,
//! capped at `retry_cap`, up to `max_attempts` attempts in all. Pending deliveries live in
//! memory only.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kompliant_webhooks::SealedEnvelope;
use serde_json::{Map, Value};

use kompliant_webhooks::shared::backoff_ceiling;

use crate::api::bounded;
use crate::decided::{
    ACKNOWLEDGEMENT_STATUS, MAX_DELIVERY_REDIRECTS, MAX_LOG_RECORDS, REDELIVERABLE_EVENTS,
    REORDER_MAX_HOLD, UNKNOWN_KEY_ID, USER_AGENT,
};
use crate::ids;
use crate::records::{DeliveryOutcome, DeliveryRecord, EventRecord, Fault, FaultSwitches};

/// When failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RedeliverySchedule {
    /// Wait after the first failed attempt.
    pub base: Duration,
    /// Longest wait between attempts.
    pub cap: Duration,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
}

impl RedeliverySchedule {
    /// The wait after failed attempt number `attempt` (1-based): `base * 2^(attempt-1)`,
    /// at most `cap`: the core's backoff, without the client's jitter (a simulator's
    /// redeliveries are predictable, for tests).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        backoff_ceiling(self.base, self.cap, attempt.saturating_sub(1))
    }
}

/// An endpoint an event is delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub config_id: String,
    pub url: String,
}

/// One delivery of one event to one endpoint, between attempts.
struct Job {
    account_id: String,
    event_type: String,
    webhook_id: String,
    config_id: String,
    url: String,
    envelope: Arc<SealedEnvelope>,
    /// `data` with a flipped tag bit (`TAMPER_TAG`).
    tampered_data: Option<Arc<str>>,
    /// Whether `key_id` is replaced by [`UNKNOWN_KEY_ID`].
    unknown_key_id: bool,
    faults: Vec<Fault>,
    /// Attempts made so far (= the `retry_count` of the next one).
    attempts: u32,
    /// A forged copy (`FORGE`): attempted once, never retried.
    forged: bool,
}

impl Job {
    /// The first attempt of a clean delivery of `envelope` to `target`.
    fn first(envelope: &Arc<SealedEnvelope>, target: &Target) -> Job {
        let meta = envelope.metadata();
        Job {
            account_id: meta.account_id.clone(),
            event_type: meta.event_type.clone(),
            webhook_id: meta.id.clone(),
            config_id: target.config_id.clone(),
            url: target.url.clone(),
            envelope: Arc::clone(envelope),
            tampered_data: None,
            unknown_key_id: false,
            faults: Vec::new(),
            attempts: 0,
            forged: false,
        }
    }

    /// The request body of the next attempt.
    fn body(&self) -> Vec<u8> {
        let body = self.envelope.body(u64::from(self.attempts));
        if self.tampered_data.is_none() && !self.unknown_key_id {
            return body;
        }
        let Ok(mut fields) = serde_json::from_slice::<Map<String, Value>>(&body) else {
            return body;
        };
        if let Some(data) = &self.tampered_data {
            fields.insert("data".into(), Value::String(data.to_string()));
        }
        if self.unknown_key_id {
            fields.insert("key_id".into(), UNKNOWN_KEY_ID.into());
        }
        serde_json::to_vec(&fields).unwrap_or(body)
    }

    fn key_id_sent(&self) -> &str {
        if self.unknown_key_id {
            UNKNOWN_KEY_ID
        } else {
            &self.envelope.metadata().key_id
        }
    }

    fn record(&self, attempt: u32, outcome: DeliveryOutcome) -> DeliveryRecord {
        DeliveryRecord {
            webhook_id: self.webhook_id.clone(),
            event_type: self.event_type.clone(),
            account_id: self.account_id.clone(),
            config_id: self.config_id.clone(),
            url: self.url.clone(),
            key_id: self.key_id_sent().to_owned(),
            attempt,
            retry_count: u64::from(attempt.saturating_sub(1)),
            outcome,
            faults: self.faults.clone(),
            forged: self.forged,
            at: ids::timestamp(ids::now()),
            latency_ms: None,
            seq: 0, // numbered by Queue::push_record
        }
    }
}

/// A job held back by `REORDER` until the account's next event had its first attempts.
struct Held {
    job: Job,
    /// The event it waits for; `None` until the account's next event is triggered.
    after: Option<String>,
    /// Released at this time at the latest.
    deadline: Instant,
}

#[derive(Default)]
struct Queue {
    /// Jobs by due time (and a sequence number, for a stable order).
    scheduled: BTreeMap<(Instant, u64), Job>,
    held: Vec<Held>,
    /// Webhook id → first attempts not yet finished.
    first_attempts_left: HashMap<String, usize>,
    in_flight: usize,
    seq: u64,
    stopping: bool,
    /// Sequence number of the next delivery record (1 for the first).
    next_record_seq: u64,
    records: VecDeque<DeliveryRecord>,
    events: VecDeque<EventRecord>,
    faults: HashMap<String, FaultSwitches>,
    /// The last events' envelopes and endpoints, for a redelivery.
    recent: VecDeque<(Arc<SealedEnvelope>, Vec<Target>)>,
}

impl Queue {
    fn schedule(&mut self, due: Instant, job: Job) {
        self.seq = self.seq.wrapping_add(1);
        self.scheduled.insert((due, self.seq), job);
    }

    fn pending(&self) -> usize {
        self.scheduled.len() + self.held.len() + self.in_flight
    }

    fn push_record(&mut self, mut record: DeliveryRecord) {
        self.next_record_seq = self.next_record_seq.saturating_add(1);
        record.seq = self.next_record_seq;
        self.records.push_back(record);
        while self.records.len() > MAX_LOG_RECORDS {
            self.records.pop_front();
        }
    }

    /// Moves held jobs matching `release` to the queue, due now.
    fn release_held(&mut self, now: Instant, release: impl Fn(&Held) -> bool) {
        let (out, keep): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| release(h));
        self.held = keep;
        for h in out {
            self.schedule(now, h.job);
        }
    }

    /// One first attempt of event `webhook_id` finished.
    fn first_attempt_done(&mut self, webhook_id: &str, now: Instant) {
        let left = match self.first_attempts_left.get_mut(webhook_id) {
            Some(left) => {
                *left = left.saturating_sub(1);
                *left
            }
            None => return,
        };
        if left == 0 {
            self.first_attempts_left.remove(webhook_id);
            self.release_held(now, |h| h.after.as_deref() == Some(webhook_id));
        }
    }

    /// The next time a worker must look at the queue.
    fn next_wake(&self) -> Option<Instant> {
        let due = self.scheduled.keys().next().map(|(at, _)| *at);
        let hold = self.held.iter().map(|h| h.deadline).min();
        match (due, hold) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The delivery queue, its log, and the HTTP agent the workers share.
pub(crate) struct Engine {
    queue: Mutex<Queue>,
    changed: Condvar,
    agent: ureq::Agent,
    policy: RedeliverySchedule,
}

impl Engine {
    /// An idle engine; start workers with [`Engine::run_worker`].
    pub fn new(policy: RedeliverySchedule, timeout: Duration) -> Engine {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(USER_AGENT)
            .proxy(None)
            .max_redirects(MAX_DELIVERY_REDIRECTS)
            .build()
            .into();
        Engine {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            agent,
            policy: RedeliverySchedule {
                max_attempts: policy.max_attempts.max(1),
                ..policy
            },
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every critical section leaves the queue consistent before anything can panic.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `update` to the fault switches of `account_id`; returns them.
    pub fn set_faults(
        &self,
        account_id: &str,
        update: impl FnOnce(&mut FaultSwitches),
    ) -> FaultSwitches {
        let mut q = self.lock();
        let switches = q.faults.entry(account_id.to_owned()).or_default();
        update(switches);
        *switches
    }

    /// Records a triggered event and queues its deliveries to `targets`, applying the
    /// account's armed faults.
    pub fn enqueue(&self, envelope: SealedEnvelope, targets: Vec<Target>) -> EventRecord {
        let envelope = Arc::new(envelope);
        let meta = envelope.metadata();
        let now = Instant::now();
        let mut q = self.lock();
        let faults = q
            .faults
            .get_mut(&meta.account_id)
            .map(FaultSwitches::take)
            .unwrap_or_default();
        let copies = if faults.contains(&Fault::Duplicate) {
            2
        } else {
            1
        };
        let tampered_data: Option<Arc<str>> = faults
            .contains(&Fault::TamperTag)
            .then(|| tamper_tag(envelope.data()))
            .flatten()
            .map(Arc::from);
        let unknown_key_id = faults.contains(&Fault::UnknownKeyId);
        let job = |t: &Target, tampered_data: Option<Arc<str>>, forged: bool| Job {
            tampered_data,
            unknown_key_id,
            faults: faults.clone(),
            forged,
            ..Job::first(&envelope, t)
        };
        let mut jobs: Vec<Job> = targets
            .iter()
            .flat_map(|t| (0..copies).map(move |_| t))
            .map(|t| job(t, tampered_data.clone(), false))
            .collect();
        if faults.contains(&Fault::Forge) {
            if let Some(forged_data) = tamper_tag(envelope.data()).map(Arc::<str>::from) {
                jobs.extend(
                    targets
                        .iter()
                        .map(|t| job(t, Some(Arc::clone(&forged_data)), true)),
                );
            }
        }
        let count = jobs.len();

        // Deliveries held back by an earlier REORDER now wait for this event.
        for h in q
            .held
            .iter_mut()
            .filter(|h| h.after.is_none() && h.job.account_id == meta.account_id)
        {
            h.after = Some(meta.id.clone());
        }
        if count == 0 {
            q.release_held(now, |h| h.after.as_deref() == Some(meta.id.as_str()));
        } else {
            q.first_attempts_left.insert(meta.id.clone(), count);
        }
        let reorder = faults.contains(&Fault::Reorder);
        for job in jobs {
            if reorder {
                q.held.push(Held {
                    job,
                    after: None,
                    deadline: now + REORDER_MAX_HOLD,
                });
            } else {
                q.schedule(now, job);
            }
        }
        let record = EventRecord {
            webhook_id: meta.id.clone(),
            event_type: meta.event_type.clone(),
            account_id: meta.account_id.clone(),
            key_id: meta.key_id.clone(),
            timestamp: meta.timestamp.clone(),
            deliveries: count,
            faults,
        };
        q.events.push_back(record.clone());
        while q.events.len() > MAX_LOG_RECORDS {
            q.events.pop_front();
        }
        q.recent.push_back((Arc::clone(&envelope), targets));
        while q.recent.len() > REDELIVERABLE_EVENTS {
            q.recent.pop_front();
        }
        drop(q);
        self.changed.notify_all();
        record
    }

    /// Delivers event `webhook_id` again to the endpoints it went to, as a manual redelivery:
    /// the same sealed envelope (same id: receivers deduplicate), a new delivery from
    /// `retry_count` 0, with no fault. The number of deliveries queued; `None` if the event is
    /// not among the last [`REDELIVERABLE_EVENTS`].
    pub fn redeliver(&self, webhook_id: &str) -> Option<usize> {
        let mut q = self.lock();
        let (envelope, targets) = q
            .recent
            .iter()
            .rev()
            .find(|(envelope, _)| envelope.metadata().id == webhook_id)
            .map(|(envelope, targets)| (Arc::clone(envelope), targets.clone()))?;
        let now = Instant::now();
        for target in &targets {
            q.schedule(now, Job::first(&envelope, target));
        }
        drop(q);
        self.changed.notify_all();
        Some(targets.len())
    }

    /// The delivery log, oldest first; only `account_id`'s if given.
    pub fn deliveries(&self, account_id: Option<&str>) -> Vec<DeliveryRecord> {
        self.deliveries_after(account_id, 0)
    }

    /// The delivery records numbered after `seq`, oldest first; only `account_id`'s if given.
    pub fn deliveries_after(&self, account_id: Option<&str>, seq: u64) -> Vec<DeliveryRecord> {
        let q = self.lock();
        // Records are numbered in order: skip the older ones without cloning them.
        let newer = q.records.partition_point(|r| r.seq <= seq);
        q.records
            .iter()
            .skip(newer)
            .filter(|r| account_id.is_none_or(|a| r.account_id == a))
            .cloned()
            .collect()
    }

    /// The triggered events, oldest first; only `account_id`'s if given.
    pub fn events(&self, account_id: Option<&str>) -> Vec<EventRecord> {
        let q = self.lock();
        q.events
            .iter()
            .filter(|r| account_id.is_none_or(|a| r.account_id == a))
            .cloned()
            .collect()
    }

    /// Waits until no delivery is queued, held or in flight; `false` on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        // A timeout too large for an Instant means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        let mut q = self.lock();
        loop {
            if q.pending() == 0 {
                return true;
            }
            let left = match deadline {
                Some(deadline) => match deadline
                    .checked_duration_since(Instant::now())
                    .filter(|d| !d.is_zero())
                {
                    Some(left) => left,
                    None => return false,
                },
                None => Duration::from_secs(3600),
            };
            q = self
                .changed
                .wait_timeout(q, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Tells the workers to stop (after their current attempt); queued jobs are dropped.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.changed.notify_all();
    }

    /// A worker: runs due attempts until [`Engine::stop`].
    pub fn run_worker(&self) {
        let mut q = self.lock();
        loop {
            if q.stopping {
                return;
            }
            let now = Instant::now();
            q.release_held(now, |h| h.deadline <= now);
            let due = q
                .scheduled
                .keys()
                .next()
                .copied()
                .filter(|(at, _)| *at <= now);
            let Some(key) = due else {
                let wait = q
                    .next_wake()
                    .map_or(Duration::from_secs(1), |at| {
                        at.saturating_duration_since(now)
                    })
                    .min(Duration::from_secs(1));
                q = self
                    .changed
                    .wait_timeout(q, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            };
            let Some(mut job) = q.scheduled.remove(&key) else {
                continue;
            };
            q.in_flight += 1;
            drop(q);

            let started = Instant::now();
            let outcome = self.attempt(&job);
            let took = started.elapsed();

            q = self.lock();
            q.in_flight = q.in_flight.saturating_sub(1);
            let attempt = job.attempts.saturating_add(1);
            let failed = matches!(outcome, DeliveryOutcome::Failed { .. });
            let mut record = job.record(attempt, outcome);
            record.latency_ms = Some(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
            q.push_record(record);
            let now = Instant::now();
            if job.attempts == 0 {
                q.first_attempt_done(&job.webhook_id, now);
            }
            job.attempts = attempt;
            if failed && !job.forged {
                // SimConfig bounds the delays, so the addition cannot overflow; if it ever
                // did, the delivery is given up rather than a worker thread lost.
                match now.checked_add(self.policy.delay_after(attempt)) {
                    Some(due) if attempt < self.policy.max_attempts => q.schedule(due, job),
                    _ => q.push_record(job.record(attempt, DeliveryOutcome::GaveUp)),
                }
            }
            self.changed.notify_all();
        }
    }

    /// POSTs the job's envelope once.
    fn attempt(&self, job: &Job) -> DeliveryOutcome {
        let body = job.body();
        let sent = self
            .agent
            .post(job.url.as_str())
            .header("Content-Type", "application/json")
            .send(&body[..]);
        match sent {
            Ok(response) if response.status().as_u16() == ACKNOWLEDGEMENT_STATUS => {
                DeliveryOutcome::Delivered {
                    status: response.status().as_u16(),
                }
            }
            Ok(response) => DeliveryOutcome::Failed {
                status: Some(response.status().as_u16()),
                error: None,
            },
            Err(e) => DeliveryOutcome::Failed {
                status: None,
                error: Some(bounded(&e.to_string())),
            },
        }
    }
}

/// `data` with the last bit of the GCM tag flipped (the tag ends the decoded `data` under the
/// default wire profile).
fn tamper_tag(data: &str) -> Option<String> {
    let mut raw = STANDARD.decode(data).ok()?;
    let last = raw.last_mut()?;
    *last ^= 0x01;
    Some(STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RedeliverySchedule {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(3600),
            max_attempts: 95,
        };
        let delays: Vec<u64> = (1..=14).map(|a| p.delay_after(a).as_secs()).collect();
        assert_eq!(
            delays,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
        );
        assert_eq!(p.delay_after(94), Duration::from_secs(3600));
        assert_eq!(p.delay_after(u32::MAX), Duration::from_secs(3600));
        assert_eq!(p.delay_after(0), Duration::from_secs(1));
    }

    #[test]
    fn tampering_flips_one_bit() {
        let data = STANDARD.encode([0u8; 40]);
        let t = STANDARD.decode(tamper_tag(&data).unwrap()).unwrap();
        assert_eq!(t.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
        assert_eq!(t.last(), Some(&1));
        assert!(tamper_tag("***").is_none());
    }
}
