//! The article queue's own cost at scale: what the daemon asks the store
//! every second (is a page due?), every ten seconds (the `/metrics` gauges),
//! and per round (claim due pages, record results), on a queue of N rows.
//!
//! `bench_queue [N]` (default 1,000,000) fills a fresh store in a temporary
//! directory with N items and N queue rows (95 % done, 3 % failed, 2 %
//! pending with next attempts spread over a day), then times each call and
//! prints milliseconds per call.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use newswire::store::{ArticleOutcome, Store};
use rusqlite::params;

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) -> T {
    let start = Instant::now();
    let mut last = None;
    for _ in 0..runs {
        last = Some(f());
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!("{label:<44} {per:>9.3} ms");
    last.expect("at least one run")
}

fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path().join("queue.db"))?;
    let now = Utc::now();
    let started = Instant::now();
    {
        let conn = store.sqlite().expect("a SQLite store").connection();
        conn.execute_batch("BEGIN")?;
        let mut item = conn.prepare(
            "INSERT INTO items (id, url, canonical_url, first_seen_at, changed_at, content_text)
             VALUES (?1, ?2, ?2, ?3, ?3, 'A short teaser.')",
        )?;
        let mut row = conn.prepare(
            "INSERT INTO article_queue (item_id, url, state, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
        )?;
        let seen = newswire::store::ts(now - TimeDelta::days(1));
        for i in 1..=n {
            let url = format!("http://site{}.example/news/{i}", i % 500);
            let (state, next) = match i % 100 {
                0..=94 => ("done", None),
                95..=97 => ("failed", None),
                _ => (
                    "pending",
                    Some(newswire::store::ts(
                        now + TimeDelta::seconds(i % 86_400 - 43_200),
                    )),
                ),
            };
            item.execute(params![i, url, seen])?;
            row.execute(params![i, url, state, next, seen])?;
        }
        drop((item, row));
        conn.execute_batch("COMMIT")?;
    }
    println!(
        "filled {n} items and queue rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    time("next_article_due (every second)", 1000, || {
        store.next_article_due()
    })?;
    let stats = time("article_stats (every 10 s)", 20, || {
        store.article_stats(now)
    })?;
    println!("  {stats:?}");
    let lease = Duration::from_secs(300);
    let mut claimed = 0;
    let mut finished = 0;
    time("claim_articles 16 + finish_article x16", 50, || {
        let jobs = store.claim_articles("bench", 16, lease, now)?;
        claimed += jobs.len();
        for job in &jobs {
            let outcome = ArticleOutcome::Retry {
                next_attempt_at: now + TimeDelta::hours(1),
                error: "HTTP 503 from the bench".into(),
                http_status: Some(503),
            };
            finished += usize::from(store.finish_article(job, &outcome, now)?);
        }
        anyhow::Ok(())
    })?;
    println!("  claimed {claimed}, recorded {finished}");
    Ok(())
}
