//! Story matching throughput on 100,000 synthetic items.
//!
//! `cargo run --release --example story_bench [items]` runs the benchmark once
//! with `MemoryIndex` and once with the SQLite index (a WAL file in a
//! temporary directory), each in its own child process so that peak memory
//! (VmHWM from /proc/self/status) is per index. Items are synthetic wire texts
//! of 120-320 words drawn from a skewed vocabulary; every fifth item is a
//! reprint of a recent one (trimmed, credit line, light edits). Items arrive
//! 5 seconds apart, so all of them stay inside the default 7-day window: the
//! worst case for the index. Prints items/s (fingerprint + match + insert),
//! mean time per item around 10k and around 100k stored, matches found, and
//! peak memory.

use std::time::Instant;

use chrono::{TimeDelta, TimeZone, Utc};
use newswire::dedup::{
    Fingerprint, MemoryIndex, StoryIndex, assign_story, band_keys, default_window,
};
use newswire::store::stories::{MIGRATION_002_STORIES, SqliteIndex};

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

struct Figures {
    total_secs: f64,
    cpu_secs: f64,
    cpu_10k_us: f64,
    cpu_last_us: f64,
    per_item_10k_us: f64,
    per_item_100k_us: f64,
    matched: u64,
    mean_candidates: f64,
}

fn run<I: StoryIndex>(
    n: u64,
    index: &mut I,
    mut before_item: impl FnMut(u64),
    mut after_batch: impl FnMut(),
) -> anyhow::Result<Figures> {
    let vocab = vocabulary();
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("time"))?;
    let (mut total, mut around_10k, mut around_100k) = (0.0, (0.0, 0u32), (0.0, 0u32));
    let mut matched = 0;
    let mut sampled = (0u64, 0u64);
    let cpu_start = cpu_secs();
    let (mut cpu_10k, mut cpu_last) = (0.0, 0.0);
    let last_from = n.saturating_sub(2_000);
    for i in 0..n {
        if i == 9_000 || i == last_from {
            let c = cpu_secs();
            if i == 9_000 {
                cpu_10k -= c
            } else {
                cpu_last -= c
            }
        }
        if i == 11_000 {
            cpu_10k += cpu_secs();
        }
        let text = item_text(&vocab, i);
        before_item(i + 1);
        let start = Instant::now();
        let fp = Fingerprint::from_text(&text);
        let d = assign_story(
            index,
            i as i64 + 1,
            &fp,
            t0 + TimeDelta::seconds(5 * i as i64),
            default_window(),
        )
        .map_err(|e| anyhow::anyhow!("item {i}: {e}"))?;
        let secs = start.elapsed().as_secs_f64();
        total += secs;
        if i % 50 == 0 {
            // Sampled, untimed: how many candidates one lookup returns.
            let since = t0 + TimeDelta::seconds(5 * i as i64) - default_window();
            let c = index
                .candidates(&band_keys(&fp), since)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            sampled.0 += c.len() as u64;
            sampled.1 += 1;
        }
        if d.story_id.is_some() {
            matched += 1;
        }
        if (9_000..11_000).contains(&i) {
            around_10k.0 += secs;
            around_10k.1 += 1;
        }
        if i + 2_000 >= n {
            around_100k.0 += secs;
            around_100k.1 += 1;
        }
        if i % 100 == 99 {
            let start = Instant::now();
            after_batch();
            total += start.elapsed().as_secs_f64();
        }
    }
    cpu_last += cpu_secs();
    Ok(Figures {
        total_secs: total,
        cpu_secs: cpu_secs() - cpu_start,
        cpu_10k_us: cpu_10k / 2_000.0 * 1e6,
        cpu_last_us: cpu_last / 2_000.0 * 1e6,
        per_item_10k_us: around_10k.0 / f64::from(around_10k.1.max(1)) * 1e6,
        per_item_100k_us: around_100k.0 / f64::from(around_100k.1.max(1)) * 1e6,
        matched,
        mean_candidates: sampled.0 as f64 / sampled.1.max(1) as f64,
    })
}

fn report(name: &str, n: u64, f: &Figures) {
    let reprints = (0..n).filter(|i| i % 5 == 4 && *i > 100).count();
    println!(
        "{name:<7} items {n}: {:.0} items/s wall ({:.0} per CPU-second, generation included); \
         mean/item wall around 10k {:.0} us, around {}k {:.0} us; CPU around 10k {:.0} us, around {}k {:.0} us; \
         matched {} (reprints generated {}); candidates/lookup {:.1}; peak RSS {} MiB",
        n as f64 / f.total_secs,
        n as f64 / f.cpu_secs.max(1e-9),
        f.per_item_10k_us,
        n / 1000,
        f.per_item_100k_us,
        f.cpu_10k_us,
        n / 1000,
        f.cpu_last_us,
        f.matched,
        reprints,
        f.mean_candidates,
        peak_memory_kb() / 1024
    );
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    let (mode, n) = match first.as_deref() {
        Some("memory") | Some("sqlite") => (first.clone(), args.next()),
        _ => (None, first.clone()),
    };
    let n: u64 = n.map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    match mode.as_deref() {
        Some("memory") => {
            let mut index = MemoryIndex::new();
            let f = run(n, &mut index, |_| {}, || {})?;
            report("memory", n, &f);
        }
        Some("sqlite") => {
            let dir = tempfile::tempdir()?;
            let conn = rusqlite::Connection::open(dir.path().join("bench.sqlite"))?;
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
                 CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                 CREATE TABLE items (id INTEGER PRIMARY KEY, story_id INTEGER);
                 CREATE TABLE item_sources (feed_id INTEGER NOT NULL, item_id INTEGER NOT NULL);",
            )?;
            conn.execute_batch(MIGRATION_002_STORIES)?;
            conn.execute_batch("BEGIN")?;
            let mut index = SqliteIndex(&conn);
            let f = run(
                n,
                &mut index,
                |id| {
                    // The store writes the item row before matching; not timed.
                    let _ = conn.execute("INSERT INTO items (id) VALUES (?1)", [id as i64]);
                },
                || {
                    // One transaction per 100 items, like one per feed poll.
                    let _ = conn.execute_batch("COMMIT; BEGIN");
                },
            )?;
            conn.execute_batch("COMMIT")?;
            report("sqlite", n, &f);
            let size = std::fs::metadata(dir.path().join("bench.sqlite"))?.len();
            println!("sqlite  database file {} MiB", size / (1 << 20));
        }
        _ => {
            let exe = std::env::current_exe()?;
            for m in ["memory", "sqlite"] {
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
