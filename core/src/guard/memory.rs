//! [`MemoryGuard`]: the in-process duplicate guard, bounded in size, with leases and
//! retention that expire on an injectable clock.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::clock::{later, Clock, Instant, SystemClock};
use crate::decided::{DEFAULT_COMPLETED_RETENTION, DEFAULT_GUARD_MAX_ENTRIES};
use crate::error::WebhookError;
use crate::guard::flow::check_id;
use crate::guard::{Claim, ClaimToken, Held, WebhookGuard};

/// How a [`MemoryGuard`] is bounded. `Default` is the decided behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryGuardOptions {
    /// Most ids held at once, in progress and completed together (default 1,000,000, about
    /// 220 MB when full). When full, new ids are refused with [`Claim::AtCapacity`] (answer
    /// 503, Kompliant retries) and nothing is forgotten early: size it for your peak rate
    /// times `retention`.
    pub max_entries: usize,
    /// How long a completed id is remembered (default 7 days, Kompliant's retry horizon).
    pub retention: Duration,
}

impl Default for MemoryGuardOptions {
    fn default() -> Self {
        MemoryGuardOptions {
            max_entries: DEFAULT_GUARD_MAX_ENTRIES,
            retention: DEFAULT_COMPLETED_RETENTION,
        }
    }
}

/// A [`WebhookGuard`] in this process's memory: for a receiver that runs as one process
/// (any number of threads). Receivers on several machines need a shared guard (Redis).
///
/// Each id is held until its lease ends (in progress) or its retention ends (completed);
/// expired ids are dropped as time passes. The guard never holds more than
/// [`MemoryGuardOptions::max_entries`] ids claimed through it: when full it refuses new ones
/// ([`Claim::AtCapacity`]) rather than forget a completed one, which would let a late
/// duplicate be processed twice. Safe to share between threads (`Arc<MemoryGuard>`); a
/// restart forgets everything.
pub struct MemoryGuard {
    state: Mutex<State>,
    options: MemoryGuardOptions,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct State {
    ids: HashMap<Arc<str>, Entry>,
    /// Every id of `ids` once, by expiry, so expired ids are dropped in order.
    by_expiry: BTreeSet<(Instant, Arc<str>)>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The holder's token while in progress; `None` once completed.
    holder: Option<ClaimToken>,
    expires: Instant,
}

impl Entry {
    fn completed(&self) -> bool {
        self.holder.is_none()
    }

    fn held_by(&self, token: &ClaimToken) -> bool {
        self.holder.as_ref() == Some(token)
    }
}

impl State {
    /// Drops every id whose lease or retention ended at or before `now`.
    fn purge(&mut self, now: Instant) {
        while self.by_expiry.first().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, id)) = self.by_expiry.pop_first() {
                self.ids.remove(&id);
            }
        }
    }

    fn set(&mut self, id: &str, entry: Entry) {
        let key = match self.ids.get_key_value(id) {
            Some((key, old)) => {
                let key = Arc::clone(key);
                let old = old.expires;
                self.by_expiry.remove(&(old, Arc::clone(&key)));
                key
            }
            None => Arc::from(id),
        };
        self.by_expiry.insert((entry.expires, Arc::clone(&key)));
        self.ids.insert(key, entry);
    }

    fn remove(&mut self, id: &str) {
        if let Some((key, entry)) = self.ids.remove_entry(id) {
            self.by_expiry.remove(&(entry.expires, key));
        }
    }
}

impl MemoryGuard {
    /// A guard with the default options (1,000,000 ids, completed ids kept 7 days).
    pub fn new() -> Self {
        MemoryGuard::with_options(MemoryGuardOptions::default())
    }

    /// A guard with these options.
    pub fn with_options(options: MemoryGuardOptions) -> Self {
        MemoryGuard::with_clock(options, Arc::new(SystemClock))
    }

    /// A guard whose leases and retention expire on `clock` (a
    /// [`ManualClock`](crate::ManualClock) in tests).
    pub fn with_clock(options: MemoryGuardOptions, clock: Arc<dyn Clock>) -> Self {
        MemoryGuard {
            state: Mutex::new(State::default()),
            options,
            clock,
        }
    }

    /// The options.
    pub fn options(&self) -> &MemoryGuardOptions {
        &self.options
    }

    /// Number of ids held now (in progress and completed), expired ones not counted.
    pub fn len(&self) -> usize {
        self.purged().ids.len()
    }

    /// Whether the guard holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state lock, with expired ids dropped.
    fn purged(&self) -> MutexGuard<'_, State> {
        // Every update below leaves both maps consistent before it could panic (only an
        // allocation failure can), so a poisoned lock is still safe to use.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.purge(self.clock.now());
        state
    }
}

impl Default for MemoryGuard {
    fn default() -> Self {
        MemoryGuard::new()
    }
}

impl fmt::Debug for MemoryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryGuard")
            .field("ids", &self.len())
            .field("max_entries", &self.options.max_entries)
            .field("retention", &self.options.retention)
            .finish()
    }
}

impl WebhookGuard for MemoryGuard {
    /// # Errors
    /// `MALFORMED_ENVELOPE` for an empty id or one over 256 bytes.
    fn claim(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Claim, WebhookError> {
        check_id(webhook_id)?;
        let now = self.clock.now();
        let mut state = self.purged();
        if let Some(entry) = state.ids.get(webhook_id) {
            return Ok(if entry.completed() {
                Claim::AlreadyCompleted
            } else {
                Claim::InProgress
            });
        }
        if state.ids.len() >= self.options.max_entries {
            return Ok(Claim::AtCapacity);
        }
        let entry = Entry {
            holder: Some(token.clone()),
            expires: later(now, lease),
        };
        state.set(webhook_id, entry);
        Ok(Claim::Acquired)
    }

    /// # Errors
    /// Never: an unusable id is not held, so its claim is [`Held::Lost`].
    fn renew(
        &self,
        webhook_id: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<Held, WebhookError> {
        let now = self.clock.now();
        let mut state = self.purged();
        if !state.ids.get(webhook_id).is_some_and(|e| e.held_by(token)) {
            return Ok(Held::Lost);
        }
        let entry = Entry {
            holder: Some(token.clone()),
            expires: later(now, lease),
        };
        state.set(webhook_id, entry);
        Ok(Held::Held)
    }

    /// Records the id even when the guard is full (it was counted when claimed).
    ///
    /// # Errors
    /// `MALFORMED_ENVELOPE` for an empty id or one over 256 bytes.
    fn complete(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        check_id(webhook_id)?;
        let now = self.clock.now();
        let mut state = self.purged();
        if state.ids.get(webhook_id).is_some_and(|e| !e.held_by(token)) {
            return Ok(Held::Lost);
        }
        let entry = Entry {
            holder: None,
            expires: later(now, self.options.retention),
        };
        state.set(webhook_id, entry);
        Ok(Held::Held)
    }

    /// # Errors
    /// Never: an unusable id is not held, so its claim is [`Held::Lost`].
    fn release(&self, webhook_id: &str, token: &ClaimToken) -> Result<Held, WebhookError> {
        let mut state = self.purged();
        if !state.ids.get(webhook_id).is_some_and(|e| e.held_by(token)) {
            return Ok(Held::Lost);
        }
        state.remove(webhook_id);
        Ok(Held::Held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::decided::MAX_WEBHOOK_ID_LEN;
    use crate::error::ErrorCode;

    const LEASE: Duration = Duration::from_secs(60);

    fn guard(max_entries: usize) -> (MemoryGuard, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let options = MemoryGuardOptions {
            max_entries,
            retention: Duration::from_secs(3600),
        };
        (MemoryGuard::with_clock(options, clock.clone()), clock)
    }

    fn token() -> ClaimToken {
        ClaimToken::generate().unwrap()
    }

    /// Claims `id` with a fresh token: the claim and the token.
    fn claim(g: &MemoryGuard, id: &str, lease: Duration) -> (Claim, ClaimToken) {
        let t = token();
        (g.claim(id, &t, lease).unwrap(), t)
    }

    #[test]
    fn first_claim_acquires_and_duplicates_see_progress_then_completion() {
        let (g, _) = guard(10);
        let (first, t) = claim(&g, "wh_1", LEASE);
        assert_eq!(first, Claim::Acquired);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::InProgress);
        assert_eq!(g.complete("wh_1", &t).unwrap(), Held::Held);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
        assert_eq!(claim(&g, "wh_2", LEASE).0, Claim::Acquired);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn a_released_claim_can_be_claimed_again_but_a_completed_one_is_never_forgotten() {
        let (g, _) = guard(10);
        let (_, t) = claim(&g, "wh_1", LEASE);
        assert_eq!(g.release("wh_1", &t).unwrap(), Held::Held);
        let (again, t) = claim(&g, "wh_1", LEASE);
        assert_eq!(again, Claim::Acquired);
        g.complete("wh_1", &t).unwrap();
        assert_eq!(g.release("wh_1", &t).unwrap(), Held::Lost);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
        assert_eq!(g.release("wh_never_claimed", &t).unwrap(), Held::Lost);
    }

    #[test]
    fn an_expired_lease_can_be_claimed_again() {
        let (g, clock) = guard(10);
        claim(&g, "wh_1", LEASE);
        clock.advance(LEASE - Duration::from_millis(1));
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::InProgress);
        clock.advance(Duration::from_millis(1));
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::Acquired);
    }

    #[test]
    fn only_the_holder_renews_completes_or_releases() {
        let (g, clock) = guard(10);
        let (_, first) = claim(&g, "wh_1", LEASE);
        // The first holder's lease lapses; a redelivery claims the id.
        clock.advance(LEASE);
        let (second_claim, second) = claim(&g, "wh_1", LEASE);
        assert_eq!(second_claim, Claim::Acquired);
        // The stale holder changes nothing: its failure does not free the second's claim,
        // its success does not end it, its renewal does not extend it.
        assert_eq!(g.release("wh_1", &first).unwrap(), Held::Lost);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::InProgress);
        assert_eq!(g.renew("wh_1", &first, LEASE).unwrap(), Held::Lost);
        assert_eq!(g.complete("wh_1", &first).unwrap(), Held::Lost);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::InProgress);
        // The holder's own calls act.
        assert_eq!(g.complete("wh_1", &second).unwrap(), Held::Held);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
        assert_eq!(g.complete("wh_1", &first).unwrap(), Held::Lost);
    }

    #[test]
    fn a_renewed_claim_outlives_its_first_lease() {
        let (g, clock) = guard(10);
        let (_, t) = claim(&g, "wh_1", LEASE);
        clock.advance(LEASE / 2);
        assert_eq!(g.renew("wh_1", &t, LEASE).unwrap(), Held::Held);
        clock.advance(LEASE - Duration::from_millis(1));
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::InProgress);
        clock.advance(Duration::from_millis(1));
        assert_eq!(g.renew("wh_1", &t, LEASE).unwrap(), Held::Lost);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::Acquired);
    }

    #[test]
    fn completed_ids_are_kept_for_the_retention_window_then_dropped() {
        let (g, clock) = guard(10);
        let (_, t) = claim(&g, "wh_1", LEASE);
        clock.advance(Duration::from_secs(30));
        g.complete("wh_1", &t).unwrap();
        // The retention counts from completion, not from the claim.
        clock.advance(Duration::from_secs(3599));
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
        clock.advance(Duration::from_secs(1));
        assert_eq!(g.len(), 0);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::Acquired);
    }

    #[test]
    fn a_completion_after_the_lease_lapsed_is_recorded_while_nobody_else_claimed_it() {
        let (g, clock) = guard(10);
        let (_, t) = claim(&g, "wh_1", LEASE);
        clock.advance(LEASE * 2);
        assert_eq!(g.complete("wh_1", &t).unwrap(), Held::Held);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
    }

    #[test]
    fn a_full_guard_refuses_new_ids_but_keeps_answering_for_held_ones() {
        let (g, clock) = guard(2);
        let (_, t1) = claim(&g, "wh_1", LEASE);
        g.complete("wh_1", &t1).unwrap();
        let (_, t2) = claim(&g, "wh_2", LEASE);
        assert_eq!(claim(&g, "wh_3", LEASE).0, Claim::AtCapacity);
        assert_eq!(claim(&g, "wh_1", LEASE).0, Claim::AlreadyCompleted);
        assert_eq!(claim(&g, "wh_2", LEASE).0, Claim::InProgress);
        g.complete("wh_2", &t2).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(claim(&g, "wh_3", LEASE).0, Claim::AtCapacity);
        // Room comes back as ids expire, never by forgetting them early.
        clock.advance(Duration::from_secs(3600));
        assert_eq!(claim(&g, "wh_3", LEASE).0, Claim::Acquired);
    }

    #[test]
    fn a_released_claim_frees_its_room() {
        let (g, _) = guard(1);
        let (_, t) = claim(&g, "wh_1", LEASE);
        assert_eq!(claim(&g, "wh_2", LEASE).0, Claim::AtCapacity);
        g.release("wh_1", &t).unwrap();
        assert_eq!(claim(&g, "wh_2", LEASE).0, Claim::Acquired);
    }

    #[test]
    fn unusable_ids_are_refused_and_absurd_leases_do_not_panic() {
        let (g, _) = guard(10);
        let t = token();
        for id in [String::new(), "w".repeat(MAX_WEBHOOK_ID_LEN + 1)] {
            assert_eq!(
                g.claim(&id, &t, LEASE).unwrap_err().code(),
                ErrorCode::MalformedEnvelope
            );
            assert_eq!(
                g.complete(&id, &t).unwrap_err().code(),
                ErrorCode::MalformedEnvelope
            );
            assert_eq!(g.renew(&id, &t, LEASE).unwrap(), Held::Lost);
        }
        assert_eq!(
            claim(&g, &"w".repeat(MAX_WEBHOOK_ID_LEN), LEASE).0,
            Claim::Acquired
        );
        let (_, long) = claim(&g, "wh_1", Duration::MAX);
        assert_eq!(claim(&g, "wh_1", Duration::MAX).0, Claim::InProgress);
        assert_eq!(g.renew("wh_1", &long, Duration::MAX).unwrap(), Held::Held);
        assert_eq!(claim(&g, "wh_0", Duration::ZERO).0, Claim::Acquired);
        assert_eq!(claim(&g, "wh_0", Duration::ZERO).0, Claim::Acquired);
    }

    #[test]
    fn many_threads_claiming_one_id_acquire_it_exactly_once() {
        let g = Arc::new(MemoryGuard::new());
        for round in 0..20 {
            let id = format!("wh_race_{round}");
            let barrier = Arc::new(std::sync::Barrier::new(16));
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    let (g, id, barrier) = (Arc::clone(&g), id.clone(), Arc::clone(&barrier));
                    std::thread::spawn(move || {
                        let t = token();
                        barrier.wait();
                        g.claim(&id, &t, LEASE).unwrap()
                    })
                })
                .collect();
            let claims: Vec<Claim> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let acquired = claims.iter().filter(|c| **c == Claim::Acquired).count();
            assert_eq!(acquired, 1, "round {round}: {claims:?}");
            assert!(claims
                .iter()
                .all(|c| matches!(c, Claim::Acquired | Claim::InProgress)));
        }
    }

    #[test]
    fn debug_shows_size_not_ids() {
        let (g, _) = guard(10);
        claim(&g, "wh_secretish", LEASE);
        let dbg = format!("{g:?}");
        assert!(dbg.contains("ids: 1"), "{dbg}");
        assert!(!dbg.contains("wh_secretish"), "{dbg}");
    }
}
