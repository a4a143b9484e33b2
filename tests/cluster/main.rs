//! End to end: two `newswire run` daemons, instances `a` and `b`, share one
//! PostgreSQL database (a schema of its own, dropped at the end) and one
//! feed list of 100 feeds with full text on a 127.0.0.1 farm. Some articles
//! are carried by three feeds under their own guids, some are reprinted
//! (the same text under another URL by another feed). Each article page
//! answers after a short delay, so polls hold their leases a while.
//!
//! `a` is killed with SIGKILL while it holds leases; `b` must take its feeds
//! over once the leases end and finish the farm; then `b` gets SIGTERM.
//! The store must hold every served article exactly once, with full text
//! and every source, both instances' polls, no lease left, reprints in one
//! story, and the same grouping of URLs into stories as a single
//! `newswire poll` of the same farm on SQLite.
//!
//! Needs `NEWSWIRE_TEST_POSTGRES` (CI: `postgres://postgres@127.0.0.1:5432/postgres`);
//! without it the test says it is skipped and passes.
#![cfg(feature = "postgres")]

#[path = "../common/mod.rs"]
mod common;
mod db;
mod farm;
#[path = "../harness/mod.rs"]
mod harness;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::TestServer;
use db::{Schema, grouping, i64_of, strings, try_i64};
use farm::{CARRIERS, FEEDS, PAGE_DELAY, REPRINTS, SHARED, config, farm, serve};
use harness::{Daemon, Setup, bounded_poll, describe};

/// The shortest lease the config accepts.
const LEASE_SECS: u64 = 3;
/// `a` is killed once it has recorded this many polls (so both instances
/// appear in `fetches`, and both have met shared articles) and holds leases.
const KILL_AFTER_POLLS: i64 = 5;
/// The whole cluster part must be done within this (a hang fails, it is not
/// a timing assertion).
const DEADLINE: Duration = Duration::from_secs(75);

fn logs(daemons: &[(&str, &Daemon)]) -> String {
    daemons
        .iter()
        .map(|(name, d)| {
            let text = d.log_text();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            format!(
                "--- daemon {name}, last lines ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_daemons_one_killed_store_every_entry_once() {
    let Ok(base) = std::env::var("NEWSWIRE_TEST_POSTGRES") else {
        eprintln!("cluster end-to-end test skipped: NEWSWIRE_TEST_POSTGRES is not set");
        return;
    };
    let started = Instant::now();
    let farm = farm();
    let srv = TestServer::start();
    serve(&srv, &farm);
    let entries: usize = farm.feeds.iter().map(Vec::len).sum();
    let expected: BTreeSet<String> = farm.articles.iter().map(|a| srv.url(&a.path)).collect();
    let n_articles = expected.len() as i64;
    assert_eq!(n_articles as usize, farm.articles.len());
    eprintln!(
        "farm: {FEEDS} feeds, {entries} entries, {n_articles} articles ({SHARED} carried by {CARRIERS} feeds, \
         {REPRINTS} reprint pairs), pages delayed {PAGE_DELAY:?}; lease {LEASE_SECS}s, schedule every 2 s"
    );

    let schema = Schema::create(&base);
    let mut db = schema.client();
    let storage = format!("url = \"{}\"", schema.url());
    let cluster =
        |name: &str| format!("[cluster]\nlease = \"{LEASE_SECS}s\"\ninstance = \"{name}\"");
    let setup_a = Setup::with_config(&config(&srv, &storage, &cluster("a")));
    let setup_b = Setup::with_config(&config(&srv, &storage, &cluster("b")));
    let mut a = setup_a.spawn_daemon();
    let mut b = setup_b.spawn_daemon();
    let end = started + DEADLINE;

    // Kill `a` once it has recorded some polls and holds leases of others.
    let held: Vec<String> = loop {
        let polls_a = try_i64(&mut db, "SELECT count(*) FROM fetches WHERE instance = 'a'");
        if polls_a >= KILL_AFTER_POLLS {
            let held = db
                .query(
                    "SELECT name FROM feeds WHERE lease_owner = 'a' AND lease_until > now() ORDER BY name",
                    &[],
                )
                .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
                .unwrap_or_else(|_| Vec::new());
            if !held.is_empty() {
                break held;
            }
        }
        assert!(
            Instant::now() < end,
            "`a` never held a lease after a recorded poll\n{}",
            logs(&[("a", &a), ("b", &b)])
        );
        assert!(
            a.child.try_wait().expect("wait").is_none(),
            "`a` exited\n{}",
            logs(&[("a", &a)])
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    a.signal("KILL");
    let _status = a.wait(Duration::from_secs(10));
    let killed_at = started.elapsed();
    let last_fetch_at_kill = i64_of(&mut db, "SELECT coalesce(max(id), 0) FROM fetches");
    let items_at_kill = i64_of(&mut db, "SELECT count(*) FROM items");
    eprintln!(
        "killed `a` at {killed_at:?} holding {} feeds' leases; {items_at_kill} of {n_articles} items stored then",
        held.len()
    );

    // `b` finishes: every article stored with its page's text, the leases
    // `a` held passed to `b` and polled by it.
    loop {
        let items = i64_of(&mut db, "SELECT count(*) FROM items");
        let full = i64_of(
            &mut db,
            "SELECT count(*) FROM items WHERE extraction = 'extracted'",
        );
        let sources = i64_of(&mut db, "SELECT count(*) FROM item_sources");
        let owned_by_a = i64_of(
            &mut db,
            "SELECT count(*) FROM feeds WHERE lease_owner = 'a'",
        );
        let taken_over = db
            .query_one(
                "SELECT count(DISTINCT f.id) FROM feeds f JOIN fetches x ON x.feed_id = f.id \
                 WHERE f.name = ANY($1) AND x.instance = 'b' AND x.id > $2",
                &[&held, &last_fetch_at_kill],
            )
            .map(|r| r.get::<_, i64>(0))
            .expect("taken over");
        if items >= n_articles
            && full >= n_articles
            && sources >= entries as i64
            && owned_by_a == 0
            && taken_over == held.len() as i64
        {
            break;
        }
        assert!(
            Instant::now() < end,
            "the survivor did not finish within {DEADLINE:?}: items {items}/{n_articles}, with full text \
             {full}, sources {sources}/{entries}, leases still `a`'s {owned_by_a}, feeds of `a` polled \
             by `b` since the kill {taken_over}/{}\n{}",
            held.len(),
            logs(&[("a", &a), ("b", &b)])
        );
        assert!(
            b.child.try_wait().expect("wait").is_none(),
            "`b` exited\n{}",
            logs(&[("b", &b)])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let finished_at = started.elapsed();
    let status = b.stop();
    for (name, d) in [("a", &a), ("b", &b)] {
        let text = d.log_text();
        let warnings: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("\"WARN\"") || l.contains("\"ERROR\""))
            .collect();
        let lost = text.lines().filter(|l| l.contains("lease lost")).count();
        eprintln!(
            "`{name}` logged {} warnings or errors, {lost} polls dropped for a lost lease",
            warnings.len()
        );
        for w in warnings.iter().take(5) {
            eprintln!("  {w}");
        }
    }
    assert!(
        status.success(),
        "`b` after SIGTERM: {status:?}\n{}",
        logs(&[("b", &b)])
    );
    eprintln!("`b` finished the farm at {finished_at:?} and stopped on SIGTERM");

    // Every served article exactly once, none missing, none extra.
    let q = |db: &mut postgres::Client, sql: &str| i64_of(db, sql);
    assert_eq!(
        q(&mut db, "SELECT count(*) FROM items"),
        n_articles,
        "items"
    );
    assert_eq!(
        q(&mut db, "SELECT count(DISTINCT canonical_url) FROM items"),
        n_articles,
        "distinct canonical URLs"
    );
    let stored: BTreeSet<String> = strings(&mut db, "SELECT canonical_url FROM items")
        .into_iter()
        .collect();
    assert_eq!(stored, expected, "the stored URLs are the served articles");
    assert_eq!(
        q(
            &mut db,
            "SELECT count(*) FROM items WHERE extraction <> 'extracted'"
        ),
        0,
        "every item has its page's text"
    );
    for a in &farm.articles {
        let text: String = db
            .query_one(
                "SELECT content_text FROM items WHERE canonical_url = $1",
                &[&srv.url(&a.path)],
            )
            .expect("item")
            .get(0);
        assert!(
            text.contains(&a.text[3]),
            "{}: the stored text is not the page's",
            a.path
        );
    }
    assert_eq!(
        q(&mut db, "SELECT count(*) FROM item_sources"),
        entries as i64,
        "one source per entry"
    );
    assert_eq!(
        q(
            &mut db,
            "SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_sources)"
        ),
        0,
        "an item without a source"
    );
    assert_eq!(
        q(
            &mut db,
            "SELECT count(*) FROM (SELECT feed_id, entry_key FROM item_sources GROUP BY 1, 2 \
             HAVING count(*) > 1) d"
        ),
        0,
        "an entry stored twice"
    );
    for (f, feed_entries) in farm.feeds.iter().enumerate() {
        assert_eq!(
            q(
                &mut db,
                &format!(
                    "SELECT count(*) FROM item_sources WHERE feed_id = \
                     (SELECT id FROM feeds WHERE name = 'desk{f:03}')"
                )
            ),
            feed_entries.len() as i64,
            "desk{f:03}: every entry stored once"
        );
    }

    // Both instances polled; no lease is left after SIGTERM.
    let instances = strings(
        &mut db,
        "SELECT DISTINCT instance FROM fetches WHERE instance IS NOT NULL ORDER BY 1",
    );
    assert_eq!(instances, ["a", "b"], "fetches.instance");
    assert_eq!(
        q(
            &mut db,
            "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL OR lease_until IS NOT NULL"
        ),
        0,
        "a lease left after SIGTERM"
    );
    let per_instance = db
        .query(
            "SELECT instance, count(*) FROM fetches GROUP BY 1 ORDER BY 1",
            &[],
        )
        .expect("fetches")
        .iter()
        .map(|r| format!("{}: {}", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect::<Vec<_>>();
    eprintln!("polls by instance: {}", per_instance.join(", "));
    let queue = db
        .query(
            "SELECT state || ' ' || coalesce(lease_owner, '-') || ': ' || count(*) FROM article_queue GROUP BY state, lease_owner",
            &[],
        )
        .expect("article_queue")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>();
    eprintln!("article queue: {}", queue.join(", "));
    assert_eq!(
        q(
            &mut db,
            "SELECT count(*) FROM article_queue WHERE state <> 'done' OR lease_owner IS NOT NULL"
        ),
        0,
        "an article page left pending or leased"
    );

    // A shared article is one item with every carrier as a source.
    for (a, carriers) in &farm.shared {
        let mut names = strings(
            &mut db,
            &format!(
                "SELECT f.name FROM item_sources s JOIN feeds f ON f.id = s.feed_id \
                 JOIN items i ON i.id = s.item_id WHERE i.canonical_url = '{}' ORDER BY 1",
                srv.url(&farm.articles[*a].path)
            ),
        );
        names.dedup();
        let want: Vec<String> = carriers
            .iter()
            .map(|f| format!("desk{f:03}"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(names, want, "{}: its sources", farm.articles[*a].path);
    }

    // Stories: each reprint with its original, every other article alone,
    // and the same grouping as one SQLite daemon polling the same farm.
    let pg_stories = grouping(
        db.query("SELECT story_id, canonical_url FROM items", &[])
            .expect("stories")
            .iter()
            .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1))),
    );
    for (o, r) in &farm.reprint_pairs {
        let (o, r) = (
            srv.url(&farm.articles[*o].path),
            srv.url(&farm.articles[*r].path),
        );
        assert!(
            pg_stories.iter().any(|s| s.contains(&o) && s.contains(&r)),
            "{o} and its reprint {r} are not one story"
        );
    }
    let expected_stories = n_articles as usize - REPRINTS;
    assert_eq!(pg_stories.len(), expected_stories, "stories on PostgreSQL");

    let sqlite = Setup::with_config(&config(&srv, "path = \"news.db\"", ""));
    let poll_started = Instant::now();
    let out = bounded_poll(&sqlite);
    assert!(out.status.success(), "SQLite poll: {}", describe(&out));
    let conn = sqlite.conn();
    let mut stmt = conn
        .prepare("SELECT story_id, canonical_url FROM items")
        .expect("prepare");
    let sqlite_stories = grouping(
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .expect("query")
            .map(|r| r.expect("row")),
    );
    assert_eq!(
        sqlite.query_i64("SELECT count(*) FROM items"),
        n_articles,
        "items on SQLite"
    );
    assert_eq!(
        pg_stories, sqlite_stories,
        "the stories of the cluster and of one SQLite daemon"
    );
    eprintln!(
        "{} stories on both stores (SQLite poll {:?}); whole test {:?}",
        pg_stories.len(),
        poll_started.elapsed(),
        started.elapsed()
    );
}
