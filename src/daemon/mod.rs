//! The long-running daemon and the one-shot poll.
//!
//! [`run`] loads the config, opens the store, and polls each enabled feed when
//! it is due, at most `fetch.concurrency` at once. Due times come from the
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
//!
//! [`poll_once`] polls a set of feeds now, for `newswire poll`.

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
use crate::pipeline::{self, Context, PollReport};
use crate::store::Store;

/// How long in-flight polls may take to finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How long to wait before retrying a feed whose poll could not be written.
const STORE_RETRY: Duration = Duration::from_secs(60);

/// Opens the store named by `config` and aligns its feed rows with the config.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let mut store = Store::open(&config.storage.path)?;
    store.set_story_window(config.stories.window);
    store.sync_feeds(&config.feeds, Utc::now())?;
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
    let store = open_store(&config)?;
    let gone: HashSet<String> = store
        .feed_states()?
        .into_iter()
        .filter(|s| s.disabled_reason.is_some())
        .map(|s| s.name)
        .collect();
    let ctx = Context::new(Arc::clone(&config), store)?;
    let feeds: Vec<_> = config
        .feeds
        .iter()
        .filter(|f| {
            if !names.is_empty() {
                return names.contains(&f.name);
            }
            if gone.contains(&f.name) {
                tracing::info!(feed = %f.name, "skipped: gone (410); `newswire feeds enable` polls it again");
                return false;
            }
            f.enabled
        })
        .cloned()
        .collect();
    let limit = Arc::new(Semaphore::new(config.fetch.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for feed in feeds {
        let ctx = ctx.clone();
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (feed.name.clone(), pipeline::poll_feed(&ctx, &feed).await)
        });
    }
    let total = tasks.len();
    let mut reports = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (name, result) = done.context("poll task failed")?;
        let report =
            result.with_context(|| format!("feed `{name}`: could not write to the store"))?;
        progress(reports.len() + 1, total, &report);
        reports.push(report);
    }
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    Ok(reports)
}

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config_path: PathBuf, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = Arc::new(Config::load(&config_path)?);
    let store = open_store(&config)?;
    tracing::info!(
        config = %config_path.display(),
        store = %config.storage.path.display(),
        feeds = config.feeds.iter().filter(|f| f.enabled).count(),
        "newswire started"
    );
    let mut ctx = Context::new(Arc::clone(&config), store)?;
    let mut due = initial_due_times(&ctx).await?;
    let mut limit = Arc::new(Semaphore::new(config.fetch.concurrency.max(1)));
    let tracker = TaskTracker::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, DateTime<Utc>)>();
    let mut in_flight: HashSet<String> = HashSet::new();
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

    loop {
        let now = Utc::now();
        for feed in ctx.config.feeds.iter().filter(|f| f.enabled) {
            let is_due = due.get(&feed.name).is_none_or(|t| *t <= now);
            if !is_due || in_flight.contains(&feed.name) {
                continue;
            }
            in_flight.insert(feed.name.clone());
            let (ctx, feed, limit, done, stop) = (
                ctx.clone(),
                feed.clone(),
                Arc::clone(&limit),
                done_tx.clone(),
                shutdown.clone(),
            );
            tracker.spawn(async move {
                let permit = tokio::select! {
                    p = limit.acquire_owned() => p,
                    () = stop.cancelled() => return,
                };
                let next = match pipeline::poll_feed(&ctx, &feed).await {
                    Ok(report) if report.gone => NEVER,
                    Ok(report) => report.next_due_at,
                    Err(e) => {
                        tracing::error!(feed = %feed.name, error = %e, "could not record poll; retrying later");
                        Utc::now() + chrono::Duration::from_std(STORE_RETRY).unwrap_or_default()
                    }
                };
                drop(permit);
                let _ = done.send((feed.name.clone(), next));
            });
        }
        let next_wake = ctx
            .config
            .feeds
            .iter()
            .filter(|f| f.enabled && !in_flight.contains(&f.name))
            .filter_map(|f| due.get(&f.name))
            .min()
            .copied()
            .unwrap_or(now + chrono::Duration::hours(1));
        // Wake at least hourly: a clock that jumps must not strand the schedule.
        let sleep = (next_wake - Utc::now())
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(3600));
        let mut reload_now = false;
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(sleep) => {}
            Some((name, next)) = done_rx.recv() => {
                in_flight.remove(&name);
                due.insert(name, next);
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
            _ = prune.tick() => {
                let ctx = ctx.clone();
                tracker.spawn(async move { housekeeping(&ctx).await });
            }
        }
        if reload_now {
            config_stamp = file_stamp(&config_path);
            notifier.notify("RELOADING=1");
            match reload_config(&config_path, &ctx).await {
                Ok((new_ctx, changed)) => {
                    // New and edited feeds are due at once; the others keep
                    // their times, except gone feeds the user re-enabled.
                    for name in changed {
                        due.remove(&name);
                    }
                    if let Ok(fresh) = initial_due_times(&new_ctx).await {
                        for (name, at) in due.iter_mut() {
                            if *at == NEVER && fresh.get(name).is_some_and(|t| *t != NEVER) {
                                *at = Utc::now();
                            }
                        }
                    }
                    limit = Arc::new(Semaphore::new(new_ctx.config.fetch.concurrency.max(1)));
                    ctx = new_ctx;
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
    tracing::info!("newswire stopped");
    Ok(())
}

/// How often retention (`[storage] retain`) runs; also once at start-up.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Hourly upkeep: trims the story index to the matching window and, when
/// `[storage] retain` is set, deletes items older than that in small
/// transactions.
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
    let Some(retain) = ctx.config.storage.retain else {
        return;
    };
    let before = ago(retain);
    match ctx.with_store(move |s| s.prune(before, 500)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(items = n, before = %crate::store::ts(before), "pruned old items"),
        Err(e) => tracing::error!(error = %e, "pruning old items failed; will retry"),
    }
}

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
        config.storage.path.display()
    )
}

/// The due time of a feed that is not polled until the user acts (410 Gone).
const NEVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// Due times from the store: a feed never polled, or overdue, is due now;
/// a gone feed never.
async fn initial_due_times(ctx: &Context) -> anyhow::Result<HashMap<String, DateTime<Utc>>> {
    let states = ctx.with_store(|s| s.feed_states()).await?;
    let now = Utc::now();
    Ok(states
        .into_iter()
        .filter(|s| s.enabled)
        .map(|s| {
            let at = if s.disabled_reason.is_some() {
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
    let feeds = config.feeds.clone();
    ctx.with_store(move |s| s.sync_feeds(&feeds, Utc::now()))
        .await?;
    let changed = config
        .feeds
        .iter()
        .filter(|f| ctx.config.feed(&f.name) != Some(f))
        .map(|f| f.name.clone())
        .collect();
    let fetcher = crate::fetch::Fetcher::new(pipeline::fetch_options(&config.fetch))?;
    tracing::info!(config = %path.display(), feeds = config.feeds.len(), "config reloaded");
    Ok((
        Context {
            pages: Arc::new(Semaphore::new(config.fetch.concurrency.max(1))),
            config,
            fetcher,
            store: Arc::clone(&ctx.store),
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
