//! Every point this project decided where Kompliant's documentation is silent,
//! in one place (spec "decided" items). `docs/decided.md` lists each one with a
//! link back here; change a value here and every language follows.

use std::time::Duration;

/// Name of the wire profile this SDK speaks by default (spec §2).
pub const PROFILE_NAME: &str = "kompliant-2025-11-21";

/// Name of the variant of [`PROFILE_NAME`] without additional authenticated data.
pub const PROFILE_NAME_NO_AAD: &str = "kompliant-2025-11-21-no-aad";

/// AES-GCM nonce length in bytes, at the front of the decoded `data` field.
pub const NONCE_LEN: usize = 12;

/// AES-GCM tag length in bytes, at the end of the decoded `data` field.
pub const TAG_LEN: usize = 16;

/// Separator between the metadata fields that form the AAD.
pub const AAD_SEPARATOR: &str = "|";

/// Largest request body a receiver accepts unless configured otherwise:
/// 8 MiB holds a 4 MiB payload after base64 (4/3) with room for the envelope.
/// Bodies over the limit are refused before any parsing.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Default maximum age of a webhook's `timestamp`: none. Redeliveries can come
/// days after the event (up to 95 attempts), so age checks are opt-in (spec §4).
pub const DEFAULT_MAX_AGE: Option<Duration> = None;

/// Default maximum distance of a webhook's `timestamp` into the future: none (opt-in).
pub const DEFAULT_MAX_FUTURE_SKEW: Option<Duration> = None;

/// Prefix of the environment variables the keyring loads secrets from:
/// `KOMPLIANT_WEBHOOK_SECRET_20251021_01` holds the secret of `whk_20251021_01`.
pub const ENV_SECRET_PREFIX: &str = "KOMPLIANT_WEBHOOK_SECRET_";

/// Minimum number of digits in a key id's daily sequence. Kompliant documents two
/// (`_01`), but allows 100 creations a day, so the 100th key is `_100`:
/// receivers accept two or more digits.
pub const KEY_SEQUENCE_MIN_DIGITS: usize = 2;

/// Longest key id a keyring accepts (a guard against garbage, far above `whk_YYYYMMDD_NNN`).
pub const MAX_KEY_ID_LEN: usize = 128;

/// Longest operator-facing detail an error carries; longer details (e.g. an echo of
/// a huge malformed field) are cut so logs stay readable.
pub const MAX_ERROR_DETAIL_LEN: usize = 240;
