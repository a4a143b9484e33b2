//! Crash safety: `newswire run` (or `poll`) killed with SIGKILL at a random
//! moment, over and over, while feeds grow. After each kill a `poll` runs to
//! completion, and the store must be intact: integrity check ok, no
//! duplicate items, no item without a source, every entry of every feed
//! stored exactly once, and nothing committed before a kill ever lost.
//!
//! The kill delays come from a seeded generator; the seed is printed and can
//! be replayed with `NEWSWIRE_CRASH_SEED=<seed>`.

mod common;
mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed, wire_feed};

const FEEDS: usize = 4;
/// Entries each feed gains per round.
const PER_ROUND: usize = 8;
/// Entries every feed carries under its own guid (one item, many sources).
const SHARED: usize = 4;
const ROUNDS: usize = 15;

fn seed() -> u64 {
    std::env::var("NEWSWIRE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// Serves round `round`'s feeds and the article pages of their entries.
fn serve_round(srv: &TestServer, round: usize) {
    let base = srv.url("");
    let count = PER_ROUND * (round + 1);
    for f in 0..FEEDS {
        let desk = format!("desk{f}");
        for i in count - PER_ROUND..count {
            // A short delay per page spreads a poll over the kill window.
            srv.route(
                &format!("/{desk}/{i}"),
                Reply::ok(format!(
                    "<html><head><title>{desk} {i}</title></head><body><article><h1>{desk} report {i}</h1>\
                     <p>Delegations met again on day {i}; the talks are expected to continue.</p>\
                     </article></body></html>"
                ))
                .header("Content-Type", "text/html; charset=utf-8")
                .delay(Duration::from_millis(15)),
            );
        }
        srv.route(
            &format!("/feeds/{desk}.rss"),
            Reply::ok(wire_feed(&base, &desk, count, SHARED))
                .header("Content-Type", "application/rss+xml"),
        );
    }
    for j in 0..SHARED {
        srv.route(
            &format!("/shared/{j}"),
            Reply::ok("<html><body><article><p>Carried by every desk, in full.</p></article></body></html>")
                .header("Content-Type", "text/html"),
        );
    }
}

#[test]
fn kill_9_at_random_moments_never_loses_or_duplicates() {
    let seed = seed();
    eprintln!("crash test seed {seed} (replay: NEWSWIRE_CRASH_SEED={seed})");
    let mut rng = fastrand::Rng::with_seed(seed);
    let srv = TestServer::start();
    let feeds: Vec<_> = (0..FEEDS)
        .map(|f| {
            feed(&format!("desk{f}"), srv.url(&format!("/feeds/desk{f}.rss")))
                .with("schedule = \"*/1 * * * * *\"")
        })
        .collect();
    let setup = Setup::with_config(&config_text(
        "per_host_concurrency = 4",
        "full_text = true",
        &feeds,
    ));
    let started = Instant::now();
    let mut committed_items = 0i64;
    let mut committed_sources = 0i64;
    let mut killed_mid_poll = 0;
    for round in 0..ROUNDS {
        serve_round(&srv, round);
        let delay = Duration::from_millis(rng.u64(0..=400));
        let command = if round % 2 == 0 { "run" } else { "poll" };
        let mut child = setup
            .cmd(&[command])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn newswire");
        std::thread::sleep(delay);
        let pid = child.id().to_string();
        let exited_first = child.try_wait().expect("wait").is_some();
        // `kill -KILL` of a process that already exited (a fast poll) fails harmlessly.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        let _ = child.wait();
        if !exited_first {
            killed_mid_poll += 1;
        }

        let context = format!("seed {seed}, round {round}, {command} killed after {delay:?}");
        let tables = setup.try_i64(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('feeds', 'items', 'item_sources', 'fetches')",
        );
        // Killed before the first migration committed: all tables or none.
        assert!(
            tables == 0 || tables == 4,
            "{context}: {tables} of 4 core tables"
        );
        if tables == 0 {
            assert_eq!(committed_items, 0, "{context}: the schema vanished");
        } else {
            // Nothing committed before the kill is lost.
            let items = setup.query_i64("SELECT count(*) FROM items");
            let sources = setup.query_i64("SELECT count(*) FROM item_sources");
            assert!(
                items >= committed_items,
                "{context}: items {items} < {committed_items}"
            );
            assert!(
                sources >= committed_sources,
                "{context}: sources {sources} < {committed_sources}"
            );
            check_consistent(&setup, &context);
        }

        // Restart and finish.
        let out = setup.run(&["poll"]);
        assert!(out.status.success(), "{context}: {}", describe(&out));
        check_consistent(&setup, &context);
        let per_feed = (PER_ROUND * (round + 1) + SHARED) as i64;
        for f in 0..FEEDS {
            assert_eq!(
                setup.query_i64(&format!(
                    "SELECT count(*) FROM item_sources WHERE feed_id = \
                     (SELECT id FROM feeds WHERE name = 'desk{f}')"
                )),
                per_feed,
                "{context}: every entry of desk{f} stored exactly once"
            );
        }
        committed_items = setup.query_i64("SELECT count(*) FROM items");
        committed_sources = setup.query_i64("SELECT count(*) FROM item_sources");
        assert_eq!(
            committed_items,
            (FEEDS * PER_ROUND * (round + 1) + SHARED) as i64,
            "{context}: one item per distinct article"
        );
        assert_eq!(committed_sources, FEEDS as i64 * per_feed, "{context}");
    }
    eprintln!(
        "{ROUNDS} rounds, {killed_mid_poll} killed while running, {:?}",
        started.elapsed()
    );
    assert!(
        killed_mid_poll > 0,
        "seed {seed}: no process was still running when killed; the test proved nothing"
    );
}

/// The invariants a store must keep whatever moment a process died at.
fn check_consistent(setup: &Setup, context: &str) {
    let conn = setup.conn();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok", "{context}");
    let fk_violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(fk_violations, 0, "{context}: foreign key violations");
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        q("SELECT count(*) FROM items"),
        q("SELECT count(DISTINCT canonical_url) FROM items"),
        "{context}: duplicate items"
    );
    assert_eq!(
        q("SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_sources)"),
        0,
        "{context}: an item without a source (a poll half written)"
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM (SELECT feed_id, entry_key FROM item_sources GROUP BY 1, 2 HAVING count(*) > 1)"
        ),
        0,
        "{context}: an entry stored twice"
    );
    // A fetches row and the items it counts commit together.
    assert_eq!(
        q("SELECT coalesce(sum(new_items), 0) FROM fetches"),
        q("SELECT count(*) FROM items"),
        "{context}: the fetches rows and the items they added disagree"
    );
}
