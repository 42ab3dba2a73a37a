//! The Redis guard's protocol for `kompliant-webhooks/redis` (`node/redis.js`): the core's key
//! prefix, values, Lua scripts and durations ([`core::redis`]), so no part of it is written
//! again in JavaScript.

use kompliant_webhooks as core;
use kompliant_webhooks::decided::DEFAULT_COMPLETED_RETENTION;
use napi_derive::napi;

use crate::error::guard_shared;

/// The core's Redis protocol (`kompliant_webhooks::redis`).
#[napi(object)]
pub struct NativeRedisProtocol {
    /// The default key prefix.
    pub default_prefix: String,
    /// The value of a processed id.
    pub done: String,
    /// The value of a claimed id is this followed by the holder's token.
    pub in_progress_prefix: String,
    /// Claims: KEYS[1]; ARGV token, lease ms → `ACQUIRED`/`ALREADY_COMPLETED`/`IN_PROGRESS`.
    pub claim: String,
    /// Renews: KEYS[1]; ARGV token, lease ms → `HELD`/`LOST`.
    pub renew: String,
    /// Completes: KEYS[1]; ARGV token, retention ms → `HELD`/`LOST`.
    pub complete: String,
    /// Releases: KEYS[1]; ARGV token → `HELD`/`LOST`.
    pub release: String,
    /// The default retention of a processed id, in seconds.
    pub default_retention_seconds: f64,
}

/// The core's Redis protocol.
#[napi]
pub fn redis_protocol() -> NativeRedisProtocol {
    NativeRedisProtocol {
        default_prefix: core::redis::DEFAULT_PREFIX.to_owned(),
        done: core::redis::DONE.to_owned(),
        in_progress_prefix: core::redis::IN_PROGRESS_PREFIX.to_owned(),
        claim: core::redis::CLAIM.to_owned(),
        renew: core::redis::RENEW.to_owned(),
        complete: core::redis::COMPLETE.to_owned(),
        release: core::redis::RELEASE.to_owned(),
        default_retention_seconds: DEFAULT_COMPLETED_RETENTION.as_secs_f64(),
    }
}

/// `seconds` as the whole milliseconds a script takes (the core's `redis::millis`, at least
/// 1), as a decimal string; a `RangeError` naming `what` for a negative, zero, non-finite or
/// too large number.
#[napi]
pub fn redis_millis(what: String, seconds_: f64) -> napi::Result<String> {
    guard_shared(|| kompliant_webhooks_js_shared::guard::redis_millis(&what, seconds_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_is_the_cores() {
        let p = redis_protocol();
        assert_eq!(p.claim, core::redis::CLAIM);
        assert_eq!(p.default_prefix, "kompliant:webhook:");
        assert_eq!(p.default_retention_seconds, 7.0 * 24.0 * 3600.0);
        assert_eq!(redis_millis("lease".into(), 1.5).unwrap(), "1500");
        assert_eq!(redis_millis("lease".into(), 0.0001).unwrap(), "1");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(redis_millis("lease".into(), bad).is_err());
        }
    }
}
