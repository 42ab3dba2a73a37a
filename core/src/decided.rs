//! Every point this project decided where Kompliant's documentation is silent,
//! in one place (spec "decided" items). `docs/decided.md` lists each one with a
//! link back here; change a value here and every language follows.

use std::time::Duration;

/// Name of the wire profile this SDK speaks by default (spec §2).
pub const PROFILE_NAME: &str = "kompliant-2025-11-21";

/// The envelope `schema_version` this SDK was written against (documented current value;
/// older envelopes show `2025-10-21`). Sealing helpers and the simulator send it; receivers
/// accept any value.
pub const SCHEMA_VERSION: &str = "2025-11-21";

/// Name of the variant of [`PROFILE_NAME`] without additional authenticated data.
pub const PROFILE_NAME_NO_AAD: &str = "kompliant-2025-11-21-no-aad";

/// AES-GCM nonce length in bytes, at the front of the decoded `data` field.
pub(crate) const NONCE_LEN: usize = 12;

/// AES-GCM tag length in bytes, at the end of the decoded `data` field.
pub(crate) const TAG_LEN: usize = 16;

/// Separator between the metadata fields that form the AAD.
pub(crate) const AAD_SEPARATOR: &str = "|";

/// Largest request body a receiver accepts unless configured otherwise:
/// 8 MiB holds a 4 MiB payload after base64 (4/3) with room for the envelope.
/// Bodies over the limit are refused before any parsing.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Decided: deepest nesting of arrays and objects a payload may have (the top-level object
/// counts as 1): 127, serde_json's limit for building values. The earlier check (serde_json
/// skipping values) had none, so a deeper payload passed it and then failed later, in the
/// host language's parser (Python's `json.loads` raises `RecursionError` past about 1,000
/// levels) or in a typed view; it is now `PAYLOAD_NOT_JSON` up front, in every language, and
/// no binding's stack can be exhausted by a payload.
pub(crate) const MAX_PAYLOAD_DEPTH: usize = 127;

/// Default maximum age of a webhook's `timestamp`: none. Redeliveries can come
/// days after the event (up to 95 attempts), so age checks are opt-in (spec §4).
pub const DEFAULT_MAX_AGE: Option<Duration> = None;

/// Default maximum distance of a webhook's `timestamp` into the future: none (opt-in).
pub const DEFAULT_MAX_FUTURE_SKEW: Option<Duration> = None;

/// The HTTP status a framework adapter answers when the user's webhook handler fails (raises,
/// throws, rejects), whatever the error, a typed-view error included: 500, so Kompliant
/// redelivers and a receiver-side bug never drops a webhook. (Failures of the receive checks
/// themselves answer their own status: `ErrorCode::http_status`.)
pub const HANDLER_FAILURE_STATUS: u16 = 500;

/// Prefix of the environment variables the keyring loads secrets from:
/// `KOMPLIANT_WEBHOOK_SECRET_20251021_01` holds the secret of `whk_20251021_01`.
pub const ENV_SECRET_PREFIX: &str = "KOMPLIANT_WEBHOOK_SECRET_";

/// Minimum number of digits in a key id's daily sequence. Kompliant documents two
/// (`_01`), but allows 100 creations a day, so the 100th key is `_100`:
/// receivers accept two or more digits.
pub const KEY_SEQUENCE_MIN_DIGITS: usize = 2;

/// Prefix of Kompliant's key ids (documented): `whk_YYYYMMDD_NN`.
pub const KEY_ID_PREFIX: &str = "whk_";

/// Decided: most digits in a key id's daily sequence that the documented shape check accepts
/// (100 keys a day need 3; 9 keeps the number within `u32` for a store that parses it).
pub(crate) const KEY_SEQUENCE_MAX_DIGITS: usize = 9;

/// Decided: the largest `retry_count` an envelope may carry, 2^53 - 1: above it a JSON number
/// is not exact in every language (I-JSON, RFC 7493; JavaScript's `number`), so a larger
/// count is `MALFORMED_ENVELOPE` everywhere rather than a rounded value in Node. Kompliant's
/// counts stay below 100.
pub const MAX_RETRY_COUNT: u64 = (1 << 53) - 1;

/// Decided: longest key id a keyring accepts, 40 bytes: far above `whk_YYYYMMDD_NNN` (16),
/// and below every text spelling of a 32-byte secret (43 or more characters: base64 with or
/// without padding, URL-safe or not, hex), so a secret swapped into the key id position is
/// always refused, and a refused key id is never echoed.
pub(crate) const MAX_KEY_ID_LEN: usize = 40;

/// Longest operator-facing detail an error carries; longer details (e.g. an echo of
/// a huge malformed field) are cut so logs stay readable.
pub(crate) const MAX_ERROR_DETAIL_LEN: usize = 240;

// ---- API client (spec §5) ----

/// The Kompliant API version the client pins and sends as `X-API-Version`. Kompliant
/// answers with the latest version when the header is absent; pinning keeps the response
/// shapes this SDK parses stable.
pub const API_VERSION: &str = "2025-03-24";

/// Default API base URL (documented). Every call is `POST {base_url}/{method}`.
pub const DEFAULT_BASE_URL: &str = "https://api.kompliant.com";

/// Scheme name in the `Authorization` header: `KSig1-HMAC-SHA256 <signature>` (documented).
pub const SIGNATURE_SCHEME: &str = "KSig1-HMAC-SHA256";

/// The elements the client signs, sent as `X-API-Signed-Elements`. Decided: only the
/// always-signed `API-Key`, so the string to sign is the API key's UTF-8 bytes.
pub const SIGNED_ELEMENTS: &str = "API-Key";

/// Default end-to-end timeout of one HTTP attempt (connect, send, receive the whole answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default timeout for resolving the host and establishing the connection (TLS included).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default number of retries after the first attempt (so at most 4 attempts).
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// Default base of the exponential backoff: retry `n` (from 0) waits a random time in
/// `[0, min(retry_max_delay, retry_base × 2ⁿ)]` ("full jitter").
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(250);

/// Default longest wait before a retry; a server's `Retry-After` is capped to it too.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(10);

/// HTTP statuses after which a safe call is retried: throttling and transient server or
/// gateway failures. Kompliant documents 429, 500, 503 and 504; 502 is added because the
/// proxies in front of any API produce it for the same transient reasons.
#[cfg(feature = "client")]
pub(crate) const RETRYABLE_HTTP_STATUSES: &[u16] = &[429, 500, 502, 503, 504];

/// Largest API response body the client reads; a larger body is `INVALID_RESPONSE`.
/// Kompliant's answers are a few KiB (a list of at most 20 endpoint configurations).
#[cfg(feature = "client")]
pub(crate) const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// Response field of `webhook.key.activate` holding the key that the activation moved to
/// DELETED. SIMULATOR EXTENSION: Kompliant does not document it, and the local simulator
/// adds it. Against the real service `previous_key_id` may therefore be `None` even when a
/// key was replaced (read it with `webhook.key.get` of the key you stored before).
pub const PREVIOUS_KEY_ID_FIELD: &str = "previous_key_id";

/// Environment variable holding the API key (`KompliantClient::from_env`).
pub const ENV_API_KEY: &str = "KOMPLIANT_API_KEY";

/// Environment variable holding the base64 secret key that signs requests.
pub const ENV_SECRET_KEY: &str = "KOMPLIANT_SECRET_KEY";

/// Environment variable holding the auth token.
pub const ENV_AUTH_TOKEN: &str = "KOMPLIANT_AUTH_TOKEN";

/// Optional environment variable overriding the base URL (e.g. the local simulator).
pub const ENV_BASE_URL: &str = "KOMPLIANT_BASE_URL";

// ---- Duplicates and retired keys (spec §4) ----

/// How long after a webhook's first attempt Kompliant may still redeliver it: 7 days.
/// Kompliant documents 95 attempts with exponential backoff but not the schedule; the local
/// simulator's (1 s doubling, capped at 1 h) spans about 3.5 days, and 7 days leaves room for
/// a slower real schedule. Completed webhook ids and retired keys are kept this long.
pub const RETRY_HORIZON: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How long a duplicate guard remembers a completed webhook id by default: the retry
/// horizon, so every redelivery of a processed webhook is recognised.
pub const DEFAULT_COMPLETED_RETENTION: Duration = RETRY_HORIZON;

/// How long a retired key stays in a keyring by default: the retry horizon, because a
/// redelivery re-sends the envelope sealed for the first attempt, with the old key id.
pub const DEFAULT_RETIRED_KEY_RETENTION: Duration = RETRY_HORIZON;

/// Decided: how often a watched keyring ([`Keyring::watch`](crate::Keyring::watch)) looks
/// at its file: at most once a second (a `stat`; the file is read only when it changed). A
/// webhook naming a key id the keyring lacks makes it look at once, so a key stored by a
/// rotation is used from its first webhook; a retired or removed key goes within 1 s.
pub const KEYRING_WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Decided: largest keyring file read, 1 MiB (a key takes about 100 bytes): a bigger file
/// is the wrong file, refused with `INVALID_KEY` rather than read into memory.
pub(crate) const MAX_KEYRING_FILE_BYTES: u64 = 1024 * 1024;

/// How long a claim on a webhook id lasts by default before it lapses (the processor is
/// then presumed dead and a redelivery may claim the id). Kompliant waits 30 s for an
/// answer; a handler can run on after that, and a lease shorter than the handler would let
/// a redelivery run it a second time, so the lease is ten times that.
pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(5 * 60);

/// Decided: how often a running handler's claim is renewed, as a fraction of the lease (a
/// third: one renewal can fail, or a store answer take up to a third of the lease, and the
/// next still comes before the lease lapses; the next is due a third after the previous
/// call returned, so two failures in a row lose the claim).
pub const CLAIM_RENEWALS_PER_LEASE: u32 = 3;

/// Decided: a handler that returns a response of this status or more has failed, exactly as
/// one that raises: its claim is released and the answer is 500, so Kompliant redelivers
/// (the one rule of every adapter, [`ReceiveOutcome::handler_succeeded`](crate::ReceiveOutcome::handler_succeeded)).
pub const HANDLER_FAILED_FROM_STATUS: u16 = 400;

/// Most webhook ids an in-memory guard holds by default (in progress and completed; about
/// 220 bytes each, measured, so about 220 MB when full). A full guard refuses new ids with a
/// retryable answer (503) instead of forgetting completed ones early, which could let a late
/// duplicate be processed twice. At the default 7-day retention this covers a sustained 1.6
/// webhooks per second.
pub const DEFAULT_GUARD_MAX_ENTRIES: usize = 1_000_000;

/// Longest webhook id a guard accepts (Kompliant's are `wh_` + about 22 characters): keeps
/// the guard bounded when ids are not authenticated (a profile without AAD).
pub(crate) const MAX_WEBHOOK_ID_LEN: usize = 256;
