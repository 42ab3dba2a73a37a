//! The Redis guard's protocol, defined once: the key scheme, the values and the four Lua
//! scripts that the Python (`kompliant_webhooks.redis.RedisGuard`) and Node
//! (`kompliant-webhooks/redis`) guards load from here and run with `EVAL`/`EVALSHA` over a
//! client the user supplies. Each script reads and writes one key, so it is atomic in Redis
//! and works in Redis Cluster.
//!
//! Each webhook id is one key, [`DEFAULT_PREFIX`] + id (the prefix is configurable), holding
//! `in-progress:<token>` while claimed (expiring with the lease) or `done` once processed
//! (expiring after the retention). Every script answers a string the core parses:
//! [`Claim::parse`](crate::Claim::parse) for [`CLAIM`], [`Held::parse`](crate::Held::parse)
//! for the others.
//!
//! A key written by an earlier version of this SDK (`in-progress` without a token) is
//! another holder's claim to these scripts: it is answered `IN_PROGRESS` until its lease
//! lapses.

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "kompliant:webhook:";

/// The value of a processed id.
pub const DONE: &str = "done";

/// The value of a claimed id is this followed by the holder's token.
pub const IN_PROGRESS_PREFIX: &str = "in-progress:";

/// Claims the id: `KEYS[1]` the key, `ARGV[1]` the token, `ARGV[2]` the lease in
/// milliseconds. Answers `ACQUIRED`, `ALREADY_COMPLETED` or `IN_PROGRESS`.
pub const CLAIM: &str = r"local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'in-progress:' .. ARGV[1], 'PX', ARGV[2])
  return 'ACQUIRED'
end
if v == 'done' then return 'ALREADY_COMPLETED' end
return 'IN_PROGRESS'";

/// Extends the holder's lease: `KEYS[1]` the key, `ARGV[1]` the token, `ARGV[2]` the lease
/// in milliseconds. Answers `HELD`, or `LOST` (nothing changed) when the token does not hold
/// the claim.
pub const RENEW: &str = r"if redis.call('GET', KEYS[1]) == 'in-progress:' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 'HELD'
end
return 'LOST'";

/// Records the id as processed: `KEYS[1]` the key, `ARGV[1]` the token, `ARGV[2]` the
/// retention in milliseconds. Done while the token holds the claim or the key is gone (the
/// lease lapsed and nobody claimed the id since): `HELD`; otherwise `LOST`, nothing changed.
pub const COMPLETE: &str = r"local v = redis.call('GET', KEYS[1])
if (not v) or v == 'in-progress:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 'HELD'
end
return 'LOST'";

/// Gives up the holder's claim: `KEYS[1]` the key, `ARGV[1]` the token. Deletes the key only
/// while the token holds it (`HELD`); a completed id or another holder's claim is left
/// alone (`LOST`).
pub const RELEASE: &str = r"if redis.call('GET', KEYS[1]) == 'in-progress:' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'HELD'
end
return 'LOST'";

/// A duration as the whole milliseconds a script takes (at least 1: Redis refuses `PX 0`).
pub fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_scripts_write_the_documented_values() {
        for script in [CLAIM, RENEW, COMPLETE, RELEASE] {
            assert!(script.contains(&format!("'{IN_PROGRESS_PREFIX}' .. ARGV[1]")));
        }
        assert!(CLAIM.contains(&format!("'{DONE}'")) && COMPLETE.contains(&format!("'{DONE}'")));
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }
}
