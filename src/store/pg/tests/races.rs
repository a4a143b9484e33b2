//! Races between two instances, each shown to need its guard.

use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::Duration;

use super::*;
use crate::store::StoreError;
use crate::store::pg::write::Writer;

/// Two threads meet here, or go on alone after `wait` (the other is blocked
/// elsewhere, on the lock under test).
#[derive(Default)]
struct Rendezvous {
    arrived: Mutex<usize>,
    cv: Condvar,
}

impl Rendezvous {
    fn meet(&self, wait: Duration) {
        let mut n = self.arrived.lock().expect("lock");
        *n += 1;
        self.cv.notify_all();
        let _timed_out = self
            .cv
            .wait_timeout_while(n, wait, |n| *n < 2)
            .expect("wait");
    }
}

#[test]
fn one_article_met_by_two_instances_at_once_is_stored_once() {
    let Some(db) = TestDb::new("same_url_race") else {
        return;
    };
    let mut setup = db.store("setup");
    let ids = feeds(&mut setup, &["alpha", "beta"]);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ids
        .iter()
        .map(|&feed| {
            let url = db.url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut store =
                    PgStore::open(&url, &format!("node-{feed}"), true).expect("connect");
                // Without the items lock the two inserts run at once: only the
                // ON CONFLICT guard keeps the second from failing or duplicating.
                store.hooks.skip_items_lock = true;
                barrier.wait();
                store
                    .record_poll(&poll(
                        feed,
                        vec![entry("k", item("https://x.test/same", "Same", "same text"))],
                        vec![],
                    ))
                    .expect("both polls commit")
            })
        })
        .collect();
    let summaries: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(
        summaries.iter().map(|s| s.new_items).sum::<usize>(),
        1,
        "{summaries:?}"
    );
    assert_eq!(
        summaries.iter().map(|s| s.linked).sum::<usize>(),
        1,
        "{summaries:?}"
    );
    let (items, sources, fetches) = setup.counts().expect("counts");
    assert_eq!((items, sources, fetches), (1, 2, 2));
    let new_items: i64 = setup
        .client()
        .expect("client")
        .query_one("SELECT sum(new_items)::bigint FROM fetches", &[])
        .expect("sum")
        .get(0);
    assert_eq!(new_items, items, "sum(fetches.new_items) = count(items)");
}

/// Two reprints of one story written at once by two instances, each held
/// after its candidate lookup until the other has looked too (or 3 s).
fn reprints_at_once(db: &TestDb, with_lock: bool) -> (i64, i64) {
    let mut setup = db.store("setup");
    let ids = feeds(&mut setup, &["alpha", "beta"]);
    let text = story_text("the central bank held its key rate at four percent", 30);
    let meet = Arc::new(Rendezvous::default());
    let handles: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, &feed)| {
            let url = db.url.clone();
            let meet = meet.clone();
            let text = format!("{text} Copy {i}.");
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, &format!("node-{i}"), true).expect("connect");
                store.hooks.skip_items_lock = !with_lock;
                store.hooks.after_lookup =
                    Some(Box::new(move || meet.meet(Duration::from_secs(3))));
                let it = item(&format!("https://{i}.test/rate"), "Rates held", &text);
                store
                    .record_poll(&poll(feed, vec![entry("k", it)], vec![]))
                    .expect("write");
                store
                    .item_by_canonical(&format!("https://{i}.test/rate"))
                    .expect("read")
                    .expect("stored")
            })
        })
        .collect();
    let ids: Vec<i64> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let story = |id: i64| -> i64 {
        setup
            .client()
            .expect("client")
            .query_one(
                "SELECT COALESCE(story_id, id) FROM items WHERE id = $1",
                &[&id],
            )
            .expect("story")
            .get(0)
    };
    (story(ids[0]), story(ids[1]))
}

#[test]
fn two_reprints_stored_at_once_join_one_story_under_the_items_lock() {
    let Some(control) = TestDb::new("reprint_race_control") else {
        return;
    };
    // Without the lock neither sees the other's uncommitted keys: the story splits.
    let (a, b) = reprints_at_once(&control, false);
    assert_ne!(a, b, "the control run must show the race");
    drop(control);
    let Some(db) = TestDb::new("reprint_race") else {
        return;
    };
    let (a, b) = reprints_at_once(&db, true);
    assert_eq!(a, b, "one story under the items lock");
}

#[test]
fn a_poll_whose_lease_expired_and_was_taken_over_writes_nothing() {
    let Some(db) = TestDb::new("lease_race") else {
        return;
    };
    let mut a = db.store("a");
    let mut b = db.store("b");
    feeds(&mut a, &["alpha"]);
    let names = vec!["alpha".to_owned()];
    let lease = Duration::from_secs(60);
    let (state, lease_a) = a.claim_due("a", &names, 1, lease).expect("claim").remove(0);
    // a's poll is slow: its lease runs out and b claims the feed.
    a.client()
        .expect("client")
        .execute(
            "UPDATE feeds SET lease_until = now() - interval '1 second'",
            &[],
        )
        .expect("backdate");
    let (_, lease_b) = b.claim_due("b", &names, 1, lease).expect("claim").remove(0);
    assert_eq!(lease_b.token, lease_a.token + 1);
    let the_poll = poll(
        state.id,
        vec![entry("k", item("https://x.test/1", "One", "text"))],
        vec![],
    );
    let late = a.record_poll_as(
        &the_poll,
        &[],
        Writer {
            instance: Some("a"),
            lease: Some(&lease_a),
        },
    );
    assert!(
        matches!(late, Err(StoreError::LeaseLost { ref feed }) if feed == "alpha"),
        "{late:?}"
    );
    assert_eq!(
        a.counts().expect("counts"),
        (0, 0, 0),
        "the late writer stored nothing"
    );
    let summary = b
        .record_poll_as(
            &the_poll,
            &[],
            Writer {
                instance: Some("b"),
                lease: Some(&lease_b),
            },
        )
        .expect("the lease holder writes");
    assert_eq!(summary.new_items, 1);
    assert_eq!(b.counts().expect("counts"), (1, 1, 1));
    let after = b.feed_state("alpha").expect("read").expect("stored");
    assert!(after.last_polled_at.is_some());
    let owner: Option<String> = b
        .client()
        .expect("client")
        .query_one("SELECT lease_owner FROM feeds", &[])
        .expect("owner")
        .get(0);
    assert_eq!(owner, None, "the write gives the lease back");
    // And a's retry with its old token is still refused.
    assert!(matches!(
        a.record_poll_as(
            &the_poll,
            &[],
            Writer {
                instance: Some("a"),
                lease: Some(&lease_a)
            }
        ),
        Err(StoreError::LeaseLost { .. })
    ));
}

#[test]
fn an_after_id_reader_collects_every_item_while_four_instances_write() {
    let Some(db) = TestDb::new("after_id") else {
        return;
    };
    let mut setup = db.store("setup");
    let ids = feeds(&mut setup, &["f0", "f1", "f2", "f3"]);
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(w, &feed)| {
            let url = db.url.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, &format!("w{w}"), true).expect("connect");
                for n in 0..20 {
                    let entries = (0..3)
                        .map(|k| {
                            let u = format!("https://w{w}.test/{n}/{k}");
                            entry(&u, item(&u, "T", &format!("writer {w} poll {n} item {k}")))
                        })
                        .collect();
                    store
                        .record_poll(&poll(feed, entries, vec![]))
                        .expect("write");
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let mut seen: Vec<i64> = Vec::new();
    loop {
        let finished = done.load(std::sync::atomic::Ordering::SeqCst) == 4;
        let page = setup
            .items(&crate::store::ItemQuery {
                after_id: seen.last().copied().or(Some(0)),
                omit_text: true,
                limit: 7,
                ..crate::store::ItemQuery::default()
            })
            .expect("page");
        if page.is_empty() && finished {
            break;
        }
        seen.extend(page.iter().map(|r| r.id));
    }
    for w in writers {
        w.join().expect("writer");
    }
    let all: Vec<i64> = setup
        .client()
        .expect("client")
        .query("SELECT id FROM items ORDER BY id", &[])
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(all.len(), 240);
    assert_eq!(seen, all, "the reader skipped an item that committed late");
}
