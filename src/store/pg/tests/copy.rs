//! `store copy`: a SQLite store copied whole, resumably.

use chrono::{TimeDelta, Utc};

use super::*;
use crate::store::{ItemQuery, Store};

#[test]
fn a_sqlite_store_is_copied_whole_and_a_second_run_adds_nothing() {
    let Some(db) = TestDb::new("copy") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut lite = Store::open(&path).expect("sqlite");
    let configs = [
        feed_config("alpha", "http://127.0.0.1:9/a.xml"),
        feed_config("beta", "http://127.0.0.1:9/b.xml"),
    ];
    lite.sync_feeds(&configs, Utc::now()).expect("sync");
    let a = lite.feed_state("alpha").expect("read").expect("a").id;
    let b = lite.feed_state("beta").expect("read").expect("b").id;
    let text = story_text("the harbour reopened after the storm passed", 30);
    lite.record_poll(&poll(
        a,
        vec![entry("1", item("https://a.test/1", "Harbour", &text))],
        vec![],
    ))
    .expect("write");
    lite.record_poll(&poll(
        b,
        vec![
            entry(
                "1",
                item(
                    "https://b.test/1",
                    "Harbour reopens",
                    &(text.clone() + " More later."),
                ),
            ),
            entry("2", item("https://b.test/old", "Old", "old")),
        ],
        vec![],
    ))
    .expect("write");
    drop(lite);

    let mut pg = db.store("copier");
    let report = pg.copy_from_sqlite(&path, |_, _| {}).expect("copy");
    for t in &report {
        assert_eq!(t.source_rows, t.target_rows, "{}", t.table);
    }
    assert_eq!(
        report
            .iter()
            .find(|t| t.table == "items")
            .expect("items")
            .target_rows,
        3
    );
    assert!(
        report
            .iter()
            .find(|t| t.table == "story_bands")
            .expect("bands")
            .target_rows
            > 0
    );
    let again = pg.copy_from_sqlite(&path, |_, _| {}).expect("copy again");
    assert_eq!(again, report);

    let q = ItemQuery {
        limit: 10,
        ..ItemQuery::default()
    };
    assert_eq!(pg.search("harbour", &q).expect("search").len(), 2);
    let rows = pg.items(&q).expect("items");
    let story = |url: &str| rows.iter().find(|r| r.url == url).expect("row").story_id;
    assert_eq!(story("https://a.test/1"), story("https://b.test/1"));
    // New items after the copy get ids past the copied ones.
    let summary = pg
        .record_poll(&poll(
            a,
            vec![entry("9", item("https://a.test/9", "New", "new text"))],
            vec![],
        ))
        .expect("write after copy");
    assert_eq!(summary.new_items, 1);
    let id = pg
        .item_by_canonical("https://a.test/9")
        .expect("read")
        .expect("stored");
    assert!(id > 3, "{id}");
    assert!(
        pg.prune(Utc::now() + TimeDelta::minutes(1), 100)
            .expect("prune")
            == 4
    );
}
