//! One function per subcommand.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::output::{self, print_items, print_polls};
use super::{Cli, Command, Failure, FeedsAction, Format, ItemsArgs, TextFormat};
use crate::config::{self, Config, edit};
use crate::store::{ItemQuery, Store};

pub(super) fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let explicit = cli.config.as_deref();
    match cli.command {
        Command::Run => {
            let path = config::locate(explicit)?;
            // Validate before starting anything, so systemd sees a clean failure.
            Config::load(&path)?;
            let rt = runtime()?;
            let ran = rt.block_on(async {
                let stop = CancellationToken::new();
                crate::daemon::cancel_on_signals(stop.clone())?;
                crate::daemon::run(path, stop).await
            });
            // Never wait on a blocking task (an API query being cancelled)
            // past the shutdown the daemon already bounded.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
            ran?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Poll { names, format } => poll(explicit, names, format),
        Command::Serve { listen } => {
            let config = load(explicit)?;
            let options = crate::server::ServerOptions {
                listen: listen
                    .or(config.server.listen)
                    .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
                store: config.storage.location.clone(),
                public_url: config.server.public_url.clone(),
            };
            let rt = runtime()?;
            let served = rt.block_on(async {
                let stop = CancellationToken::new();
                crate::daemon::cancel_on_signals(stop.clone())?;
                let metrics = Arc::new(crate::metrics::Metrics::new());
                crate::server::serve(options, metrics, stop).await
            });
            // Dropping a runtime waits for every blocking task: a query past
            // its deadline is being interrupted, but never wait on it.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(explicit),
        Command::Feeds { action } => feeds(explicit, action),
        Command::Items(args) => items(explicit, None, args),
        Command::Search { query, filters } => items(explicit, Some(query), filters),
        Command::Stories {
            since,
            min_items,
            limit,
            format,
        } => {
            let config = load(explicit)?;
            let since = since
                .as_deref()
                .map(parse_since)
                .transpose()
                .map_err(|e| Failure { error: e, code: 2 })?;
            let q = crate::store::StoryQuery {
                since,
                min_items,
                limit,
                offset: 0,
            };
            let rows = open_existing(&config)?.stories(&q)?;
            output::print_stories(&rows, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { source, format } => inspect(explicit, &source, format),
        Command::Articles {
            states,
            limit,
            format,
        } => {
            let config = load(explicit)?;
            let states = article_states(&states);
            let rows = open_existing(&config)?.list_articles(&states, limit)?;
            output::print_articles(&rows, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Refetch { items, failed } => refetch(explicit, &items, failed),
        Command::Store {
            action: super::StoreAction::Copy { to },
        } => super::store_copy::copy(explicit, &to),
        Command::Extract {
            url,
            file,
            base_url,
            format,
        } => extract(explicit, url, file, base_url, format),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(super) fn load(explicit: Option<&Path>) -> Result<Config, Failure> {
    let path = config::locate(explicit)?;
    Ok(Config::load(&path)?)
}

fn poll(explicit: Option<&Path>, names: Vec<String>, format: Format) -> Result<ExitCode, Failure> {
    let config = Arc::new(load(explicit)?);
    // A progress bar on a terminal; plain log lines otherwise.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} polled {pos}/{len} feeds [{bar:30}] {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let mut new_items = 0;
    let mut on_report = |done: usize, total: usize, report: &crate::pipeline::PollReport| {
        new_items += report.new_items;
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(format!("{new_items} new items, last: {}", report.feed));
        }
    };
    let reports = runtime()?
        .block_on(crate::daemon::poll_once(config, &names, &mut on_report))
        .map_err(|e| Failure { error: e, code: 1 })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    print_polls(&reports, format)?;
    // A broken feed is reported, not fatal; only "nothing could be done" fails,
    // or results that could not be stored (locked, disk full).
    let unstored = reports.iter().filter(|r| {
        r.error
            .as_deref()
            .is_some_and(|e| e.starts_with(crate::pipeline::STORE_WRITE_FAILED))
    });
    if let Some(first) = unstored.clone().next() {
        eprintln!(
            "error: the results of {} feed(s) could not be stored: {}",
            unstored.count(),
            first.error.as_deref().unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    }
    if !reports.is_empty() && reports.iter().all(|r| r.status == "error") {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn check(explicit: Option<&Path>) -> Result<ExitCode, Failure> {
    let path = config::locate(explicit).map_err(|e| Failure {
        error: e.into(),
        code: 2,
    })?;
    let config = Config::load(&path).map_err(|e| Failure {
        error: e.into(),
        code: 2,
    })?;
    say!("config {} is valid", path.display());
    say!(
        "store  {} {}",
        config.storage.location.kind(),
        config.storage.location
    );
    let now = Utc::now();
    // Feeds mostly share a few schedules: their next times are computed
    // once per schedule and zone, and the lines go out through one buffer
    // (a 100,000-feed config is checked in well under a second).
    let mut upcoming: HashMap<(&str, chrono_tz::Tz), String> = HashMap::new();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for feed in &config.feeds {
        let next = upcoming
            .entry((feed.schedule.source(), feed.timezone))
            .or_insert_with(|| {
                feed.schedule
                    .upcoming(now, feed.timezone, 3)
                    .iter()
                    .map(|t| crate::model::ts(*t))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        writeln!(
            out,
            "  {:<16} {:<9} {:<16} next: {}  {}",
            feed.name,
            if feed.enabled { "enabled" } else { "disabled" },
            feed.schedule.source(),
            next,
            feed.url
        )
        .context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")?;
    drop(out);
    if config.feeds.is_empty() {
        say!("  (no feeds: add one with `newswire feeds add URL`)");
    }
    Ok(ExitCode::SUCCESS)
}

fn feeds(explicit: Option<&Path>, action: FeedsAction) -> Result<ExitCode, Failure> {
    let path = config::locate(explicit)?;
    match action {
        FeedsAction::List { format } => {
            let config = Config::load(&path)?;
            let states = if config.storage.location.may_exist() {
                Store::open_read_only(&config.storage.location)?.feed_states()?
            } else {
                Vec::new()
            };
            output::print_feeds(&config, &states, format)?;
        }
        FeedsAction::Add {
            url,
            name,
            schedule,
            tags,
            no_check,
        } => {
            let mut new = edit::NewFeed {
                url,
                name,
                schedule,
                tags,
                full_text: None,
            };
            // Config-level mistakes first (duplicate, bad schedule), then the network.
            edit::check_new_feed(&path, &new)?;
            if !no_check {
                new.url = check_new_feed(&path, &new.url)?;
            }
            let url = new.url.clone();
            let name = edit::add_feed(&path, &new)?;
            say!("added feed `{name}` ({url}) to {}", path.display());
        }
        FeedsAction::Import { file, dry_run } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let found = config::opml::parse_bytes(&bytes).map_err(|e| Failure {
                error: anyhow!("{}: {e}", file.display()),
                code: 2,
            })?;
            let feeds: Vec<_> = found.into_iter().map(|f| f.feed).collect();
            let report = edit::import_feeds(&path, &feeds, !dry_run)?;
            for (name, url) in &report.added {
                say!(
                    "{} {name:<24} {url}",
                    if dry_run { "would add" } else { "added" }
                );
            }
            for (url, why) in &report.skipped {
                say!("skipped {url}: {why}");
            }
            say!(
                "{} feeds {}, {} skipped",
                report.added.len(),
                if dry_run { "to add" } else { "added" },
                report.skipped.len()
            );
        }
        FeedsAction::Export => {
            print!("{}", config::opml::render(&Config::load(&path)?));
        }
        FeedsAction::Remove { name } => {
            edit::remove_feed(&path, &name)?;
            say!(
                "removed feed `{name}` from {} (its stored items are kept)",
                path.display()
            );
        }
        FeedsAction::Enable { name } => {
            edit::set_enabled(&path, &name, true)?;
            let config = Config::load(&path)?;
            if config.storage.location.may_exist()
                && Store::open(&config.storage.location)?.clear_disabled_reason(&name)?
            {
                say!("feed `{name}` had stopped as gone (410); it will be polled again");
            }
            say!("enabled feed `{name}`");
        }
        FeedsAction::Disable { name } => {
            edit::set_enabled(&path, &name, false)?;
            say!("disabled feed `{name}`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches a URL about to be added. A feed is returned as is; a web page that
/// advertises exactly one feed gives that feed's URL; anything else is refused
/// with what was found, so the user can choose.
fn check_new_feed(config_path: &Path, raw: &str) -> Result<String, Failure> {
    let usage = |e: String| Failure {
        error: anyhow!(e),
        code: 2,
    };
    let url = config::parse_feed_url(raw).map_err(usage)?;
    let fetcher = fetcher_for(Some(config_path))?;
    let request = crate::fetch::Request {
        accept: Some(crate::pipeline::FEED_ACCEPT.into()),
        ..Default::default()
    };
    let response = runtime()?
        .block_on(fetcher.get(&url, &request))
        .map_err(|e| anyhow!("cannot fetch {url}: {e} (add it anyway with --no-check)"))?;
    let parsed = crate::parse::parse_feed(
        &response.body,
        response.content_type.as_deref(),
        &response.final_url,
    );
    match parsed {
        Ok(feed) => {
            say!(
                "{url}: {} feed \"{}\" with {} entries",
                feed.format.as_str(),
                feed.title.as_deref().unwrap_or("untitled"),
                feed.entries.len()
            );
            Ok(url.to_string())
        }
        Err(crate::parse::ParseError::NotAFeed { alternates, .. }) if alternates.len() == 1 => {
            say!(
                "{url} is a web page; it advertises the feed {}: adding that",
                alternates[0]
            );
            Ok(alternates[0].clone())
        }
        Err(crate::parse::ParseError::NotAFeed { alternates, .. }) if !alternates.is_empty() => {
            Err(Failure {
                error: anyhow!(
                    "{url} is a web page, not a feed; it advertises these feeds:\n  {}\nadd one of them",
                    alternates.join("\n  ")
                ),
                code: 1,
            })
        }
        Err(e) => Err(Failure {
            error: anyhow!("{url} is not a usable feed: {e} (add it anyway with --no-check)"),
            code: 1,
        }),
    }
}

fn items(
    explicit: Option<&Path>,
    search: Option<String>,
    args: ItemsArgs,
) -> Result<ExitCode, Failure> {
    let config = load(explicit)?;
    let time = |s: &Option<String>| {
        s.as_deref()
            .map(parse_since)
            .transpose()
            .map_err(|e| Failure { error: e, code: 2 })
    };
    let query = ItemQuery {
        feed: args.feed,
        tag: args.tag,
        language: args.language,
        since: time(&args.since)?,
        until: time(&args.until)?,
        story: args.story,
        after_id: args.after_id,
        updated_since: time(&args.updated_since)?,
        limit: args.limit,
        ..ItemQuery::default()
    };
    let store = open_existing(&config)?;
    match search {
        Some(text) => output::print_hits(&store.search(&text, &query)?, args.format)?,
        None => print_items(&store.items(&query)?, args.format)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The `article_queue.state` values `newswire articles --state` asks for.
fn article_states(states: &[super::ArticleState]) -> Vec<&'static str> {
    use super::ArticleState as S;
    if states.contains(&S::All) {
        return Vec::new();
    }
    if states.is_empty() {
        return vec!["pending", "failed"];
    }
    states
        .iter()
        .map(|s| match s {
            S::Pending => "pending",
            S::Running => "running",
            S::Failed => "failed",
            S::Done => "done",
            // Handled above.
            S::All => "",
        })
        .collect()
}

/// `newswire refetch`: queues pages again; the daemon (or the next poll) fetches them.
fn refetch(explicit: Option<&Path>, items: &[i64], failed: bool) -> Result<ExitCode, Failure> {
    let config = load(explicit)?;
    open_existing(&config)?;
    let mut store = Store::open(&config.storage.location)?;
    let now = Utc::now();
    let unknown = store.requeue_articles(items, now)?;
    if !unknown.is_empty() {
        let ids: Vec<String> = unknown.iter().map(i64::to_string).collect();
        return Err(Failure {
            error: anyhow!("no item with id {}; nothing queued", ids.join(", ")),
            code: 1,
        });
    }
    let again = if failed {
        store.requeue_failed_articles(now)?
    } else {
        0
    };
    println!(
        "queued {} page(s); `newswire run` fetches them within seconds, or run `newswire poll`",
        items.len() + again
    );
    Ok(ExitCode::SUCCESS)
}

/// Opens the store read-only, with a hint when it does not exist yet.
fn open_existing(config: &Config) -> Result<Store, Failure> {
    if !config.storage.location.may_exist() {
        return Err(Failure {
            error: anyhow!(
                "no store at {} yet: run `newswire poll` or `newswire run` first",
                config.storage.location
            ),
            code: 1,
        });
    }
    // A store written by an older newswire gets this one's migrations first
    // (new columns such as `items.changed_at` are read below); a file this
    // user may only read is read as it is.
    if let Err(e) = Store::open(&config.storage.location) {
        tracing::debug!(error = %e, "store not upgraded; reading it as it is");
    }
    Ok(Store::open_read_only(&config.storage.location)?)
}

/// `2026-11-01`, an RFC 3339 time, or an age such as `24h` / `7d`.
pub(super) fn parse_since(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_default());
    }
    if let Ok(age) = config::parse_duration(s) {
        return Ok(Utc::now() - chrono::Duration::from_std(age).unwrap_or_default());
    }
    bail!(
        "--since `{s}`: expected a date (2026-11-01), a time (2026-11-01T08:00:00Z) or an age (24h, 7d)"
    )
}

/// Fetch options for one-off commands: the config's when there is one,
/// otherwise the defaults.
fn fetcher_for(explicit: Option<&Path>) -> Result<crate::fetch::Fetcher, Failure> {
    let options = match config::locate(explicit) {
        Ok(path) => crate::pipeline::fetch_options(&Config::load(&path)?.fetch),
        Err(_) => crate::pipeline::fetch_options(&Config::from_toml("", "<defaults>", None)?.fetch),
    };
    Ok(crate::fetch::Fetcher::new(options)?)
}

fn inspect(explicit: Option<&Path>, source: &str, format: TextFormat) -> Result<ExitCode, Failure> {
    let (bytes, content_type, url) =
        if source.starts_with("http://") || source.starts_with("https://") {
            let url = config::parse_feed_url(source).map_err(|e| Failure {
                error: anyhow!(e),
                code: 2,
            })?;
            let fetcher = fetcher_for(explicit)?;
            let request = crate::fetch::Request {
                accept: Some(crate::pipeline::FEED_ACCEPT.into()),
                ..Default::default()
            };
            let response = runtime()?.block_on(fetcher.get(&url, &request))?;
            (response.body, response.content_type, response.final_url)
        } else {
            let path = PathBuf::from(source);
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let abs = std::path::absolute(&path).unwrap_or(path);
            let url = Url::from_file_path(&abs)
                .map_err(|()| anyhow!("cannot make a URL of {}", abs.display()))?;
            (bytes, None, url)
        };
    let parsed = crate::parse::parse_feed(&bytes, content_type.as_deref(), &url)
        .with_context(|| format!("{source} is not a usable feed"))?;
    let keys = crate::identity::entry_keys(&url, &parsed.entries);
    output::print_inspect(&url, &parsed, &keys, format)?;
    Ok(ExitCode::SUCCESS)
}

fn extract(
    explicit: Option<&Path>,
    url: Option<String>,
    file: Option<PathBuf>,
    base_url: Option<String>,
    format: TextFormat,
) -> Result<ExitCode, Failure> {
    let usage = |e: String| Failure {
        error: anyhow!(e),
        code: 2,
    };
    let (body, content_type, page_url) = match (url, file) {
        (Some(u), _) => {
            let url = config::parse_feed_url(&u).map_err(usage)?;
            let fetcher = fetcher_for(explicit)?;
            let request = crate::fetch::Request {
                accept: Some(crate::pipeline::article::PAGE_ACCEPT.into()),
                ..Default::default()
            };
            let response = runtime()?.block_on(fetcher.get(&url, &request))?;
            (response.body, response.content_type, response.final_url)
        }
        (None, Some(path)) => {
            let body =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let page_url = match base_url {
                Some(b) => Url::parse(&b).map_err(|e| usage(format!("--base-url `{b}`: {e}")))?,
                None => {
                    let abs = std::path::absolute(&path).unwrap_or(path);
                    Url::from_file_path(&abs)
                        .map_err(|()| usage(format!("cannot make a URL of {}", abs.display())))?
                }
            };
            (body, None, page_url)
        }
        (None, None) => return Err(usage("give --url URL or --file PATH".into())),
    };
    let html = crate::extract::decode_html(&body, content_type.as_deref());
    let rule = page_url.host_str().and_then(crate::extract::builtin_rule);
    let article = crate::extract::extract(&html, &page_url, rule.as_ref());
    output::print_article(&article, format)?;
    Ok(ExitCode::SUCCESS)
}
