//! Story matching on the labelled pairs of `fixtures/dedup/pairs.jsonl`,
//! through the real matching path (`assign_story`) over both index
//! implementations: each pair's first text is indexed, the second is matched.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use chrono::{TimeDelta, TimeZone, Utc};
use newswire::store::stories::{
    MIGRATION_002_STORIES, MIGRATION_008_SAMPLES, MIGRATION_014_PENDING, MIGRATION_015_STORY_INDEX,
    PendingKeys, SqliteIndex,
};
use newswire::stories::{Fingerprint, MemoryIndex, StoryIndex, assign_story, default_window};
use rusqlite::Connection;
use serde::Deserialize;

#[derive(Deserialize)]
struct Side {
    title: Option<String>,
    text: String,
}

#[derive(Deserialize)]
struct Pair {
    id: String,
    same: bool,
    a: Side,
    b: Side,
}

fn pairs() -> Vec<Pair> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dedup/pairs.jsonl");
    let data = std::fs::read_to_string(path).unwrap();
    let pairs: Vec<Pair> = data
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(pairs.len() >= 80, "only {} pairs", pairs.len());
    assert!(pairs.iter().filter(|p| p.same).count() >= 30);
    assert!(pairs.iter().filter(|p| !p.same).count() >= 30);
    pairs
}

/// Runs every pair through `assign_story` on a fresh index from `make` and
/// returns (true positives, false positives, false negatives, wrong ids).
fn run<I: StoryIndex>(pairs: &[Pair], mut make: impl FnMut() -> I) -> (u32, u32, u32, Vec<String>) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let mut wrong = Vec::new();
    for pair in pairs {
        let mut index = make();
        let fa = Fingerprint::from_parts(pair.a.title.as_deref(), &pair.a.text);
        let fb = Fingerprint::from_parts(pair.b.title.as_deref(), &pair.b.text);
        assign_story(&mut index, 1, &fa, t0, default_window()).unwrap();
        let d = assign_story(
            &mut index,
            2,
            &fb,
            t0 + TimeDelta::hours(3),
            default_window(),
        )
        .unwrap();
        let said = d.story_id == Some(1);
        match (pair.same, said) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
        if pair.same != said {
            wrong.push(pair.id.clone());
        }
    }
    (tp, fp, fn_, wrong)
}

fn sqlite_db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE items (id INTEGER PRIMARY KEY, story_id INTEGER);
         CREATE TABLE item_sources (feed_id INTEGER NOT NULL, item_id INTEGER NOT NULL);
         INSERT INTO items (id) VALUES (1), (2);",
    )
    .unwrap();
    conn.execute_batch(MIGRATION_002_STORIES).unwrap();
    conn.execute_batch(MIGRATION_008_SAMPLES).unwrap();
    conn.execute_batch(MIGRATION_014_PENDING).unwrap();
    conn.execute_batch(MIGRATION_015_STORY_INDEX).unwrap();
    conn
}

#[test]
fn labelled_pairs_meet_precision_and_recall_targets() {
    let pairs = pairs();
    let (tp, fp, fn_, wrong) = run(&pairs, MemoryIndex::new);
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    assert!(
        precision >= 0.99,
        "precision {precision:.3}, misclassified {wrong:?}"
    );
    assert!(
        recall >= 0.95,
        "recall {recall:.3}, misclassified {wrong:?}"
    );
}

#[test]
fn sqlite_index_decides_every_pair_like_the_memory_index() {
    let pairs = pairs();
    let memory = run(&pairs, MemoryIndex::new);
    let mut conns = Vec::new();
    for _ in &pairs {
        conns.push(sqlite_db());
    }
    let keys: Vec<PendingKeys> = conns.iter().map(|_| PendingKeys::default()).collect();
    let mut next = conns.iter().zip(&keys);
    let sqlite = run(&pairs, || {
        let (conn, keys) = next.next().unwrap();
        SqliteIndex::new(conn, keys)
    });
    assert_eq!(memory, sqlite);

    // The last database holds the last pair: its story row counts both items
    // exactly when the pair was matched.
    let (conn, pair) = (conns.last().unwrap(), pairs.last().unwrap());
    let stories: i64 = conn
        .query_row("SELECT COUNT(*) FROM stories", [], |r| r.get(0))
        .unwrap();
    // Linked when it is a true pair decided right or a false pair decided wrong.
    let matched = pair.same != memory.3.contains(&pair.id);
    assert_eq!(stories, if matched { 1 } else { 2 });
}
