//! Time sources for what expires: duplicate-guard leases and retention, retired keys. A
//! [`ManualClock`] lets tests (in every language) move time forward instead of sleeping.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Monotonic time. On `wasm32-unknown-unknown` (the edge build, `bindings/wasm`) std's
/// `Instant::now` panics: there it is `web-time`'s, read from `performance.now()`, with the
/// same API. Everywhere else it is std's.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub(crate) use std::time::Instant;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub(crate) use web_time::Instant;

/// The current wall-clock time: std's `SystemTime::now`, except on `wasm32-unknown-unknown`
/// where that panics and `web-time` reads `Date.now()`; the value is std's `SystemTime`
/// everywhere, so the API taking times (`Keyring::retire_at`, `decrypt_at`) is one.
pub(crate) fn wall_clock_now() -> SystemTime {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        SystemTime::now()
    }
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        let since = web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .unwrap_or_default();
        system_later(SystemTime::UNIX_EPOCH, since)
    }
}

/// A source of the current time. [`SystemClock`] is the real one; [`ManualClock`] is for
/// tests.
pub trait Clock: Send + Sync {
    /// Monotonic time (never goes back): leases and retention windows of a duplicate guard.
    fn now(&self) -> Instant;
    /// Wall-clock time: expiry dates shown to people, e.g. of a retired key.
    fn system_now(&self) -> SystemTime;
}

/// The system's clocks ([`Instant::now`], [`SystemTime::now`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn system_now(&self) -> SystemTime {
        wall_clock_now()
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it, for tests of expiry.
/// Both its monotonic and its wall-clock time move together.
pub struct ManualClock {
    origin: Instant,
    system_origin: SystemTime,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    /// A clock stopped at the current time.
    pub fn new() -> Self {
        ManualClock::starting_at(wall_clock_now())
    }

    /// A clock stopped at wall-clock time `start` (its monotonic time starts at now).
    pub fn starting_at(start: SystemTime) -> Self {
        ManualClock {
            origin: Instant::now(),
            system_origin: start,
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut elapsed = self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        *elapsed = elapsed.saturating_add(by);
    }

    /// How far the clock was moved since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        later(self.origin, self.elapsed())
    }

    fn system_now(&self) -> SystemTime {
        system_later(self.system_origin, self.elapsed())
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

/// The far future used when adding a duration would overflow: about 34,000 years ahead, far
/// past any retention and still representable.
const FAR: Duration = Duration::from_secs(1 << 40);

/// `at + by`, or the far future if that overflows (an absurd lease or retention never
/// panics).
pub(crate) fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
}

/// As [`later`], for wall-clock time.
pub(crate) fn system_later(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_add(by)
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_both_times_together() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = ManualClock::starting_at(start);
        let t0 = clock.now();
        assert_eq!(clock.system_now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - t0, Duration::from_secs(90));
        assert_eq!(clock.system_now(), start + Duration::from_secs(90));
        assert_eq!(clock.elapsed(), Duration::from_secs(90));
    }

    #[test]
    fn adding_an_absurd_duration_saturates_instead_of_panicking() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now);
        let wall = SystemTime::now();
        assert!(system_later(wall, Duration::MAX) > wall);
        let clock = ManualClock::new();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        let _ = (clock.now(), clock.system_now());
    }
}
