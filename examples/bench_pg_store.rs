//! The store's share of a cold poll, SQLite beside PostgreSQL: the same
//! 2,000 new items (100 feeds × 20 entries, about 300 words each, one in ten
//! a reprint of an earlier one, so story matching finds work) written
//! through `Store::record_poll`, one transaction per feed as a poll writes
//! them, then through the group commit (`record_polls`, 16 polls a group).
//! Fingerprints are made before the clock starts, as a poll makes them off
//! the writer thread.
//!
//! `bench_pg_store POSTGRES_URL` (an empty database, or one given to this
//! benchmark: it adds rows to whatever is there; use
//! `?options=-csearch_path%3Dbench` and a fresh schema). It prints, per
//! store and mode: seconds, items/s, this process's CPU seconds and, for
//! PostgreSQL, the server's CPU seconds (its backends' utime+stime from
//! /proc, when the server runs on this machine).

use std::time::{Duration, Instant};

use chrono::Utc;
use newswire::model::{EntryKey, Extraction, NewItem, PgUrl, StoreLocation};
use newswire::store::stories_hook::fingerprint_of;
use newswire::store::{FeedMeta, PollOutcome, PollRecord, Store, StoredEntry};

const FEEDS: usize = 100;
const ENTRIES: usize = 20;
const SYLLABLES: &[&str] = &[
    "ba", "ko", "ri", "tan", "mel", "sor", "vi", "den", "lu", "par", "go", "che", "nim", "ra",
    "tes", "ul", "fa", "mon", "si", "kar", "bel", "do", "ne", "tor", "pi", "gal", "ve", "mu",
    "ash", "len", "qui", "ro", "dar", "fi", "hol", "ze",
];

fn text(rng: &mut fastrand::Rng, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            out.push(if i % 60 == 0 { '\n' } else { ' ' });
        }
        // Words of two or three syllables: a vocabulary of about 48,000, so
        // texts share shingles as news texts do (rarely), not on every line.
        for _ in 0..rng.usize(2..4) {
            out.push_str(SYLLABLES[rng.usize(..SYLLABLES.len())]);
        }
        if i % 12 == 11 {
            out.push('.');
        }
    }
    out
}

/// The polls: one per feed, its entries as new items with fingerprints.
fn polls() -> Vec<(String, Vec<StoredEntry>)> {
    let mut rng = fastrand::Rng::with_seed(14);
    let mut texts: Vec<String> = Vec::new();
    (0..FEEDS)
        .map(|f| {
            let entries = (0..ENTRIES)
                .map(|e| {
                    let n = f * ENTRIES + e;
                    let body = if n % 10 == 9 && !texts.is_empty() {
                        let original = texts[rng.usize(..texts.len())].clone();
                        original + "\nThis story was reported with agencies."
                    } else {
                        text(&mut rng, 300)
                    };
                    texts.push(body.clone());
                    let url = format!("https://site{f}.example/news/{n}");
                    let item = NewItem {
                        url: url.clone(),
                        canonical_url: url.clone(),
                        title: Some(format!("Story {n}")),
                        author: None,
                        published_at: None,
                        updated_at: None,
                        summary: None,
                        content_html: None,
                        content_text: Some(body),
                        language: Some("en".into()),
                        image: None,
                        site_name: None,
                        extraction: Extraction::Extracted,
                        extraction_error: None,
                        extraction_path: None,
                    };
                    StoredEntry {
                        key: EntryKey(url.clone()),
                        entry_url: Some(url),
                        fingerprint: Some(fingerprint_of(&item)),
                        search_terms: None,
                        item,
                    }
                })
                .collect();
            (format!("feed-{f:03}"), entries)
        })
        .collect()
}

/// This process's user+system CPU seconds.
fn own_cpu() -> f64 {
    cpu_of("self")
}

fn cpu_of(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, r)| r.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of every PostgreSQL process on this machine.
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.starts_with("postgres"))
        })
        .map(|p| cpu_of(&p))
        .sum()
}

fn record(
    store: &mut Store,
    polls: &[(String, Vec<StoredEntry>)],
    group: usize,
) -> anyhow::Result<usize> {
    let configs: Vec<_> = polls
        .iter()
        .map(|(name, _)| {
            let toml =
                format!("[[feeds]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:9/{name}\"\n");
            newswire::config::Config::from_toml(&toml, "bench", None).map(|c| c.feeds[0].clone())
        })
        .collect::<Result<_, _>>()?;
    store.sync_feeds(&configs, Utc::now())?;
    let mut records = Vec::new();
    for (name, entries) in polls {
        let feed = store
            .feed_state(name)?
            .ok_or_else(|| anyhow::anyhow!("no feed {name}"))?;
        records.push((
            PollRecord {
                feed_id: feed.id,
                started_at: Utc::now(),
                elapsed: Duration::from_millis(1),
                outcome: PollOutcome::Fetched {
                    http_status: 200,
                    bytes: 1,
                    etag: None,
                    last_modified: None,
                    meta: FeedMeta::default(),
                    permanent_redirect: None,
                },
                entries: entries.len(),
                new_entries: entries.clone(),
                linked: Vec::new(),
                next_due_at: Utc::now(),
                error_count: 0,
                instance: Some("bench".into()),
                lease: None,
            },
            Vec::new(),
        ));
    }
    let mut stored = 0;
    if group <= 1 {
        for (poll, _) in &records {
            stored += store.record_poll(poll)?.new_items;
        }
    } else {
        for chunk in records.chunks(group) {
            for r in store.record_polls(chunk) {
                stored += r?.new_items;
            }
        }
    }
    Ok(stored)
}

fn measure(
    label: &str,
    location: StoreLocation,
    group: usize,
    polls: &[(String, Vec<StoredEntry>)],
) -> anyhow::Result<()> {
    let mut store = Store::open(location)?;
    let (cpu0, pg0, t0) = (own_cpu(), postgres_cpu(), Instant::now());
    let items = record(&mut store, polls, group)?;
    let secs = t0.elapsed().as_secs_f64();
    let (cpu, pg) = (own_cpu() - cpu0, postgres_cpu() - pg0);
    let stories = store.gauges()?.stories;
    println!(
        "{label:<34} {items:>5} items {secs:>6.2} s {:>7.0} items/s  newswire CPU {cpu:>5.2} s  server CPU {pg:>5.2} s  {stories} stories",
        items as f64 / secs
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let url = std::env::args().nth(1).ok_or_else(|| {
        anyhow::anyhow!("usage: bench_pg_store POSTGRES_URL (an empty database or schema)")
    })?;
    let url = PgUrl::parse(&url).map_err(anyhow::Error::msg)?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let polls = polls();
    let dir = tempfile::tempdir()?;
    measure(
        "sqlite  record_poll (per feed)",
        StoreLocation::Sqlite(dir.path().join("a.db")),
        1,
        &polls,
    )?;
    measure(
        "sqlite  record_polls (16 a group)",
        StoreLocation::Sqlite(dir.path().join("b.db")),
        16,
        &polls,
    )?;
    measure(
        "postgres record_poll (per feed)",
        StoreLocation::Postgres(url.clone()),
        1,
        &polls,
    )?;
    let again: Vec<_> = polls
        .iter()
        .map(|(n, e)| {
            let moved = e
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    s.item.canonical_url.push_str("?g");
                    s.key.0.push_str("?g");
                    s
                })
                .collect();
            (format!("{n}-g"), moved)
        })
        .collect();
    measure(
        "postgres record_polls (16 a group)",
        StoreLocation::Postgres(url),
        16,
        &again,
    )?;
    Ok(())
}
