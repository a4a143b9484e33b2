//! PostgreSQL schema migrations, numbered and append-only like SQLite's,
//! recorded in `schema_migrations`. Each runs in one transaction under a
//! transaction-scoped advisory lock, so daemons starting together migrate
//! once; a database written by a newer newswire is refused.

use super::{Target, lock_key, pg_error};
use crate::store::StoreError;

/// (version, name, SQL), in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[(1, "core", include_str!("migrations/001_core.sql"))];

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())";

fn version(
    q: &mut impl postgres::GenericClient,
    url: &Target,
    create: bool,
) -> Result<i64, StoreError> {
    let wrap = |source| pg_error(url.shown(), source);
    if create {
        q.batch_execute(CREATE).map_err(wrap)?;
    } else {
        let exists: bool = q
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .map_err(wrap)?
            .get(0);
        if !exists {
            return Ok(0);
        }
    }
    let found: Option<i64> = q
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(wrap)?
        .get(0);
    let found = found.unwrap_or(0);
    if found > latest() {
        return Err(StoreError::TooNew {
            path: url.shown().to_owned(),
            found,
            known: latest(),
        });
    }
    Ok(found)
}

/// Refuses a database written by a newer newswire; the version found.
pub fn check_version(client: &mut postgres::Client, url: &Target) -> Result<i64, StoreError> {
    version(client, url, false)
}

/// Applies every migration the database has not seen yet.
pub fn run(client: &mut postgres::Client, url: &Target) -> Result<(), StoreError> {
    let wrap = |source| pg_error(url.shown(), source);
    loop {
        let mut tx = client.transaction().map_err(wrap)?;
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({})",
            lock_key("migrate")
        ))
        .map_err(wrap)?;
        let current = version(&mut tx, url, true)?;
        let Some((number, name, sql)) = MIGRATIONS.iter().find(|m| m.0 > current) else {
            tx.commit().map_err(wrap)?;
            return Ok(());
        };
        tx.batch_execute(sql).map_err(wrap)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[number, name],
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        tracing::info!(
            store = url.shown(),
            migration = number,
            name,
            "applied schema migration"
        );
    }
}
