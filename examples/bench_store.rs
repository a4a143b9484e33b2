//! The store limit of the pipeline benchmark: the same rows a poll stored,
//! written again without any network.
//!
//! `bench_store CONFIG FROM_DB OUT_DIR` reads every item (with the feed and
//! entry that brought it) from `FROM_DB`, the store a cold poll of `CONFIG`
//! filled, and writes them twice into fresh stores in `OUT_DIR`:
//!
//! - `raw`: plain rusqlite `INSERT`s into `items` and `item_sources` in one
//!   transaction, on the same schema and connection (made by `Store::open`,
//!   so the full-text index triggers fire): the floor for SQLite itself;
//! - `record_poll`: newswire's own `Store::record_poll`, one transaction per
//!   feed as a poll writes it (story matching, fetch rows, feed state;
//!   fingerprints and search-index terms are computed before the clock
//!   starts, as a poll computes them off the writer);
//! - `record_polls`: the same polls through the writer's group commit
//!   (`Store::record_polls`), in groups of as many polls as may wait for the
//!   writer (`pipeline::poll_slots` of the config's concurrency; `--group N`
//!   sets another size).
//!
//! Each prints rows, seconds, rows/s and the database size.
//! `--grouped-only` skips the one-transaction-per-poll pass (at 100,000
//! feeds it takes as long as the rest of the benchmark).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use newswire::config::Config;
use newswire::model::{EntryKey, Extraction, NewItem};
use newswire::store::{FeedMeta, PollOutcome, PollRecord, Store, StoredEntry};
use rusqlite::{Connection, params};

/// One stored item as a poll wrote it, once per feed that carried it.
struct Row {
    /// The item's id in the source store: an item two feeds carried comes
    /// twice and is inserted once.
    item_id: i64,
    feed: String,
    key: String,
    entry_url: Option<String>,
    item: NewItem,
}

const COLUMNS: &str = "url, canonical_url, title, author, published_at, updated_at, summary, \
    content_html, content_text, language, image, site_name, extraction, extraction_error";

fn read_rows(from: &Path) -> anyhow::Result<Vec<Row>> {
    let conn = Connection::open(from)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT i.id, f.name, s.entry_key, s.entry_url, {} FROM items i
         JOIN item_sources s ON s.item_id = i.id JOIN feeds f ON f.id = s.feed_id
         ORDER BY f.name, i.id",
        COLUMNS
            .split(", ")
            .map(|c| format!("i.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let time = |s: Option<String>| {
        s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let rows = stmt
        .query_map([], |r| {
            Ok(Row {
                item_id: r.get(0)?,
                feed: r.get(1)?,
                key: r.get(2)?,
                entry_url: r.get(3)?,
                item: NewItem {
                    url: r.get(4)?,
                    canonical_url: r.get(5)?,
                    title: r.get(6)?,
                    author: r.get(7)?,
                    published_at: time(r.get(8)?),
                    updated_at: time(r.get(9)?),
                    summary: r.get(10)?,
                    content_html: r.get(11)?,
                    content_text: r.get(12)?,
                    language: r.get(13)?,
                    image: r.get(14)?,
                    site_name: r.get(15)?,
                    extraction: match r.get::<_, String>(16)?.as_str() {
                        "extracted" => Extraction::Extracted,
                        "site_rule" => Extraction::SiteRule,
                        "failed" => Extraction::Failed,
                        _ => Extraction::Feed,
                    },
                    extraction_error: r.get(17)?,
                    extraction_path: None,
                },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn report(label: &str, rows: usize, secs: f64, db: &Path) {
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "store {label}: {rows} items, {secs:.2} s, {:.0} items/s, {} MB on disk",
        rows as f64 / secs,
        size / 1_000_000
    );
}

fn fresh(path: &Path) {
    for ext in ["db", "db-wal", "db-shm"] {
        let _ = std::fs::remove_file(path.with_extension(ext));
    }
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let grouped_only = args.iter().any(|a| a == "--grouped-only");
    args.retain(|a| a != "--grouped-only");
    let mut group: Option<usize> = None;
    if let Some(at) = args.iter().position(|a| a == "--group") {
        let n = args.get(at + 1).and_then(|n| n.parse().ok());
        group = Some(n.ok_or_else(|| anyhow::anyhow!("--group takes a number of polls"))?);
        args.drain(at..at + 2);
    }
    let [config, from, out] = args.as_slice() else {
        anyhow::bail!("usage: bench_store CONFIG FROM_DB OUT_DIR [--grouped-only] [--group N]");
    };
    let config = Config::load(Path::new(config))?;
    let rows = read_rows(Path::new(from))?;
    let out = Path::new(out);
    std::fs::create_dir_all(out)?;
    let now = Utc::now();
    let stamp = newswire::store::ts(now);

    // Raw inserts, one transaction.
    let raw_db = out.join("raw.db");
    fresh(&raw_db);
    let mut store = Store::open(&raw_db)?;
    store.sync_feeds(&config.feeds, now)?;
    // newswire's connection: the search-index trigger calls its functions.
    let conn = store
        .sqlite()
        .ok_or_else(|| anyhow::anyhow!("bench_store writes a SQLite store"))?
        .connection();
    let feed_ids: BTreeMap<String, i64> = conn
        .prepare("SELECT name, id FROM feeds")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let clock = Instant::now();
    let tx = conn.unchecked_transaction()?;
    // Source item id -> new item id: an item several feeds carried is inserted once.
    let mut inserted: BTreeMap<i64, i64> = BTreeMap::new();
    {
        let mut item = tx.prepare(&format!(
            "INSERT INTO items ({COLUMNS}, first_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ))?;
        let mut source = tx.prepare(
            "INSERT INTO item_sources (feed_id, item_id, entry_key, entry_url, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &rows {
            let id = match inserted.get(&r.item_id) {
                Some(&id) => id,
                None => {
                    let i = &r.item;
                    item.execute(params![
                        i.url,
                        i.canonical_url,
                        i.title,
                        i.author,
                        i.published_at.map(newswire::store::ts),
                        i.updated_at.map(newswire::store::ts),
                        i.summary,
                        i.content_html,
                        i.content_text,
                        i.language,
                        i.image,
                        i.site_name,
                        i.extraction.as_str(),
                        i.extraction_error,
                        stamp,
                    ])?;
                    let id = tx.last_insert_rowid();
                    inserted.insert(r.item_id, id);
                    id
                }
            };
            source.execute(params![
                feed_ids.get(&r.feed),
                id,
                r.key,
                r.entry_url,
                stamp
            ])?;
        }
    }
    tx.commit()?;
    let items = inserted.len();
    report("raw", items, clock.elapsed().as_secs_f64(), &raw_db);
    drop(store);

    // newswire's own writes: one transaction per feed as a poll wrote them
    // before the group commit, then as the writer groups them now (every
    // poll waiting, at most `poll_slots` of them at once).
    let mut by_feed: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        by_feed.entry(&r.feed).or_default().push(r);
    }
    // Story fingerprints are computed off the writer in a poll, so here
    // before the clock starts; matching them against the index is timed.
    let mut prints = BTreeMap::new();
    for r in &rows {
        prints
            .entry(r.item_id)
            .or_insert_with(|| newswire::store::stories_hook::fingerprint_of(&r.item));
    }
    // So are the search-index terms.
    let mut terms = BTreeMap::new();
    for r in &rows {
        terms
            .entry(r.item_id)
            .or_insert_with(|| newswire::store::fts::item_terms(&r.item));
    }
    let group = group
        .unwrap_or_else(|| newswire::pipeline::poll_slots(config.fetch.concurrency))
        .max(1);
    for (label, size) in [("record_poll", 1), ("record_polls", group)] {
        if grouped_only && size == 1 {
            continue;
        }
        let store_db = out.join(format!("{label}.db"));
        fresh(&store_db);
        let mut store = Store::open(&store_db)?;
        store.sync_feeds(&config.feeds, now)?;
        let mut records = Vec::with_capacity(by_feed.len());
        for (feed, entries) in &by_feed {
            let Some(state) = store.feed_state(feed)? else {
                anyhow::bail!("feed `{feed}` of {from} is not in the config");
            };
            records.push((
                PollRecord {
                    feed_id: state.id,
                    started_at: now,
                    elapsed: Duration::from_millis(100),
                    outcome: PollOutcome::Fetched {
                        http_status: 200,
                        bytes: 10_000,
                        etag: Some("\"x\"".into()),
                        last_modified: None,
                        meta: FeedMeta::default(),
                        permanent_redirect: None,
                    },
                    entries: entries.len(),
                    new_entries: entries
                        .iter()
                        .map(|r| StoredEntry {
                            key: EntryKey(r.key.clone()),
                            entry_url: r.entry_url.clone(),
                            item: r.item.clone(),
                            fingerprint: prints.get(&r.item_id).cloned(),
                            search_terms: terms.get(&r.item_id).cloned(),
                        })
                        .collect(),
                    linked: Vec::new(),
                    next_due_at: now,
                    error_count: 0,
                    instance: None,
                    lease: None,
                },
                Vec::new(),
            ));
        }
        let clock = Instant::now();
        for chunk in records.chunks(size) {
            if size == 1 {
                store.record_poll(&chunk[0].0)?;
            } else {
                for r in store.record_polls(chunk) {
                    r?;
                }
            }
        }
        let secs = clock.elapsed().as_secs_f64();
        report(
            &format!("{label} (groups of {size})"),
            items,
            secs,
            &store_db,
        );
    }
    Ok(())
}
