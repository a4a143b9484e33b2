use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::model::{EntryKey, Extraction, NewItem};
use crate::store::{FeedMeta, PollOutcome, PollRecord, StoredEntry};

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
}

fn item(url: &str, text: &str) -> NewItem {
    NewItem {
        extraction: Extraction::Failed,
        extraction_error: Some("HTTP 503 (will retry)".into()),
        ..NewItem::new(url, "Port reopens", text)
    }
}

/// A store with one feed and one item stored with a pending page.
fn store_with_pending(next: DateTime<Utc>) -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let config = crate::config::Config::from_toml(
        "[[feeds]]\nname = \"rt\"\nurl = \"http://rt.example/rss\"\n",
        "t",
        None,
    )
    .expect("config");
    store.sync_feeds(&config.feeds, at(0)).expect("sync");
    let feed_id = store.feed_state("rt").expect("q").expect("feed").id;
    let url = "http://rt.example/news/1";
    let poll = PollRecord {
        feed_id,
        started_at: at(0),
        elapsed: Duration::ZERO,
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 1,
            etag: None,
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: 1,
        new_entries: vec![StoredEntry {
            key: EntryKey("id:1".into()),
            entry_url: Some(url.into()),
            item: item(url, "A short teaser."),
            fingerprint: None,
            search_terms: None,
        }],
        linked: Vec::new(),
        next_due_at: at(60),
        error_count: 0,
        instance: None,
        lease: None,
    };
    let page = PageJob {
        canonical_url: url.into(),
        url: url.into(),
        state: PageState::Pending {
            attempts: 1,
            next_attempt_at: next,
            error: Some("HTTP 503 from http://rt.example/news/1".into()),
            http_status: Some(503),
        },
    };
    store
        .record_poll_with_pages(&poll, &[page])
        .expect("record");
    store
}

fn fetched(job: &ArticleJob) -> ArticleOutcome {
    let mut item = job.item.clone();
    item.content_text = Some("The whole article, at last.".into());
    item.extraction = Extraction::Extracted;
    item.extraction_error = None;
    let fingerprint = crate::store::stories_hook::fingerprint_of(&item);
    ArticleOutcome::Fetched {
        item: Box::new(item),
        fingerprint,
    }
}

#[test]
fn rows_are_claimed_only_when_due_and_once_per_lease() {
    let mut store = store_with_pending(at(30));
    let lease = Duration::from_secs(300);
    assert!(
        store
            .claim_articles("a", 10, lease, at(29))
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let jobs = store.claim_articles("a", 10, lease, at(30)).expect("claim");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].attempts, 1);
    assert_eq!(jobs[0].feed.as_deref(), Some("rt"));
    assert_eq!(
        jobs[0].item.content_text.as_deref(),
        Some("A short teaser.")
    );
    assert!(
        store
            .claim_articles("b", 10, lease, at(31))
            .expect("claim")
            .is_empty(),
        "leased to a"
    );
    // a dies; its lease runs out and b takes the row, with a new token.
    let taken = store
        .claim_articles("b", 10, lease, at(400))
        .expect("claim");
    assert_eq!(taken.len(), 1);
    assert!(taken[0].lease_token > jobs[0].lease_token);
    // a's late answer is refused; b's is written.
    assert!(
        !store
            .finish_article(&jobs[0], &fetched(&jobs[0]), at(401))
            .expect("finish")
    );
    assert!(
        store
            .finish_article(&taken[0], &fetched(&taken[0]), at(402))
            .expect("finish")
    );
    let (state, attempts, text, changed): (String, u32, String, String) = store
        .conn
        .query_row(
            "SELECT q.state, q.attempts, i.content_text, i.changed_at FROM article_queue q
             JOIN items i ON i.id = q.item_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("row");
    assert_eq!(
        (state.as_str(), attempts, text.as_str()),
        ("done", 2, "The whole article, at last.")
    );
    assert_eq!(changed, ts(at(402)));
    let fingerprinted: i64 = store
        .conn
        .query_row("SELECT count(*) FROM story_fingerprints", [], |r| r.get(0))
        .expect("count");
    assert_eq!(fingerprinted, 1, "the fingerprint is replaced, not added");
}

#[test]
fn retries_deferrals_and_failures_move_the_row_and_release_resumes_it() {
    let mut store = store_with_pending(at(0));
    let lease = Duration::from_secs(300);
    let job = store
        .claim_articles("a", 1, lease, at(1))
        .expect("claim")
        .remove(0);
    let retry = ArticleOutcome::Retry {
        next_attempt_at: at(90),
        error: "timed out fetching http://rt.example/news/1".into(),
        http_status: None,
    };
    assert!(store.finish_article(&job, &retry, at(2)).expect("finish"));
    let stats = store.article_stats(at(60)).expect("stats");
    assert_eq!((stats.pending, stats.oldest_pending_secs), (1, 60));
    assert_eq!(store.next_article_due().expect("next"), Some(at(90)));

    let job = store
        .claim_articles("a", 1, lease, at(90))
        .expect("claim")
        .remove(0);
    assert_eq!(job.attempts, 2);
    let deferred = ArticleOutcome::Deferred { until: at(120) };
    assert!(
        store
            .finish_article(&job, &deferred, at(91))
            .expect("finish")
    );
    let rows = store.list_articles(&["pending"], 10).expect("list");
    assert_eq!(rows[0].attempts, 2, "a deferral is not an attempt");
    assert_eq!(
        rows[0].next_attempt_at.as_deref(),
        Some(ts(at(120)).as_str())
    );

    // A daemon killed mid-fetch leaves the row running; start-up hands it back.
    let _lost = store.claim_articles("a", 1, lease, at(120)).expect("claim");
    assert_eq!(store.release_articles(at(121)).expect("release"), 1);
    let job = store
        .claim_articles("b", 1, lease, at(121))
        .expect("claim")
        .remove(0);
    let failed = ArticleOutcome::Failed {
        error: "HTTP 410 from http://rt.example/news/1".into(),
        http_status: Some(410),
    };
    assert!(
        store
            .finish_article(&job, &failed, at(122))
            .expect("finish")
    );
    let rows = store.list_articles(&[], 10).expect("list");
    assert_eq!(rows[0].state, "failed");
    assert_eq!(rows[0].last_http_status, Some(410));
    assert!(
        store
            .claim_articles("b", 1, lease, at(100_000))
            .expect("claim")
            .is_empty(),
        "a failed page is never retried by itself"
    );
    assert_eq!(store.requeue_failed_articles(at(200)).expect("requeue"), 1);
    assert_eq!(
        store
            .claim_articles("b", 1, lease, at(200))
            .expect("claim")
            .len(),
        1
    );
}

#[test]
fn refetch_refuses_unknown_items_and_queues_items_that_had_no_row() {
    let mut store = store_with_pending(at(0));
    let id: ItemId = store
        .conn
        .query_row("SELECT id FROM items", [], |r| r.get(0))
        .expect("id");
    store
        .conn
        .execute("DELETE FROM article_queue", [])
        .expect("clear");
    assert_eq!(
        store.requeue_articles(&[id, 999], at(5)).expect("requeue"),
        vec![999]
    );
    assert!(
        store.list_articles(&[], 10).expect("list").is_empty(),
        "nothing queued when an id is unknown"
    );
    assert!(
        store
            .requeue_articles(&[id], at(5))
            .expect("requeue")
            .is_empty()
    );
    let rows = store.list_articles(&["pending"], 10).expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].feed.as_deref(), Some("rt"));
    let window_start = rows[0].created_at.clone();
    assert_eq!(
        window_start,
        ts(at(5)),
        "a refetch starts a new retry window"
    );
}

#[test]
fn a_store_from_before_the_queue_is_upgraded_with_its_items_dated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        let store = SqliteStore::open(&path).expect("create");
        // Back to the schema before migrations 009 to 015, with one item in it.
        store
            .conn
            .execute_batch(
                "DROP INDEX story_fingerprints_item_story;
                 DROP TABLE story_pending;
                 DROP TABLE store_check;
                 DROP TABLE article_queue;
                 DROP INDEX items_changed_at;
                 ALTER TABLE items DROP COLUMN changed_at;
                 ALTER TABLE items DROP COLUMN extraction_path;
                 ALTER TABLE fetches DROP COLUMN instance;
                 INSERT INTO items (url, canonical_url, first_seen_at, extraction, extraction_error)
                   VALUES ('http://a.example/1', 'http://a.example/1', '2026-11-01T00:00:00Z',
                           'failed', 'timed out');
                 PRAGMA user_version = 8;",
            )
            .expect("downgrade");
    }
    let mut store = SqliteStore::open(&path).expect("upgrade");
    let changed: String = store
        .conn
        .query_row("SELECT changed_at FROM items", [], |r| r.get(0))
        .expect("changed_at");
    assert_eq!(changed, "2026-11-01T00:00:00Z");
    // Its failed page, from before the queue, can be asked for again.
    assert_eq!(store.requeue_failed_articles(at(0)).expect("requeue"), 1);
    let rows = store.list_articles(&["pending"], 10).expect("list");
    assert_eq!(rows[0].url, "http://a.example/1");
}

/// A wire story of `n` paragraphs, each distinct.
fn wire_story(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "Port officials in Velmora said on day {i} that grain loadings at berth {} had \
                 resumed after the storm, with {} ships waiting offshore and inspectors from the \
                 harbour authority checking every hold before departure to the southern ports.",
                i * 7 + 3,
                i * 11 + 5
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn a_teaser_gets_no_story_keys_and_joins_its_story_when_its_page_arrives() {
    // Item 1: a feed teaser whose page failed (pending).
    let mut store = store_with_pending(at(30));
    let keys = |store: &SqliteStore, id: i64| -> i64 {
        store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM story_bands WHERE item_id = ?1)
                      + (SELECT count(*) FROM story_samples WHERE item_id = ?1)
                      + COALESCE((SELECT json_array_length(bands) + json_array_length(samples)
                         FROM story_pending WHERE item_id = ?1), 0)",
                [id],
                |r| r.get(0),
            )
            .expect("count")
    };
    assert_eq!(keys(&store, 1), 0, "a teaser gets no band or sample keys");
    let hits = store
        .search(
            "teaser",
            &crate::store::ItemQuery {
                limit: 10,
                ..crate::store::ItemQuery::default()
            },
        )
        .expect("search");
    assert_eq!(hits.len(), 1, "a teaser is still searchable");

    // Item 2: the full story from another outlet, stored after it.
    let feed_id = store.feed_state("rt").expect("q").expect("feed").id;
    let mut full = item("http://wire.example/story", &wire_story(8));
    full.extraction = Extraction::Extracted;
    full.extraction_error = None;
    let poll = PollRecord {
        feed_id,
        started_at: at(10),
        elapsed: Duration::ZERO,
        outcome: PollOutcome::NotModified {
            etag: None,
            last_modified: None,
        },
        entries: 1,
        new_entries: vec![StoredEntry {
            key: EntryKey("id:2".into()),
            entry_url: None,
            item: full,
            fingerprint: None,
            search_terms: None,
        }],
        linked: Vec::new(),
        next_due_at: at(60),
        error_count: 0,
        instance: None,
        lease: None,
    };
    for r in store.record_polls(&[(poll.clone(), Vec::new()), (poll, Vec::new())]) {
        r.expect("poll");
    }
    assert!(keys(&store, 2) > 0, "a full text is in the index");
    let story = |store: &SqliteStore, id: i64| -> i64 {
        store
            .conn
            .query_row("SELECT story_id FROM items WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("story")
    };
    assert_eq!(story(&store, 1), 1, "the teaser joined nothing");
    assert_eq!(story(&store, 2), 2);

    // The teaser's page arrives: the first paragraphs of the same story.
    let jobs = store
        .claim_articles("a", 10, Duration::from_secs(300), at(30))
        .expect("claim");
    let mut page = jobs[0].item.clone();
    page.content_text = Some(
        wire_story(8)
            .split("\n\n")
            .take(5)
            .collect::<Vec<_>>()
            .join("\n\n"),
    );
    page.extraction = Extraction::Extracted;
    page.extraction_error = None;
    let fingerprint = crate::store::stories_hook::fingerprint_of(&page);
    assert!(
        store
            .finish_article(
                &jobs[0],
                &ArticleOutcome::Fetched {
                    item: Box::new(page),
                    fingerprint,
                },
                at(31),
            )
            .expect("finish")
    );
    assert!(keys(&store, 1) > 0, "its full text is fingerprinted");
    assert_eq!(story(&store, 1), 2, "and joins the story");
}
