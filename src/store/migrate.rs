//! Numbered, append-only schema migrations tracked by `PRAGMA user_version`.
//!
//! Each migration runs in its own transaction together with the version bump,
//! so a crash mid-migration leaves the file at the previous version. Never edit
//! a migration that has shipped: add a new one.

use rusqlite::Connection;

use super::StoreError;

/// `(version, name, SQL)`, in order. Version N is the N-th entry.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "core", include_str!("migrations/001_core.sql")),
    (2, "stories", include_str!("migrations/002_stories.sql")),
    (3, "search", include_str!("migrations/003_search.sql")),
    (4, "health", include_str!("migrations/004_feed_health.sql")),
    (5, "retention", include_str!("migrations/005_retention.sql")),
    (6, "newest", include_str!("migrations/006_newest_index.sql")),
    (
        7,
        "summary",
        include_str!("migrations/007_story_summary.sql"),
    ),
    (
        8,
        "multilingual",
        include_str!("migrations/008_multilingual.sql"),
    ),
    (
        9,
        "articles",
        include_str!("migrations/009_article_queue.sql"),
    ),
    (
        10,
        "extraction_path",
        include_str!("migrations/010_extraction_path.sql"),
    ),
    (
        11,
        "fts_batched",
        include_str!("migrations/011_fts_batched.sql"),
    ),
    (
        12,
        "fetch_instance",
        include_str!("migrations/012_fetch_instance.sql"),
    ),
    (
        13,
        "store_check",
        include_str!("migrations/013_store_check.sql"),
    ),
    (
        14,
        "story_pending",
        include_str!("migrations/014_story_pending.sql"),
    ),
    (
        15,
        "story_fingerprint_stories",
        include_str!("migrations/015_story_fingerprint_stories.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

fn version(conn: &Connection, path: &str) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|source| StoreError::sqlite(path, source))
}

/// Refuses a file written by a newer newswire.
pub fn check_version(conn: &Connection, path: &str) -> Result<i64, StoreError> {
    let found = version(conn, path)?;
    if found > latest() {
        return Err(StoreError::TooNew {
            path: path.to_string(),
            found,
            known: latest(),
        });
    }
    Ok(found)
}

/// Applies every migration the file has not seen yet.
pub fn run(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    let wrap = |source| StoreError::sqlite(path, source);
    let current = check_version(conn, path)?;
    for (number, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction().map_err(wrap)?;
        tx.execute_batch(sql).map_err(wrap)?;
        tx.pragma_update(None, "user_version", number)
            .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        tracing::info!(
            store = path,
            migration = number,
            name,
            "applied schema migration"
        );
    }
    Ok(())
}
