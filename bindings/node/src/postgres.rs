//! The PostgreSQL guard's protocol for `kompliant-webhooks/postgres` (`node/postgres.js`): the
//! core's table name rule, DDL and statements ([`core::postgres`]), so no SQL is written
//! again in JavaScript.

use kompliant_webhooks as core;
use kompliant_webhooks::decided::DEFAULT_COMPLETED_RETENTION;
use napi_derive::napi;

use crate::error::{guard, webhook_error};

/// The core's PostgreSQL statements for one table (`$1`… placeholders, what `pg` takes).
#[napi(object)]
pub struct NativePostgresStatements {
    /// The table, as checked.
    pub table: String,
    /// The DDL creating the table and its index if missing: two statements, run them in one
    /// transaction.
    pub create_table: String,
    /// Claims: $1 webhook id, $2 token, $3 lease ms → `answer` `ACQUIRED`/`ALREADY_COMPLETED`/`IN_PROGRESS`.
    pub claim: String,
    /// Renews: $1 webhook id, $2 token, $3 lease ms → `answer` `HELD`/`LOST`.
    pub renew: String,
    /// Completes: $1 webhook id, $2 token, $3 retention ms → `answer` `HELD`/`LOST`.
    pub complete: String,
    /// Releases: $1 webhook id, $2 token → `answer` `HELD`/`LOST`.
    pub release: String,
    /// Deletes at most $1 rows whose lease or retention ended → `deleted`, the count.
    pub cleanup: String,
}

/// The core's default table name (`kompliant_webhook_claims`).
#[napi]
pub fn postgres_default_table() -> String {
    core::postgres::DEFAULT_TABLE.to_owned()
}

/// The default retention of a processed id, in seconds (the core's, 7 days).
#[napi]
pub fn postgres_default_retention_seconds() -> f64 {
    DEFAULT_COMPLETED_RETENTION.as_secs_f64()
}

/// The statements for `table` (default: the core's), after the core's `check_table`: an
/// `INVALID_CONFIGURATION` error for a name that is not `name` or `schema.name` in lower-case
/// letters, digits and `_`.
#[napi]
pub fn postgres_statements(table: Option<String>) -> napi::Result<NativePostgresStatements> {
    guard(|| {
        let table = table.unwrap_or_else(|| core::postgres::DEFAULT_TABLE.to_owned());
        core::postgres::check_table(&table).map_err(|e| webhook_error(&e))?;
        Ok(NativePostgresStatements {
            create_table: core::postgres::create_table(&table),
            claim: core::postgres::claim(&table),
            renew: core::postgres::renew(&table),
            complete: core::postgres::complete(&table),
            release: core::postgres::release(&table),
            cleanup: core::postgres::cleanup(&table),
            table,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_are_the_cores() {
        let s = postgres_statements(None).unwrap();
        assert_eq!(s.table, "kompliant_webhook_claims");
        assert_eq!(
            s.claim,
            core::postgres::claim(core::postgres::DEFAULT_TABLE)
        );
        assert_eq!(
            postgres_statements(Some("app.claims".into()))
                .unwrap()
                .create_table,
            core::postgres::create_table("app.claims")
        );
        for bad in ["Claims", "a.b.c", "t; DROP TABLE x", ""] {
            assert!(postgres_statements(Some(bad.into())).is_err(), "{bad}");
        }
        assert_eq!(postgres_default_retention_seconds(), 7.0 * 24.0 * 3600.0);
    }
}
