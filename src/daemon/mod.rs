//! The long-running daemon and the one-shot poll.
//!
//! [`run`] loads the config, opens the store, and polls each enabled feed when
//! it is due, at most `fetch.concurrency` at once; feeds due beyond that wait
//! in the due queue (a name and a time each) for a worker. Due times come from the
//! [`scheduler`](crate::scheduler) and are persisted on the feed rows, so a
//! restart resumes the schedule instead of polling everything again.
//! SIGHUP reloads the config (a bad file is refused and the old one kept).
//! On cancellation (SIGINT/SIGTERM) it stops starting polls, lets the ones in
//! flight finish within [`SHUTDOWN_GRACE`], and returns; every poll is written
//! in one transaction, so a poll cut off at the deadline leaves nothing half
//! written and is simply redone next time.
//!
//! The config file is also watched (every few seconds, by modification time
//! and size) and reloaded when it changes, so `newswire feeds add` takes
//! effect in a running daemon. Under systemd (`Type=notify`) the daemon
//! reports readiness, reloads, stopping and watchdog pings ([`systemd`]).
//! Once an hour it trims the story index to the matching window and applies
//! the opt-in retention (`[storage] retain`, `retain_fetches`); on a store
//! shared by several daemons only the one that wins the hour
//! ([`Store::try_periodic`]) does.
//!
//! On a clustered store (PostgreSQL, several `newswire run` on one feed
//! list) the due queue is the store's: the daemon claims due feeds under
//! leases, heartbeats them, and hands them back on SIGTERM ([`cluster`]).
//! A poll whose lease passed to another daemon is dropped, not counted as
//! the feed's failure. On SQLite the in-process due queue below is used.
//!
//! Beside the feeds, the daemon works the article queue: every
//! [`ARTICLE_TICK`] it starts a round of [`article_queue::run_due`] (when the
//! last one has finished and a page is due), so a page that failed for a
//! passing reason, or waited for its host's back-off, gets its full text
//! later. Rows a killed daemon left `running` are handed back at start-up,
//! so nothing pending is lost to kill -9. The queue's gauges for `/metrics`
//! are recounted every [`ARTICLE_STATS_EVERY`].
//!
//! [`poll_once`] polls a set of feeds now, for `newswire poll`, then
//! attempts the article pages that are due.

pub mod cluster;
pub mod systemd;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::pipeline::{self, Context, PollReport, article_queue};
use crate::store::{Store, StoreCheck};

/// How long in-flight polls may take to finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How long to wait before retrying a feed whose poll could not be written.
const STORE_RETRY: Duration = Duration::from_secs(60);

/// Opens the store named by `config` and aligns its feed rows with the config.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let location = &config.storage.location;
    let damaged = |detail: String| match location.sqlite_path() {
        Some(path) => anyhow::anyhow!(
            "store {} is damaged ({detail}); restore a backup, or recover it with \
             `sqlite3 {0} .recover | sqlite3 recovered.db`",
            path.display()
        ),
        None => anyhow::anyhow!("store {location} is damaged ({detail}); restore a backup"),
    };
    let or_damaged = |e: crate::store::StoreError| {
        if e.is_corrupt() {
            damaged(e.to_string())
        } else {
            e.into()
        }
    };
    let mut store = Store::open(location).map_err(or_damaged)?;
    // A damaged file can open and answer simple reads: make sure it is sound
    // before writing to it (issue 15), and refuse rather than make it worse.
    // The whole file is read only when nothing proves it is as newswire left
    // it, or the last full check is old (issue 17: seconds at every poll of
    // a large store otherwise).
    let started = std::time::Instant::now();
    match store
        .check_before_writing(config.storage.full_check_every)
        .map_err(or_damaged)?
        .map_err(damaged)?
    {
        StoreCheck::Full { reason } => tracing::info!(
            store = %location,
            reason,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "store checked whole and sound"
        ),
        StoreCheck::Trusted { last_full_check } => tracing::info!(
            store = %location,
            last_full_check = %last_full_check.format("%Y-%m-%dT%H:%M:%SZ"),
            "store is as newswire closed it; whole-file check skipped"
        ),
        StoreCheck::Server => {}
    }
    store.set_story_window(config.stories.window);
    store.set_instance(&config.cluster.instance)?;
    store
        .sync_feeds(&config.feeds, Utc::now())
        .map_err(or_damaged)?;
    Ok(store)
}

/// Polls the named feeds (all enabled ones when `names` is empty) once, now.
/// Unknown names are an error; disabled feeds named explicitly are polled.
/// `progress(done, total, report)` is called as each feed finishes.
pub async fn poll_once(
    config: Arc<Config>,
    names: &[String],
    progress: &mut dyn FnMut(usize, usize, &PollReport),
) -> anyhow::Result<Vec<PollReport>> {
    for name in names {
        if config.feed(name).is_none() {
            anyhow::bail!("no feed named `{name}` in the config");
        }
    }
    let (store, states) = off_runtime({
        let config = Arc::clone(&config);
        move || {
            let store = open_store(&config)?;
            let states = store.feed_schedules()?;
            Ok((store, states))
        }
    })
    .await?;
    let gone: HashSet<String> = states
        .into_iter()
        .filter(|s| s.gone)
        .map(|s| s.name)
        .collect();
    let ctx = Context::new(Arc::clone(&config), store)?;
    // Positions in the config, not copies: a feed's config is cloned when
    // its poll starts and dropped when it ends (copies of all 100,000 held
    // for the whole poll were a seventh of its peak).
    let feeds: Vec<usize> = config
        .feeds
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            if !names.is_empty() {
                return names.contains(&f.name);
            }
            if gone.contains(&f.name) {
                tracing::info!(feed = %f.name, "skipped: gone (410); `newswire feeds enable` polls it again");
                return false;
            }
            f.enabled
        })
        .map(|(i, _)| i)
        .collect();
    // At most `poll_slots` polls exist as tasks (`concurrency` of them
    // fetching, the rest waiting for the writer); the rest wait as configs.
    let workers = pipeline::poll_slots(config.fetch.concurrency);
    let total = feeds.len();
    let mut waiting = feeds.into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut reports = Vec::with_capacity(total);
    loop {
        while tasks.len() < workers {
            let Some(feed) = waiting.next().and_then(|i| config.feeds.get(i)).cloned() else {
                break;
            };
            let ctx = ctx.clone();
            tasks.spawn(async move { (feed.name.clone(), pipeline::poll_feed(&ctx, &feed).await) });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        let (name, result) = done.context("poll task failed")?;
        let report = match result {
            Ok(report) => report,
            // A damaged store: stop before writing more.
            Err(e) if e.is_corrupt() => {
                return Err(e).with_context(|| format!("feed `{name}`: the store is damaged"));
            }
            // Locked or full: this feed's results are lost (and recorded
            // as its error where that still fits); the others go on.
            Err(e) => store_failure_report(&config, &name, &e),
        };
        progress(reports.len() + 1, total, &report);
        reports.push(report);
    }
    // Names are unique, so the in-place sort gives the one order (a stable
    // sort's buffer was half the reports again, at the poll's peak).
    reports.sort_unstable_by(|a, b| a.feed.cmp(&b.feed));
    // Pages whose retry is due (from earlier polls, or a back-off that has
    // ended): a `newswire poll` from cron works the queue too. Bounded, as
    // every round moves each row it claims to a later time or a final state.
    let owner = worker_name();
    for _ in 0..POLL_ONCE_ROUNDS {
        match article_queue::run_due(&ctx, &owner, workers).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "article queue round failed; pages stay queued");
                break;
            }
        }
    }
    close(ctx).await;
    Ok(reports)
}

/// Runs `f`, a store call, on a blocking thread: a server backend's client
/// runs a runtime of its own and must never be called from an async task.
async fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("store task failed")?
}

/// Drops the context (and, with its last reference, the writer store) on a
/// blocking thread, for the reason of [`off_runtime`].
async fn close(ctx: Context) {
    let _ = tokio::task::spawn_blocking(move || drop(ctx)).await;
}

/// Most queue rounds `newswire poll` runs after its polls.
const POLL_ONCE_ROUNDS: usize = 100;

/// How often the daemon looks for due article pages.
pub const ARTICLE_TICK: Duration = Duration::from_secs(1);

/// How often the article queue's gauges are recounted.
pub const ARTICLE_STATS_EVERY: Duration = Duration::from_secs(10);

/// This process's name as the owner of article-queue leases.
fn worker_name() -> String {
    format!("newswire-{}", std::process::id())
}

/// The report of a poll whose results could not be written.
fn store_failure_report(config: &Config, name: &str, e: &crate::store::StoreError) -> PollReport {
    PollReport {
        feed: name.to_string(),
        url: config
            .feed(name)
            .map(|f| f.url.to_string())
            .unwrap_or_default(),
        status: "error",
        http_status: None,
        entries: 0,
        new_items: 0,
        linked: 0,
        error: Some(format!("{}: {e}", pipeline::STORE_WRITE_FAILED)),
        elapsed: Duration::ZERO,
        next_due_at: Utc::now(),
        gone: false,
    }
}

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config_path: PathBuf, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = Arc::new(Config::load(&config_path)?);
    let store = off_runtime({
        let config = Arc::clone(&config);
        move || open_store(&config)
    })
    .await?;
    tracing::info!(
        config = %config_path.display(),
        store = %config.storage.location,
        feeds = config.feeds.iter().filter(|f| f.enabled).count(),
        "newswire started"
    );
    let clustered = store.is_clustered();
    let mut ctx = Context::new(Arc::clone(&config), store)?;
    // A clustered store keeps the due queue itself (see `cluster`).
    let mut cluster = clustered
        .then(|| cluster::Cluster::new(config.cluster.instance.clone(), config.cluster.lease));
    if let Some(c) = &cluster {
        tracing::info!(instance = %c.owner, lease_s = c.lease.as_secs(), "polling as one instance of a cluster");
    }
    let server = config.server.listen.map(|listen| {
        let options = crate::server::ServerOptions {
            listen,
            store: config.storage.location.clone(),
            public_url: config.server.public_url.clone(),
        };
        let (metrics, stop) = (Arc::clone(&ctx.metrics), shutdown.clone());
        // The API failing (say, its port is taken) is logged; polling goes on.
        tokio::spawn(async move {
            if let Err(e) = crate::server::serve(options, metrics, stop).await {
                tracing::error!(listen = %listen, error = %format!("{e:#}"), "HTTP API not available");
            }
        })
    });
    // A daemon killed mid-fetch left its pages `running`: they are ours
    // again (on SQLite this daemon is the only worker; in a cluster they
    // may be another instance's, and come back when their leases end).
    if cluster.is_none() {
        match ctx.with_store(|s| s.release_articles(Utc::now())).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pages = n, "resuming article pages left in flight"),
            Err(e) => {
                tracing::warn!(error = %e, "could not release article pages; they resume when their lease ends")
            }
        }
    }
    // The owner of article-page leases: the instance name, unique in a cluster.
    let owner = config.cluster.instance.clone();
    let article_round = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut articles = tokio::time::interval(ARTICLE_TICK);
    articles.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut article_stats_at = std::time::Instant::now() - ARTICLE_STATS_EVERY;
    let mut queue = DueQueue::default();
    if cluster.is_none() {
        for (name, at) in initial_due_times(&ctx).await? {
            if at != NEVER {
                queue.set(name, at);
            }
        }
    }
    let mut heartbeat = tokio::time::interval(cluster.as_ref().map_or(
        Duration::from_secs(86_400),
        cluster::Cluster::heartbeat_every,
    ));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut feeds = by_name(&ctx.config);
    let mut limit = Arc::new(Semaphore::new(pipeline::poll_slots(
        config.fetch.concurrency,
    )));
    let tracker = TaskTracker::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, DateTime<Utc>)>();
    let mut in_flight: HashSet<String> = HashSet::new();
    // Set when a write finds the store damaged: the daemon then stops and
    // exits with an error.
    let damaged: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let mut reload = reload_signal()?;
    let mut config_stamp = file_stamp(&config_path);
    let mut watch = tokio::time::interval(CONFIG_WATCH);
    watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let notifier = systemd::Notifier::from_env();
    let mut watchdog = tokio::time::interval(
        notifier
            .watchdog_interval()
            .unwrap_or(Duration::from_secs(86_400)),
    );
    notifier.notify(&format!("READY=1\nSTATUS={}", status_line(&config)));

    ctx.metrics
        .set_feeds(feeds.values().filter(|f| f.enabled).count() as u64);
    let mut depth_at = std::time::Instant::now() - QUEUE_DEPTH_EVERY;
    loop {
        // Start due polls while a worker is free: O(log n) each, never a scan
        // of all feeds. Polls that must wait stay in the queue as a name and a
        // time, not as spawned tasks, so a backlog of thousands of due feeds
        // costs a few bytes each.
        let now = Utc::now();
        // Clustered: claim what is due from the store's queue, as many as
        // there are free workers.
        let mut claimed = Vec::new();
        if let Some(c) = cluster.as_mut()
            && c.claim_due_now(now)
            && limit.available_permits() > 0
        {
            let names: Vec<String> = feeds
                .values()
                .filter(|f| f.enabled)
                .map(|f| f.name.clone())
                .collect();
            match c.claim(&ctx, &names, limit.available_permits()).await {
                Ok(found) => claimed = found,
                Err(e) => tracing::warn!(error = %e, "could not claim due feeds; will retry"),
            }
        }
        for (state, lease) in claimed {
            let Some(feed) = feeds.get(&state.name).filter(|f| f.enabled).cloned() else {
                // Dropped from the config since the claim: not heartbeated,
                // its lease ends by itself.
                if let Some(c) = cluster.as_mut() {
                    c.finished(&state.name);
                }
                continue;
            };
            let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                break;
            };
            in_flight.insert(state.name.clone());
            let (ctx, done) = (ctx.clone(), done_tx.clone());
            let (stop, damaged) = (shutdown.clone(), Arc::clone(&damaged));
            tracker.spawn(async move {
                let next = poll_and_judge(&ctx, &feed, Some(lease), &stop, &damaged).await;
                drop(permit);
                let _ = done.send((feed.name.clone(), next));
            });
        }
        while queue.next().is_some_and(|at| at <= now) {
            let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                break;
            };
            let Some(name) = queue.pop_due(now) else {
                break;
            };
            let Some(feed) = feeds.get(&name).filter(|f| f.enabled).cloned() else {
                continue;
            };
            in_flight.insert(name);
            let (ctx, done) = (ctx.clone(), done_tx.clone());
            let (stop, damaged) = (shutdown.clone(), Arc::clone(&damaged));
            tracker.spawn(async move {
                let next = poll_and_judge(&ctx, &feed, None, &stop, &damaged).await;
                drop(permit);
                let _ = done.send((feed.name.clone(), next));
            });
        }
        // The backlog gauge: counting the backlog walks it, so at most once a
        // second; no backlog is known at once.
        if queue.next().is_none_or(|at| at > now) {
            ctx.metrics.set_queue_depth(0);
        } else if depth_at.elapsed() >= QUEUE_DEPTH_EVERY {
            depth_at = std::time::Instant::now();
            ctx.metrics.set_queue_depth(queue.due_count(now) as u64);
        }
        // Wake at the next due time, or hourly at most: a clock that jumps
        // must not strand the schedule. When polls are due but every worker
        // is busy, a finished poll is what wakes the loop.
        let sleep = match (&cluster, queue.next()) {
            // Clustered: until the next claim, at most 5 s; with every worker
            // busy a finished poll wakes the loop.
            (Some(_), _) if limit.available_permits() == 0 => cluster::MAX_CLAIM_WAIT,
            (Some(c), _) => c.wait(Utc::now()),
            (None, Some(at)) if at > now => (at - Utc::now()).to_std().unwrap_or_default(),
            (None, Some(_)) if limit.available_permits() > 0 => Duration::ZERO,
            (None, Some(_)) => QUEUE_DEPTH_EVERY,
            (None, None) => Duration::from_secs(3600),
        }
        .min(Duration::from_secs(3600));
        let mut reload_now = false;
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(sleep) => {}
            Some(first) = done_rx.recv() => {
                // Take every poll that has finished, then look at the queue once.
                let mut finished = vec![first];
                while let Ok(more) = done_rx.try_recv() {
                    finished.push(more);
                }
                for (name, next) in finished {
                    in_flight.remove(&name);
                    if let Some(c) = cluster.as_mut() {
                        // The store has the feed's next due time.
                        c.finished(&name);
                        continue;
                    }
                    if next != NEVER && feeds.get(&name).is_some_and(|f| f.enabled) {
                        queue.set(name, next);
                    }
                }
            }
            Some(()) = reload.recv() => reload_now = true,
            _ = watch.tick() => {
                let stamp = file_stamp(&config_path);
                if stamp != config_stamp {
                    tracing::info!(config = %config_path.display(), "config file changed");
                    reload_now = true;
                }
            }
            _ = watchdog.tick() => notifier.notify("WATCHDOG=1"),
            _ = heartbeat.tick(), if cluster.is_some() => {
                if let Some(c) = &cluster {
                    c.heartbeat(&ctx).await;
                }
            }
            _ = articles.tick() => {
                let stats = article_stats_at.elapsed() >= ARTICLE_STATS_EVERY;
                if stats {
                    article_stats_at = std::time::Instant::now();
                }
                // One round at a time: a round ends when all its pages have.
                if !article_round.swap(true, std::sync::atomic::Ordering::AcqRel) {
                    let (ctx, owner, busy) = (ctx.clone(), owner.clone(), Arc::clone(&article_round));
                    tracker.spawn(async move {
                        article_tick(&ctx, &owner, stats).await;
                        busy.store(false, std::sync::atomic::Ordering::Release);
                    });
                }
            }
            _ = prune.tick() => {
                let (ctx, instance) = (ctx.clone(), config.cluster.instance.clone());
                tracker.spawn(async move {
                    // Once per cluster: the instance that wins the hour runs it.
                    match ctx
                        .with_store(move |s| {
                            s.try_periodic(cluster::HOUSEKEEPING_JOB, PRUNE_EVERY, &instance)
                        })
                        .await
                    {
                        Ok(true) => housekeeping(&ctx).await,
                        Ok(false) => tracing::debug!("housekeeping ran elsewhere this hour"),
                        Err(e) => tracing::warn!(error = %e, "could not schedule housekeeping; will retry"),
                    }
                });
            }
        }
        if reload_now {
            config_stamp = file_stamp(&config_path);
            notifier.notify("RELOADING=1");
            match reload_config(&config_path, &ctx).await {
                Ok((new_ctx, _)) if cluster.is_some() => {
                    // The store keeps the due times; look at it again now.
                    feeds = by_name(&new_ctx.config);
                    if let Some(c) = cluster.as_mut() {
                        c.claim_soon();
                    }
                    limit = Arc::new(Semaphore::new(pipeline::poll_slots(
                        new_ctx.config.fetch.concurrency,
                    )));
                    ctx = new_ctx;
                    ctx.metrics
                        .set_feeds(feeds.values().filter(|f| f.enabled).count() as u64);
                }
                Ok((new_ctx, changed)) => {
                    let stored = initial_due_times(&new_ctx).await.unwrap_or_default();
                    feeds = by_name(&new_ctx.config);
                    // New and edited feeds are due at once; removed and disabled
                    // ones leave the queue; gone feeds the user re-enabled return.
                    let changed: HashSet<String> = changed.into_iter().collect();
                    queue.retain(|name| feeds.get(name).is_some_and(|f| f.enabled));
                    let now = Utc::now();
                    for feed in feeds.values().filter(|f| f.enabled) {
                        if in_flight.contains(&feed.name) {
                            continue;
                        }
                        let gone = stored.get(&feed.name) == Some(&NEVER);
                        if changed.contains(&feed.name) && !gone {
                            queue.set(feed.name.clone(), now);
                        } else if !queue.contains(&feed.name) && !gone {
                            queue.set(
                                feed.name.clone(),
                                stored.get(&feed.name).copied().unwrap_or(now),
                            );
                        }
                    }
                    limit = Arc::new(Semaphore::new(pipeline::poll_slots(
                        new_ctx.config.fetch.concurrency,
                    )));
                    ctx = new_ctx;
                    ctx.metrics
                        .set_feeds(feeds.values().filter(|f| f.enabled).count() as u64);
                }
                Err(e) => tracing::error!(
                    config = %config_path.display(),
                    error = %format!("{e:#}"),
                    "config reload refused; keeping the running config"
                ),
            }
            notifier.notify(&format!("READY=1\nSTATUS={}", status_line(&ctx.config)));
        }
    }

    notifier.notify("STOPPING=1");
    tracing::info!(
        in_flight = in_flight.len(),
        "stopping: no new polls; waiting for polls in flight"
    );
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = SHUTDOWN_GRACE.as_secs(),
            "polls still running at the deadline were abandoned; they will be redone"
        );
    }
    if let Some(c) = &cluster {
        // Polls cut off at the deadline wrote nothing: their feeds go back
        // to the other instances now rather than when the leases end.
        c.release(&ctx).await;
    }
    if let Some(server) = server {
        let _ = server.await;
    }
    close(ctx).await;
    tracing::info!("newswire stopped");
    if let Some(e) = damaged.lock().unwrap_or_else(|p| p.into_inner()).take() {
        anyhow::bail!("stopped: the store is damaged ({e}); restore a backup");
    }
    Ok(())
}

/// Polls `feed` (under `lease` on a clustered store) and says when it is due
/// again: never for a gone feed or a damaged store (which also stops the
/// daemon), soon for a write that failed.
async fn poll_and_judge(
    ctx: &Context,
    feed: &crate::config::FeedConfig,
    lease: Option<crate::model::Lease>,
    stop: &CancellationToken,
    damaged: &std::sync::Mutex<Option<String>>,
) -> DateTime<Utc> {
    match pipeline::poll_feed_leased(ctx, feed, lease).await {
        Ok(report) if report.gone => NEVER,
        Ok(report) => report.next_due_at,
        // Another instance owns the feed now (the pipeline logged it): not
        // this feed's failure, and not ours to schedule.
        Err(crate::store::StoreError::LeaseLost { .. }) => NEVER,
        Err(e) if e.is_corrupt() => {
            // Writing on would spread the damage: stop, say why, and let
            // /healthz say it until the process ends.
            tracing::error!(feed = %feed.name, error = %e, "the store is damaged; stopping");
            ctx.metrics.set_store_fault(format!("store damaged: {e}"));
            *damaged.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            stop.cancel();
            NEVER
        }
        Err(e) => {
            tracing::error!(feed = %feed.name, error = %e, "could not record poll; retrying later");
            Utc::now() + chrono::Duration::from_std(STORE_RETRY).unwrap_or_default()
        }
    }
}

/// One tick of the article worker: a queue round when a page is due, and
/// the queue's gauges when `stats` is set.
async fn article_tick(ctx: &Context, owner: &str, stats: bool) {
    if stats {
        match ctx.with_store(|s| s.article_stats(Utc::now())).await {
            Ok(stats) => ctx.metrics.set_article_queue(stats),
            Err(e) => tracing::warn!(error = %e, "could not count the article queue"),
        }
    }
    let due = ctx
        .with_store(|s| s.next_article_due())
        .await
        .ok()
        .flatten()
        .is_some_and(|at| at <= Utc::now());
    if due {
        let max = ctx.config.fetch.concurrency.max(1);
        if let Err(e) = article_queue::run_due(ctx, owner, max).await {
            tracing::warn!(error = %e, "article queue round failed; pages stay queued");
        }
    }
}

/// How often retention (`[storage] retain`, `retain_fetches`) runs; also
/// once at start-up.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Hourly upkeep: trims the story index to the matching window and, when
/// `[storage] retain` or `retain_fetches` is set, deletes items or poll-log
/// rows older than that in small transactions.
async fn housekeeping(ctx: &Context) {
    let ago =
        |d: Duration| Utc::now() - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let window_start = ago(ctx.config.stories.window);
    if let Err(e) = ctx
        .with_store(move |s| s.prune_story_index(window_start))
        .await
    {
        tracing::warn!(error = %e, "trimming the story index failed; will retry");
    }
    if let Some(retain) = ctx.config.storage.retain_fetches {
        let before = ago(retain);
        match ctx
            .with_store(move |s| s.prune_fetches(before, 5_000))
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(rows = n, before = %crate::model::ts(before), "pruned the poll log")
            }
            Err(e) => tracing::error!(error = %e, "pruning the poll log failed; will retry"),
        }
    }
    if let Some(retain) = ctx.config.storage.retain {
        let before = ago(retain);
        match ctx.with_store(move |s| s.prune(before, 500)).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(items = n, before = %crate::model::ts(before), "pruned old items")
            }
            Err(e) => tracing::error!(error = %e, "pruning old items failed; will retry"),
        }
    }
}

/// How often the `newswire_queue_depth` gauge is recounted while feeds wait
/// for a worker, and how long the loop sleeps at most meanwhile.
const QUEUE_DEPTH_EVERY: Duration = Duration::from_secs(1);

/// How often the config file is checked for changes.
const CONFIG_WATCH: Duration = Duration::from_secs(5);

/// What identifies a version of the config file: modification time and size.
fn file_stamp(path: &Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The `STATUS=` line shown by `systemctl status`.
fn status_line(config: &Config) -> String {
    format!(
        "polling {} feeds into {}",
        config.feeds.iter().filter(|f| f.enabled).count(),
        config.storage.location
    )
}

/// The feeds of a config by name.
fn by_name(config: &Arc<Config>) -> FeedIndex {
    FeedIndex {
        at: config
            .feeds
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect(),
        config: Arc::clone(config),
    }
}

/// The config's feeds by name: a position per name, not a copy of each
/// feed's config (a copy of every one was a fifth of a 100,000-feed
/// daemon's memory).
struct FeedIndex {
    config: Arc<Config>,
    at: HashMap<String, usize>,
}

impl FeedIndex {
    /// The feed called `name`.
    fn get(&self, name: &str) -> Option<&crate::config::FeedConfig> {
        self.at.get(name).and_then(|i| self.config.feeds.get(*i))
    }

    /// Every feed, in config order.
    fn values(&self) -> impl Iterator<Item = &crate::config::FeedConfig> {
        self.config.feeds.iter()
    }
}

/// Due times of the feeds waiting to be polled, in time order, so that taking
/// what is due and finding the next wake-up cost O(log n), whatever the
/// number of feeds.
#[derive(Default)]
struct DueQueue {
    order: std::collections::BTreeSet<(DateTime<Utc>, String)>,
    at: HashMap<String, DateTime<Utc>>,
}

impl DueQueue {
    /// Sets (or moves) a feed's due time.
    fn set(&mut self, name: String, at: DateTime<Utc>) {
        if let Some(old) = self.at.insert(name.clone(), at) {
            self.order.remove(&(old, name.clone()));
        }
        self.order.insert((at, name));
    }

    /// Takes one feed that is due at `now`, if any.
    fn pop_due(&mut self, now: DateTime<Utc>) -> Option<String> {
        let first = self.order.first().filter(|(at, _)| *at <= now)?.clone();
        self.order.remove(&first);
        self.at.remove(&first.1);
        Some(first.1)
    }

    /// How many feeds are due at `now` (walks them: call sparingly).
    fn due_count(&self, now: DateTime<Utc>) -> usize {
        self.order.iter().take_while(|(at, _)| *at <= now).count()
    }

    /// The earliest due time.
    fn next(&self) -> Option<DateTime<Utc>> {
        self.order.first().map(|(at, _)| *at)
    }

    fn contains(&self, name: &str) -> bool {
        self.at.contains_key(name)
    }

    /// Keeps only the feeds `keep` accepts.
    fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.order.retain(|(_, name)| keep(name));
        self.at.retain(|name, _| keep(name));
    }
}

/// The due time of a feed that is not polled until the user acts (410 Gone).
const NEVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// Due times from the store: a feed never polled, or overdue, is due now;
/// a gone feed never.
async fn initial_due_times(ctx: &Context) -> anyhow::Result<HashMap<String, DateTime<Utc>>> {
    let states = ctx.with_store(|s| s.feed_schedules()).await?;
    let now = Utc::now();
    Ok(states
        .into_iter()
        .filter(|s| s.enabled)
        .map(|s| {
            let at = if s.gone {
                NEVER
            } else {
                s.next_due_at.unwrap_or(now)
            };
            (s.name, at)
        })
        .collect())
}

/// Loads the config again; returns the new context and the feeds whose
/// schedule or URL changed (their due times are recomputed).
async fn reload_config(path: &Path, ctx: &Context) -> anyhow::Result<(Context, Vec<String>)> {
    let config = Arc::new(Config::load(path)?);
    let loaded = Arc::clone(&config);
    ctx.with_store(move |s| s.sync_feeds(&loaded.feeds, Utc::now()))
        .await?;
    // By name: `Config::feed` is a scan, once per feed would be quadratic.
    let before: HashMap<&str, &crate::config::FeedConfig> = ctx
        .config
        .feeds
        .iter()
        .map(|f| (f.name.as_str(), f))
        .collect();
    let changed = config
        .feeds
        .iter()
        .filter(|f| before.get(f.name.as_str()) != Some(f))
        .map(|f| f.name.clone())
        .collect();
    let fetcher = crate::fetch::Fetcher::new(pipeline::fetch_options(&config.fetch))?;
    tracing::info!(config = %path.display(), feeds = config.feeds.len(), "config reloaded");
    Ok((
        Context {
            pages: Arc::new(Semaphore::new(config.fetch.concurrency.max(1))),
            fetches: Arc::new(Semaphore::new(config.fetch.concurrency.max(1))),
            cpu: ctx.cpu.clone(),
            writer: ctx.writer.clone(),
            reader: ctx.reader.clone(),
            polls: ctx.polls.clone(),
            config,
            fetcher,
            store: Arc::clone(&ctx.store),
            metrics: Arc::clone(&ctx.metrics),
            page_flight: Arc::clone(&ctx.page_flight),
        },
        changed,
    ))
}

/// A stream of SIGHUPs.
fn reload_signal() -> anyhow::Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel(1);
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot listen for SIGHUP")?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let _ = tx.try_send(());
        }
    });
    Ok(rx)
}

/// Cancels `token` on the first SIGINT or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "stop requested"),
            _ = int.recv() => tracing::info!(signal = "SIGINT", "stop requested"),
        }
        token.cancel();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_queue_pops_in_time_order_and_moves_entries() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).expect("time");
        let mut q = DueQueue::default();
        q.set("b".into(), t(20));
        q.set("a".into(), t(10));
        q.set("c".into(), t(30));
        q.set("b".into(), t(5)); // moved earlier
        assert_eq!(q.next(), Some(t(5)));
        assert_eq!(q.pop_due(t(15)).as_deref(), Some("b"));
        assert_eq!(q.pop_due(t(15)).as_deref(), Some("a"));
        assert_eq!(q.pop_due(t(15)), None, "c is not due yet");
        q.retain(|name| name != "c");
        assert!(!q.contains("c"));
        assert_eq!(q.next(), None);
    }
}
