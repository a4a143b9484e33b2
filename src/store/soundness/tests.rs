use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::{Proof, StoreCheck, full_check_due};
use crate::store::SqliteStore;

const DAY: Duration = Duration::from_secs(86_400);

fn proof_at_open(path: &std::path::Path) -> Proof {
    let store = SqliteStore::open(path).expect("open");
    store.proof().expect("a writable file store").clone()
}

fn check(store: &mut SqliteStore, every: Duration) -> StoreCheck {
    store
        .check_before_writing(every)
        .expect("check runs")
        .expect("the store is sound")
}

#[test]
fn a_cleanly_closed_store_is_trusted_and_one_left_open_is_checked_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = SqliteStore::open(&path).expect("open");
    assert_eq!(store.proof(), Some(&Proof::Created));
    // Created, but never checked whole: the first start reads it all.
    assert_eq!(
        check(&mut store, DAY),
        StoreCheck::Full {
            reason: "no full check has passed yet"
        }
    );
    drop(store);

    let mut store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.proof(), Some(&Proof::ClosedCleanly));
    assert!(matches!(check(&mut store, DAY), StoreCheck::Trusted { .. }));
    // The interval still forces a full check, and `0s` means every time.
    assert!(matches!(
        check(&mut store, Duration::ZERO),
        StoreCheck::Full { .. }
    ));
    // A writer that never closes (kill -9): its record stays cleared.
    std::mem::forget(store);
    assert_eq!(
        proof_at_open(&path),
        Proof::Unproven("it was not closed cleanly")
    );
}

#[test]
fn a_file_rewritten_with_the_same_bytes_and_time_after_a_clean_close_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = SqliteStore::open(&path).expect("open");
    check(&mut store, DAY);
    drop(store);
    assert!(
        std::fs::metadata(dir.path().join("news.db-wal")).is_ok_and(|m| m.len() > 0),
        "the clean-close record stays in the WAL"
    );
    // Same content, same size, modification time put back: only the
    // change time (which no program can set) tells.
    let bytes = std::fs::read(&path).expect("read");
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, &bytes).expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(modified))
        .expect("set mtime back");
    let proof = proof_at_open(&path);
    assert_eq!(
        proof,
        Proof::Unproven("the file changed since newswire closed it")
    );
    // That session neither checked the file nor proved it: it leaves no
    // record, so the next open is still unproven.
    assert_eq!(
        proof_at_open(&path),
        Proof::Unproven("it was not closed cleanly")
    );
}

#[test]
fn another_program_closing_the_file_last_makes_it_checked_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = SqliteStore::open(&path).expect("open");
    check(&mut store, DAY);
    drop(store);
    // A read-only reader changes nothing.
    {
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("read-only");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0);
    }
    assert_eq!(proof_at_open(&path), Proof::ClosedCleanly);
    // A read-write connection that closes last copies the WAL into the file.
    {
        let conn = rusqlite::Connection::open(&path).expect("read-write");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM feeds", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0);
    }
    assert_eq!(
        proof_at_open(&path),
        Proof::Unproven("the file changed since newswire closed it")
    );
}

#[test]
fn a_full_check_is_due_when_unproven_never_done_old_or_in_the_future() {
    let now = Utc::now();
    let recent = Some(now - TimeDelta::hours(1));
    let unproven = Proof::Unproven("it was not closed cleanly");
    assert_eq!(
        full_check_due(&unproven, recent, DAY, now),
        Some("it was not closed cleanly")
    );
    assert_eq!(
        full_check_due(&Proof::ClosedCleanly, recent, DAY, now),
        None
    );
    assert_eq!(full_check_due(&Proof::Created, recent, DAY, now), None);
    assert!(full_check_due(&Proof::ClosedCleanly, None, DAY, now).is_some());
    assert!(
        full_check_due(
            &Proof::ClosedCleanly,
            Some(now - TimeDelta::days(2)),
            DAY,
            now
        )
        .is_some()
    );
    assert!(
        full_check_due(
            &Proof::ClosedCleanly,
            Some(now + TimeDelta::hours(1)),
            DAY,
            now
        )
        .is_some()
    );
    assert!(full_check_due(&Proof::ClosedCleanly, recent, Duration::ZERO, now).is_some());
}
