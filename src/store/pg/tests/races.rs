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

/// Feeds alpha and beta, each polled by an instance of its own that offers
/// `url` as a new item; both transactions reach the item's insert before
/// either inserts (or after 3 s). Without the items lock, so only the
/// insert's own guard stands between them. Each poll's result, in feed order.
fn same_url_at_once(
    db: &TestDb,
    feed_ids: &[FeedId],
    url: &str,
    guarded: bool,
) -> Vec<Result<crate::store::PollSummary, StoreError>> {
    let meet = Arc::new(Rendezvous::default());
    let start = Arc::new(Barrier::new(2));
    let handles: Vec<_> = feed_ids
        .iter()
        .map(|&feed| {
            let target = db.url.clone();
            let meet = meet.clone();
            let start = start.clone();
            let url = url.to_owned();
            std::thread::spawn(move || {
                let mut store =
                    PgStore::open(&target, &format!("node-{feed}"), true).expect("connect");
                store.hooks.skip_items_lock = true;
                store.hooks.unguarded_insert = !guarded;
                store.hooks.before_insert =
                    Some(Box::new(move || meet.meet(Duration::from_secs(3))));
                start.wait();
                store.record_poll(&poll(
                    feed,
                    vec![entry(
                        &format!("{feed} {url}"),
                        item(&url, "Same", "same text"),
                    )],
                    vec![],
                ))
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

/// Whether `e` is PostgreSQL refusing a second row for a unique key.
fn is_unique_violation(e: &StoreError) -> bool {
    match e {
        StoreError::Backend { source, .. } => source
            .downcast_ref::<super::super::PgError>()
            .is_some_and(|p| {
                matches!(p, super::super::PgError::Driver(d)
                    if d.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION))
            }),
        _ => false,
    }
}

#[test]
fn one_article_met_by_two_instances_at_once_is_stored_once() {
    let Some(db) = TestDb::new("same_url_race") else {
        return;
    };
    let mut setup = db.store("setup");
    let ids = feeds(&mut setup, &["alpha", "beta"]);

    // The control: a look-up before a plain insert is enough one poll at a
    // time (the second finds the first's item and links it)...
    let mut naive = db.store("naive");
    naive.hooks.unguarded_insert = true;
    for &feed in &ids {
        naive
            .record_poll(&poll(
                feed,
                vec![entry("seq", item("https://x.test/seq", "Seq", "text"))],
                vec![],
            ))
            .expect("one at a time, the naive insert is enough");
    }
    assert_eq!(setup.counts().expect("counts"), (1, 2, 2));
    // ...but two at once both find nothing, and the second insert fails on
    // the unique index: that poll is lost.
    let results = same_url_at_once(&db, &ids, "https://x.test/raced", false);
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(
        failed.len(),
        1,
        "the control run must show the race: {results:?}"
    );
    assert!(is_unique_violation(failed[0]), "{}", failed[0]);
    assert_eq!(setup.counts().expect("counts"), (2, 3, 3));

    // With the guard (`ON CONFLICT DO NOTHING`, then the stored id), both
    // polls commit: one stores the item, the other links it.
    let summaries: Vec<_> = same_url_at_once(&db, &ids, "https://x.test/same", true)
        .into_iter()
        .map(|r| r.expect("both polls commit"))
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
    assert_eq!(setup.counts().expect("counts"), (3, 5, 5));
    let sources: i64 = setup
        .client()
        .expect("client")
        .query_one(
            "SELECT count(*) FROM item_sources s JOIN items i ON i.id = s.item_id
             WHERE i.canonical_url = 'https://x.test/same'",
            &[],
        )
        .expect("sources")
        .get(0);
    assert_eq!(sources, 2, "one item, a source for each feed");
    let new_items: i64 = setup
        .client()
        .expect("client")
        .query_one("SELECT sum(new_items)::bigint FROM fetches", &[])
        .expect("sum")
        .get(0);
    assert_eq!(new_items, 3, "sum(fetches.new_items) = count(items)");
}

/// Two reprints of one story written at once by two instances, each held
/// after its candidate lookup until the other has looked too (or 1 s).
fn reprints_at_once(db: &TestDb, with_lock: bool) -> (i64, i64) {
    let mut setup = db.store("setup");
    let ids = feeds(&mut setup, &["alpha", "beta"]);
    let text = story_text("the central bank held its key rate at four percent", 30);
    let meet = Arc::new(Rendezvous::default());
    let start = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, &feed)| {
            let url = db.url.clone();
            let meet = meet.clone();
            let start = start.clone();
            let text = format!("{text} Copy {i}.");
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, &format!("node-{i}"), true).expect("connect");
                store.hooks.skip_items_lock = !with_lock;
                // Both start writing together, so without the lock they meet
                // within milliseconds; with it, the first waits out the second
                // (blocked on the lock) for one second.
                store.hooks.after_lookup =
                    Some(Box::new(move || meet.meet(Duration::from_secs(1))));
                start.wait();
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
