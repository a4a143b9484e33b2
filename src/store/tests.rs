//! What only the SQLite store has: its pragmas, its query plans and its
//! answers where a cluster would lease. The behaviour both backends share
//! is the suite in `store::suite`, run on SQLite and PostgreSQL alike.

use super::*;
use std::time::Duration;

use super::suite::{entry, feed_config, item, poll};
use chrono::Utc;

#[test]
fn migrations_are_applied_once_and_versioned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/dir/n.db");
    drop(SqliteStore::open(&path).expect("create"));
    let store = SqliteStore::open(&path).expect("reopen");
    let v: i64 = store
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, migrate::latest());
    let mode: String = store
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    store
        .connection()
        .pragma_update(None, "user_version", 999)
        .expect("bump");
    drop(store);
    let err = SqliteStore::open(&path).err().expect("too new is refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn newest_items_are_listed_from_the_index_not_a_sort() {
    let store = SqliteStore::open_in_memory().expect("open");
    let plan: Vec<String> = store
        .connection()
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM items i
             ORDER BY COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC LIMIT 20",
        )
        .expect("prepare")
        .query_map([], |r| r.get::<_, String>(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("rows");
    let plan = plan.join("\n");
    assert!(plan.contains("items_newest"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

#[test]
fn a_postgres_store_in_a_build_without_it_is_a_clear_error() {
    let url = crate::model::PgUrl::parse("postgres://news:s3cret@127.0.0.1:1/wire").expect("url");
    let err = crate::store::Store::open(crate::model::StoreLocation::Postgres(url))
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("postgres://news@127.0.0.1:1/wire"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn the_facade_answers_for_sqlite_where_a_cluster_would_lease() {
    let mut store = crate::store::Store::open_in_memory().expect("open");
    assert_eq!(store.kind(), "sqlite");
    assert!(!store.is_clustered());
    store
        .sync_feeds(&[feed_config("a", "https://a.example/feed")], Utc::now())
        .expect("sync");
    let names = vec!["a".to_string()];
    assert!(
        store
            .claim_due("me", &names, 10, Duration::from_secs(60))
            .expect("claim")
            .is_empty(),
        "nothing is leased on SQLite"
    );
    assert!(
        store
            .try_periodic("housekeeping", Duration::from_secs(3600), "me")
            .expect("periodic")
    );
    // Never polled: due at once.
    assert!(store.next_due_at(&names).expect("next").is_some());
    let state = store.feed_state("a").expect("state").expect("row");
    assert_eq!(state.lease_owner, None);
    let poll = PollRecord {
        feed_id: state.id,
        started_at: Utc::now(),
        elapsed: Duration::from_millis(5),
        outcome: PollOutcome::NotModified {
            etag: None,
            last_modified: None,
        },
        entries: 0,
        new_entries: Vec::new(),
        linked: Vec::new(),
        next_due_at: Utc::now() + chrono::TimeDelta::hours(1),
        error_count: 0,
        instance: Some("host-1".into()),
        lease: None,
    };
    store.record_poll(&poll).expect("write");
    let next = store.next_due_at(&names).expect("next").expect("due");
    assert!(next > Utc::now());
}

/// Issue 17: under a writer that never pauses, the checkpoint thread's
/// passive checkpoints never see the whole WAL copied, so the WAL never
/// started over (218 MB against a 64 MB intent). The writer's own step
/// keeps the file near the bound.
#[test]
fn a_busy_writer_keeps_the_wal_file_near_its_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let wal = dir.path().join("news.db-wal");
    let mut store = SqliteStore::open(&path).expect("open");
    const LIMIT: u64 = 1024 * 1024;
    store.set_wal_limit(LIMIT).expect("limit");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/rss")], Utc::now())
        .expect("sync");
    let a = store.feed_state("a").expect("q").expect("a");
    let body: String = (0..800).map(|w| format!("word{w} ")).collect();
    let mut largest = 0;
    let mut written = 0;
    for group in 0..60 {
        let polls: Vec<PendingPoll> = (0..4)
            .map(|p| {
                let entries = (0..10)
                    .map(|i| {
                        let url = format!("https://x.example/{group}/{p}/{i}");
                        let mut item = item(&url, "Wire", "A short wire text.");
                        // Bulk the search index does not read.
                        item.content_html = Some(format!("<p>{url} {body}</p>"));
                        entry(&url, item)
                    })
                    .collect();
                (poll(a.id, entries, vec![]), vec![])
            })
            .collect();
        for result in store.record_polls(&polls) {
            result.expect("write");
        }
        written += 40 * body.len() as u64;
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
    }
    assert!(written > 10 * LIMIT, "the test writes {written} bytes");
    assert!(
        largest <= 3 * LIMIT,
        "the WAL file reached {largest} bytes against a bound of {LIMIT}"
    );
    let items: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .expect("count");
    assert_eq!(items, 60 * 40);
}

/// The pipeline's read-only connection ([`crate::store::Store::reader`])
/// sees every write the moment it commits, reads while the writer holds a
/// transaction open, and cannot write; an in-memory store has none.
#[test]
fn the_reader_connection_sees_commits_and_never_waits_for_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = crate::store::Store::open(dir.path().join("r.db")).expect("open");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/feed")], Utc::now())
        .expect("sync");
    let reader = store
        .reader()
        .expect("reader")
        .expect("a file store has one");
    let id = reader.feed_state("a").expect("state").expect("row").id;
    let url = "https://a.example/1";
    assert_eq!(reader.item_by_canonical(url).expect("lookup"), None);
    store
        .record_poll(&poll(
            id,
            vec![entry("k1", item(url, "One", "text"))],
            vec![],
        ))
        .expect("write");
    let stored = reader.item_by_canonical(url).expect("lookup");
    assert!(stored.is_some(), "committed, so seen");
    let known = reader
        .known_entries(id, &[crate::model::EntryKey("k1".into())])
        .expect("known");
    assert_eq!(known.get("k1").copied(), stored);
    // A write transaction held open on the writer does not block it.
    let writer = store.sqlite().expect("sqlite").connection();
    writer.execute_batch("BEGIN IMMEDIATE").expect("begin");
    writer
        .execute("UPDATE feeds SET etag = 'x' WHERE id = ?1", [id])
        .expect("update");
    assert!(reader.feed_state("a").expect("state").is_some());
    writer.execute_batch("ROLLBACK").expect("rollback");
    let err = reader
        .sqlite()
        .expect("sqlite")
        .connection()
        .execute("DELETE FROM items", [])
        .expect_err("read-only");
    assert!(err.to_string().contains("readonly"), "{err}");
    let memory = crate::store::Store::open_in_memory().expect("open");
    assert!(memory.reader().expect("reader").is_none());
}
