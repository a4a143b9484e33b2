//! The TOML config: load, validate, locate, edit.
//!
//! [`Config::load`] reads a file and returns typed, validated values (URLs,
//! parsed [`Schedule`]s, durations, byte sizes, time zones) or a [`ConfigError`]
//! naming the file, line, column and key. Unknown keys are refused. Relative
//! paths in the file (`storage.path`) are resolved against the directory that
//! holds the config file, so every command finds the same store whatever the
//! working directory. [`edit`] changes the feed list in place, keeping the
//! user's comments and layout. The commented example is `config/newswire.toml`.
//! A long feed list is parsed a slice at a time (`split.rs`), so loading
//! 100,000 feeds does not hold the whole TOML tree beside the result.

pub mod edit;
mod locate;
pub mod opml;
mod split;
pub mod units;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

pub use crate::model::{PgUrl, StoreLocation};
use crate::schedule::Schedule;
pub use units::{format_duration, parse_bytes, parse_duration};

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from (`None` when built from a string).
    pub source_path: Option<PathBuf>,
    /// `[storage]`.
    pub storage: StorageConfig,
    /// `[fetch]`.
    pub fetch: FetchConfig,
    /// `[defaults]`.
    pub defaults: Defaults,
    /// `[stories]`.
    pub stories: StoriesConfig,
    /// `[server]`.
    pub server: ServerConfig,
    /// `[cluster]`.
    pub cluster: ClusterConfig,
    /// `[[feeds]]`, in file order.
    pub feeds: Vec<FeedConfig>,
}

/// `[storage]`: where the store lives (a SQLite file, `path`, or a
/// PostgreSQL database, `url`) and what it keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// The SQLite file (absolute), or the PostgreSQL URL.
    pub location: StoreLocation,
    /// Delete items first seen longer ago than this (`None`: keep everything).
    pub retain: Option<Duration>,
    /// Delete rows of the poll log (`fetches`) older than this (`None`: keep
    /// them all).
    pub retain_fetches: Option<Duration>,
    /// How old the last full check of a SQLite store may be before `run`
    /// and `poll` read the whole file again, though it is as newswire left
    /// it (`0s`: at every start).
    pub full_check_every: Duration,
}

impl StorageConfig {
    /// The default `full_check_every`: a day.
    pub const DEFAULT_FULL_CHECK_EVERY: Duration = Duration::from_secs(86_400);
    /// The SQLite file, when the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.location.sqlite_path()
    }
}

/// `[cluster]`: how this daemon shares a PostgreSQL store with others.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// How long a claimed feed stays this daemon's without a heartbeat; the
    /// heartbeat runs every third of it. A daemon killed outright loses its
    /// feeds to the others after this long.
    pub lease: Duration,
    /// This daemon's name in leases and in `fetches.instance` (default: the
    /// host name and the process id).
    pub instance: String,
}

impl ClusterConfig {
    /// The default lease.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
}

/// This process's default instance name: `host-pid`.
pub fn default_instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "newswire".into());
    format!("{host}-{}", std::process::id())
}

/// `[fetch]`: HTTP behaviour shared by feed and article fetches.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Overall deadline of one request (connect, redirects, body).
    pub timeout: Duration,
    /// Deadline for establishing a connection.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body: u64,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// Feed polls (and their article fetches) in flight at once.
    pub concurrency: usize,
    /// Requests in flight to one host at once.
    pub per_host_concurrency: usize,
    /// Minimum gap between request starts to one host.
    pub per_host_interval: Duration,
    /// Allow connections to loopback, private and link-local addresses.
    pub allow_private_networks: bool,
    /// Obey robots.txt for article pages.
    pub respect_robots: bool,
    /// How long a page that fails for a passing reason (timeout, 429, 5xx)
    /// is retried, counted from when it was first queued.
    pub article_retry_for: Duration,
    /// Most attempts at one article page before giving up.
    pub article_max_attempts: u32,
}

/// `[server]`: the read-only HTTP API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerConfig {
    /// Address to serve on inside `newswire run` (`None`: no server).
    pub listen: Option<std::net::SocketAddr>,
    /// The API's public base URL, for self links in the feeds it serves
    /// (behind a reverse proxy); the request's `Host` when absent.
    pub public_url: Option<Url>,
}

/// `[stories]`: how copies of one story are grouped.
#[derive(Debug, Clone, PartialEq)]
pub struct StoriesConfig {
    /// Items first seen further apart than this are never joined into one story.
    pub window: Duration,
}

/// `[defaults]`: per-feed settings used when a feed does not set them.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// Poll schedule.
    pub schedule: Schedule,
    /// Time zone the schedules are evaluated in.
    pub timezone: Tz,
    /// Fetch and extract each new entry's article page.
    pub full_text: bool,
    /// Longest wait after repeated failures.
    pub max_backoff: Duration,
}

/// One `[[feeds]]` entry with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// Unique name, used on the command line and in the store.
    pub name: String,
    /// Feed URL (http or https).
    pub url: Url,
    /// Poll schedule.
    pub schedule: Schedule,
    /// Time zone of the schedule.
    pub timezone: Tz,
    /// Fetch full article text for new entries.
    pub full_text: bool,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Disabled feeds are kept in the config and store but never polled.
    pub enabled: bool,
    /// CSS selector of the article body on this site's pages.
    pub selector: Option<String>,
    /// CSS selectors removed from the article before extraction.
    pub remove: Vec<String>,
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No file at any of the default places.
    #[error("no config file found (tried {}); pass --config PATH or set NEWSWIRE_CONFIG", .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound {
        /// Paths looked at, in order.
        tried: Vec<PathBuf>,
    },
    /// The file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid config.
    #[error("{file}:{line}:{column}: {}{message}", .key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default())]
    Invalid {
        /// The file (or `<config>` for a string).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Dotted key path, e.g. `feeds[2].schedule`.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Loads and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let mut config = Config::from_toml(&source, &path.display().to_string(), abs.parent())?;
        config.source_path = Some(abs);
        Ok(config)
    }

    /// Parses and validates config text. `file` names it in errors; `base_dir`
    /// resolves relative paths (the current directory when `None`).
    pub fn from_toml(
        source: &str,
        file: &str,
        base_dir: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        // A long feed list is read a slice at a time (see `split`); any
        // other document, and any error, through the whole parse.
        let raw: RawConfig = match split::parse(source) {
            Some(raw) => raw,
            None => toml::from_str(source).map_err(|e| {
                let offset = e.span().map_or(0, |s| s.start);
                let (line, column) = locate::line_col(source, offset);
                ConfigError::Invalid {
                    file: file.to_string(),
                    line,
                    column,
                    key: e.span().and_then(|s| locate::key_at(source, s.start)),
                    message: e.message().trim().to_string(),
                }
            })?,
        };
        let invalid = |path: &[&str], message: String| {
            let offset = locate::span_of(source, path).map_or(0, |s| s.start);
            let (line, column) = locate::line_col(source, offset);
            let key = path
                .iter()
                .fold(String::new(), |acc, p| match p.parse::<usize>() {
                    Ok(i) => format!("{acc}[{i}]"),
                    Err(_) if acc.is_empty() => (*p).to_string(),
                    Err(_) => format!("{acc}.{p}"),
                });
            ConfigError::Invalid {
                file: file.to_string(),
                line,
                column,
                key: Some(key),
                message,
            }
        };
        raw.build(base_dir, invalid)
    }

    /// The feed called `name`.
    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

/// Where the config is looked for when `--config` and `NEWSWIRE_CONFIG` are
/// absent: `config/newswire.toml` in the working directory, then
/// `$XDG_CONFIG_HOME/newswire/newswire.toml` (`~/.config/...`).
pub fn default_locations() -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from("config/newswire.toml")];
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        places.push(PathBuf::from(dir).join("newswire/newswire.toml"));
    } else if let Some(home) = std::env::var_os("HOME") {
        places.push(PathBuf::from(home).join(".config/newswire/newswire.toml"));
    }
    places
}

/// Finds the config file: `explicit` if given (it must exist), else the first
/// of [`default_locations`] that exists.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let tried = default_locations();
    tried
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(ConfigError::NotFound { tried })
}

/// The store path used when `[storage] path` is absent:
/// `$STATE_DIRECTORY/newswire.db` under systemd, else
/// `$XDG_DATA_HOME/newswire/newswire.db` (`~/.local/share/...`).
pub fn default_store_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY").filter(|d| !d.is_empty()) {
        // systemd may pass several colon-separated directories; the first is ours.
        let first = dir
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string();
        return PathBuf::from(first).join("newswire.db");
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("newswire/newswire.db")
}

// ---- raw, as written -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    stories: RawStories,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    cluster: RawCluster,
    #[serde(default)]
    feeds: Vec<RawFeed>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    lease: Option<Dur>,
    instance: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Listen>,
    public_url: Option<FeedUrl>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStories {
    window: Option<Dur>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<PathBuf>,
    url: Option<String>,
    retain: Option<Dur>,
    retain_fetches: Option<Dur>,
    full_check_every: Option<Dur>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    user_agent: Option<String>,
    timeout: Option<Dur>,
    connect_timeout: Option<Dur>,
    max_body: Option<Bytes>,
    max_redirects: Option<usize>,
    concurrency: Option<usize>,
    per_host_concurrency: Option<usize>,
    per_host_interval: Option<Dur>,
    allow_private_networks: Option<bool>,
    respect_robots: Option<bool>,
    article_retry_for: Option<Dur>,
    article_max_attempts: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    schedule: Option<Schedule>,
    timezone: Option<Zone>,
    full_text: Option<bool>,
    max_backoff: Option<Dur>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: String,
    url: FeedUrl,
    /// Parsed in [`RawConfig::build`], once per distinct text.
    schedule: Option<String>,
    timezone: Option<Zone>,
    full_text: Option<bool>,
    #[serde(default)]
    tags: Vec<String>,
    enabled: Option<bool>,
    selector: Option<String>,
    #[serde(default)]
    remove: Vec<String>,
}

/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "newswire/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/newswire-rs/newswire)"
);

impl RawConfig {
    fn build(
        self,
        base_dir: Option<&Path>,
        invalid: impl Fn(&[&str], String) -> ConfigError,
    ) -> Result<Config, ConfigError> {
        let f = self.fetch;
        let positive = |v: Option<usize>, key: &str, default: usize| match v {
            Some(0) => Err(invalid(&["fetch", key], "must be at least 1".into())),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let timeout = f.timeout.map_or(Duration::from_secs(20), |d| d.0);
        if timeout.is_zero() {
            return Err(invalid(
                &["fetch", "timeout"],
                "must be longer than 0s".into(),
            ));
        }
        let user_agent = f
            .user_agent
            .unwrap_or_else(|| DEFAULT_USER_AGENT.to_string());
        if user_agent.trim().is_empty() || user_agent.chars().any(|c| c.is_control()) {
            return Err(invalid(
                &["fetch", "user_agent"],
                "must be non-empty printable text".into(),
            ));
        }
        let max_body = f.max_body.map_or(10 * 1024 * 1024, |b| b.0);
        if max_body < 1024 {
            return Err(invalid(
                &["fetch", "max_body"],
                "must be at least 1KiB".into(),
            ));
        }
        let fetch = FetchConfig {
            user_agent,
            timeout,
            connect_timeout: f.connect_timeout.map_or(Duration::from_secs(10), |d| d.0),
            max_body,
            max_redirects: f.max_redirects.unwrap_or(10),
            concurrency: positive(f.concurrency, "concurrency", 16)?,
            per_host_concurrency: positive(f.per_host_concurrency, "per_host_concurrency", 2)?,
            per_host_interval: f.per_host_interval.map_or(Duration::from_secs(1), |d| d.0),
            allow_private_networks: f.allow_private_networks.unwrap_or(false),
            respect_robots: f.respect_robots.unwrap_or(true),
            article_retry_for: f
                .article_retry_for
                .map_or(Duration::from_secs(3 * 86_400), |d| d.0),
            article_max_attempts: match f.article_max_attempts {
                Some(0) => {
                    return Err(invalid(
                        &["fetch", "article_max_attempts"],
                        "must be at least 1".into(),
                    ));
                }
                Some(n) => n,
                None => 30,
            },
        };
        let d = self.defaults;
        let defaults = Defaults {
            schedule: match d.schedule {
                Some(s) => s,
                None => "*/15 * * * *"
                    .parse()
                    .map_err(|e: crate::schedule::ScheduleError| {
                        invalid(&["defaults", "schedule"], e.to_string())
                    })?,
            },
            timezone: d.timezone.map_or(Tz::UTC, |z| z.0),
            full_text: d.full_text.unwrap_or(true),
            max_backoff: d.max_backoff.map_or(Duration::from_secs(6 * 3600), |d| d.0),
        };
        if self.storage.path.is_some() && self.storage.url.is_some() {
            return Err(invalid(
                &["storage", "url"],
                "`path` (a SQLite file) and `url` (a PostgreSQL database) are exclusive: set one"
                    .into(),
            ));
        }
        let url = match self.storage.url.as_deref() {
            Some(text) => Some(PgUrl::parse(text).map_err(|e| invalid(&["storage", "url"], e))?),
            None => None,
        };
        let lease = self
            .cluster
            .lease
            .map_or(ClusterConfig::DEFAULT_LEASE, |d| d.0);
        if lease < Duration::from_secs(3) {
            return Err(invalid(
                &["cluster", "lease"],
                "must be at least 3s (the heartbeat runs every third of it)".into(),
            ));
        }
        let instance = match self.cluster.instance {
            Some(name) if name.trim().is_empty() => {
                return Err(invalid(
                    &["cluster", "instance"],
                    "must not be empty".into(),
                ));
            }
            Some(name) if name.len() > 128 || name.chars().any(char::is_control) => {
                return Err(invalid(
                    &["cluster", "instance"],
                    "must be at most 128 characters, without control characters".into(),
                ));
            }
            Some(name) => name.trim().to_string(),
            None => default_instance(),
        };
        let path = match self.storage.path {
            Some(p) if p.as_os_str().is_empty() => {
                return Err(invalid(&["storage", "path"], "must not be empty".into()));
            }
            Some(p) if p.is_relative() => clean(
                &base_dir
                    .map(|b| b.join(&p))
                    .unwrap_or_else(|| std::path::absolute(&p).unwrap_or(p)),
            ),
            Some(p) => p,
            None => default_store_path(),
        };
        let mut names = HashSet::new();
        // Feeds that write the same schedule share one parsed copy.
        let mut schedules: HashMap<String, Schedule> = HashMap::new();
        let mut feeds = Vec::with_capacity(self.feeds.len());
        for (i, raw) in self.feeds.into_iter().enumerate() {
            let idx = i.to_string();
            let at = |key: &'static str| [String::from("feeds"), idx.clone(), key.to_string()];
            let err = |key: &'static str, msg: String| {
                let path = at(key);
                let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                invalid(&parts, msg)
            };
            let name = raw.name.trim().to_string();
            if let Err(why) = check_feed_name(&name) {
                return Err(err("name", why));
            }
            if !names.insert(name.clone()) {
                return Err(err("name", format!("duplicate feed name `{name}`")));
            }
            for (key, sel) in raw
                .selector
                .iter()
                .map(|s| ("selector", s))
                .chain(raw.remove.iter().map(|s| ("remove", s)))
            {
                if let Err(e) = scraper::Selector::parse(sel) {
                    return Err(err(key, format!("invalid CSS selector `{sel}`: {e}")));
                }
            }
            let schedule = match raw.schedule {
                None => defaults.schedule.clone(),
                Some(text) => match schedules.get(&text) {
                    Some(parsed) => parsed.clone(),
                    None => {
                        let parsed: Schedule =
                            text.parse().map_err(|e: crate::schedule::ScheduleError| {
                                err("schedule", e.to_string())
                            })?;
                        schedules.insert(text, parsed.clone());
                        parsed
                    }
                },
            };
            feeds.push(FeedConfig {
                name,
                url: raw.url.0,
                schedule,
                timezone: raw.timezone.map_or(defaults.timezone, |z| z.0),
                full_text: raw.full_text.unwrap_or(defaults.full_text),
                tags: raw.tags,
                enabled: raw.enabled.unwrap_or(true),
                selector: raw.selector,
                remove: raw.remove,
            });
        }
        let window = self
            .stories
            .window
            .map_or(Duration::from_secs(7 * 86_400), |d| d.0);
        if window.is_zero() {
            return Err(invalid(
                &["stories", "window"],
                "must be longer than 0s".into(),
            ));
        }
        Ok(Config {
            source_path: None,
            storage: StorageConfig {
                location: match url {
                    Some(url) => StoreLocation::Postgres(url),
                    None => StoreLocation::Sqlite(path),
                },
                retain: self.storage.retain.map(|d| d.0),
                retain_fetches: self.storage.retain_fetches.map(|d| d.0),
                full_check_every: self
                    .storage
                    .full_check_every
                    .map_or(StorageConfig::DEFAULT_FULL_CHECK_EVERY, |d| d.0),
            },
            fetch,
            defaults,
            stories: StoriesConfig { window },
            cluster: ClusterConfig { lease, instance },
            server: ServerConfig {
                listen: self.server.listen.map(|l| l.0),
                public_url: self.server.public_url.map(|u| u.0),
            },
            feeds,
        })
    }
}

/// Removes `.` and `..` components without touching the file system, so
/// messages show `/srv/news/data/newswire.db`, not `/srv/news/config/../data/…`.
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Feed names are used on the command line and in file names: letters, digits,
/// `-`, `_` and `.`, at most 64 characters.
pub fn check_feed_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("feed name must not be empty".into());
    }
    if name.len() > 64 {
        return Err(format!("feed name `{name}` is longer than 64 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "feed name `{name}` contains `{c}` (use letters, digits, `-`, `_`, `.`)"
        ));
    }
    Ok(())
}

/// Parses a feed URL: absolute http or https with a host.
pub fn parse_feed_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("invalid URL `{s}`: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(format!("URL `{s}` has no host")),
        other => Err(format!(
            "URL `{s}` uses `{other}:`; only http and https feeds are polled"
        )),
    }
}

struct Dur(Duration);
struct Bytes(u64);
struct Zone(Tz);
struct FeedUrl(Url);
struct Listen(std::net::SocketAddr);

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(Listen).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{s}` is not an address to listen on (write e.g. \"127.0.0.1:8080\" or \"[::1]:8080\")"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(Dur)
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a size such as \"10MiB\" or a number of bytes")
        })? {
            Raw::Int(n) => Ok(Bytes(n)),
            Raw::Text(s) => parse_bytes(&s).map(Bytes).map_err(serde::de::Error::custom),
        }
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Tz>().map(Zone).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone `{s}` (use an IANA name such as \"UTC\" or \"Europe/Moscow\")"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for FeedUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_feed_url(&s)
            .map(FeedUrl)
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
