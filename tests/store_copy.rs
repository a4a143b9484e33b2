//! `newswire store copy --to postgres://…` through the real binary: a SQLite
//! store with feeds and their state, items, sources, a story of two items, a
//! tombstone and a poll log (written with the library, as the daemon writes
//! it) is copied into a schema of its own on the PostgreSQL test server; the
//! counts match, a second run copies nothing, a third after more polls
//! copies only what is new, and a wrong URL is a one-line error.
//!
//! Needs `NEWSWIRE_TEST_POSTGRES` (CI: `postgres://postgres@127.0.0.1:5432/postgres`);
//! without it the test says it is skipped and passes.

#![cfg(feature = "postgres")]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use newswire::model::{EntryKey, NewItem};
use newswire::store::{FeedId, FeedMeta, PollOutcome, PollRecord, Store, StoredEntry};

const BIN: &str = env!("CARGO_BIN_EXE_newswire");

/// A schema of its own on the test server, dropped on drop.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn create(base: &str) -> Schema {
        let name = format!("nw_store_copy_{}", std::process::id());
        let mut admin = postgres::Client::connect(base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("NEWSWIRE_TEST_POSTGRES unreachable: {e}"));
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .expect("create schema");
        Schema {
            base: base.to_owned(),
            name,
        }
    }

    /// The URL `store copy` gets: the test database, this schema first.
    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.name)
    }

    /// One text value from `sql`, run in this schema.
    fn text(&self, sql: &str) -> String {
        let mut c = postgres::Client::connect(&self.base, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("SET search_path = {}", self.name))
            .expect("search_path");
        c.query_one(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _dropped =
                admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn item(url: &str, title: &str, text: &str) -> NewItem {
    NewItem::new(url, title, text)
}

/// A poll of `feed` at `at` by daemon `instance`, with `items` as new entries.
fn poll(feed: FeedId, at: DateTime<Utc>, instance: &str, items: Vec<NewItem>) -> PollRecord {
    PollRecord {
        feed_id: feed,
        started_at: at,
        elapsed: Duration::from_millis(40),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 2048,
            etag: Some(format!("\"{}\"", at.timestamp())),
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: items.len(),
        new_entries: items
            .into_iter()
            .map(|item| StoredEntry {
                key: EntryKey(item.url.clone()),
                entry_url: Some(item.url.clone()),
                item,
                fingerprint: None,
                search_terms: None,
            })
            .collect(),
        linked: Vec::new(),
        next_due_at: at + TimeDelta::minutes(15),
        error_count: 0,
        instance: Some(instance.into()),
        lease: None,
    }
}

/// A text long enough for story matching: `n` sentences on `words`.
fn story(words: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{words} {i} {}.", i * 31 % 17))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A SQLite store at `path` with two feeds: an article and its reprint
/// (one story), an unrelated article, an old article pruned to a
/// tombstone, and four polls by two daemons.
fn fill(path: &Path, config: &Path) {
    let config = newswire::config::Config::load(config).expect("config");
    let mut store = Store::open(path).expect("sqlite");
    store.sync_feeds(&config.feeds, Utc::now()).expect("sync");
    let id = |store: &Store, name: &str| store.feed_state(name).expect("read").expect("feed").id;
    let (wire, daily) = (id(&store, "wire"), id(&store, "daily"));
    let text = story("the harbour reopened after the storm passed", 30);
    let old = Utc::now() - TimeDelta::days(200);
    store
        .record_poll(&poll(
            wire,
            old,
            "node-a",
            vec![item("https://wire.test/old", "Old", "an old report")],
        ))
        .expect("write");
    store
        .record_poll(&poll(
            wire,
            Utc::now(),
            "node-a",
            vec![item("https://wire.test/harbour", "Harbour reopens", &text)],
        ))
        .expect("write");
    store
        .record_poll(&poll(
            daily,
            Utc::now(),
            "node-b",
            vec![
                item(
                    "https://daily.test/harbour",
                    "The harbour is open again",
                    &format!("{text} Reporting by our correspondent."),
                ),
                item(
                    "https://daily.test/election",
                    "Election",
                    &story("voters queued early at polling stations", 30),
                ),
            ],
        ))
        .expect("write");
    assert_eq!(
        store
            .prune(Utc::now() - TimeDelta::days(100), 100)
            .expect("prune"),
        1
    );
    assert!(store.is_tombstoned("https://wire.test/old").expect("read"));
}

fn run(config: &Path, to: &str) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(["store", "copy", "--to", to])
        .env_remove("NEWSWIRE_CONFIG")
        .output()
        .expect("run newswire")
}

fn shown(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `TABLE SQLITE POSTGRES` lines of a copy's report.
fn counts(out: &Output) -> Vec<(String, u64, u64)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [table, lite, pg] => Some((table.to_owned(), lite.parse().ok()?, pg.parse().ok()?)),
            _ => None,
        })
        .collect()
}

fn rows(report: &[(String, u64, u64)], table: &str) -> u64 {
    report
        .iter()
        .find(|(t, ..)| t == table)
        .unwrap_or_else(|| panic!("{table} in {report:?}"))
        .2
}

#[test]
fn store_copy_copies_everything_resumes_and_refuses_a_wrong_url() {
    let Ok(base) = std::env::var("NEWSWIRE_TEST_POSTGRES") else {
        eprintln!("store copy CLI test skipped: NEWSWIRE_TEST_POSTGRES is not set");
        return;
    };
    let schema = Schema::create(&base);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("newswire.toml");
    std::fs::write(
        &config,
        "[storage]\npath = \"news.db\"\n\n\
         [[feeds]]\nname = \"wire\"\nurl = \"http://127.0.0.1:9/wire.xml\"\n\n\
         [[feeds]]\nname = \"daily\"\nurl = \"http://127.0.0.1:9/daily.xml\"\n",
    )
    .expect("config");
    let db = dir.path().join("news.db");
    fill(&db, &config);

    let first = run(&config, &schema.url());
    assert!(first.status.success(), "{}", shown(&first));
    let report = counts(&first);
    assert!(report.len() >= 10, "{}", shown(&first));
    for (table, lite, pg) in &report {
        assert_eq!(lite, pg, "{table}: {}", shown(&first));
    }
    assert_eq!(rows(&report, "feeds"), 2);
    assert_eq!(rows(&report, "items"), 3);
    assert_eq!(rows(&report, "item_sources"), 3);
    assert_eq!(rows(&report, "fetches"), 3);
    assert_eq!(rows(&report, "tombstones"), 1);
    assert!(rows(&report, "story_bands") > 0);
    // What was copied reads back as stored: the reprint's story, the
    // tombstone, the daemons that polled, a feed's validators.
    assert_eq!(
        schema.text(
            "SELECT (count(DISTINCT story_id) = 1)::text FROM items
             WHERE canonical_url LIKE '%/harbour'"
        ),
        "true"
    );
    assert_eq!(
        schema.text("SELECT canonical_url FROM tombstones"),
        "https://wire.test/old"
    );
    assert_eq!(
        schema.text("SELECT string_agg(DISTINCT instance, ',' ORDER BY instance) FROM fetches"),
        "node-a,node-b"
    );
    assert!(
        schema
            .text("SELECT etag FROM feeds WHERE name = 'daily'")
            .starts_with('"')
    );
    let versions = "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM items";
    let before = schema.text(versions);

    // Run again: the same counts, and not a row written again.
    let second = run(&config, &schema.url());
    assert!(second.status.success(), "{}", shown(&second));
    assert_eq!(counts(&second), report);
    assert_eq!(schema.text(versions), before, "the second run rewrote rows");

    // More polls after the copy: a third run brings just those.
    let mut store = Store::open(&db).expect("sqlite");
    let wire = store.feed_state("wire").expect("read").expect("feed").id;
    store
        .record_poll(&poll(
            wire,
            Utc::now(),
            "node-a",
            vec![item("https://wire.test/late", "Late", "a late report")],
        ))
        .expect("write");
    drop(store);
    let third = run(&config, &schema.url());
    assert!(third.status.success(), "{}", shown(&third));
    let after = counts(&third);
    assert_eq!(rows(&after, "items"), 4);
    assert_eq!(rows(&after, "fetches"), 4);
    assert!(
        schema.text(versions).starts_with(&format!("{before},")),
        "the rows copied before are untouched"
    );

    // A database that is not there, and a server that does not answer:
    // one line naming host and database (never the password), exit 1.
    let host = base
        .split_once('@')
        .map_or(base.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .expect("host");
    for (url, names) in [
        (
            format!("postgres://postgres:s3cret@{host}/nw_no_such_database"),
            format!("{host}/nw_no_such_database"),
        ),
        (
            "postgres://postgres:s3cret@127.0.0.1:1/news".to_owned(),
            "127.0.0.1:1/news".to_owned(),
        ),
    ] {
        let out = run(&config, &url);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
        assert_eq!(err.trim_end().lines().count(), 1, "{}", shown(&out));
        assert!(err.contains(&names), "{}", shown(&out));
        assert!(!err.contains("s3cret"), "{}", shown(&out));
        assert!(out.stdout.is_empty(), "{}", shown(&out));
    }
    // Not a PostgreSQL URL at all: a usage error, exit 2.
    let out = run(&config, "mysql://u:s3cret@127.0.0.1/news");
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cret"));
}
