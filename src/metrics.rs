//! Process metrics: a small registry of atomic counters, gauges and one
//! histogram, rendered in the Prometheus text exposition format 0.0.4.
//!
//! The daemon and pipeline report events ([`Metrics::poll_finished`],
//! [`Metrics::page_fetched`], [`Metrics::set_queue_depth`],
//! [`Metrics::set_feeds`], [`Metrics::article_retried`],
//! [`Metrics::set_article_queue`]); the HTTP server renders them at scrape time
//! ([`Metrics::render_with`]), adding gauges it reads from the store
//! ([`StoreGauges`]). Every series has a fixed, small label set: nothing here
//! creates one series per feed, so a long feed list cannot blow up a scraper.
//! Updates are lock-free (relaxed atomics): a scrape may see one event's
//! counters half applied, which Prometheus tolerates.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the fetch-duration histogram buckets; `+Inf` is implied.
pub const FETCH_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Poll outcomes counted by `newswire_polls_total{status=…}`.
const POLL_STATUSES: [&str; 5] = ["ok", "not_modified", "error", "deferred", "other"];

/// States of the article queue, as in `article_queue.state`.
const ARTICLE_STATES: [&str; 4] = ["pending", "running", "done", "failed"];

/// A histogram with the fixed buckets of [`FETCH_BUCKETS`].
#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket (not cumulative; the last slot is `+Inf`).
    buckets: [AtomicU64; FETCH_BUCKETS.len() + 1],
    /// Sum of observations in microseconds.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let slot = FETCH_BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(FETCH_BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0u64;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative = cumulative.saturating_add(bucket.load(Ordering::Relaxed));
            let le = FETCH_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| format_float(*b));
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", format_float(sum));
        // The count is the +Inf bucket, read once so the two always agree.
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

pub use crate::model::StoreGauges;

/// The registry: one per process, shared behind an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    polls: [AtomicU64; POLL_STATUSES.len()],
    poll_errors: AtomicU64,
    items_new: AtomicU64,
    feed_fetch: Histogram,
    page_fetch: Histogram,
    pages_ok: AtomicU64,
    pages_error: AtomicU64,
    queue_depth: AtomicU64,
    feeds: AtomicU64,
    article_retries: AtomicU64,
    /// Rows of the article queue by state ([`ARTICLE_STATES`] order), then
    /// the age of the oldest pending row; absent until the daemon counts.
    article_queue: [AtomicU64; 5],
    article_queue_known: std::sync::atomic::AtomicBool,
    /// Why the store must not be trusted (found damaged), for `/healthz`.
    store_fault: std::sync::Mutex<Option<String>>,
}

impl Metrics {
    /// An empty registry (every counter zero).
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Marks the store as damaged: `/healthz` answers 503 with `reason`
    /// from then on.
    pub fn set_store_fault(&self, reason: String) {
        *self.store_fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
    }

    /// Why the store was marked damaged, if it was.
    pub fn store_fault(&self) -> Option<String> {
        self.store_fault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records one finished feed poll: its status (`ok`, `not_modified` or
    /// `error`; anything else counts as `other`), the items it stored for the
    /// first time and how long it took.
    ///
    /// `feed` is accepted for logging by callers but creates no series: the
    /// feed list is unbounded.
    pub fn poll_finished(&self, feed: &str, status: &str, new_items: u64, elapsed: Duration) {
        let _ = feed;
        let slot = POLL_STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(POLL_STATUSES.len() - 1);
        self.polls[slot].fetch_add(1, Ordering::Relaxed);
        if status == "error" {
            self.poll_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.items_new.fetch_add(new_items, Ordering::Relaxed);
        self.feed_fetch.observe(elapsed);
    }

    /// Records one article page fetch (`ok` false: it failed or gave nothing usable).
    pub fn page_fetched(&self, ok: bool, elapsed: Duration) {
        if ok {
            self.pages_ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.pages_error.fetch_add(1, Ordering::Relaxed);
        }
        self.page_fetch.observe(elapsed);
    }

    /// Sets how many feeds are due and waiting for a worker.
    pub fn set_queue_depth(&self, n: u64) {
        self.queue_depth.store(n, Ordering::Relaxed);
    }

    /// Counts one more attempt at an article page that failed before.
    pub fn article_retried(&self) {
        self.article_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets the article queue's rows by state and the age of its oldest
    /// pending row (the daemon recounts them every few seconds).
    pub fn set_article_queue(&self, stats: crate::store::QueueStats) {
        let values = [
            stats.pending,
            stats.running,
            stats.done,
            stats.failed,
            stats.oldest_pending_secs,
        ];
        for (slot, v) in self.article_queue.iter().zip(values) {
            slot.store(v, Ordering::Relaxed);
        }
        self.article_queue_known.store(true, Ordering::Relaxed);
    }

    /// Sets how many feeds are configured and enabled.
    pub fn set_feeds(&self, n: u64) {
        self.feeds.store(n, Ordering::Relaxed);
    }

    /// The exposition text of the process metrics alone.
    pub fn render(&self) -> String {
        self.render_with(None)
    }

    /// The exposition text, with the store's gauges when `store` is given
    /// (`newswire_store_up` is 1 then, else 0 and the store gauges are absent).
    pub fn render_with(&self, store: Option<StoreGauges>) -> String {
        let mut out = String::with_capacity(4096);
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);

        header(
            &mut out,
            "newswire_polls_total",
            "counter",
            "Feed polls finished, by outcome.",
        );
        for (status, n) in POLL_STATUSES.iter().zip(&self.polls) {
            let _ = writeln!(
                out,
                "newswire_polls_total{{status=\"{}\"}} {}",
                escape_label_value(status),
                load(n)
            );
        }
        counter(
            &mut out,
            "newswire_poll_errors_total",
            "Feed polls that failed.",
            load(&self.poll_errors),
        );
        counter(
            &mut out,
            "newswire_items_new_total",
            "Items stored for the first time.",
            load(&self.items_new),
        );

        header(
            &mut out,
            "newswire_fetch_duration_seconds",
            "histogram",
            "Time taken by feed polls (kind=feed, article pages included) and by article page fetches (kind=page).",
        );
        self.feed_fetch
            .render(&mut out, "newswire_fetch_duration_seconds", "kind=\"feed\"");
        self.page_fetch
            .render(&mut out, "newswire_fetch_duration_seconds", "kind=\"page\"");

        header(
            &mut out,
            "newswire_page_fetches_total",
            "counter",
            "Article page fetches, by result.",
        );
        let _ = writeln!(
            out,
            "newswire_page_fetches_total{{result=\"ok\"}} {}",
            load(&self.pages_ok)
        );
        let _ = writeln!(
            out,
            "newswire_page_fetches_total{{result=\"error\"}} {}",
            load(&self.pages_error)
        );

        gauge(
            &mut out,
            "newswire_queue_depth",
            "Feeds due and waiting for a worker.",
            load(&self.queue_depth),
        );
        gauge(
            &mut out,
            "newswire_feeds",
            "Feeds configured and enabled.",
            load(&self.feeds),
        );
        counter(
            &mut out,
            "newswire_article_retries_total",
            "Attempts at article pages that had failed before.",
            load(&self.article_retries),
        );
        if self.article_queue_known.load(Ordering::Relaxed) {
            header(
                &mut out,
                "newswire_article_queue",
                "gauge",
                "Article pages in the queue, by state.",
            );
            for (state, n) in ARTICLE_STATES.iter().zip(&self.article_queue) {
                let _ = writeln!(
                    out,
                    "newswire_article_queue{{state=\"{state}\"}} {}",
                    load(n)
                );
            }
            gauge(
                &mut out,
                "newswire_article_oldest_pending_seconds",
                "Age of the oldest article page still waiting for its text (0 when none).",
                load(&self.article_queue[4]),
            );
        }

        gauge(
            &mut out,
            "newswire_store_up",
            "1 if the store could be read at scrape time, else 0.",
            u64::from(store.is_some()),
        );
        if let Some(store) = store {
            gauge(
                &mut out,
                "newswire_store_items",
                "Items in the store.",
                store.items,
            );
            gauge(
                &mut out,
                "newswire_store_stories",
                "Stories in the store.",
                store.stories,
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, "counter", help);
    let _ = writeln!(out, "{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// Escapes a label value for the text format: backslash, double quote and
/// line feed become `\\`, `\"` and `\n`.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `# HELP` text: backslash and line feed only.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A float as the text format writes it (`+Inf`, `NaN`, else Rust's shortest form).
fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_count_matches() {
        let m = Metrics::new();
        m.poll_finished("rt", "ok", 3, Duration::from_millis(40));
        m.poll_finished("rt", "error", 0, Duration::from_millis(700));
        m.poll_finished("tass", "weird", 0, Duration::from_secs(120));
        let text = m.render();
        assert!(
            text.contains("newswire_polls_total{status=\"ok\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("newswire_polls_total{status=\"other\"} 1\n"));
        assert!(text.contains("newswire_poll_errors_total 1\n"));
        assert!(text.contains("newswire_items_new_total 3\n"));
        assert!(
            text.contains("newswire_fetch_duration_seconds_bucket{kind=\"feed\",le=\"0.05\"} 1\n")
        );
        assert!(
            text.contains("newswire_fetch_duration_seconds_bucket{kind=\"feed\",le=\"1\"} 2\n")
        );
        assert!(
            text.contains("newswire_fetch_duration_seconds_bucket{kind=\"feed\",le=\"60\"} 2\n")
        );
        assert!(
            text.contains("newswire_fetch_duration_seconds_bucket{kind=\"feed\",le=\"+Inf\"} 3\n")
        );
        assert!(text.contains("newswire_fetch_duration_seconds_count{kind=\"feed\"} 3\n"));
        assert!(text.contains("newswire_fetch_duration_seconds_sum{kind=\"feed\"} 120.74\n"));
        assert!(
            !text.contains("\"rt\"") && !text.contains("tass"),
            "no per-feed series"
        );
        assert!(text.contains("newswire_store_up 0\n"));
        assert!(!text.contains("newswire_store_items"));
    }

    #[test]
    fn store_gauges_appear_when_given() {
        let m = Metrics::new();
        m.set_feeds(7);
        m.set_queue_depth(2);
        m.page_fetched(false, Duration::from_millis(10));
        let text = m.render_with(Some(StoreGauges {
            items: 12,
            stories: 9,
        }));
        assert!(text.contains("newswire_store_up 1\n"));
        assert!(text.contains("newswire_store_items 12\n"));
        assert!(text.contains("newswire_store_stories 9\n"));
        assert!(text.contains("newswire_feeds 7\n"));
        assert!(text.contains("newswire_queue_depth 2\n"));
        assert!(text.contains("newswire_page_fetches_total{result=\"error\"} 1\n"));
    }

    #[test]
    fn article_queue_gauges_appear_once_counted() {
        let m = Metrics::new();
        assert!(!m.render().contains("newswire_article_queue"));
        m.article_retried();
        m.set_article_queue(crate::store::QueueStats {
            pending: 3,
            running: 1,
            done: 40,
            failed: 2,
            oldest_pending_secs: 95,
        });
        let text = m.render();
        assert!(
            text.contains("newswire_article_queue{state=\"pending\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("newswire_article_queue{state=\"failed\"} 2\n"));
        assert!(text.contains("newswire_article_oldest_pending_seconds 95\n"));
        assert!(text.contains("newswire_article_retries_total 1\n"));
    }
}
