//! Random identifiers and secrets from the system generator, and the timestamp format every
//! simulator time uses (RFC 3339 UTC with milliseconds).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;
use zeroize::Zeroizing;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `2025-11-21T14:30:22.123Z`
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `20251121`, the date part of a key id.
const KEY_DATE: &[FormatItem<'static>] = format_description!("[year][month][day]");

/// The system random generator failed (never caused by input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RandomError(pub String);

/// Fills `buf` from the system generator.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(format!("system random generator failed: {e}")))
}

/// `len` uniformly random base62 characters.
pub(crate) fn base62(len: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        fill(&mut pool)?;
        // Rejection sampling: 248 = 4 * 62, so the accepted bytes are uniform modulo 62.
        for b in pool.iter().copied().filter(|b| *b < 248) {
            if out.len() == len {
                break;
            }
            if let Some(c) = BASE62.get(usize::from(b % 62)) {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// `prefix` followed by `len` random base62 characters.
pub(crate) fn prefixed(prefix: &str, len: usize) -> Result<String, RandomError> {
    Ok(format!("{prefix}{}", base62(len)?))
}

/// Standard padded base64 of `len` random bytes, in a buffer wiped on drop.
pub(crate) fn secret_base64(len: usize) -> Result<Zeroizing<String>, RandomError> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    fill(&mut bytes)?;
    Ok(Zeroizing::new(STANDARD.encode(bytes.as_slice())))
}

/// The current UTC time, truncated to whole milliseconds (so that a time and its formatted
/// text are the same instant).
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let millis = now.millisecond();
    now.replace_millisecond(millis).unwrap_or(now)
}

/// `2025-11-21T14:30:22.123Z`.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    // Formatting a UTC time with a four-digit year cannot fail.
    at.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_default()
}

/// `20251121`, the UTC date of `at` as a key id writes it.
pub(crate) fn key_date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(KEY_DATE)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn base62_has_the_length_and_alphabet() {
        let s = base62(300).unwrap();
        assert_eq!(s.len(), 300);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(base62(22).unwrap(), base62(22).unwrap());
        assert_eq!(prefixed("wh_", 22).unwrap().len(), 25);
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let at = datetime!(2025-11-21 14:30:22.123456 UTC);
        assert_eq!(timestamp(at), "2025-11-21T14:30:22.123Z");
        assert_eq!(
            timestamp(datetime!(2026-03-17 21:59:40 +02:00)),
            "2026-03-17T19:59:40.000Z"
        );
        assert_eq!(key_date(datetime!(2026-01-02 23:59:59 -01:00)), "20260103");
    }

    #[test]
    fn secrets_are_base64_of_the_length() {
        let s = secret_base64(32).unwrap();
        assert_eq!(STANDARD.decode(s.as_str()).unwrap().len(), 32);
    }
}
