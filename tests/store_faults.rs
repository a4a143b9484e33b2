//! A store that fails under the daemon (issue 15): a damaged file is refused
//! at start, a write that fails (disk full) leaves its trace on the feed row,
//! and `/healthz` says when the store was found damaged.

mod common;
mod harness;

use std::sync::Arc;
use std::time::Duration;

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

/// The first root page of `table` and the page size, read without writing
/// anything (a read-write connection closing last would copy the WAL in).
fn root_page_read_only(db: &std::path::Path, table: &str) -> (i64, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
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
}

/// Issue 17: the start-up check no longer reads the whole file when the
/// store is as newswire closed it. Damage done while no newswire ran, after
/// a clean stop, with the file's size and modification time put back, must
/// still be refused: the file's change time tells.
#[test]
fn a_store_damaged_after_a_clean_stop_is_refused_though_its_size_and_time_are_put_back() {
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 30, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[feed("world", srv.url("/world.rss"))]);
    for _ in 0..2 {
        let out = setup.run(&["poll"]);
        assert!(out.status.success(), "{}", describe(&out));
    }
    let db = setup.db();
    let (root, page_size) = root_page_read_only(&db, "items_published_at");
    let before = std::fs::metadata(&db).expect("stat");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .expect("open file");
        f.seek(SeekFrom::Start(((root - 1) * page_size) as u64))
            .expect("seek");
        f.write_all(&[0xA5; 64]).expect("damage");
        f.set_modified(before.modified().expect("mtime"))
            .expect("put the time back");
    }
    let after = std::fs::metadata(&db).expect("stat");
    assert_eq!(after.len(), before.len());
    assert_eq!(after.modified().ok(), before.modified().ok());
    for args in [&["poll"][..], &["run"][..]] {
        let out = setup.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} wrote to a damaged store");
        assert!(stderr.contains("damaged"), "{args:?}: {stderr}");
    }
}

/// The whole file is read when the store was not closed cleanly (kill -9),
/// when another program changed it, and when `full_check_every` says so;
/// not after a clean `poll` or a daemon stopped with SIGTERM.
#[test]
fn only_a_store_left_as_newswire_closed_it_skips_the_whole_file_check() {
    const WHOLE: &str = "store checked whole and sound";
    const SKIPPED: &str = "whole-file check skipped";
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 30, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    // Polled every second by the daemon.
    let feeds = [feed("world", srv.url("/world.rss")).with("schedule = \"*/1 * * * * *\"")];
    let setup = Setup::new(&feeds);
    let poll = |expect: &str, why: &str| {
        let out = setup.run(&["poll"]);
        assert!(out.status.success(), "{why}: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(expect),
            "{why}: expected `{expect}` in\n{stderr}"
        );
        stderr.into_owned()
    };
    poll(WHOLE, "a new store");
    poll(SKIPPED, "after a clean poll");

    // A program that writes the file (here: the last read-write connection
    // to close copies the WAL in).
    assert_eq!(setup.query_i64("SELECT count(*) FROM feeds"), 1);
    let log = poll(WHOLE, "after another program wrote the file");
    assert!(
        log.contains("the file changed since newswire closed it"),
        "{log}"
    );
    poll(SKIPPED, "after the whole check passed and a clean poll");

    // The daemon: SIGTERM closes cleanly, kill -9 does not.
    let mut daemon = setup.spawn_daemon();
    // Four polls so far, one `fetches` row each: wait for two of the daemon's.
    setup.wait_for("SELECT count(*) FROM fetches", 6, Duration::from_secs(30));
    assert!(daemon.stop().success(), "{}", daemon.log_text());
    poll(SKIPPED, "after the daemon stopped on SIGTERM");
    let mut daemon = setup.spawn_daemon();
    setup.wait_for("SELECT count(*) FROM fetches", 9, Duration::from_secs(30));
    daemon.signal("KILL");
    daemon.wait(Duration::from_secs(10));
    let log = poll(WHOLE, "after kill -9");
    assert!(log.contains("it was not closed cleanly"), "{log}");

    // `full_check_every = "0s"`: every start reads the whole file.
    setup.rewrite_config(&format!(
        "{}\n",
        config_text("", "", &feeds).replace(
            "[storage]\npath = \"news.db\"\n",
            "[storage]\npath = \"news.db\"\nfull_check_every = \"0s\"\n"
        )
    ));
    poll(WHOLE, "with full_check_every = 0s");
    poll(WHOLE, "with full_check_every = 0s, again");
}
