//! The store's behaviour on PostgreSQL: what the SQLite suite checks, on
//! the same method calls.

use chrono::{TimeDelta, Utc};

use super::*;
use crate::store::{ItemQuery, StoreError, StoryQuery};

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let Some(db) = TestDb::new("migrations") else {
        return;
    };
    drop(db.store("a"));
    let store = db.store("b");
    let v: i64 = store
        .client()
        .expect("client")
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .expect("version")
        .get(0);
    assert_eq!(v, super::super::migrate::latest());
    store
        .client()
        .expect("client")
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')",
            &[],
        )
        .expect("bump");
    let err = PgStore::open(&db.url, "c", true).expect_err("too new is refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
    let err = PgStore::open(&db.url, "c", false).expect_err("too new is refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn connection_errors_are_one_line_and_never_show_the_password() {
    let Some(db) = TestDb::new("connection_errors") else {
        return;
    };
    let port: Target = "postgres://newswire:s3cret-pw@127.0.0.1:1/news?sslmode=disable"
        .parse()
        .expect("url");
    let err = PgStore::open(&port, "t", true).expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(
        msg.starts_with("store postgres://newswire@127.0.0.1:1/news: "),
        "{msg}"
    );
    assert!(!msg.contains("s3cret") && !msg.contains('\n'), "{msg}");
    assert!(err.is_transient(), "{msg}");

    let missing =
        db.url.shown().rsplit_once('/').expect("db").0.to_owned() + "/nw_no_such_database";
    let missing: Target = missing.parse().expect("url");
    let err = PgStore::open(&missing, "t", true).expect_err("no such database");
    let msg = err.to_string();
    assert!(
        msg.contains("/nw_no_such_database: ") && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");

    let bad = "mysql://u:pw@h/db"
        .parse::<Target>()
        .expect_err("not postgres");
    assert!(!bad.contains("pw@"), "{bad}");
    let bad = "postgres://u:pw@h/db?sslmode=sometimes"
        .parse::<Target>()
        .expect_err("bad sslmode");
    assert!(bad.contains("sslmode") && !bad.contains(":pw@"), "{bad}");
}

#[test]
fn a_poll_stores_items_sources_feed_state_and_the_fetch() {
    let Some(db) = TestDb::new("poll") else {
        return;
    };
    let mut store = db.store("node-a");
    let ids = feeds(&mut store, &["alpha", "beta"]);
    let first = poll(
        ids[0],
        vec![
            entry("a1", item("https://x.test/1", "One", "first text here")),
            entry("a2", item("https://x.test/2", "Two", "second text here")),
        ],
        vec![],
    );
    let summary = store.record_poll(&first).expect("write");
    assert_eq!((summary.new_items, summary.linked), (2, 0));
    let known = store
        .known_entries(ids[0], &[EntryKey("a1".into()), EntryKey("zz".into())])
        .expect("known");
    assert_eq!(known.len(), 1);
    let item1 = store
        .item_by_canonical("https://x.test/1")
        .expect("read")
        .expect("stored");
    assert_eq!(known["a1"], item1);

    // Another feed carries item 1 (as a new entry and as a link): one item.
    let second = poll(
        ids[1],
        vec![entry(
            "b1",
            item("https://x.test/1", "One", "first text here"),
        )],
        vec![link("b2", item1)],
    );
    let summary = store.record_poll(&second).expect("write");
    assert_eq!((summary.new_items, summary.linked), (0, 2));
    assert_eq!(store.counts().expect("counts"), (2, 4, 2));

    let state = store.feed_state("alpha").expect("read").expect("stored");
    assert_eq!(state.etag.as_deref(), Some("\"e1\""));
    assert_eq!(state.last_status.as_deref(), Some("ok"));
    assert!(state.next_due_at.is_some() && state.enabled);
    let instance: Option<String> = store
        .client()
        .expect("client")
        .query_one("SELECT instance FROM fetches ORDER BY id LIMIT 1", &[])
        .expect("fetch")
        .get(0);
    assert_eq!(instance.as_deref(), Some("node-a"));

    let rows = store
        .items(&ItemQuery {
            limit: 10,
            ..ItemQuery::default()
        })
        .expect("items");
    assert_eq!(rows.len(), 2);
    let one = rows.iter().find(|r| r.id == item1).expect("item 1");
    // One name per source, as SQLite lists them (beta carries it twice).
    assert_eq!(one.feeds, ["alpha", "beta", "beta"]);
    let page = store
        .items(&ItemQuery {
            limit: 1,
            ..ItemQuery::default()
        })
        .expect("page 1");
    let rest = store
        .items(&ItemQuery {
            limit: 10,
            before: Some(page[0].cursor()),
            ..ItemQuery::default()
        })
        .expect("page 2");
    assert_eq!(rest.len(), 1);
    assert_ne!(rest[0].id, page[0].id);
    let after = store
        .items(&ItemQuery {
            after_id: Some(item1),
            feed: Some("alpha".into()),
            tag: Some("world".into()),
            limit: 10,
            ..ItemQuery::default()
        })
        .expect("after");
    assert_eq!(after.len(), 1);
    assert!(after[0].id > item1);

    // Config without beta: disabled, not deleted.
    store
        .sync_feeds(
            &[feed_config("alpha", "http://127.0.0.1:9/alpha.xml")],
            Utc::now(),
        )
        .expect("sync");
    let states = store.feed_states().expect("states");
    assert_eq!(states.len(), 2);
    assert!(!states[1].enabled);
}

#[test]
fn pruned_items_leave_tombstones_and_are_never_stored_again() {
    let Some(db) = TestDb::new("prune") else {
        return;
    };
    let mut store = db.store("t");
    let ids = feeds(&mut store, &["alpha"]);
    store
        .record_poll(&poll(
            ids[0],
            vec![entry("k1", item("https://x.test/old", "Old", "old text"))],
            vec![],
        ))
        .expect("write");
    assert_eq!(
        store
            .prune(Utc::now() + TimeDelta::minutes(1), 1)
            .expect("prune"),
        1
    );
    assert!(store.is_tombstoned("https://x.test/old").expect("read"));
    let known = store
        .known_entries(ids[0], &[EntryKey("k1".into())])
        .expect("known");
    assert_eq!(known.get("k1"), Some(&0));
    // A poll that still offers it (another key) stores nothing.
    let summary = store
        .record_poll(&poll(
            ids[0],
            vec![entry("k2", item("https://x.test/old", "Old", "old text"))],
            vec![],
        ))
        .expect("write");
    assert_eq!((summary.new_items, summary.linked), (0, 0));
    assert_eq!(store.counts().expect("counts").0, 0);
    assert_eq!(
        store
            .prune_fetches(Utc::now() + TimeDelta::minutes(1), 1)
            .expect("fetches"),
        2
    );
}

#[test]
fn search_finds_the_same_words_as_on_sqlite() {
    let Some(db) = TestDb::new("search") else {
        return;
    };
    let mut store = db.store("t");
    let ids = feeds(&mut store, &["alpha"]);
    let mut ru = item(
        "https://x.test/ru",
        "Переговоры",
        "Власти Малайзии заявили во вторник, что переговоры продолжатся.",
    );
    ru.language = Some("ru".into());
    let zh = item(
        "https://x.test/zh",
        "航天",
        "新华社消息，中国航天员今天完成出舱活动，这是航天事业的新进展。",
    );
    let en = item(
        "https://x.test/en",
        "Grain ports reopen",
        "Ships left the Black Sea ports with grain on Monday.",
    );
    let en2 = item(
        "https://x.test/en2",
        "Storm",
        "A storm closed the ports along the coast; grain exports were delayed.",
    );
    store
        .record_poll(&poll(
            ids[0],
            vec![
                entry("1", ru),
                entry("2", zh),
                entry("3", en),
                entry("4", en2),
            ],
            vec![],
        ))
        .expect("write");
    let q = ItemQuery {
        limit: 10,
        ..ItemQuery::default()
    };
    let urls = |text: &str| -> Vec<String> {
        store
            .search(text, &q)
            .expect("search")
            .into_iter()
            .map(|h| h.url)
            .collect()
    };
    assert_eq!(urls("Малайзия"), vec!["https://x.test/ru"]);
    assert_eq!(urls("宇航员"), Vec::<String>::new());
    assert_eq!(urls("航天员"), vec!["https://x.test/zh"]);
    assert_eq!(urls("\"black sea\""), vec!["https://x.test/en"]);
    assert_eq!(urls("grain NOT storm"), vec!["https://x.test/en"]);
    assert_eq!(urls("(storm OR sea) AND grain").len(), 2);
    assert_eq!(urls("gra*").len(), 2);
    // The title weighs more: "grain" in a title ranks first.
    assert_eq!(urls("grain")[0], "https://x.test/en");
    // Broken syntax is searched as plain words; no words find nothing.
    assert_eq!(urls("(grain AND"), urls("grain"));
    assert!(urls("-- ,").is_empty());
    let hit = &store.search("Малайзия", &q).expect("search")[0];
    assert_eq!(
        hit.snippet.as_deref(),
        Some("Власти [Малайзии] заявили во вторник, что переговоры продолжатся.")
    );
}

#[test]
fn a_reprint_joins_its_story_and_stories_list_it() {
    let Some(db) = TestDb::new("stories") else {
        return;
    };
    let mut store = db.store("t");
    let ids = feeds(&mut store, &["alpha", "beta"]);
    let text = story_text("talks in geneva resumed with envoys", 30);
    store
        .record_poll(&poll(
            ids[0],
            vec![entry("1", item("https://a.test/1", "Talks", &text))],
            vec![],
        ))
        .expect("write");
    store
        .record_poll(&poll(
            ids[1],
            vec![
                entry(
                    "1",
                    item(
                        "https://b.test/1",
                        "Talks resume",
                        &(text.clone() + " Reuters contributed."),
                    ),
                ),
                entry(
                    "2",
                    item(
                        "https://b.test/2",
                        "Floods",
                        &story_text("flooding closed roads across the north", 30),
                    ),
                ),
            ],
            vec![],
        ))
        .expect("write");
    let stories = store
        .stories(&StoryQuery {
            since: None,
            min_items: 2,
            limit: 10,
            offset: 0,
        })
        .expect("stories");
    assert_eq!(stories.len(), 1, "{stories:?}");
    assert_eq!(stories[0].item_count, 2);
    assert_eq!(
        stories[0].outlets,
        vec!["alpha".to_owned(), "beta".to_owned()]
    );
    assert_eq!(stories[0].url.as_deref(), Some("https://a.test/1"));
    assert!(
        store
            .prune_story_index(Utc::now() + TimeDelta::days(30))
            .expect("prune")
            > 0
    );
}

#[test]
fn tls_modes_encrypt_and_verify_full_checks_the_certificate() {
    let Some(db) = TestDb::new("tls") else {
        return;
    };
    let ssl_on: String = db
        .store("t")
        .client()
        .expect("client")
        .query_one("SHOW ssl", &[])
        .expect("show")
        .get(0);
    if ssl_on != "on" {
        eprintln!("tls: skipped: the test server has no TLS");
        return;
    }
    let base = db.url.shown().to_owned();
    let require: Target = format!("{base}?sslmode=require").parse().expect("url");
    let store = PgStore::open(&require.with_schema(&db.schema), "t", true).expect("TLS connect");
    let encrypted: bool = store
        .client()
        .expect("client")
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("ssl")
        .get(0);
    assert!(encrypted);
    // A self-signed test certificate is not trusted by verify-full.
    let verify: Target = format!("{base}?sslmode=verify-full").parse().expect("url");
    if let Err(err) = PgStore::open(&verify.with_schema(&db.schema), "t", true) {
        let msg = err.to_string();
        eprintln!("verify-full: {msg}");
        assert!(!msg.contains('\n') && msg.contains("TLS"), "{msg}");
    }
}

#[test]
fn long_search_terms_are_cut_at_a_word_and_never_inside_a_character() {
    use crate::store::pg::write::{SEARCH_TERMS_MAX, cap_terms};
    // Two-byte Cyrillic letters: the byte limit falls inside a letter (this
    // panicked before the cut looked for a boundary).
    let terms = "мир ".repeat(SEARCH_TERMS_MAX / 7 + 10);
    assert!(!terms.is_char_boundary(SEARCH_TERMS_MAX));
    let cut = cap_terms(&terms);
    assert!(cut.len() <= SEARCH_TERMS_MAX);
    assert!(
        cut.ends_with("мир"),
        "cut at a word: …{:?}",
        &cut[cut.len() - 8..]
    );
    assert_eq!(cap_terms("short terms"), "short terms");
}
