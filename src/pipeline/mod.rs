//! The whole path for one feed poll, in order, in one place.
//!
//! [`poll_feed`] fetches the feed with its stored validators, parses it, keys
//! its entries, drops the ones this feed already stored, fetches and extracts
//! the article page of each new entry (see [`article`]), and hands the store
//! one [`PollRecord`] with the items' article-queue rows to write in one
//! transaction. It never panics and never returns an error for the feed's own
//! faults: a broken feed becomes a `Failed` outcome with backoff, recorded on
//! the feed row and in `fetches`. A feed whose host is backing off (another
//! request got 429/503 with `Retry-After`) is `Deferred` to the end of the
//! back-off, with no error and no backoff of its own. Only a store failure is
//! returned as an error (and recorded on the feed row where it still fits:
//! `write_failure`). Every record is vetted by `limits` first; feed content
//! becomes an item in `feed_item`, on a CPU thread.
//!
//! Pages that could not be fetched yet are retried later from the article
//! queue by [`article_queue::run_due`], which the daemon runs continuously.

pub mod article;
pub mod article_queue;
mod feed_item;
pub mod limits;
mod write_failure;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchError, Fetcher, Request};
use crate::model::EntryKey;
use crate::model::{FeedMeta, FeedState, Lease, PollOutcome, PollRecord, PollSummary};
use crate::parse::ParseError;
use crate::scheduler;
use crate::store::{Store, StoreError};
use crate::workers::Workers;
pub use feed_item::{feed_item, item_from_entry};
pub use write_failure::STORE_WRITE_FAILED;
use write_failure::record_write_failure;

/// The store shared by the pipeline's tasks (one writer at a time).
pub type SharedStore = Arc<Mutex<Store>>;

/// What every poll needs: the config, the fetcher, the store, and the limit on
/// article pages fetched at once.
#[derive(Clone)]
pub struct Context {
    /// The loaded config.
    pub config: Arc<Config>,
    /// The one HTTP client.
    pub fetcher: Fetcher,
    /// A read-only connection to the store on a thread of its own, for the
    /// reads a poll makes before its write (the feed's state, which entries
    /// it knows): on the writer's thread they waited behind whole group
    /// commits, each holding a fetch slot, so a group never held more polls
    /// than there are fetch slots. `None` when the store has no such
    /// connection (in memory, PostgreSQL): those reads go to the writer.
    /// Declared before `store`, so dropped first: the writer's close (its
    /// clean-close record) is the last use of the file.
    pub reader: Option<(Workers, SharedStore)>,
    /// The store.
    pub store: SharedStore,
    /// Article page fetches in flight, across all feeds.
    pub pages: Arc<Semaphore>,
    /// Feed fetches in flight, `fetch.concurrency` at most. A poll holds one
    /// from its request to its parsed entries, not while it waits for the
    /// writer: finished polls queue for one group commit ([`poll_slots`]).
    pub fetches: Arc<Semaphore>,
    /// Threads for CPU-bound jobs (feed parsing, page extraction, story
    /// fingerprints): one per core. More would not finish sooner, and each
    /// job holds a parsed document.
    pub cpu: Workers,
    /// The one thread that runs the store's work (see [`crate::workers`]).
    pub writer: Workers,
    /// Finished polls on their way to the writer: all that are waiting go
    /// in one transaction (group commit, [`Store::record_polls`]).
    pub polls: crate::workers::Batcher<crate::store::PendingPoll, Result<PollSummary, StoreError>>,
    /// Counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Article pages being fetched, by canonical URL: concurrent requests
    /// for one page (one poll's entries, feeds polled at once, the queue
    /// worker) share one fetch.
    pub page_flight: Arc<crate::fetch::SingleFlight<String, article::PageResult>>,
}

/// The result of one poll, as logged and printed.
#[derive(Debug, Clone, PartialEq)]
pub struct PollReport {
    /// Feed name.
    pub feed: String,
    /// URL polled.
    pub url: String,
    /// `ok`, `not_modified` or `error`.
    pub status: &'static str,
    /// HTTP status, if the server answered.
    pub http_status: Option<u16>,
    /// Entries in the document.
    pub entries: usize,
    /// Items stored for the first time.
    pub new_items: usize,
    /// Entries that were new to this feed but already stored from elsewhere.
    pub linked: usize,
    /// Error message on failure.
    pub error: Option<String>,
    /// Time taken.
    pub elapsed: Duration,
    /// When the feed is next due.
    pub next_due_at: DateTime<Utc>,
    /// The server said the feed is gone (410): it is not polled again until
    /// re-enabled (`newswire feeds enable`) or its URL changes.
    pub gone: bool,
}

/// Most polls one transaction writes: bounds how long the writer holds
/// other jobs (a reader's query, the article queue) behind one commit.
const POLLS_PER_COMMIT: usize = 256;

/// Finished polls that may wait for the writer, per feed fetch allowed at
/// once. The writer's cost per group is mostly the index pages it dirties,
/// and the polls of one group share them: bounded by the fetches (16), a
/// group held at most 16 polls. Store alone on the 60,000 items of a
/// 20,000-feed cold poll: 811 items/s in groups of 16, 894 of 64, 994 of
/// 128, 1,035 of 256. Each waiting poll holds its entries (with full text,
/// up to a few hundred KB), so the bound stays at 128 by default.
const WAITING_PER_FETCH: usize = 7;

/// How many polls may be under way at once for `concurrency` feed fetches:
/// those fetching and those waiting for the writer. The callers that start
/// polls (the daemon, `poll`) bound their tasks by this; the pipeline
/// bounds the fetches ([`Context::fetches`]).
pub fn poll_slots(concurrency: usize) -> usize {
    concurrency.max(1) * (1 + WAITING_PER_FETCH)
}

/// How many CPU-bound jobs run at once: the cores this process may use.
fn cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

impl Context {
    /// Builds a context from a config and an open store.
    pub fn new(config: Arc<Config>, store: Store) -> anyhow::Result<Context> {
        let fetcher = Fetcher::new(fetch_options(&config.fetch))?;
        let pages = Arc::new(Semaphore::new(config.fetch.concurrency.max(1)));
        let fetches = Arc::new(Semaphore::new(config.fetch.concurrency.max(1)));
        let reader = match store.reader() {
            Ok(Some(r)) => Some((Workers::new("newswire-read", 1)?, Arc::new(Mutex::new(r)))),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "no read-only connection to the store; polls read through the writer");
                None
            }
        };
        let store = Arc::new(Mutex::new(store));
        let writer = Workers::new("newswire-store", 1)?;
        let polls = {
            let store = Arc::clone(&store);
            crate::workers::Batcher::new(writer.clone(), POLLS_PER_COMMIT, move |polls| {
                // As in `with_store`: a poisoned lock left no transaction open.
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                guard.record_polls(&polls)
            })
        };
        Ok(Context {
            config,
            fetcher,
            store,
            pages,
            fetches,
            cpu: Workers::new("newswire-cpu", cpu_slots())?,
            writer,
            reader,
            polls,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            page_flight: Arc::new(crate::fetch::SingleFlight::new()),
        })
    }

    /// Runs the CPU-bound `f` on a CPU thread once one is free; `Err` if it
    /// panicked.
    pub async fn on_cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::workers::Crashed> {
        self.cpu.run(f).await
    }

    /// Runs the read-only `f` on the reader's connection ([`Self::reader`]),
    /// or on the store's thread when there is none. What it reads was
    /// committed; a write since may make it stale, which the writer
    /// tolerates (it checks again what it inserts).
    pub async fn read_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let Some((thread, store)) = &self.reader else {
            return self.with_store(f).await;
        };
        let store = Arc::clone(store);
        thread
            .run(move || {
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            })
            .await
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    }

    /// Runs `f` on the store, on the store's thread.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = Arc::clone(&self.store);
        self.writer
            .run(move || {
                // A panic while holding the lock cannot leave a transaction
                // half done (the store rolls back on drop), so a poisoned lock
                // is safe to reuse.
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            })
            .await
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    }
}

/// Polls one feed now and writes the result.
pub async fn poll_feed(ctx: &Context, feed: &FeedConfig) -> Result<PollReport, StoreError> {
    poll_feed_leased(ctx, feed, None).await
}

/// [`poll_feed`] under a lease from a clustered store's `claim_due`: the
/// write is fenced by it, and [`StoreError::LeaseLost`] means another
/// daemon owns the feed now (logged here; not a failure of the feed).
pub async fn poll_feed_leased(
    ctx: &Context,
    feed: &FeedConfig,
    lease: Option<Lease>,
) -> Result<PollReport, StoreError> {
    let name = feed.name.clone();
    let state = ctx
        .read_store(move |s| s.feed_state(&name))
        .await?
        .ok_or_else(|| StoreError::UnknownFeed {
            name: feed.name.clone(),
        })?;
    let url = state
        .effective_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| feed.url.clone());
    // Never closed, so the permit always comes; dropped once the entries
    // are parsed (and their pages fetched), before the write. The poll's
    // time starts with its fetch, not with its wait for a slot.
    let fetching = Arc::clone(&ctx.fetches).acquire_owned().await.ok();
    let started_at = Utc::now();
    let clock = Instant::now();
    let fetched = fetch_and_parse(ctx, feed, &state, &url, started_at).await;
    drop(fetching);
    let (mut record, pages) = match fetched {
        Ok((mut record, pages)) => {
            record.elapsed = clock.elapsed();
            (record, pages)
        }
        Err(Failure {
            deferred: true,
            retry_after,
            ..
        }) => {
            // No request was sent: the host is backing off because of another
            // request. Due again when that ends; the feed's record is untouched.
            let wait = retry_after.unwrap_or(Duration::from_secs(1));
            let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            let deferred = PollRecord {
                feed_id: state.id,
                started_at,
                elapsed: clock.elapsed(),
                outcome: PollOutcome::Deferred,
                entries: 0,
                new_entries: Vec::new(),
                linked: Vec::new(),
                next_due_at: article_queue::ceil_secs(until),
                error_count: state.error_count,
                instance: None,
                lease: None,
            };
            (deferred, Vec::new())
        }
        Err(failure) => (
            PollRecord {
                feed_id: state.id,
                started_at,
                elapsed: clock.elapsed(),
                outcome: PollOutcome::Failed {
                    http_status: failure.http_status,
                    gone: failure.http_status == Some(410),
                    error: failure.message,
                },
                entries: 0,
                new_entries: Vec::new(),
                linked: Vec::new(),
                next_due_at: scheduler::next_after_failure(
                    feed,
                    Utc::now(),
                    state.error_count.saturating_add(1),
                    ctx.config.defaults.max_backoff,
                    failure.retry_after,
                ),
                error_count: state.error_count.saturating_add(1),
                instance: None,
                lease: None,
            },
            Vec::new(),
        ),
    };
    record.instance = Some(ctx.config.cluster.instance.clone());
    record.lease = lease;
    // Untrusted to the last field: only web links, bounded lengths (see `limits`).
    limits::vet_record(&mut record);
    // The entries go to the writer; what stays here for the report and a
    // failed write's record is the rest (a waiting poll held two copies of
    // its entries, fingerprints and search terms included).
    let sent = PollRecord {
        new_entries: std::mem::take(&mut record.new_entries),
        linked: std::mem::take(&mut record.linked),
        ..record.clone()
    };
    let written = ctx
        .polls
        .submit((sent, pages))
        .await
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
    let summary = match written {
        Ok(summary) => summary,
        Err(e @ StoreError::LeaseLost { .. }) => {
            // Its lease ended (this daemon stalled past it) and another
            // daemon claimed the feed: that one's poll counts, not ours.
            tracing::info!(feed = %feed.name, "lease lost: another instance owns the feed now; poll dropped");
            return Err(e);
        }
        Err(e) => {
            record_write_failure(ctx, feed, &state, &record, &e).await;
            return Err(e);
        }
    };
    let report = report(feed, &url, &record, summary);
    log_report(&report);
    ctx.metrics.poll_finished(
        &report.feed,
        report.status,
        report.new_items as u64,
        report.elapsed,
    );
    Ok(report)
}

struct Failure {
    message: String,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    /// No request was sent: the host is backing off.
    deferred: bool,
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure {
            http_status: e.status(),
            retry_after: e.retry_after(),
            deferred: e.is_host_backoff(),
            message: e.to_string(),
        }
    }
}

async fn fetch_and_parse(
    ctx: &Context,
    feed: &FeedConfig,
    state: &FeedState,
    url: &Url,
    started_at: DateTime<Utc>,
) -> Result<(PollRecord, Vec<crate::store::PageJob>), Failure> {
    let request = Request {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        accept: Some(FEED_ACCEPT.to_string()),
    };
    let response = ctx.fetcher.get(url, &request).await?;
    let base = PollRecord {
        feed_id: state.id,
        started_at,
        elapsed: Duration::ZERO,
        outcome: PollOutcome::NotModified {
            etag: response.etag.clone(),
            last_modified: response.last_modified.clone(),
        },
        entries: 0,
        new_entries: Vec::new(),
        linked: Vec::new(),
        next_due_at: scheduler::next_after_success(feed, Utc::now(), response.max_age),
        error_count: 0,
        instance: None,
        lease: None,
    };
    if response.not_modified() {
        return Ok((base, Vec::new()));
    }
    let bytes = response.body.len() as u64;
    let body = response.body;
    let content_type = response.content_type.clone();
    let final_url = response.final_url.clone();
    let parsed = ctx
        .on_cpu(move || crate::parse::parse_feed(&body, content_type.as_deref(), &final_url))
        .await
        .map_err(|_| Failure {
            message: "feed parser crashed".into(),
            http_status: Some(response.status),
            retry_after: None,
            deferred: false,
        })?
        .map_err(|e: ParseError| Failure {
            message: e.to_string(),
            http_status: Some(response.status),
            retry_after: None,
            deferred: false,
        })?;
    if let Some(broken) = &parsed.broken {
        tracing::warn!(feed = %feed.name, url = %url, error = %broken, entries = parsed.entries.len(),
            "feed XML is broken; the complete entries before the break are kept");
    }
    let keys = crate::identity::entry_keys(url, &parsed.entries);
    let feed_id = state.id;
    let known = {
        let keys = keys.clone();
        ctx.read_store(move |s| s.known_entries(feed_id, &keys))
            .await
            .map_err(|e| Failure {
                message: e.to_string(),
                http_status: None,
                retry_after: None,
                deferred: false,
            })?
    };
    let mut seen = HashSet::new();
    let fresh: Vec<(EntryKey, crate::model::Entry)> = keys
        .into_iter()
        .zip(parsed.entries.iter().cloned())
        .filter(|(k, _)| !known.contains_key(k.as_str()) && seen.insert(k.clone()))
        .collect();
    let (new_entries, linked, pages) = article::build_items_with_pages(ctx, feed, url, fresh).await;
    let hint = [response.max_age, parsed.ttl].into_iter().flatten().max();
    let record = PollRecord {
        outcome: PollOutcome::Fetched {
            http_status: response.status,
            bytes,
            etag: response.etag,
            last_modified: response.last_modified,
            meta: FeedMeta {
                title: parsed.title,
                site_url: parsed.site_url,
                format: Some(parsed.format.as_str().to_string()),
                broken: parsed.broken,
            },
            permanent_redirect: response.permanent_redirect.map(|u| u.to_string()),
        },
        entries: parsed.entries.len(),
        new_entries,
        linked,
        next_due_at: scheduler::next_after_success(feed, Utc::now(), hint),
        ..base
    };
    Ok((record, pages))
}

/// The fetch layer's options from the `[fetch]` config.
pub fn fetch_options(c: &crate::config::FetchConfig) -> crate::fetch::FetchOptions {
    crate::fetch::FetchOptions {
        user_agent: c.user_agent.clone(),
        timeout: c.timeout,
        connect_timeout: c.connect_timeout,
        max_body: c.max_body,
        max_redirects: c.max_redirects,
        per_host_concurrency: c.per_host_concurrency,
        per_host_interval: c.per_host_interval,
        allow_private_networks: c.allow_private_networks,
    }
}

/// `Accept` for feed requests: feed types first, XML and anything else after.
pub const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
    application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

fn report(feed: &FeedConfig, url: &Url, record: &PollRecord, summary: PollSummary) -> PollReport {
    let gone = matches!(record.outcome, PollOutcome::Failed { gone: true, .. });
    let (status, http_status, error) = match &record.outcome {
        PollOutcome::Fetched { http_status, .. } => ("ok", Some(*http_status), None),
        PollOutcome::NotModified { .. } => ("not_modified", Some(304), None),
        PollOutcome::Failed {
            http_status, error, ..
        } => ("error", *http_status, Some(error.clone())),
        PollOutcome::Deferred => ("deferred", None, None),
    };
    PollReport {
        feed: feed.name.clone(),
        url: url.to_string(),
        status,
        http_status,
        entries: record.entries,
        new_items: summary.new_items,
        linked: summary.linked,
        error,
        elapsed: record.elapsed,
        next_due_at: record.next_due_at,
        gone,
    }
}

fn log_report(r: &PollReport) {
    let elapsed_ms = r.elapsed.as_millis() as u64;
    // Logs are read more widely than the config: no credentials in them.
    let url = crate::redact::url(&r.url);
    let error = r.error.as_deref().map(crate::redact::text);
    let next_due = crate::model::ts(r.next_due_at);
    match &error {
        None if r.status == "deferred" => tracing::info!(
            feed = %r.feed, url = %url, status = r.status, next_due = %next_due,
            "host is backing off; poll deferred until it ends"
        ),
        None => tracing::info!(
            feed = %r.feed, url = %url, status = r.status, http_status = r.http_status,
            entries = r.entries, new_items = r.new_items, linked = r.linked, elapsed_ms,
            next_due = %next_due, "polled"
        ),
        Some(error) if r.gone => tracing::warn!(
            feed = %r.feed, url = %url, status = r.status, http_status = r.http_status,
            error = %error, elapsed_ms, "feed is gone; not polling it again until `newswire feeds enable {}`", r.feed
        ),
        Some(error) => tracing::warn!(
            feed = %r.feed, url = %url, status = r.status, http_status = r.http_status,
            error = %error, elapsed_ms, next_due = %next_due, "poll failed"
        ),
    }
}
