//! A store that fails under the daemon (issue 15): a damaged file is refused
//! at start, a write that fails (disk full) leaves its trace on the feed row,
//! and `/healthz` says when the store was found damaged.

mod common;
mod harness;

use std::sync::Arc;

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed, wire_feed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_leaves_the_failure_on_the_feed_row() {
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 200, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text("", "", &[feed("world", srv.url("/world.rss"))]);
    let config =
        newswire::config::Config::from_toml(&text, "test", Some(dir.path())).expect("config");
    let path = dir.path().join("news.db");
    let mut store = newswire::store::Store::open(&path).expect("store");
    store
        .sync_feeds(&config.feeds, chrono::Utc::now())
        .expect("sync");
    // The file may not grow: the 200 items do not fit, a failure record does.
    let pages: i64 = store
        .sqlite()
        .expect("a SQLite store")
        .connection()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("pages");
    store
        .sqlite()
        .expect("a SQLite store")
        .connection()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("cap");
    let feed_config = config.feeds[0].clone();
    let ctx = newswire::pipeline::Context::new(Arc::new(config), store).expect("context");
    let result = newswire::pipeline::poll_feed(&ctx, &feed_config).await;
    let err = result.expect_err("the items cannot be written");
    assert!(err.is_full(), "{err}");

    let conn = rusqlite::Connection::open(&path).expect("open");
    let (status, error, count): (Option<String>, Option<String>, i64) = conn
        .query_row(
            "SELECT last_status, last_error, error_count FROM feeds WHERE name = 'world'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("feed row");
    assert_eq!(status.as_deref(), Some("error"));
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.starts_with(newswire::pipeline::STORE_WRITE_FAILED)),
        "{error:?}"
    );
    assert_eq!(count, 1);
    let items: i64 = conn
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .expect("items");
    assert_eq!(items, 0, "nothing half-written");
}

/// Overwrites the first bytes of the page where `table` is rooted.
fn damage_table(db: &std::path::Path, table: &str) {
    let (root, page_size): (i64, i64) = {
        let conn = rusqlite::Connection::open(db).expect("open");
        let root = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .expect("root page");
        let size = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        (root, size)
    };
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .expect("open file");
    f.seek(SeekFrom::Start(((root - 1) * page_size) as u64))
        .expect("seek");
    f.write_all(&[0xA5; 64]).expect("damage");
}

#[test]
fn a_damaged_store_is_refused_at_start() {
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 30, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[feed("world", srv.url("/world.rss"))]);
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", describe(&out));
    // An index the next poll (nothing new) does not touch: before, the
    // poll went through and the store was written on.
    damage_table(&setup.db(), "items_published_at");
    for args in [&["poll"][..], &["run"][..]] {
        let out = setup.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} wrote to a damaged store");
        assert!(stderr.contains("damaged"), "{args:?}: {stderr}");
    }
}
