//! SqliteStore-level tests of story assignment, `refresh_story`, the multilingual
//! search index and its migration.

use std::time::Duration;

use chrono::Utc;

use super::*;
use crate::model::EntryKey;
use crate::store::{FeedMeta, ItemQuery, PollOutcome, PollRecord};

fn store_with_feeds(names: &[&str]) -> SqliteStore {
    let toml: String = names
        .iter()
        .map(|n| format!("[[feeds]]\nname = \"{n}\"\nurl = \"https://{n}.example/rss\"\n"))
        .collect();
    let config = crate::config::Config::from_toml(&toml, "t", None).expect("valid");
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.sync_feeds(&config.feeds, Utc::now()).expect("feeds");
    store
}

fn feed_id(store: &SqliteStore, name: &str) -> i64 {
    store
        .feed_states()
        .expect("feeds")
        .into_iter()
        .find(|f| f.name == name)
        .expect("feed")
        .id
}

fn item(url: &str, title: &str, text: &str, extraction: Extraction, lang: Option<&str>) -> NewItem {
    NewItem {
        language: lang.map(str::to_owned),
        extraction,
        ..NewItem::new(url, title, text)
    }
}

/// Stores `items` as one poll of feed `feed`; returns their ids in order.
fn store_items(store: &mut SqliteStore, feed: &str, items: Vec<NewItem>) -> Vec<i64> {
    let id = feed_id(store, feed);
    let urls: Vec<String> = items.iter().map(|i| i.canonical_url.clone()).collect();
    let entries = items
        .into_iter()
        .map(|item| StoredEntry {
            key: EntryKey(format!("id:{}", item.canonical_url)),
            entry_url: Some(item.url.clone()),
            item,
            fingerprint: None,
            search_terms: None,
        })
        .collect::<Vec<_>>();
    store
        .record_poll(&PollRecord {
            feed_id: id,
            started_at: Utc::now(),
            elapsed: Duration::from_millis(5),
            outcome: PollOutcome::Fetched {
                http_status: 200,
                bytes: 100,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                permanent_redirect: None,
            },
            entries: entries.len(),
            new_entries: entries,
            linked: Vec::new(),
            next_due_at: Utc::now(),
            error_count: 0,
            instance: None,
            lease: None,
        })
        .expect("poll");
    urls.iter()
        .map(|u| store.item_by_canonical(u).expect("lookup").expect("stored"))
        .collect()
}

fn story_of(store: &SqliteStore, id: i64) -> i64 {
    store
        .connection()
        .query_row("SELECT story_id FROM items WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("story")
}

/// A wire story of `n` paragraphs about a made-up port, each paragraph
/// distinct (numbers and names vary with the paragraph).
fn wire_story(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "Port officials in Velmora said on day {i} that grain loadings at berth {} had \
                 resumed after the storm, with {} ships waiting offshore and inspectors from the \
                 Tarnis agency checking cargo number {} before the vessels sailed north.",
                i * 7 + 3,
                i * 11 + 5,
                i * 13 + 1000
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Stores `text` as the wire's extracted article; its id.
fn store_wire_original(store: &mut SqliteStore, text: &str) -> i64 {
    let ids = store_items(
        store,
        "wire",
        vec![item(
            "https://wire.example/a",
            "Grain loadings resume",
            text,
            Extraction::Extracted,
            Some("en"),
        )],
    );
    assert_eq!(ids.len(), 1, "one item");
    ids[0]
}

#[test]
fn a_teaser_never_joins_and_joins_when_its_full_text_arrives() {
    let mut store = store_with_feeds(&["wire", "pickup"]);
    let original = wire_story(9);
    let wire = store_wire_original(&mut store, &original);
    // The page failed: only the feed's teaser, the story's first paragraph
    // (one long sentence) word for word.
    let teaser = original.split("\n\n").next().expect("paragraph").to_owned();
    let [copy] = store_items(
        &mut store,
        "pickup",
        vec![item(
            "https://pickup.example/b",
            "Grain loadings resume",
            &teaser,
            Extraction::Failed,
            Some("en"),
        )],
    )[..] else {
        panic!("one item")
    };
    assert_eq!(story_of(&store, copy), copy, "a teaser starts no join");
    let keys: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM story_bands WHERE item_id = ?1) + (SELECT count(*) FROM story_samples WHERE item_id = ?1) \
             + (SELECT count(*) FROM story_pending WHERE item_id = ?1)",
            [copy],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(keys, 0, "a teaser is not a candidate for others either");

    // The article stage fetches the page later: a pick-up of the first three
    // paragraphs under its own headline.
    let pickup: String = original
        .split("\n\n")
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    let text = NewItemText {
        title: Some("Velmora port back at work".into()),
        content_html: None,
        content_text: Some(pickup),
        language: None,
        extraction: Extraction::Extracted,
        extraction_error: None,
        fingerprint: None,
    };
    let refresh = store
        .refresh_story(copy, &text)
        .expect("refresh")
        .expect("item exists");
    assert_eq!(refresh.story_id, wire);
    assert_eq!(refresh.previous_story_id, copy);
    assert_eq!(refresh.matched_item, Some(wire));
    assert!(!refresh.teaser);
    assert_eq!(story_of(&store, copy), wire);
    let (title, lang, extraction): (String, Option<String>, String) = store
        .connection()
        .query_row(
            "SELECT title, language, extraction FROM items WHERE id = ?1",
            [copy],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row");
    assert_eq!(title, "Velmora port back at work");
    assert_eq!(
        lang.as_deref(),
        Some("en"),
        "a missing language keeps the stored one"
    );
    assert_eq!(extraction, "extracted");
    // The new text is searchable.
    let hits = store
        .search(
            "inspectors",
            &ItemQuery {
                limit: 10,
                ..ItemQuery::default()
            },
        )
        .expect("search");
    assert!(hits.iter().any(|h| h.id == copy), "{hits:?}");

    assert_eq!(store.refresh_story(9999, &text).expect("refresh"), None);
}

#[test]
fn refreshing_an_item_others_joined_keeps_them_together() {
    let mut store = store_with_feeds(&["wire", "reprint"]);
    let original = wire_story(8);
    let ids = store_items(
        &mut store,
        "wire",
        vec![item(
            "https://wire.example/a",
            "Grain",
            &original,
            Extraction::Extracted,
            None,
        )],
    );
    let copy = store_items(
        &mut store,
        "reprint",
        vec![item(
            "https://reprint.example/a",
            "Grain",
            &original,
            Extraction::Extracted,
            None,
        )],
    );
    assert_eq!(story_of(&store, copy[0]), ids[0]);
    let text = NewItemText {
        title: None,
        content_html: None,
        content_text: Some(wire_story(10)),
        language: Some("en".into()),
        extraction: Extraction::Extracted,
        extraction_error: None,
        fingerprint: None,
    };
    let refresh = store
        .refresh_story(ids[0], &text)
        .expect("refresh")
        .expect("exists");
    assert_eq!(refresh.story_id, ids[0]);
    assert_eq!(story_of(&store, copy[0]), ids[0]);
}

const ZH: &str = "新华社北京电 中国航天员乘组今天完成第三次出舱活动，航天员在机械臂支持下安装了新的设备。\
    这是中国空间站建成以来规模最大的一次出舱任务，来自多所大学的留学生也在地面观看了直播。";
const RU: &str = "Власти Малайзии заявили во вторник, что переговоры о поставках продолжатся. \
    По данным правительства Малайзии, новые контракты будут подписаны до конца года.";
const AR: &str = "أعلنت الحكومة اليوم أن المفاوضات مع الشركاء الإقليميين ستُستأنف الأسبوع المقبل، \
    وقال مسؤولون إن الاتفاق الجديد سيشمل إمدادات المياه والكهرباء إلى المدن الساحلية.";
const TR: &str = "İstanbul'daki liman yetkilileri, fırtınanın ardından tahıl sevkiyatlarının yeniden \
    başladığını ve gemilerin limandan ayrılmaya başladığını açıkladı.";

fn multilingual_store() -> (SqliteStore, [i64; 4]) {
    let mut store = store_with_feeds(&["world"]);
    let ids = store_items(
        &mut store,
        "world",
        vec![
            item(
                "https://x.example/zh",
                "空间站出舱",
                ZH,
                Extraction::Extracted,
                Some("zh-CN"),
            ),
            // No language declared: detected from the text.
            item(
                "https://x.example/ru",
                "Переговоры",
                RU,
                Extraction::Extracted,
                None,
            ),
            item(
                "https://x.example/ar",
                "مفاوضات",
                AR,
                Extraction::Extracted,
                Some("ar"),
            ),
            item(
                "https://x.example/tr",
                "Liman",
                TR,
                Extraction::Extracted,
                Some("tr"),
            ),
        ],
    );
    (store, [ids[0], ids[1], ids[2], ids[3]])
}

fn found(store: &SqliteStore, query: &str) -> Vec<i64> {
    store
        .search(
            query,
            &ItemQuery {
                limit: 10,
                ..ItemQuery::default()
            },
        )
        .expect("search")
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn search_finds_words_in_every_script_and_dictionary_forms() {
    let (store, [zh, ru, ar, tr]) = multilingual_store();
    // A word inside a Chinese sentence.
    assert_eq!(found(&store, "航天"), vec![zh]);
    assert_eq!(
        found(&store, "宇航员"),
        Vec::<i64>::new(),
        "not in the text"
    );
    assert_eq!(found(&store, "航天员"), vec![zh]);
    assert_eq!(found(&store, "留学生"), vec![zh]);
    // Dictionary forms of inflected words.
    assert_eq!(found(&store, "Малайзия"), vec![ru]);
    assert_eq!(found(&store, "переговор"), vec![ru]);
    assert_eq!(found(&store, "المفاوضات"), vec![ar], "with the article");
    assert_eq!(found(&store, "مفاوضات"), vec![ar]);
    assert_eq!(found(&store, "إمدادات"), vec![ar], "alef with hamza below");
    assert_eq!(found(&store, "İstanbul"), vec![tr]);
    assert_eq!(found(&store, "istanbul"), vec![tr]);
    assert_eq!(found(&store, "sevkiyat"), vec![tr]);
    // The documented syntax still works over analysed terms.
    assert_eq!(found(&store, "Малайзия AND контракты"), vec![ru]);
    let mut either = found(&store, "Малайзия OR 航天");
    either.sort_unstable();
    assert_eq!(either, vec![zh, ru]);
    assert_eq!(found(&store, "Малайзия NOT контракты"), Vec::<i64>::new());
    assert_eq!(found(&store, "\"новые контракты\""), vec![ru]);
    assert_eq!(found(&store, "\"контракты новые\""), Vec::<i64>::new());
    assert_eq!(found(&store, "Малайз*"), vec![ru]);
    // Bad syntax falls back to plain words; no words finds nothing.
    assert_eq!(found(&store, "Малайзия AND"), vec![ru]);
    assert_eq!(found(&store, "(((航天"), vec![zh]);
    assert_eq!(found(&store, " ,;- "), Vec::<i64>::new());
}

#[test]
fn snippets_come_from_the_stored_text() {
    let (store, [_, ru, ..]) = multilingual_store();
    let hits = store
        .search(
            "Малайзия",
            &ItemQuery {
                limit: 10,
                ..ItemQuery::default()
            },
        )
        .expect("search");
    assert_eq!(hits[0].id, ru);
    let snippet = hits[0].snippet.as_deref().expect("snippet");
    assert!(snippet.contains("[Малайзии]"), "{snippet}");
    // A language filter narrows stemming to that language and still finds it.
    let q = ItemQuery {
        limit: 10,
        language: Some("ar".into()),
        ..ItemQuery::default()
    };
    assert_eq!(store.search("مفاوضات", &q).expect("search").len(), 1);
}

#[test]
fn migration_008_reindexes_an_existing_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        // A store as version 7 left it: unicode61 over whole Chinese runs.
        let conn = rusqlite::Connection::open(&path).expect("open");
        for sql in [
            include_str!("migrations/001_core.sql"),
            include_str!("migrations/002_stories.sql"),
            include_str!("migrations/003_search.sql"),
            include_str!("migrations/004_feed_health.sql"),
            include_str!("migrations/005_retention.sql"),
            include_str!("migrations/006_newest_index.sql"),
            include_str!("migrations/007_story_summary.sql"),
        ] {
            conn.execute_batch(sql).expect("old migration");
        }
        conn.pragma_update(None, "user_version", 7)
            .expect("version");
        conn.execute(
            "INSERT INTO items (url, canonical_url, title, first_seen_at, content_text, extraction)
             VALUES ('https://x.example/zh', 'https://x.example/zh', '空间站', '2026-11-20T08:00:00Z', ?1, 'extracted')",
            [ZH],
        )
        .expect("old item");
        let before: i64 = conn
            .query_row(
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH '航天'",
                [],
                |r| r.get(0),
            )
            .expect("old search");
        assert_eq!(
            before, 0,
            "the old index cannot find a word inside a sentence"
        );
    }
    let store = SqliteStore::open(&path).expect("migrate");
    assert_eq!(found(&store, "航天"), vec![1]);
    assert_eq!(found(&store, "留学生"), vec![1]);
}

#[test]
fn the_sample_table_of_the_story_index_matches_the_migration() {
    let migration = include_str!("migrations/008_multilingual.sql");
    assert!(migration.contains(super::super::stories::MIGRATION_008_SAMPLES));
}

/// Late text from the article queue joins its story through the same path
/// as `refresh_story`: a teaser stored with a pending page, then the page
/// (a pick-up of the wire story's first three paragraphs, with a credit
/// line) arrives through `finish_article`.
#[test]
fn late_text_from_the_article_queue_joins_its_story() {
    use crate::store::{ArticleOutcome, PageJob, PageState};

    let mut store = store_with_feeds(&["wire", "pickup"]);
    let original = wire_story(12);
    let wire = store_wire_original(&mut store, &original);
    let url = "https://pickup.example/port";
    let now = Utc::now();
    let poll = PollRecord {
        feed_id: feed_id(&store, "pickup"),
        started_at: now,
        elapsed: Duration::from_millis(5),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 100,
            etag: None,
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: 1,
        new_entries: vec![StoredEntry {
            key: EntryKey("id:port".into()),
            entry_url: Some(url.into()),
            item: item(
                url,
                "Velmora port back in business",
                "Grain ships are moving again.",
                Extraction::Failed,
                Some("en"),
            ),
            fingerprint: None,
            search_terms: None,
        }],
        linked: Vec::new(),
        next_due_at: now,
        error_count: 0,
        instance: None,
        lease: None,
    };
    let page = PageJob {
        canonical_url: url.into(),
        url: url.into(),
        state: PageState::Pending {
            attempts: 1,
            next_attempt_at: now,
            error: Some("HTTP 503".into()),
            http_status: Some(503),
        },
    };
    store.record_poll_with_pages(&poll, &[page]).expect("poll");
    let teaser = store
        .item_by_canonical(url)
        .expect("lookup")
        .expect("stored");
    assert_eq!(story_of(&store, teaser), teaser, "a teaser joins nothing");

    let job = store
        .claim_articles("w", 1, Duration::from_secs(60), now)
        .expect("claim")
        .remove(0);
    let mut full = job.item.clone();
    let top: Vec<&str> = original.split("\n\n").take(3).collect();
    full.content_text = Some(format!(
        "{}\n\nWire Service contributed to this report.",
        top.join("\n\n")
    ));
    full.extraction = Extraction::Extracted;
    full.extraction_error = None;
    let fingerprint = fingerprint_of(&full);
    let outcome = ArticleOutcome::Fetched {
        item: Box::new(full),
        fingerprint,
    };
    assert!(store.finish_article(&job, &outcome, now).expect("finish"));
    assert_eq!(
        story_of(&store, teaser),
        wire,
        "the pick-up joined the wire story"
    );
}
