//! Every point the simulator decides where Kompliant's documentation is silent (spec §5-§6
//! "decided" items), in one place. Change a value here and the whole simulator follows.
//!
//! Decided behaviours that are not a single value are described where they are implemented:
//! the order of request checks (malformed 400 → 413 → 405 → 404 → 415 → version → 401 →
//! JSON body → method) in the `http` module; what each fault does on [`crate::Fault`]; how configured accounts and
//! the state file's accounts combine on [`crate::SimConfig::accounts`] /
//! [`crate::Simulator::accounts`] (a configured account replaces the state file's account of
//! the same id); that pending deliveries, logs and fault switches are not persisted on
//! [`crate::SimConfig::state_file`]; that `webhook.key.get` and `webhook.config.get` omit an
//! absent optional timestamp rather than sending `null`.

use std::time::Duration;

// ---------------------------------------------------------------------------------------
// API envelope and versions
// ---------------------------------------------------------------------------------------

/// The API version the simulator speaks (`meta.version`, `X-API-Version`) (documented).
pub const API_VERSION: &str = kompliant_webhooks::decided::API_VERSION;

/// The latest API version reported by `meta.checkVersion` (documented value).
pub const LATEST_API_VERSION: &str = "2025-03-24";

/// Decided: an `X-API-Version` header naming another version is refused with 400
/// `BAD_REQUEST` (the simulator implements only [`API_VERSION`]). Absent means latest.
pub const SUPPORTED_API_VERSIONS: &[&str] = &[API_VERSION];

/// Prefix of `meta.trace_id` (documented), followed by [`TRACE_ID_RANDOM_LEN`] base62 chars.
pub const TRACE_ID_PREFIX: &str = "trc_";

/// Decided: number of random base62 characters in a trace id.
pub const TRACE_ID_RANDOM_LEN: usize = 20;

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

/// The `Authorization` scheme (documented): `KSig1-HMAC-SHA256 <base64 signature>`.
pub const AUTH_SCHEME: &str = kompliant_webhooks::decided::SIGNATURE_SCHEME;

/// Decided: the only signed-elements list accepted (`X-API-Signed-Elements`, compared
/// ASCII-case-insensitively); the header may also be absent. The string-to-sign is then the
/// API key's UTF-8 bytes (documented quick-start).
pub const SIGNED_ELEMENTS: &str = kompliant_webhooks::decided::SIGNED_ELEMENTS;

/// Decided: a request body's `account_id` that is not the caller's account is refused with
/// HTTP 403 `FORBIDDEN`. The check depends only on the `account_id` given, never on whether
/// the entity named in the request exists, so it reveals nothing about other accounts.
pub const FOREIGN_ACCOUNT_STATUS: u16 = 403;

// ---------------------------------------------------------------------------------------
// Error codes and HTTP statuses
// ---------------------------------------------------------------------------------------

/// Code of a missing, ill-typed or malformed parameter, or a malformed JSON body (documented).
pub const CODE_BAD_REQUEST: &str = "BAD_REQUEST";
/// Code of a failed credential check (HTTP 401) (documented status; decided code).
pub const CODE_UNAUTHORIZED: &str = "UNAUTHORIZED";
/// Code of a request for another account (HTTP 403) (decided).
pub const CODE_FORBIDDEN: &str = "FORBIDDEN";
/// Code of an unknown key or config (documented).
pub const CODE_ENTITY_NOT_FOUND: &str = "ENTITY_NOT_FOUND";
/// Code of a business-rule violation, with `entity_type` and `sub_code` (documented).
pub const CODE_SYSTEM_RULE_VIOLATION: &str = "SYSTEM_RULE_VIOLATION";
/// Decided: code of a request to an unknown method path (HTTP 404).
pub const CODE_NOT_FOUND: &str = "NOT_FOUND";
/// Decided: code of a request with an HTTP method other than POST (HTTP 405).
pub const CODE_METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// Decided: code of a body over the size limit (HTTP 413).
pub const CODE_PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// Decided: code of a body that is not `application/json` (HTTP 415).
pub const CODE_UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// Decided: code of an internal failure (HTTP 500): state file not writable, RNG failure.
pub const CODE_INTERNAL_ERROR: &str = "INTERNAL_ERROR";

/// HTTP status of an unknown or foreign key (documented: 400, unlike configs).
pub const KEY_NOT_FOUND_STATUS: u16 = 400;
/// HTTP status of an unknown or foreign config on get/update/delete (documented).
pub const CONFIG_NOT_FOUND_STATUS: u16 = 404;
/// HTTP status of a `SYSTEM_RULE_VIOLATION` (decided: 400; 429 is for throttling).
pub const RULE_VIOLATION_STATUS: u16 = 400;

/// `entity_type` of webhook-key errors (documented).
pub const ENTITY_WEBHOOK_KEY: &str = "Webhook Key";
/// `entity_type` of webhook-config errors (documented).
pub const ENTITY_WEBHOOK_CONFIG: &str = "Webhook Config";

/// Decided sub-code: activating a DELETED key.
pub const SUB_KEY_DELETED: &str = "KEY_DELETED";
/// Sub-code of the daily key-creation limit (seed document).
pub const SUB_DAILY_KEY_LIMIT: &str = "DAILY_KEY_LIMIT";
/// Sub-code of a URL already configured for the account (documented).
pub const SUB_URL_ALREADY_EXISTS: &str = "URL_ALREADY_EXISTS";
/// Sub-code of the per-account endpoint limit (documented).
pub const SUB_MAX_WEBHOOK_URL_LIMIT: &str = "MAX_WEBHOOK_URL_LIMIT";
/// Decided sub-code (simulator only): `sim.event.trigger` with no ACTIVE key.
pub const SUB_NO_ACTIVE_KEY: &str = "NO_ACTIVE_KEY";

/// Message of the daily-limit error (seed document, verbatim).
pub const DAILY_KEY_LIMIT_MESSAGE: &str = "Maximum daily key creation limit reached";

// ---------------------------------------------------------------------------------------
// Keys and configs
// ---------------------------------------------------------------------------------------

/// Prefix of key ids (documented): `whk_YYYYMMDD_NN`.
pub const KEY_ID_PREFIX: &str = kompliant_webhooks::decided::KEY_ID_PREFIX;
/// Key creations allowed per account per UTC day (documented).
pub const DAILY_KEY_LIMIT: usize = 100;
/// Minimum digits of a key id's daily sequence (documented `01`; the 100th key is `_100`).
pub const KEY_SEQUENCE_MIN_DIGITS: usize = kompliant_webhooks::decided::KEY_SEQUENCE_MIN_DIGITS;
/// Decided: random bytes in a new `shared_secret` (an AES-256 key).
pub const SHARED_SECRET_LEN: usize = kompliant_webhooks::SECRET_LEN;
/// Decided simulator extension: `webhook.key.activate` also returns this field, the key id
/// moved to DELETED by the activation, or `null` (none, or the key was already ACTIVE).
pub const PREVIOUS_KEY_ID_FIELD: &str = kompliant_webhooks::decided::PREVIOUS_KEY_ID_FIELD;

/// Prefix of config ids (documented), followed by [`CONFIG_ID_RANDOM_LEN`] base62 chars.
pub const CONFIG_ID_PREFIX: &str = "whc_";
/// Decided: random base62 characters in a config id.
pub const CONFIG_ID_RANDOM_LEN: usize = 20;
/// Non-deleted endpoint configurations allowed per account (documented).
pub const MAX_CONFIGS_PER_ACCOUNT: usize = 20;
/// Decided: longest endpoint URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

// ---------------------------------------------------------------------------------------
// Events and envelopes
// ---------------------------------------------------------------------------------------

/// Envelope `schema_version` the simulator sends (documented current value).
pub const SCHEMA_VERSION: &str = kompliant_webhooks::decided::SCHEMA_VERSION;
/// Payload `version` of generated payloads (documented).
pub const PAYLOAD_VERSION: &str = "1.0";
/// Prefix of webhook ids (documented), followed by [`WEBHOOK_ID_RANDOM_LEN`] base62 chars.
pub const WEBHOOK_ID_PREFIX: &str = "wh_";
/// Random base62 characters in a webhook id (documented "~22").
pub const WEBHOOK_ID_RANDOM_LEN: usize = 22;
/// Decided: longest `event_type` accepted by `sim.event.trigger`; it must be 1 or more of
/// `A-Z`, `0-9`, `_` (event types are SCREAMING_SNAKE and enter the AAD).
pub const MAX_EVENT_TYPE_LEN: usize = 64;
/// Decided: the key id the `unknown_key_id` fault writes into the envelope. Sequence `999`
/// can never be issued (the daily limit is 100), so no receiver holds it.
pub const UNKNOWN_KEY_ID: &str = "whk_19700101_999";

// ---------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------

/// Decided: redirects are not followed; a 3xx answer is a failed attempt.
pub const MAX_DELIVERY_REDIRECTS: u32 = 0;
/// `User-Agent` of deliveries.
pub const USER_AGENT: &str = concat!("kompliant-sim/", env!("CARGO_PKG_VERSION"));
/// The only answer that acknowledges a delivery (documented: "Acknowledge with HTTP 200";
/// anything else, other 2xx included, is a failed delivery and is retried).
pub const ACKNOWLEDGEMENT_STATUS: u16 = 200;
/// Decided: the largest `retry_base`, `retry_cap` and `delivery_timeout` a [`crate::SimConfig`]
/// accepts (a week), so every deadline the engine computes fits in an `Instant`.
pub const MAX_CONFIG_DURATION: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Delivery attempts per endpoint, the first included (documented: 95).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 95;
/// Decided: the first retry waits this long; each later one twice the previous.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(1);
/// Decided: the longest wait between two attempts. With 1 s doubling, attempts 13 to 95 are
/// an hour apart, so a delivery is given up after about 3.5 days.
pub const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(60 * 60);
/// How long a receiver has to answer an attempt (documented: 30 s).
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Decided: a `reorder` fault holds an event's first deliveries until the account's next
/// event had its first attempts, or at most this long if no event follows.
pub const REORDER_MAX_HOLD: Duration = Duration::from_secs(30);
/// Decided: delivery and event records kept in memory (oldest dropped first).
pub const MAX_LOG_RECORDS: usize = 10_000;
/// Decided: how many of the last events can be redelivered from the inspector (their sealed
/// envelopes are kept in memory).
pub const REDELIVERABLE_EVENTS: usize = 1_000;
/// Decided: largest count a `sim.faults.set` switch accepts.
pub const MAX_FAULT_COUNT: u64 = 1_000_000;
/// Decided: threads delivering webhooks by default (`SimConfig::delivery_workers`).
pub const DELIVERY_WORKERS: usize = 4;
/// Decided: most delivery threads a simulator may be configured with.
pub const MAX_DELIVERY_WORKERS: usize = 256;

// ---------------------------------------------------------------------------------------
// HTTP server and state
// ---------------------------------------------------------------------------------------

/// Decided: default listen address; port 0 lets the OS pick (tests run in parallel).
pub const DEFAULT_LISTEN: ([u8; 4], u16) = ([127, 0, 0, 1], 0);
/// Decided: largest API request body, in bytes (API requests are small JSON objects).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long shutdown waits for busy delivery threads (a delivery in flight) before leaving
/// them to finish on their own.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Version of the state file format written: 2 leaves out the secret of a DELETED key (and
/// never holds a deleted config), which a simulator reading only format 1 would refuse.
pub const STATE_FILE_FORMAT: u32 = 2;
/// The oldest state file format still read (format 1 kept deleted configs and the secrets of
/// DELETED keys: both are dropped on load).
pub const OLDEST_STATE_FILE_FORMAT: u32 = 1;
/// Decided: the state file is written at most once per this interval for config changes (a
/// burst of changes costs one write per interval); key creation and activation are written
/// before they are answered. What `kill -9` can lose: the config changes of the last interval.
pub const STATE_WRITE_INTERVAL: Duration = Duration::from_millis(100);
/// Decided: random base62 characters of a generated sandbox account id (after `sb_`).
pub const SANDBOX_ACCOUNT_ID_RANDOM_LEN: usize = 16;
/// Decided: base62 characters of a generated API key.
pub const GENERATED_API_KEY_LEN: usize = 32;
/// Decided: base62 characters of a generated auth token.
pub const GENERATED_AUTH_TOKEN_LEN: usize = 40;
/// Decided: random bytes of a generated account secret key (before base64).
pub const GENERATED_SECRET_KEY_LEN: usize = 32;
