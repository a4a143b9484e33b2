//! The search index as newswire's writer fills it (terms made off the
//! writer, rows inserted together before the commit) against the trigger
//! every other writer goes through.

use std::time::Duration;

use chrono::Utc;
use rusqlite::Connection;

use super::*;
use crate::model::{EntryKey, Extraction};
use crate::store::{FeedMeta, PollOutcome, PollRecord, SqliteStore as Store, StoredEntry};

const TEXTS: [(&str, Option<&str>, &str); 5] = [
    (
        "空间站出舱",
        Some("zh-CN"),
        "新华社北京电 中国航天员乘组今天完成第三次出舱活动，航天员在机械臂支持下安装了新的设备。",
    ),
    (
        "Переговоры",
        None,
        "Власти Малайзии заявили во вторник, что переговоры о поставках продолжатся.",
    ),
    (
        "Liman",
        Some("tr"),
        "İstanbul'daki liman yetkilileri, fırtınanın ardından tahıl sevkiyatlarının yeniden başladı.",
    ),
    (
        "Grain loadings resume at Velmora",
        Some("en"),
        "Port officials said grain loadings had resumed after the storm; ships were waiting.",
    ),
    ("Title only, no text", None, ""),
];

fn items() -> Vec<NewItem> {
    TEXTS
        .iter()
        .enumerate()
        .map(|(i, (title, lang, text))| NewItem {
            url: format!("https://x.example/{i}"),
            canonical_url: format!("https://x.example/{i}"),
            title: Some((*title).into()),
            author: None,
            published_at: None,
            updated_at: None,
            summary: None,
            content_html: None,
            content_text: (!text.is_empty()).then(|| (*text).to_owned()),
            language: lang.map(str::to_owned),
            image: None,
            site_name: None,
            extraction: Extraction::Feed,
            extraction_error: None,
            extraction_path: None,
        })
        .collect()
}

fn store() -> (Store, i64) {
    let config = crate::config::Config::from_toml(
        "[[feeds]]\nname = \"w\"\nurl = \"https://w.example/rss\"\n",
        "t",
        None,
    )
    .expect("config");
    let mut store = Store::open_in_memory().expect("store");
    store.sync_feeds(&config.feeds, Utc::now()).expect("sync");
    let id = store.feed_state("w").expect("q").expect("feed").id;
    (store, id)
}

fn poll(feed_id: i64, items: &[NewItem], precomputed: bool) -> PollRecord {
    PollRecord {
        feed_id,
        started_at: Utc::now(),
        elapsed: Duration::from_millis(1),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 1,
            etag: None,
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: items.len(),
        new_entries: items
            .iter()
            .map(|item| StoredEntry {
                key: EntryKey(item.canonical_url.clone()),
                entry_url: None,
                item: item.clone(),
                fingerprint: None,
                search_terms: precomputed.then(|| item_terms(item)),
            })
            .collect(),
        linked: Vec::new(),
        next_due_at: Utc::now(),
        error_count: 0,
        instance: None,
        lease: None,
    }
}

/// Every `(term, item, column, offset)` of the index.
fn instances(conn: &Connection) -> Vec<(String, i64, String, i64)> {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, items_fts, 'instance')",
    )
    .expect("vocab");
    conn.prepare("SELECT term, doc, col, offset FROM temp.fts_terms ORDER BY doc, col, offset")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn the_writer_indexes_what_the_trigger_would() {
    let items = items();
    // Through the trigger: the items inserted by SQL on a newswire
    // connection, as the article stage or a re-index would.
    let (trigger, _) = store();
    for item in &items {
        trigger
            .connection()
            .execute(
                "INSERT INTO items (url, canonical_url, title, first_seen_at, content_text, language, extraction)
                 VALUES (?1, ?1, ?2, '2026-12-01T00:00:00Z', ?3, ?4, 'feed')",
                rusqlite::params![item.url, item.title, item.content_text, item.language],
            )
            .expect("insert");
    }
    let expected = instances(trigger.connection());
    assert!(expected.len() > 20, "{expected:?}");

    // One poll, terms made by the writer.
    let (mut one, feed) = store();
    one.record_poll(&poll(feed, &items, false)).expect("poll");
    assert_eq!(instances(one.connection()), expected);

    // A group of polls, terms made before (as the CPU workers do).
    let (mut group, feed) = store();
    let polls: Vec<_> = items
        .chunks(2)
        .map(|c| (poll(feed, c, true), Vec::new()))
        .collect();
    for r in group.record_polls(&polls) {
        r.expect("poll");
    }
    assert_eq!(instances(group.connection()), expected);
    let hits: Vec<i64> = group
        .search(
            "航天",
            &crate::store::ItemQuery {
                limit: 10,
                ..crate::store::ItemQuery::default()
            },
        )
        .expect("search")
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(hits, vec![1]);

    // The trigger works again once the write is over.
    group
        .connection()
        .execute(
            "INSERT INTO items (url, canonical_url, title, first_seen_at, extraction)
             VALUES ('u', 'u', 'Velmora harbour', '2026-12-01T00:00:00Z', 'feed')",
            [],
        )
        .expect("insert");
    assert_eq!(
        group
            .search(
                "harbour",
                &crate::store::ItemQuery {
                    limit: 10,
                    ..crate::store::ItemQuery::default()
                }
            )
            .expect("search")
            .len(),
        1
    );
}

#[test]
fn a_program_without_newswire_functions_still_cannot_write_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    drop(Store::open(&path).expect("store"));
    let outside = Connection::open(&path).expect("open");
    let err = outside
        .execute(
            "INSERT INTO items (url, canonical_url, first_seen_at, extraction)
             VALUES ('u', 'u', '2026-12-01T00:00:00Z', 'feed')",
            [],
        )
        .expect_err("refused");
    assert!(err.to_string().contains("no such function"), "{err}");
}
