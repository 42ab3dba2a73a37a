//! The PostgreSQL guard's protocol, defined once: the table, its DDL and the statements the
//! Python (psycopg 3) and Node (`pg`) guards load from here and run over a connection the
//! user supplies. One row per webhook id; each statement is one atomic SQL statement
//! answering one row with one text column, `answer`, that the core parses:
//! [`Claim::parse`](crate::Claim::parse) for [`claim`], [`Held::parse`](crate::Held::parse)
//! for [`renew`], [`complete`] and [`release`].
//!
//! Statements use `$1`, `$2`, … placeholders (what `pg` and the server take);
//! [`pyformat`] turns them into psycopg's `%(p1)s`. Times are the server's
//! (`clock_timestamp()`), so receivers' clocks do not matter; durations are passed as whole
//! milliseconds ([`millis`](super::redis::millis)).
//!
//! **Transactional mode**: [`complete`] may run inside the transaction in which the handler
//! made its own writes. While that transaction is open it holds the row's lock, so no other
//! delivery can claim the id before it commits, and it commits only if [`complete`] answered
//! `HELD`: the handler's writes and the "processed" mark commit together or not at all.

use crate::error::WebhookError;

/// The default table name.
pub const DEFAULT_TABLE: &str = "kompliant_webhook_claims";

/// Longest part of a table name (PostgreSQL truncates identifiers at 63 bytes).
const MAX_IDENTIFIER: usize = 63;

/// Checks a table name: `name` or `schema.name`, each part lower-case ASCII letters, digits
/// and `_`, not starting with a digit, at most 63 bytes (so it needs no quoting and cannot
/// inject SQL).
///
/// # Errors
/// `INVALID_CONFIGURATION` naming the rule.
pub fn check_table(table: &str) -> Result<(), WebhookError> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part.len() <= MAX_IDENTIFIER
            && !part.starts_with(|c: char| c.is_ascii_digit())
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let parts: Vec<&str> = table.split('.').collect();
    if parts.len() <= 2 && parts.iter().all(|p| part_ok(p)) {
        Ok(())
    } else {
        Err(WebhookError::InvalidConfiguration {
            detail: format!(
                "the guard's table must be `name` or `schema.name`, each part 1-{MAX_IDENTIFIER} lower-case letters, digits or _ not starting with a digit (got {} bytes)",
                table.len()
            ),
        })
    }
}

/// The table's last part (an index is named after it, in the table's schema).
fn base_name(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// The DDL creating the table and its index if missing (two statements; run them in one
/// transaction). `table` must pass [`check_table`].
pub fn create_table(table: &str) -> String {
    let base = base_name(table);
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
  webhook_id text PRIMARY KEY CHECK (length(webhook_id) BETWEEN 1 AND 256),
  state text NOT NULL CHECK (state IN ('in-progress', 'done')),
  token text CHECK ((state = 'in-progress') = (token IS NOT NULL)),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS {base}_expires_at ON {table} (expires_at)"
    )
}

/// Claims an id: `$1` webhook id, `$2` token, `$3` lease in milliseconds. A row whose lease
/// or retention ended is taken over. Answers `ACQUIRED`, `ALREADY_COMPLETED` or
/// `IN_PROGRESS` (also when another transaction committed the id a moment ago: the retry
/// then sees it completed).
pub fn claim(table: &str) -> String {
    format!(
        "WITH claimed AS (
  INSERT INTO {table} AS c (webhook_id, state, token, expires_at)
  VALUES ($1, 'in-progress', $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
  ON CONFLICT (webhook_id) DO UPDATE
    SET state = 'in-progress', token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
    WHERE c.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT CASE
  WHEN EXISTS (SELECT 1 FROM claimed) THEN 'ACQUIRED'
  WHEN (SELECT state FROM {table} WHERE webhook_id = $1) = 'done' THEN 'ALREADY_COMPLETED'
  ELSE 'IN_PROGRESS'
END AS answer"
    )
}

/// Extends the holder's lease: `$1` webhook id, `$2` token, `$3` lease in milliseconds.
/// Answers `HELD`, or `LOST` (nothing changed) when the token does not hold a live claim.
pub fn renew(table: &str) -> String {
    format!(
        "WITH renewed AS (
  UPDATE {table} SET expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
  WHERE webhook_id = $1 AND state = 'in-progress' AND token = $2 AND expires_at > clock_timestamp()
  RETURNING 1
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM renewed) THEN 'HELD' ELSE 'LOST' END AS answer"
    )
}

/// Records the id as processed: `$1` webhook id, `$2` token, `$3` retention in
/// milliseconds. Done while the token holds the claim, or when the row is gone or expired
/// (nobody holds it): `HELD`; otherwise `LOST`, nothing changed. In transactional mode, run
/// it in the handler's transaction and commit only on `HELD`.
pub fn complete(table: &str) -> String {
    format!(
        "WITH completed AS (
  INSERT INTO {table} AS c (webhook_id, state, token, expires_at)
  VALUES ($1, 'done', NULL, clock_timestamp() + $3::bigint * interval '1 millisecond')
  ON CONFLICT (webhook_id) DO UPDATE
    SET state = 'done', token = NULL, expires_at = EXCLUDED.expires_at
    WHERE (c.state = 'in-progress' AND c.token = $2) OR c.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM completed) THEN 'HELD' ELSE 'LOST' END AS answer"
    )
}

/// Gives up the holder's claim: `$1` webhook id, `$2` token. Deletes the row only while the
/// token holds a live claim (`HELD`); a completed id or another holder's claim is left alone
/// (`LOST`).
pub fn release(table: &str) -> String {
    format!(
        "WITH released AS (
  DELETE FROM {table}
  WHERE webhook_id = $1 AND state = 'in-progress' AND token = $2 AND expires_at > clock_timestamp()
  RETURNING 1
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM released) THEN 'HELD' ELSE 'LOST' END AS answer"
    )
}

/// Deletes at most `$1` rows whose lease or retention ended (the retention cleanup; run it
/// now and then, e.g. hourly, until it answers fewer than `$1`). Answers the count deleted,
/// in the column `deleted`.
pub fn cleanup(table: &str) -> String {
    format!(
        "WITH expired AS (
  DELETE FROM {table} WHERE ctid IN (
    SELECT ctid FROM {table} WHERE expires_at <= clock_timestamp() LIMIT $1::bigint
  )
  RETURNING 1
)
SELECT count(*)::bigint AS deleted FROM expired"
    )
}

/// A statement with `$N` placeholders in psycopg's named style, `%(pN)s` (pass the
/// parameters as `{"p1": …, "p2": …}`). The statements hold no `%` of their own.
pub fn pyformat(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push_str("%(p");
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
            out.push_str(")s");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn table_names_that_need_no_quoting_are_the_only_ones_taken() {
        for ok in [DEFAULT_TABLE, "webhooks.claims", "_t", "t1"] {
            check_table(ok).unwrap();
        }
        for bad in [
            "",
            "Claims",
            "1t",
            "a.b.c",
            "t; DROP TABLE x",
            "t\"",
            &"t".repeat(64),
            "s.",
        ] {
            assert_eq!(
                check_table(bad).unwrap_err().code(),
                ErrorCode::InvalidConfiguration,
                "{bad}"
            );
        }
    }

    #[test]
    fn statements_name_the_table_and_convert_to_psycopg_placeholders() {
        let sql = claim("s.claims");
        assert!(sql.contains("INSERT INTO s.claims AS c"));
        assert!(create_table("s.claims").contains("claims_expires_at ON s.claims"));
        let py = pyformat(&sql);
        assert!(py
            .contains("VALUES (%(p1)s, 'in-progress', %(p2)s, clock_timestamp() + %(p3)s::bigint"));
        assert!(!py.contains('$'));
        assert_eq!(pyformat("a $10 b $ c"), "a %(p10)s b $ c");
        for statement in [claim, renew, complete, release] {
            assert!(statement(DEFAULT_TABLE).ends_with("AS answer"));
        }
    }
}
