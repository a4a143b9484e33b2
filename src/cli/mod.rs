//! The command line: arguments, output formats, exit codes.
//!
//! Exit codes: 0 success; 1 the command ran but failed (nothing could be
//! polled, a feed did not parse, the store is unreadable); 2 a usage or config
//! error (bad arguments, invalid config). Errors are printed to stderr as one
//! line with their causes; logs go to stderr too, so stdout carries only the
//! command's output.

/// `println!` that returns the write's error instead of panicking, so a
/// closed pipe (`newswire check | head -1`) ends the command quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod commands;
mod output;
mod store_copy;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// newswire: polls news feeds on cron schedules, extracts full article text,
/// groups copies of one story, and stores everything in SQLite.
#[derive(Debug, Parser)]
#[command(name = "newswire", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: config/newswire.toml if present, else ~/.config/newswire/newswire.toml]
    #[arg(long, global = true, env = "NEWSWIRE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per line (for journald, Loki, jq).
    Json,
}

/// Output format of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
}

/// Output format of `inspect` and `extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    /// Readable text.
    Text,
    /// One JSON object.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground (for systemd or a terminal) until SIGINT/SIGTERM.
    Run,
    /// Poll all enabled feeds (or the named ones) once, now, and exit.
    Poll {
        /// Feed names; all enabled feeds when none.
        names: Vec<String>,
        /// Output format of the per-feed summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Validate the config and show each feed's next due times; exit 2 on any error.
    Check,
    /// List or edit the feeds in the config file (comments and layout are kept).
    Feeds {
        /// What to do.
        #[command(subcommand)]
        action: FeedsAction,
    },
    /// Show the newest stored items.
    Items(ItemsArgs),
    /// Show stories: groups of items that carry the same article, newest first.
    Stories {
        /// Only stories first seen since this time (same forms as `items --since`).
        #[arg(long)]
        since: Option<String>,
        /// Only stories carried by at least this many items.
        #[arg(long, default_value_t = 1)]
        min_items: u64,
        /// At most this many stories.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Full-text search over stored titles and article text, best matches first.
    Search {
        /// An FTS5 query: words, "a phrase", prefix*, AND/OR/NOT.
        query: String,
        /// Filters and output format.
        #[command(flatten)]
        filters: ItemsArgs,
    },
    /// Parse one feed (file or URL) and show what newswire sees in it.
    Inspect {
        /// A file path or an http(s) URL.
        source: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// Serve the read-only HTTP API (JSON, Atom, JSON Feed, /metrics) over the store.
    Serve {
        /// Address to listen on [default: `[server] listen`, else 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Show article pages waiting for their full text or given up on, with
    /// their last error (the article queue).
    Articles {
        /// Which rows: pending, running, failed, done, or all [default: pending and failed].
        #[arg(long = "state", value_name = "STATE")]
        states: Vec<ArticleState>,
        /// At most this many rows, oldest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Fetch the article pages of these items again (a failed page is never
    /// retried by itself); `newswire run` or the next `newswire poll` fetches them.
    Refetch {
        /// Item ids (see `newswire items` or `newswire articles`).
        #[arg(required_unless_present = "failed")]
        items: Vec<i64>,
        /// Every page that failed.
        #[arg(long)]
        failed: bool,
    },
    /// Work on the store itself (copy a SQLite store into PostgreSQL).
    Store {
        /// What to do.
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Extract the article from one page (URL or file) and show it.
    Extract {
        /// Fetch and extract this page.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        url: Option<String>,
        /// Extract this saved HTML file.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The URL the file was saved from (resolves relative links).
        #[arg(long, requires = "file")]
        base_url: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
}

/// `newswire store …`.
#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Copy the SQLite store (`[storage] path`) into a PostgreSQL database:
    /// every table, ids kept; run it again to resume; counts are verified.
    /// Then set `[storage] url` to the database.
    Copy {
        /// The database: postgres://user:password@host:5432/dbname[?sslmode=…].
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// A state of the article queue, for `newswire articles --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArticleState {
    /// Waiting for the next attempt.
    Pending,
    /// Being fetched now.
    Running,
    /// Given up on (permanent failure or retry limit).
    Failed,
    /// Fetched.
    Done,
    /// Every row.
    All,
}

/// `newswire feeds …`.
#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// List configured feeds with their stored state.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add a feed.
    Add {
        /// Feed URL.
        url: String,
        /// Name [default: from the URL's host].
        #[arg(long)]
        name: Option<String>,
        /// Cron schedule [default: the one under `[defaults]`].
        #[arg(long)]
        schedule: Option<String>,
        /// Tags (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Add without fetching the URL first (offline, or a feed that is down).
        #[arg(long)]
        no_check: bool,
    },
    /// Add the feeds of an OPML file (feeds already configured are skipped).
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Show what would be added without changing the config.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the configured feeds as OPML to stdout.
    Export,
    /// Remove a feed from the config (its stored items are kept).
    Remove {
        /// Feed name.
        name: String,
    },
    /// Enable a feed.
    Enable {
        /// Feed name.
        name: String,
    },
    /// Disable a feed (kept in the config, not polled).
    Disable {
        /// Feed name.
        name: String,
    },
}

/// `newswire items` filters.
#[derive(Debug, Args)]
pub struct ItemsArgs {
    /// Only items carried by this feed.
    #[arg(long)]
    pub feed: Option<String>,
    /// Only items carried by a feed with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only items in this language (`en` also matches `en-GB`).
    #[arg(long)]
    pub language: Option<String>,
    /// Only items since this time: 2026-11-01, 2026-11-01T08:00:00Z, or an age such as 24h or 7d.
    #[arg(long)]
    pub since: Option<String>,
    /// Only items before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Only items of this story.
    #[arg(long)]
    pub story: Option<i64>,
    /// Only items stored after the item with this id, oldest first: pass the
    /// last id you saw to read everything new since, in order.
    #[arg(long, value_name = "ID")]
    pub after_id: Option<i64>,
    /// Only items stored or changed (full text arrived later) since this
    /// time, in the order they changed (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub updated_since: Option<String>,
    /// At most this many items.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// The error chain.
    pub error: anyhow::Error,
    /// 1 or 2.
    pub code: u8,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        let error = e.into();
        let code = if error.downcast_ref::<crate::config::ConfigError>().is_some()
            || error
                .downcast_ref::<crate::config::edit::EditError>()
                .is_some()
        {
            2
        } else {
            1
        };
        Failure { error, code }
    }
}

/// Entry point of the binary: parses arguments, runs, maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match commands::dispatch(cli) {
        Ok(code) => code,
        // The reader went away (`| head`): nothing more to say, and no one to say it to.
        Err(f) if is_broken_pipe(&f.error) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

/// Whether `e` is, or was caused by, writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    // Commands that print results keep stderr quiet unless asked.
    // `poll` on a terminal shows a progress bar instead of a line per feed.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let default = match cli.command {
        Command::Run | Command::Serve { .. } => "info",
        Command::Poll { .. } if !(terminal && cli.log_format == LogFormat::Human) => "info",
        _ => "warn",
    };
    let filter = std::env::var("NEWSWIRE_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("{default},html5ever=error,selectors=error")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cli.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}
