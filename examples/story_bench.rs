//! Story matching throughput on 100,000 synthetic items.
//!
//! `cargo run --release --example story_bench [memory|sqlite|windowed] [items]`
//! runs each mode in its own child process (all three without a mode) so that
//! peak memory (VmHWM from /proc/self/status) is per run. Items are synthetic
//! wire texts of 120-320 words drawn from a skewed vocabulary; every fifth
//! item is a reprint of a recent one (trimmed, credit line, light edits).
//!
//! - `memory`, `sqlite`: items arrive 5 seconds apart, so all of them stay
//!   inside the default 7-day window: the worst case for the index.
//! - `windowed`: the realistic time series on SQLite: 3,000 items a day (one
//!   per 29 s), and every simulated hour the daemon's housekeeping,
//!   `SqliteIndex::prune_bands_before(now - window)`, in its own transaction;
//!   the index then holds about 21,000 items whatever the store's size.
//!
//! Prints items/s (fingerprint + match + insert), mean wall and CPU time per
//! item over the 2,000 items around 10k, 100k and 200k stored (and the end),
//! the hourly prune time, matches found and peak memory. The SQLite runs use
//! the store's pragmas (WAL, `synchronous = NORMAL`, foreign keys) and
//! SQLite's default page cache; `STORY_BENCH_CACHE_KIB=65536` sets
//! `cache_size` to compare. At the end of the windowed run the prune
//! statements are timed once more on the final state, with their query plans.

use std::time::Instant;

use chrono::{TimeDelta, TimeZone, Utc};
use newswire::store::stories::{
    MIGRATION_002_STORIES, MIGRATION_008_SAMPLES, MIGRATION_014_PENDING, MIGRATION_015_STORY_INDEX,
    PendingKeys, SqliteIndex,
};
use newswire::stories::{
    BOILERPLATE_STORIES, Fingerprint, MemoryIndex, StoryIndex, assign_story, band_keys,
    default_window,
};

const VOCAB: usize = 30_000;

fn vocabulary() -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(7);
    let syll = [
        "ka", "ro", "mi", "te", "sa", "no", "vi", "lu", "de", "pra", "sto", "gen", "mar", "tel",
        "bur", "zo", "an", "el", "is", "or",
    ];
    (0..VOCAB)
        .map(|_| {
            (0..rng.usize(1..4))
                .map(|_| syll[rng.usize(..syll.len())])
                .collect::<String>()
        })
        .collect()
}

/// The original text of story `seed`: Zipf-like word choice, sentences of
/// 8-20 words, paragraphs of 3 sentences.
fn original(vocab: &[String], seed: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let words = rng.usize(120..320);
    let mut out = String::new();
    let mut in_sentence = 0;
    let mut sentences = 0;
    for _ in 0..words {
        // Zipf-like (P(rank r) ~ 1/r): log-uniform rank, as in running text.
        let idx = ((VOCAB as f64).powf(rng.f64()) as usize).saturating_sub(1) % VOCAB;
        out.push_str(&vocab[idx]);
        in_sentence += 1;
        if in_sentence > 8 && rng.usize(..8) == 0 {
            out.push_str(". ");
            in_sentence = 0;
            sentences += 1;
            if sentences % 3 == 0 {
                out.push_str("\n\n");
            }
        } else {
            out.push(' ');
        }
    }
    out
}

/// A reprint: trimmed ending, a few words changed, a credit line.
fn reprint(vocab: &[String], text: &str, seed: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let words: Vec<&str> = text.split(' ').collect();
    let keep = words.len() * rng.usize(70..101) / 100;
    let mut out: Vec<String> = words[..keep]
        .iter()
        .map(|w| {
            if rng.usize(..25) == 0 {
                vocab[rng.usize(..VOCAB)].clone()
            } else {
                (*w).to_owned()
            }
        })
        .collect();
    out.push("\n\nReuters contributed to this report.".to_owned());
    out.join(" ")
}

fn item_text(vocab: &[String], i: u64) -> String {
    if i % 5 == 4 && i > 100 {
        let source = i - 1 - (i * 2_654_435_761) % 100;
        let base = if source % 5 == 4 { source - 1 } else { source };
        reprint(vocab, &original(vocab, base), i)
    } else {
        original(vocab, i)
    }
}

/// User + system CPU seconds of this process (/proc/self/stat, 100 Hz ticks):
/// the machine is shared, so wall time alone overstates the cost.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

fn peak_memory_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Mean cost per item over the 2,000 items around one store size.
struct Around {
    /// Items stored at the middle of the span (the last span ends at `n`).
    at: u64,
    wall_us: f64,
    cpu_us: f64,
    /// Mean and number of hourly prunes inside the span (windowed mode).
    prune_ms: f64,
    prunes: u32,
    /// Mean candidates per lookup in the span (one lookup in 50 sampled).
    candidates: f64,
}

struct Figures {
    total_secs: f64,
    cpu_secs: f64,
    around: Vec<Around>,
    matched: u64,
    mean_candidates: f64,
    prune_total_secs: f64,
    prunes: u64,
}

/// The hourly housekeeping: called with the start of the matching window.
type Hourly<'a> = Box<dyn FnMut(chrono::DateTime<Utc>) -> anyhow::Result<()> + 'a>;

/// How items arrive and what runs besides matching.
struct Plan<'a> {
    /// Simulated milliseconds between two items.
    spacing: i64,
    /// Store sizes to report around (10k, 100k, 200k, and the end).
    checkpoints: Vec<u64>,
    /// Runs before each item (untimed): the store writes the item row first.
    before_item: Box<dyn FnMut(u64) + 'a>,
    /// Runs after every 100 items (timed, counted in items/s): the commit.
    after_batch: Box<dyn FnMut() + 'a>,
    /// Runs once per simulated hour with the window start (timed apart).
    hourly: Option<Hourly<'a>>,
}

/// Milliseconds between items so that all `n` fit in the default window:
/// 5 s up to 100,000 items (as the earlier runs), less beyond.
fn all_in_window(n: u64) -> i64 {
    let window_ms = default_window().num_milliseconds() - 60_000;
    (window_ms / n.max(1) as i64).min(5_000)
}

fn spans(n: u64, checkpoints: &[u64]) -> Vec<(u64, u64, u64)> {
    let mut out: Vec<(u64, u64, u64)> = checkpoints
        .iter()
        .filter(|c| **c + 1_000 <= n)
        .map(|c| (*c, c.saturating_sub(1_000), c + 1_000))
        .collect();
    if out.last().is_none_or(|s| s.2 < n) {
        out.push((n, n.saturating_sub(2_000), n));
    }
    out
}

fn run<I: StoryIndex>(n: u64, index: &mut I, mut plan: Plan<'_>) -> anyhow::Result<Figures> {
    let vocab = vocabulary();
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("time"))?;
    let spans = spans(n, &plan.checkpoints);
    // Per span: wall secs, CPU at start, CPU secs, prune secs, prunes.
    let mut acc = vec![(0.0f64, 0.0f64, 0.0f64, 0.0f64, 0u32); spans.len()];
    let mut total = 0.0;
    let mut matched = 0;
    let mut sampled = (0u64, 0u64);
    let mut span_candidates = vec![(0u64, 0u64); spans.len()];
    let (mut prune_total, mut prunes) = (0.0, 0u64);
    let mut last_hour = 0i64;
    let cpu_start = cpu_secs();
    for i in 0..n {
        for (k, s) in spans.iter().enumerate() {
            if i == s.1 {
                acc[k].1 = cpu_secs();
            }
            if i == s.2 {
                acc[k].2 = cpu_secs() - acc[k].1;
                // As each span ends, so that a run stopped early still
                // tells what it measured.
                let items = (s.2 - s.1).max(1) as f64;
                eprintln!(
                    "progress: around {}k stored: {:.0} us/item CPU, {:.0} us/item wall, \
                     {:.1} candidates/lookup, peak RSS {} MiB",
                    s.0 / 1000,
                    acc[k].2 / items * 1e6,
                    acc[k].0 / items * 1e6,
                    span_candidates[k].0 as f64 / span_candidates[k].1.max(1) as f64,
                    peak_memory_kb() / 1024
                );
            }
        }
        let now = t0 + TimeDelta::milliseconds(plan.spacing * i as i64);
        let hour = (plan.spacing * i as i64) / 3_600_000;
        if hour > last_hour {
            last_hour = hour;
            if let Some(h) = plan.hourly.as_mut() {
                let start = Instant::now();
                h(now - default_window())?;
                let secs = start.elapsed().as_secs_f64();
                prune_total += secs;
                prunes += 1;
                for (k, s) in spans.iter().enumerate() {
                    if (s.1..s.2).contains(&i) {
                        acc[k].3 += secs;
                        acc[k].4 += 1;
                    }
                }
            }
        }
        let text = item_text(&vocab, i);
        (plan.before_item)(i + 1);
        let start = Instant::now();
        let fp = Fingerprint::from_text(&text);
        let d = assign_story(index, i as i64 + 1, &fp, now, default_window())
            .map_err(|e| anyhow::anyhow!("item {i}: {e}"))?;
        let secs = start.elapsed().as_secs_f64();
        total += secs;
        if i % 50 == 0 {
            // Sampled, untimed: how many candidates one lookup returns.
            // The lookup `assign_story` makes: boilerplate keys left out.
            let since = now - default_window();
            let keys = fp.sample_keys();
            let spread = index
                .sample_spread(&keys, since, BOILERPLATE_STORIES)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let useful: Vec<i64> = keys
                .iter()
                .zip(&spread)
                .filter(|(_, n)| **n < BOILERPLATE_STORIES)
                .map(|(k, _)| *k)
                .collect();
            let c = index
                .candidates(&band_keys(&fp), &useful, since)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            sampled.0 += c.len() as u64;
            sampled.1 += 1;
            for (k, s) in spans.iter().enumerate() {
                if (s.1..s.2).contains(&i) {
                    span_candidates[k].0 += c.len() as u64;
                    span_candidates[k].1 += 1;
                }
            }
        }
        if d.story_id.is_some() {
            matched += 1;
        }
        for (k, s) in spans.iter().enumerate() {
            if (s.1..s.2).contains(&i) {
                acc[k].0 += secs;
            }
        }
        if i % 100 == 99 {
            let start = Instant::now();
            (plan.after_batch)();
            total += start.elapsed().as_secs_f64();
        }
    }
    let cpu_end = cpu_secs();
    for (k, s) in spans.iter().enumerate() {
        if s.2 == n {
            acc[k].2 = cpu_end - acc[k].1;
        }
    }
    let around = spans
        .iter()
        .zip(&acc)
        .zip(&span_candidates)
        .map(|((s, a), c)| {
            let items = (s.2 - s.1).max(1) as f64;
            Around {
                at: s.0,
                wall_us: a.0 / items * 1e6,
                cpu_us: a.2 / items * 1e6,
                prune_ms: a.3 / f64::from(a.4.max(1)) * 1e3,
                prunes: a.4,
                candidates: c.0 as f64 / c.1.max(1) as f64,
            }
        })
        .collect();
    Ok(Figures {
        total_secs: total,
        cpu_secs: cpu_end - cpu_start,
        around,
        matched,
        mean_candidates: sampled.0 as f64 / sampled.1.max(1) as f64,
        prune_total_secs: prune_total,
        prunes,
    })
}

fn report(name: &str, n: u64, f: &Figures) {
    let reprints = (0..n).filter(|i| i % 5 == 4 && *i > 100).count();
    println!(
        "{name}: items {n}: {:.0} items/s wall ({:.0} per CPU-second, generation included); \
         matched {} (reprints generated {}); candidates/lookup {:.1}; peak RSS {} MiB",
        n as f64 / (f.total_secs + f.prune_total_secs),
        n as f64 / f.cpu_secs.max(1e-9),
        f.matched,
        reprints,
        f.mean_candidates,
        peak_memory_kb() / 1024
    );
    for a in &f.around {
        print!(
            "{name}:   around {:>3}k stored: {:>5.0} us/item wall, {:>5.0} us/item CPU, {:.1} candidates/lookup",
            a.at / 1000,
            a.wall_us,
            a.cpu_us,
            a.candidates
        );
        if a.prunes > 0 {
            print!("; hourly prune {:.1} ms (mean of {})", a.prune_ms, a.prunes);
        }
        println!();
    }
    if f.prunes > 0 {
        println!(
            "{name}:   {} hourly prunes, {:.2} s in all",
            f.prunes, f.prune_total_secs
        );
    }
}

/// A bench database: the store's pragmas (plus `cache_size` from
/// `STORY_BENCH_CACHE_KIB`, default SQLite's own 2 MiB like the store), stub
/// item tables and migration 002.
fn open_db(path: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE items (id INTEGER PRIMARY KEY, story_id INTEGER);
         CREATE TABLE item_sources (feed_id INTEGER NOT NULL, item_id INTEGER NOT NULL);",
    )?;
    if let Ok(kib) = std::env::var("STORY_BENCH_CACHE_KIB") {
        let kib: i64 = kib.parse()?;
        conn.execute_batch(&format!("PRAGMA cache_size = -{}", kib.abs()))?;
    }
    conn.execute_batch(MIGRATION_002_STORIES)?;
    conn.execute_batch(MIGRATION_008_SAMPLES)?;
    conn.execute_batch(MIGRATION_014_PENDING)?;
    conn.execute_batch(MIGRATION_015_STORY_INDEX)?;
    Ok(conn)
}

/// Times one statement run (ms) and its query plan, on the final state.
fn time_sql(conn: &rusqlite::Connection, sql: &str, before: i64) -> anyhow::Result<(f64, String)> {
    let plan: Vec<String> = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
        .query_map([before], |r| r.get::<_, String>(3))?
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    conn.execute(sql, [before])?;
    Ok((start.elapsed().as_secs_f64() * 1e3, plan.join(" / ")))
}

fn sqlite_run(n: u64, windowed: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite");
    let conn = open_db(&path)?;
    conn.execute_batch("BEGIN")?;
    let keys = PendingKeys::default();
    let mut index = SqliteIndex::new(&conn, &keys);
    let mut last_cutoff = None;
    let plan = Plan {
        // 3,000 items a day (one per 28.8 s) against all in the window.
        spacing: if windowed { 29_000 } else { all_in_window(n) },
        checkpoints: vec![10_000, 100_000, 200_000, 300_000, 500_000, 1_000_000],
        before_item: Box::new(|id| {
            let _ = conn.execute("INSERT INTO items (id) VALUES (?1)", [id as i64]);
        }),
        after_batch: Box::new(|| {
            // One transaction per 100 items, like one per feed poll.
            let _ = conn.execute_batch("COMMIT; BEGIN");
        }),
        hourly: if windowed {
            Some(Box::new(|before| {
                // The daemon's hourly housekeeping, in its own transaction.
                conn.execute_batch("COMMIT")?;
                SqliteIndex::new(&conn, &keys).prune_bands_before(before)?;
                last_cutoff = Some(before);
                conn.execute_batch("BEGIN")?;
                Ok(())
            }))
        } else {
            None
        },
    };
    let f = run(n, &mut index, plan)?;
    conn.execute_batch("COMMIT")?;
    let name = if windowed {
        "sqlite windowed (3,000 items/day, hourly prune)"
    } else {
        "sqlite all in window (worst case)"
    };
    report(name, n, &f);
    let bands: i64 = conn.query_row("SELECT COUNT(*) FROM story_bands", [], |r| r.get(0))?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "{name}:   database file {} MiB, {bands} band rows at the end",
        size / (1 << 20)
    );
    if let Some(before) = last_cutoff {
        // The same cutoff again, so that both statements find nothing left to
        // delete: what remains is the cost of finding the old rows.
        for (label, sql) in [
            (
                "prune via all old fingerprints (before)",
                "DELETE FROM story_bands WHERE item_id IN \
                 (SELECT item_id FROM story_fingerprints WHERE seen_at < ?1)",
            ),
            (
                "prune by band seen_at scan",
                "DELETE FROM story_bands WHERE seen_at < ?1",
            ),
            (
                "prune via fingerprints from the oldest banded item",
                "DELETE FROM story_bands WHERE item_id IN \
                 (SELECT item_id FROM story_fingerprints \
                  WHERE item_id >= (SELECT MIN(item_id) FROM story_bands) AND +seen_at < ?1)",
            ),
        ] {
            let (ms, qp) = time_sql(&conn, sql, before.timestamp())?;
            println!("{name}:   {label}: {ms:.1} ms at the end; plan: {qp}");
        }
        let start = Instant::now();
        SqliteIndex::new(&conn, &keys).prune_bands_before(before)?;
        println!(
            "{name}:   prune_bands_before as shipped: {:.1} ms at the end",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    let (mode, n) = match first.as_deref() {
        Some("memory") | Some("sqlite") | Some("windowed") => (first.clone(), args.next()),
        _ => (None, first.clone()),
    };
    let n: u64 = n.map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    match mode.as_deref() {
        Some("memory") => {
            let mut index = MemoryIndex::new();
            let plan = Plan {
                spacing: all_in_window(n),
                checkpoints: vec![10_000, 100_000, 200_000, 300_000, 500_000, 1_000_000],
                before_item: Box::new(|_| {}),
                after_batch: Box::new(|| {}),
                hourly: None,
            };
            let f = run(n, &mut index, plan)?;
            report("memory all in window (worst case)", n, &f);
        }
        Some("sqlite") => sqlite_run(n, false)?,
        Some("windowed") => sqlite_run(n, true)?,
        _ => {
            let exe = std::env::current_exe()?;
            for m in ["memory", "sqlite", "windowed"] {
                let status = std::process::Command::new(&exe)
                    .arg(m)
                    .arg(n.to_string())
                    .status()?;
                anyhow::ensure!(status.success(), "{m} run failed");
            }
        }
    }
    Ok(())
}
