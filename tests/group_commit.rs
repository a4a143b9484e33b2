//! Group commit: several polls written in one transaction, each atomic. A
//! poll that fails to write leaves no trace (no item, source,
//! page row or `fetches` row of its own) while the polls around it commit;
//! and a committed group is durable across a reopen.

use std::time::Duration;

use chrono::Utc;
use newswire::model::{EntryKey, Extraction, NewItem};
use newswire::store::{FeedMeta, PollOutcome, PollRecord, Store, StoredEntry};

fn feeds(names: &[&str]) -> Vec<newswire::config::FeedConfig> {
    let toml: String = names
        .iter()
        .map(|n| format!("[[feeds]]\nname = \"{n}\"\nurl = \"https://{n}.example/rss\"\n"))
        .collect();
    newswire::config::Config::from_toml(&toml, "t", None)
        .expect("valid")
        .feeds
}

fn entry(url: &str) -> StoredEntry {
    StoredEntry {
        key: EntryKey(url.into()),
        entry_url: Some(url.into()),
        item: NewItem {
            url: url.into(),
            canonical_url: url.into(),
            title: Some(format!("Report at {url}")),
            author: None,
            published_at: None,
            updated_at: None,
            summary: None,
            content_html: None,
            content_text: Some(format!("Delegations met again; the text of {url}.")),
            language: None,
            image: None,
            site_name: None,
            extraction: Extraction::Feed,
            extraction_error: None,
            extraction_path: None,
        },
        fingerprint: None,
        search_terms: None,
    }
}

fn poll(feed_id: i64, urls: &[&str]) -> PollRecord {
    PollRecord {
        feed_id,
        started_at: Utc::now(),
        elapsed: Duration::from_millis(3),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 100,
            etag: Some("\"v1\"".into()),
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: urls.len(),
        new_entries: urls.iter().map(|u| entry(u)).collect(),
        linked: Vec::new(),
        next_due_at: Utc::now(),
        error_count: 0,
        instance: None,
        lease: None,
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store
        .sqlite()
        .expect("a SQLite store")
        .connection()
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_failing_poll_is_rolled_back_alone_and_the_group_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("n.db");
    let mut store = Store::open(&path).expect("open");
    store
        .sync_feeds(&feeds(&["a", "c"]), Utc::now())
        .expect("sync");
    let a = store.feed_state("a").expect("q").expect("a").id;
    let c = store.feed_state("c").expect("q").expect("c").id;
    // No feed has this id: the poll's item insert succeeds, then its source
    // row breaks the foreign key, half way through the poll.
    let missing = a.max(c) + 100;
    let group = vec![
        (
            poll(a, &["https://a.example/1", "https://a.example/2"]),
            Vec::new(),
        ),
        (poll(missing, &["https://b.example/1"]), Vec::new()),
        (poll(c, &["https://c.example/1"]), Vec::new()),
    ];
    let results = store.record_polls(&group);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().expect("a written").new_items, 2);
    assert!(results[1].is_err(), "the broken poll reports its error");
    assert_eq!(results[2].as_ref().expect("c written").new_items, 1);
    drop(store);

    // Reopened: the group is durable, and the broken poll left nothing.
    let store = Store::open(&path).expect("reopen");
    assert_eq!(count(&store, "SELECT count(*) FROM items"), 3);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM items WHERE canonical_url LIKE 'https://b.example/%'"
        ),
        0,
        "the failed poll's item was rolled back with it"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM item_sources"), 3);
    assert_eq!(count(&store, "SELECT count(*) FROM fetches"), 2);
    assert_eq!(
        count(&store, "SELECT count(*) FROM feeds WHERE etag = '\"v1\"'"),
        2
    );
}

#[test]
fn a_group_writes_what_the_same_polls_write_one_by_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let urls: Vec<Vec<String>> = (0..20)
        .map(|i| {
            (0..3)
                .map(|j| format!("https://s.example/{i}/{j}"))
                .collect()
        })
        .collect();
    let mut tables = Vec::new();
    for grouped in [false, true] {
        let path = dir.path().join(format!("{grouped}.db"));
        let mut store = Store::open(&path).expect("open");
        store.sync_feeds(&feeds(&refs), Utc::now()).expect("sync");
        let polls: Vec<_> = names
            .iter()
            .zip(&urls)
            .map(|(n, u)| {
                let id = store.feed_state(n).expect("q").expect("feed").id;
                let u: Vec<&str> = u.iter().map(String::as_str).collect();
                (poll(id, &u), Vec::new())
            })
            .collect();
        if grouped {
            for r in store.record_polls(&polls) {
                assert_eq!(r.expect("written").new_items, 3);
            }
        } else {
            for (p, _) in &polls {
                assert_eq!(store.record_poll(p).expect("written").new_items, 3);
            }
        }
        let rows: Vec<(String, i64)> = store
            .sqlite()
            .expect("a SQLite store")
            .connection()
            .prepare(
                "SELECT i.canonical_url, f.id FROM items i
                 JOIN item_sources s ON s.item_id = i.id JOIN feeds f ON f.id = s.feed_id
                 ORDER BY 1",
            )
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 60);
        assert_eq!(count(&store, "SELECT count(*) FROM fetches"), 20);
        tables.push(rows);
    }
    assert_eq!(tables[0], tables[1]);
}
