//! [`RetryPolicy`] and the backoff between attempts (exponential, full jitter, `Retry-After`).

use std::time::Duration;

use crate::decided::RETRYABLE_HTTP_STATUSES;

/// Which failures of a call may be retried. See the [module documentation](crate::client)
/// for which API method uses which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryPolicy {
    /// The call is idempotent (a read, or a write whose repetition changes nothing): retry
    /// after HTTP 429 / 500 / 502 / 503 / 504, timeouts and connection failures.
    Safe,
    /// Repeating the call would repeat its effect (create a second key, burning the daily
    /// quota): retry only when the request provably never reached the server (connection
    /// refused, host unreachable, DNS failure, connect timeout). A timeout or a 5xx after
    /// the request was sent is returned to the caller, who can check with a read.
    OnlyIfNotSent,
}

impl RetryPolicy {
    /// Whether an answer with HTTP `status` may be retried.
    pub(crate) fn retries_status(self, status: u16) -> bool {
        self == RetryPolicy::Safe && RETRYABLE_HTTP_STATUSES.contains(&status)
    }

    /// Whether a transport failure may be retried.
    pub(crate) fn retries_failure(self, transient: bool, not_sent: bool) -> bool {
        transient && (self == RetryPolicy::Safe || not_sent)
    }
}

/// Backoff settings of one client.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) base: Duration,
    pub(crate) max_delay: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry). A server's
    /// `Retry-After` is honoured, capped at `max_delay`; otherwise a uniformly random wait
    /// in `[0, min(max_delay, base × 2^retry)]` ("full jitter", so clients that failed
    /// together do not retry together).
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_delay);
        }
        let ceiling = self.ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let random = getrandom::u64().unwrap_or(u64::MAX / 2);
        jittered(nanos, random)
    }

    /// `min(max_delay, base × 2^retry)`.
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        backoff_ceiling(self.base, self.max_delay, retry)
    }
}

/// The exponential backoff: `min(cap, base × 2^retry)` for retry number `retry` (0 for the
/// first), saturating. The one schedule of the client's retries (which wait a random time up
/// to it) and the simulator's redeliveries (which wait exactly it).
pub fn backoff_ceiling(base: Duration, cap: Duration, retry: u32) -> Duration {
    let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

/// A wait in `[0, ceiling_nanos]` chosen by `random`.
fn jittered(ceiling_nanos: u64, random: u64) -> Duration {
    let span = u128::from(ceiling_nanos) + 1;
    let nanos = u128::from(random) % span;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(ceiling_nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff {
        base: Duration::from_millis(250),
        max_delay: Duration::from_secs(10),
    };

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        assert_eq!(BACKOFF.ceiling(0), Duration::from_millis(250));
        assert_eq!(BACKOFF.ceiling(1), Duration::from_millis(500));
        assert_eq!(BACKOFF.ceiling(3), Duration::from_secs(2));
        assert_eq!(BACKOFF.ceiling(6), Duration::from_secs(10));
        assert_eq!(BACKOFF.ceiling(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_within_the_ceiling() {
        for retry in 0..40 {
            let d = BACKOFF.delay(retry, None);
            assert!(d <= BACKOFF.ceiling(retry), "{retry}: {d:?}");
        }
        assert_eq!(jittered(1000, 0), Duration::from_nanos(0));
        assert_eq!(jittered(1000, 1000), Duration::from_nanos(1000));
        assert_eq!(jittered(u64::MAX, u64::MAX), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(
            BACKOFF.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            BACKOFF.delay(0, Some(Duration::from_secs(3600))),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn only_safe_calls_retry_after_an_answer() {
        for status in [429, 500, 502, 503, 504] {
            assert!(RetryPolicy::Safe.retries_status(status));
            assert!(!RetryPolicy::OnlyIfNotSent.retries_status(status));
        }
        for status in [200, 400, 401, 403, 404, 413] {
            assert!(!RetryPolicy::Safe.retries_status(status));
        }
    }

    #[test]
    fn unsafe_calls_retry_only_what_was_not_sent() {
        assert!(RetryPolicy::OnlyIfNotSent.retries_failure(true, true));
        assert!(!RetryPolicy::OnlyIfNotSent.retries_failure(true, false));
        assert!(RetryPolicy::Safe.retries_failure(true, false));
        assert!(!RetryPolicy::Safe.retries_failure(false, true));
    }
}
