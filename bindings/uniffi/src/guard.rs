//! The duplicate guard for Kotlin and Swift: the [`WebhookGuard`] interface (implemented in
//! Kotlin or Swift, or by [`MemoryGuard`]), the handler-failure rule and the Redis protocol's
//! constants. The guarded receive flow is in [`delivery`]; the bridge from a foreign guard to
//! the core's fenced `WebhookGuard` in [`foreign`].

mod delivery;
mod foreign;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kompliant_webhooks as core;
use kompliant_webhooks::decided::{
    CLAIM_RENEWALS_PER_LEASE, DEFAULT_CLAIM_LEASE, DEFAULT_COMPLETED_RETENTION,
    DEFAULT_GUARD_MAX_ENTRIES,
};
use kompliant_webhooks::{redis, Claim, ClaimToken, Held, ReceiveOutcome};

use crate::error::KompliantError;

pub use delivery::{Finished, GuardedDelivery, GuardedReceiver};

/// A duplicate guard: records, by webhook id, which webhooks are being processed (and by
/// which holder, the claim's token) and which were processed, so that each is processed once
/// although Kompliant delivers at least once. Implement it in Kotlin (a class) or Swift (a
/// class conforming to the protocol) over your store, blocking (the receive flow is
/// synchronous); `MemoryGuard` is the in-process implementation.
///
/// Every answer is a string the core parses: `claim` answers `"ACQUIRED"`,
/// `"ALREADY_COMPLETED"`, `"IN_PROGRESS"` or `"AT_CAPACITY"`; `renew`, `complete` and
/// `release` answer `"HELD"` or `"LOST"`. Any other answer, or an exception / error thrown by
/// a method, ends the delivery's guard step with an `INTERNAL` error that names only the
/// thrown type, never its message (it may quote a store's address or credentials); a
/// `KompliantException` / `KompliantError` thrown keeps its code and detail. Log the error
/// yourself before throwing if you want its text.
///
/// Implementations must make `claim` atomic (of concurrent claims of one id, at most one is
/// `ACQUIRED`) and fence: `renew`, `complete` and `release` act only while `token` holds the
/// claim. `renew` is called from the core's renewal thread while a handler runs.
#[uniffi::export(with_foreign)]
pub trait WebhookGuard: Send + Sync {
    /// Claims `webhookId` under `token` for `leaseMillis` milliseconds: `"ACQUIRED"` (the
    /// caller processes it), `"ALREADY_COMPLETED"` (a processed duplicate), `"IN_PROGRESS"`
    /// (another holder's claim is live) or `"AT_CAPACITY"` (the guard takes no new id).
    fn claim(
        &self,
        webhook_id: String,
        token: String,
        lease_millis: u64,
    ) -> Result<String, KompliantError>;

    /// Extends `token`'s claim on `webhookId` to `leaseMillis` from now: `"HELD"`, or
    /// `"LOST"` (nothing changed) when `token` no longer holds it.
    fn renew(
        &self,
        webhook_id: String,
        token: String,
        lease_millis: u64,
    ) -> Result<String, KompliantError>;

    /// Records that `webhookId` was processed (remembered for the guard's retention), if
    /// `token` holds the claim or the claim lapsed and nobody claimed the id since:
    /// `"HELD"`; otherwise `"LOST"` and nothing changes.
    fn complete(&self, webhook_id: String, token: String) -> Result<String, KompliantError>;

    /// Gives up `token`'s claim on `webhookId` after a failure, so Kompliant's retry is
    /// processed: `"HELD"`; `"LOST"` (nothing changes) when `token` does not hold it. Never
    /// forgets a completed id.
    fn release(&self, webhook_id: String, token: String) -> Result<String, KompliantError>;
}

/// The in-process duplicate guard (the core's): remembers which webhook ids are being
/// processed (for their lease) and which were processed (for the retention, default 7 days,
/// Kompliant's retry horizon). Right for a receiver running as ONE process (any number of
/// threads); receivers on several machines need a shared guard (Redis, through your own
/// `WebhookGuard` running the core's scripts: `redisProtocol()`). Holds at most `maxEntries`
/// ids (default 1,000,000): a full guard answers `AT_CAPACITY` (503) to new ids and forgets
/// nothing early. A restart forgets every id.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct MemoryGuard(Arc<core::MemoryGuard>);

#[uniffi::export]
impl MemoryGuard {
    /// A guard holding at most `maxEntries` ids (default 1,000,000; 0 is
    /// `INVALID_CONFIGURATION`), remembering completed ids for `retentionMillis` (default 7
    /// days).
    #[uniffi::constructor(default(max_entries = None, retention_millis = None))]
    pub fn new(
        max_entries: Option<u64>,
        retention_millis: Option<u64>,
    ) -> Result<Arc<Self>, KompliantError> {
        let max_entries = match max_entries {
            None => DEFAULT_GUARD_MAX_ENTRIES,
            Some(0) => {
                return Err(KompliantError::invalid_configuration(
                    "a MemoryGuard's maxEntries must be at least 1",
                ))
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let retention = retention_millis.map_or(DEFAULT_COMPLETED_RETENTION, Duration::from_millis);
        Ok(Arc::new(MemoryGuard(Arc::new(
            core::MemoryGuard::with_options(core::MemoryGuardOptions {
                max_entries,
                retention,
            }),
        ))))
    }

    /// Number of ids held now (in progress and completed), expired ones not counted.
    pub fn len(&self) -> u64 {
        u64::try_from(self.0.len()).unwrap_or(u64::MAX)
    }

    /// Whether the guard holds no id.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Largest number of ids held.
    pub fn max_entries(&self) -> u64 {
        u64::try_from(self.0.options().max_entries).unwrap_or(u64::MAX)
    }

    /// How long a completed id is remembered, in milliseconds.
    pub fn retention_millis(&self) -> u64 {
        redis::millis(self.0.options().retention)
    }
}

impl MemoryGuard {
    /// One guard call: the foreign token parsed, the core guard called, its answer as the
    /// string the foreign interface carries (as the Python binding's `answer` does).
    fn answer<A: AsRef<str>>(
        &self,
        token: &str,
        call: impl FnOnce(&core::MemoryGuard, &ClaimToken) -> Result<A, core::WebhookError>,
    ) -> Result<String, KompliantError> {
        let token = ClaimToken::parse(token)?;
        Ok(call(&self.0, &token)?.as_ref().to_owned())
    }
}

/// `MemoryGuard` is a `WebhookGuard`: pass it to `GuardedReceiver`, or call it directly with a
/// token from `newClaimToken()`. A token that is not 1-64 letters, digits, `_` or `-` is
/// `INTERNAL`; an empty webhook id or one over 256 bytes is `MALFORMED_ENVELOPE`.
#[uniffi::export]
impl WebhookGuard for MemoryGuard {
    fn claim(
        &self,
        webhook_id: String,
        token: String,
        lease_millis: u64,
    ) -> Result<String, KompliantError> {
        let lease = Duration::from_millis(lease_millis);
        self.answer(&token, |g, t| {
            core::WebhookGuard::claim(g, &webhook_id, t, lease).map(|a| a.as_str())
        })
    }

    fn renew(
        &self,
        webhook_id: String,
        token: String,
        lease_millis: u64,
    ) -> Result<String, KompliantError> {
        let lease = Duration::from_millis(lease_millis);
        self.answer(&token, |g, t| {
            core::WebhookGuard::renew(g, &webhook_id, t, lease).map(|a| a.as_str())
        })
    }

    fn complete(&self, webhook_id: String, token: String) -> Result<String, KompliantError> {
        self.answer(&token, |g, t| {
            core::WebhookGuard::complete(g, &webhook_id, t).map(|a| a.as_str())
        })
    }

    fn release(&self, webhook_id: String, token: String) -> Result<String, KompliantError> {
        self.answer(&token, |g, t| {
            core::WebhookGuard::release(g, &webhook_id, t).map(|a| a.as_str())
        })
    }
}

impl fmt::Display for MemoryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MemoryGuard(len={}, maxEntries={}, retentionMillis={})",
            self.0.len(),
            self.0.options().max_entries,
            self.retention_millis()
        )
    }
}

/// A fresh claim token (22 random base62 characters), as the receive flow makes for every
/// claim; for calling a guard directly. Throws `INTERNAL` when the system gives no
/// randomness.
#[uniffi::export]
pub fn new_claim_token() -> Result<String, KompliantError> {
    Ok(ClaimToken::generate()?.as_str().to_owned())
}

/// Whether a handler succeeded, the one rule every adapter applies (the core's
/// `ReceiveOutcome::handler_succeeded`): it failed when it threw (`raised`) or when it
/// returned a response whose status is 400 or more; `responseStatus` is absent when it
/// returned no response of its own. Pass the result to `GuardedDelivery.finish`.
#[uniffi::export(default(response_status = None))]
pub fn handler_succeeded(raised: bool, response_status: Option<u16>) -> bool {
    ReceiveOutcome::handler_succeeded(raised, response_status)
}

/// The Redis guard's protocol, the one definition the Python and Node Redis guards load
/// (`kompliant_webhooks::redis`): run these scripts from a `WebhookGuard` of your own and
/// receivers in every language share one Redis and process each webhook once between them.
///
/// Each webhook id is one key, `defaultPrefix` + id (one prefix per account), holding
/// `inProgressPrefix` + the holder's token while claimed (expiring with the lease) or `done`
/// once processed (expiring after the retention). Each script takes `KEYS[1]` = the key and
/// `ARGV[1]` = the token; `claimScript` and `renewScript` take `ARGV[2]` = the lease in
/// milliseconds, `completeScript` `ARGV[2]` = the retention in milliseconds; each answers the
/// string the guard method returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedisProtocol {
    /// The default key prefix, `kompliant:webhook:`.
    pub default_prefix: String,
    /// The value of a processed id, `done`.
    pub done: String,
    /// The value of a claimed id is this (`in-progress:`) followed by the holder's token.
    pub in_progress_prefix: String,
    /// `claim`'s Lua script: answers `ACQUIRED`, `ALREADY_COMPLETED` or `IN_PROGRESS`.
    pub claim_script: String,
    /// `renew`'s Lua script: answers `HELD` or `LOST`.
    pub renew_script: String,
    /// `complete`'s Lua script: answers `HELD` or `LOST`.
    pub complete_script: String,
    /// `release`'s Lua script: answers `HELD` or `LOST`.
    pub release_script: String,
    /// How long a completed id is remembered by default (7 days), in milliseconds.
    pub default_retention_millis: u64,
    /// The default lease of a claim (5 minutes), in milliseconds.
    pub default_lease_millis: u64,
    /// Claims are renewed this many times per lease while a handler runs (every lease/3).
    pub renewals_per_lease: u32,
    /// Every answer `claim` may give, in documentation order.
    pub claims: Vec<String>,
    /// Every answer `renew`, `complete` and `release` may give.
    pub helds: Vec<String>,
}

/// The Redis guard's key scheme, values and scripts, with the guard defaults (a function:
/// UniFFI exports no constants).
#[uniffi::export]
pub fn redis_protocol() -> RedisProtocol {
    RedisProtocol {
        default_prefix: redis::DEFAULT_PREFIX.to_owned(),
        done: redis::DONE.to_owned(),
        in_progress_prefix: redis::IN_PROGRESS_PREFIX.to_owned(),
        claim_script: redis::CLAIM.to_owned(),
        renew_script: redis::RENEW.to_owned(),
        complete_script: redis::COMPLETE.to_owned(),
        release_script: redis::RELEASE.to_owned(),
        default_retention_millis: redis::millis(DEFAULT_COMPLETED_RETENTION),
        default_lease_millis: redis::millis(DEFAULT_CLAIM_LEASE),
        renewals_per_lease: CLAIM_RENEWALS_PER_LEASE,
        claims: Claim::ALL.iter().map(|c| c.as_str().to_owned()).collect(),
        helds: Held::ALL.iter().map(|h| h.as_str().to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_guard_answers_the_core_strings_and_fences() -> Result<(), KompliantError> {
        let guard = MemoryGuard::new(None, Some(60_000))?;
        let (a, b) = (new_claim_token()?, new_claim_token()?);
        assert_eq!(guard.claim("wh_1".into(), a.clone(), 1_000)?, "ACQUIRED");
        assert_eq!(guard.claim("wh_1".into(), b.clone(), 1_000)?, "IN_PROGRESS");
        assert_eq!(guard.renew("wh_1".into(), b.clone(), 1_000)?, "LOST");
        assert_eq!(guard.release("wh_1".into(), b)?, "LOST");
        assert_eq!(guard.complete("wh_1".into(), a.clone())?, "HELD");
        assert_eq!(guard.claim("wh_1".into(), a, 1_000)?, "ALREADY_COMPLETED");
        assert_eq!(guard.len(), 1);
        assert_eq!(guard.retention_millis(), 60_000);
        let bad = guard.claim("wh_2".into(), "not a token".into(), 1_000);
        assert_eq!(bad.map_err(|e| e.code()), Err("INTERNAL".to_owned()));
        let long = guard.claim("x".repeat(300), new_claim_token()?, 1_000);
        assert_eq!(
            long.map_err(|e| e.code()),
            Err("MALFORMED_ENVELOPE".to_owned())
        );
        assert_eq!(
            MemoryGuard::new(Some(0), None).err().map(|e| e.code()),
            Some("INVALID_CONFIGURATION".to_owned())
        );
        assert!(guard.to_string().starts_with("MemoryGuard(len=1"));
        Ok(())
    }

    #[test]
    fn the_redis_protocol_is_the_cores() {
        let p = redis_protocol();
        assert_eq!(p.default_prefix, "kompliant:webhook:");
        assert_eq!(p.claim_script, redis::CLAIM);
        assert_eq!(p.default_retention_millis, 7 * 86_400_000);
        assert_eq!(p.claims.len(), 4);
        assert!(!handler_succeeded(true, None));
        assert!(!handler_succeeded(false, Some(400)));
        assert!(handler_succeeded(false, Some(399)));
    }
}
