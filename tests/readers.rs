//! The store and other programs: a reader holding a long read transaction
//! (python3's sqlite3 module, as downstream users do) does not stop a poll
//! from committing, and sees a stable snapshot until it ends; a store that
//! cannot be created or opened is a clear error naming the path, exit 1,
//! never a panic.

mod common;
mod harness;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed, wire_feed};

/// Holds a read transaction open until `release` exists (or 20 s pass), and
/// prints the item counts before, during and after, and how it ended.
const READER: &str = r#"
import os, sqlite3, sys, time
db, ready, release = sys.argv[1:4]
c = sqlite3.connect(db, isolation_level=None)
c.execute("BEGIN")
before = c.execute("SELECT count(*) FROM items").fetchone()[0]
open(ready, "w").write(str(before))
end = time.time() + 20
while not os.path.exists(release) and time.time() < end:
    time.sleep(0.05)
ended = "released" if os.path.exists(release) else "timeout"
during = c.execute("SELECT count(*) FROM items").fetchone()[0]
c.execute("COMMIT")
after = c.execute("SELECT count(*) FROM items").fetchone()[0]
print(before, during, after, ended)
"#;

fn python3() -> Option<&'static str> {
    Command::new("python3")
        .args(["-c", "import sqlite3"])
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| "python3")
}

#[test]
fn a_long_reader_does_not_block_a_poll() {
    let Some(python) = python3() else {
        eprintln!("SKIPPED: python3 with its sqlite3 module is not installed");
        return;
    };
    let srv = TestServer::start();
    let base = srv.url("");
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&base, "world", 5, 0)).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[feed("world", srv.url("/world.rss"))]);
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", describe(&out));

    let ready = setup.dir.path().join("reader.ready");
    let release = setup.dir.path().join("reader.release");
    let reader = Command::new(python)
        .args(["-c", READER])
        .arg(setup.db())
        .arg(&ready)
        .arg(&release)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let end = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < end, "reader did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The feed grows; the poll must commit while the reader still holds its
    // transaction (the reader waits for us, so a blocked writer would fail
    // on its busy timeout before the reader gave up).
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&base, "world", 9, 0)).header("Content-Type", "application/rss+xml"),
    );
    let out = setup.run(&["poll"]);
    let polled = out.status.success();
    std::fs::write(&release, "done").expect("release reader");
    let reader = reader.wait_with_output().expect("reader output");
    let said = String::from_utf8_lossy(&reader.stdout).trim().to_owned();
    assert!(polled, "poll beside a reader: {}", describe(&out));
    assert!(
        reader.status.success(),
        "reader: {}",
        String::from_utf8_lossy(&reader.stderr)
    );
    assert_eq!(
        said, "5 5 9 released",
        "the reader's snapshot is stable, the poll committed while it was open"
    );
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 9);
}

/// Runs `args` against a config whose store is `storage_path`; asserts exit 1,
/// the path named on stderr, no panic. Returns stderr.
fn refused(setup: &Setup, args: &[&str], shown_path: &Path) -> String {
    let out = setup.run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
    assert!(
        err.contains(&shown_path.display().to_string()),
        "{args:?}: the store path should be named: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

fn with_store_path(path: &str) -> Setup {
    Setup::with_config(
        &config_text("", "", &[feed("rt", "http://127.0.0.1:9/rss")])
            .replace("path = \"news.db\"", &format!("path = \"{path}\"")),
    )
}

#[test]
fn an_unusable_store_is_a_clear_error() {
    // A regular file where the store's directory should be: the directory
    // cannot be created, whoever runs the test (root ignores permissions).
    let setup = with_store_path("blocker/news.db");
    std::fs::write(setup.dir.path().join("blocker"), "not a directory").expect("write");
    let path = setup.dir.path().join("blocker/news.db");
    for args in [&["poll"][..], &["run"]] {
        let err = refused(&setup, args, &path);
        assert!(err.contains("cannot create directory"), "{err}");
    }

    // The store path is a directory.
    let setup = with_store_path("store-dir");
    std::fs::create_dir(setup.dir.path().join("store-dir")).expect("mkdir");
    refused(&setup, &["poll"], &setup.dir.path().join("store-dir"));

    // The store file is not SQLite.
    let setup = with_store_path("news.db");
    std::fs::write(setup.db(), vec![b'x'; 8192]).expect("write");
    let err = refused(&setup, &["poll"], &setup.db());
    assert!(err.contains("not a database"), "{err}");

    // A directory without write permission, where permissions bind (not root).
    let setup = with_store_path("locked/news.db");
    let locked = setup.dir.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    let mut perms = std::fs::metadata(&locked).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).expect("chmod");
    let probe = locked.join("probe");
    if std::fs::write(&probe, "x").is_ok() {
        eprintln!("SKIPPED read-only directory case: permissions do not bind here (root)");
    } else {
        refused(&setup, &["poll"], &locked.join("news.db"));
    }
}
