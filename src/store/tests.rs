use super::*;
use std::time::Duration;

use crate::model::{EntryKey, Extraction, NewItem};
use chrono::Utc;

fn feed_config(name: &str, url: &str) -> crate::config::FeedConfig {
    let config = crate::config::Config::from_toml(
        &format!("[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n"),
        "t",
        None,
    )
    .expect("valid");
    config.feeds[0].clone()
}

fn item(url: &str) -> NewItem {
    NewItem {
        url: url.into(),
        canonical_url: url.into(),
        title: Some("Title".into()),
        author: None,
        published_at: None,
        updated_at: None,
        summary: None,
        content_html: None,
        content_text: Some("text".into()),
        language: None,
        image: None,
        site_name: None,
        extraction: Extraction::Feed,
        extraction_error: None,
        extraction_path: None,
    }
}

fn poll(feed_id: FeedId, entries: Vec<StoredEntry>, linked: Vec<LinkedEntry>) -> PollRecord {
    PollRecord {
        feed_id,
        started_at: Utc::now(),
        elapsed: Duration::from_millis(5),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 100,
            etag: Some("\"e1\"".into()),
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: entries.len() + linked.len(),
        new_entries: entries,
        linked,
        next_due_at: Utc::now(),
        error_count: 0,
        instance: None,
        lease: None,
    }
}

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
fn one_item_per_canonical_url_with_every_source() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    let feeds = [
        feed_config("a", "https://a.example/rss"),
        feed_config("b", "https://b.example/rss"),
    ];
    store.sync_feeds(&feeds, Utc::now()).expect("sync");
    let a = store.feed_state("a").expect("q").expect("a");
    let b = store.feed_state("b").expect("q").expect("b");
    let entry = |key: &str, url: &str| StoredEntry {
        key: EntryKey(key.into()),
        entry_url: Some(url.into()),
        item: item(url),
        fingerprint: None,
        search_terms: None,
    };
    let s = store
        .record_poll(&poll(
            a.id,
            vec![
                entry("id:1", "https://x.example/1"),
                entry("id:2", "https://x.example/2"),
            ],
            vec![],
        ))
        .expect("write");
    assert_eq!(
        s,
        PollSummary {
            new_items: 2,
            linked: 0
        }
    );
    // Feed b carries article 1 too: no second item, a second source.
    let s = store
        .record_poll(&poll(
            b.id,
            vec![entry("id:9", "https://x.example/1")],
            vec![],
        ))
        .expect("write");
    assert_eq!(
        s,
        PollSummary {
            new_items: 0,
            linked: 1
        }
    );
    assert_eq!(store.counts().expect("counts"), (2, 3, 2));
    let rows = store
        .items(&ItemQuery {
            limit: 10,
            ..Default::default()
        })
        .expect("items");
    let one = rows.iter().find(|r| r.url.ends_with("/1")).expect("item 1");
    assert_eq!(one.feeds.len(), 2);
    assert_eq!(one.story_id, Some(one.id));
    let known = store
        .known_entries(a.id, &[EntryKey("id:1".into()), EntryKey("id:3".into())])
        .expect("known");
    assert_eq!(known.len(), 1);
    let state = store.feed_state("a").expect("q").expect("a");
    assert_eq!(state.etag.as_deref(), Some("\"e1\""));
    assert_eq!(state.last_status.as_deref(), Some("ok"));
}

#[test]
fn removed_feeds_are_disabled_not_deleted() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    store
        .sync_feeds(
            &[
                feed_config("a", "https://a.example/rss"),
                feed_config("b", "https://b.example/rss"),
            ],
            Utc::now(),
        )
        .expect("sync");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/rss")], Utc::now())
        .expect("sync");
    let b = store.feed_state("b").expect("q").expect("b kept");
    assert!(!b.enabled);
    assert!(store.feed_state("a").expect("q").expect("a").enabled);
}

#[test]
fn search_ranks_titles_and_survives_bad_syntax() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/rss")], Utc::now())
        .expect("sync");
    let a = store.feed_state("a").expect("q").expect("a");
    let entry = |key: &str, url: &str, title: &str, text: &str| {
        let mut it = item(url);
        it.title = Some(title.into());
        it.content_text = Some(text.into());
        StoredEntry {
            key: EntryKey(key.into()),
            entry_url: None,
            item: it,
            fingerprint: None,
            search_terms: None,
        }
    };
    store
        .record_poll(&poll(
            a.id,
            vec![
                entry(
                    "1",
                    "https://x.example/1",
                    "Grain deal extended",
                    "Ships left Odesa on Monday.",
                ),
                entry(
                    "2",
                    "https://x.example/2",
                    "Markets",
                    "The grain deal lifted wheat futures.",
                ),
                entry(
                    "3",
                    "https://x.example/3",
                    "Переговоры в Стамбуле",
                    "Делегации обсудили зерновую сделку.",
                ),
            ],
            vec![],
        ))
        .expect("write");
    let q = ItemQuery {
        limit: 10,
        ..Default::default()
    };
    let hits = store.search("grain deal", &q).expect("search");
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>().len(), 2);
    // `after_id` lists in stored order and filters search hits too.
    let all: Vec<i64> = store
        .items(&ItemQuery {
            after_id: Some(0),
            ..q.clone()
        })
        .expect("items")
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(all.len() == 3 && all.is_sorted(), "{all:?}");
    let later = ItemQuery {
        after_id: Some(all[0]),
        ..q.clone()
    };
    assert_eq!(
        store
            .items(&later)
            .expect("items")
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        all[1..]
    );
    assert!(
        store
            .search("grain deal", &later)
            .expect("search")
            .iter()
            .all(|h| h.id > all[0])
    );
    assert_eq!(
        hits[0].title.as_deref(),
        Some("Grain deal extended"),
        "title matches rank first"
    );
    assert!(
        hits[1]
            .snippet
            .as_deref()
            .is_some_and(|s| s.contains("[grain]"))
    );
    // Invalid FTS5 syntax (an unbalanced quote or bracket) is searched as plain words.
    assert_eq!(store.search("\"grain deal", &q).expect("search").len(), 2);
    assert_eq!(store.search("grain (deal", &q).expect("search").len(), 2);
    // Cyrillic, case-folded.
    assert_eq!(store.search("стамбуле", &q).expect("search").len(), 1);
    assert!(
        store
            .search("nothing-like-this", &q)
            .expect("search")
            .is_empty()
    );
}

#[test]
fn pruning_leaves_tombstones_so_items_do_not_return() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/rss")], Utc::now())
        .expect("sync");
    let a = store.feed_state("a").expect("q").expect("a");
    let entry = |key: &str, url: &str| StoredEntry {
        key: EntryKey(key.into()),
        entry_url: Some(url.into()),
        item: item(url),
        fingerprint: None,
        search_terms: None,
    };
    let mut old = poll(a.id, vec![entry("id:old", "https://x.example/old")], vec![]);
    old.started_at = Utc::now() - chrono::Duration::days(100);
    store.record_poll(&old).expect("write old");
    store
        .record_poll(&poll(
            a.id,
            vec![entry("id:new", "https://x.example/new")],
            vec![],
        ))
        .expect("write new");
    let pruned = store
        .prune(Utc::now() - chrono::Duration::days(90), 1)
        .expect("prune");
    assert_eq!(pruned, 1);
    assert_eq!(
        store.counts().expect("counts").0,
        1,
        "the recent item stays"
    );
    assert!(store.is_tombstoned("https://x.example/old").expect("q"));
    assert!(!store.is_tombstoned("https://x.example/new").expect("q"));
    let known = store
        .known_entries(
            a.id,
            &[EntryKey("id:old".into()), EntryKey("id:other".into())],
        )
        .expect("known");
    assert!(
        known.contains_key("id:old"),
        "a pruned entry still counts as known"
    );
    assert!(!known.contains_key("id:other"));
    let fts: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'title'",
            [],
            |r| r.get(0),
        )
        .expect("fts");
    assert_eq!(fts, 1, "the search index follows deletions");
}

#[test]
fn pruning_the_poll_log_keeps_recent_rows_and_every_item() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    store
        .sync_feeds(&[feed_config("a", "https://a.example/rss")], Utc::now())
        .expect("sync");
    let a = store.feed_state("a").expect("q").expect("a");
    for days in [40, 35, 31, 2, 0] {
        let key = format!("id:{days}");
        let url = format!("https://x.example/{days}");
        let mut p = poll(
            a.id,
            vec![StoredEntry {
                key: EntryKey(key),
                entry_url: Some(url.clone()),
                item: item(&url),
                fingerprint: None,
                search_terms: None,
            }],
            vec![],
        );
        p.started_at = Utc::now() - chrono::Duration::days(days);
        store.record_poll(&p).expect("write");
    }
    let pruned = store
        .prune_fetches(Utc::now() - chrono::Duration::days(30), 2)
        .expect("prune");
    assert_eq!(
        pruned, 3,
        "three polls are older than 30 days, in two batches"
    );
    assert_eq!(store.counts().expect("counts"), (5, 5, 2));
    assert_eq!(
        store
            .prune_fetches(Utc::now() - chrono::Duration::days(30), 2)
            .expect("again"),
        0
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
fn the_facade_answers_for_sqlite_and_fetches_name_the_instance() {
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
    let instance: Option<String> = store
        .sqlite()
        .expect("sqlite")
        .connection()
        .query_row("SELECT instance FROM fetches", [], |r| r.get(0))
        .expect("row");
    assert_eq!(instance.as_deref(), Some("host-1"));
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
                        let mut item = item(&url);
                        // Bulk the search index does not read.
                        item.content_html = Some(format!("<p>{url} {body}</p>"));
                        StoredEntry {
                            key: EntryKey(url.clone()),
                            entry_url: Some(url),
                            item,
                            fingerprint: None,
                            search_terms: None,
                        }
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
