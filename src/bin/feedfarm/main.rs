//! `feedfarm`: a feed farm on loopback for newswire's benchmarks.
//!
//! It serves `--feeds` RSS 2.0 feeds of `--entries` items each, whose article
//! links lead to real news pages (the extraction benchmark's
//! `pages/*.html.gz`), honouring `ETag`/`If-None-Match`,
//! `Last-Modified`/`If-Modified-Since` and `Accept-Encoding: gzip`. Feed `i`
//! and its articles live on loopback address `127.0.0.(i % hosts + 2)` (more
//! than 250 hosts continue into `127.0.1.x`…), so newswire's per-host
//! politeness sees many sites, as it would in production, and not one.
//!
//! It can also write the files a benchmark needs: a newswire config for
//! itself (`--write-config`), the feed URLs (`--write-feeds`) and the article
//! URLs (`--write-urls`), one per line. With `--no-serve` it writes them for
//! a farm already running on `--port` and exits. Exit 2 when the pages are
//! missing or the arguments are wrong. See BENCHMARKS.md, "Pipeline".

mod content;
mod server;
mod words;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

/// A feed farm on loopback for newswire's benchmarks.
#[derive(Parser)]
#[command(name = "feedfarm")]
struct Args {
    /// Feeds served (and written to the config).
    #[arg(long, default_value_t = 100)]
    feeds: usize,
    /// Entries per feed.
    #[arg(long, default_value_t = 20)]
    entries: usize,
    /// Loopback addresses to spread the feeds over (one site per address).
    #[arg(long, default_value_t = 200)]
    hosts: usize,
    /// Port on every address; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Directory of `*.html.gz` article pages; default: the first
    /// `shared/extraction-bench/pages` found beside the working directory or
    /// one of its parents.
    #[arg(long)]
    pages: Option<PathBuf>,
    /// Write a newswire config for this farm to PATH.
    #[arg(long, value_name = "PATH")]
    write_config: Option<PathBuf>,
    /// Write the feed URLs, one per line.
    #[arg(long, value_name = "PATH")]
    write_feeds: Option<PathBuf>,
    /// Write the article URLs, one per line.
    #[arg(long, value_name = "PATH")]
    write_urls: Option<PathBuf>,
    /// `storage.path` of the written config.
    #[arg(long, default_value = "newswire.db")]
    db: String,
    /// `defaults.full_text` of the written config.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    full_text: bool,
    /// `defaults.schedule` of the written config.
    #[arg(long, default_value = "*/15 * * * *")]
    schedule: String,
    /// `fetch.concurrency` of the written config.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// `fetch.per_host_concurrency` of the written config.
    #[arg(long, default_value_t = 4)]
    per_host_concurrency: usize,
    /// Write the files for a farm already serving on `--port`, and exit.
    #[arg(long)]
    no_serve: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feedfarm: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Loopback address number `k` (0-based): 127.0.0.2, …, 127.0.0.251, 127.0.1.2, …
fn host(k: usize) -> Ipv4Addr {
    let low = (k % 250 + 2) as u8;
    let mid = ((k / 250) % 256) as u8;
    let high = ((k / 64_000) % 256) as u8;
    Ipv4Addr::new(127, high, mid, low)
}

/// The origin serving feed `i`.
fn origin(i: usize, hosts: usize, port: u16) -> String {
    format!("http://{}:{port}", host(i % hosts.max(1)))
}

fn find_pages() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|d| d.join("shared/extraction-bench/pages"))
        .find(|p| p.is_dir())
}

fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.feeds > 0 && args.hosts > 0,
        "--feeds and --hosts must be positive"
    );
    if args.no_serve {
        anyhow::ensure!(args.port != 0, "--no-serve needs the farm's --port");
        return write_files(&args, args.port);
    }
    let Some(dir) = args.pages.clone().or_else(find_pages) else {
        anyhow::bail!(
            "no article pages: looked for shared/extraction-bench/pages in the working directory \
             and its parents (the extraction benchmark's real pages); pass --pages DIR"
        );
    };
    let pages = content::load_pages(&dir)?;
    let farm = Arc::new(server::Farm {
        feeds: args.feeds,
        entries: args.entries,
        pages,
        stats: server::Stats::default(),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let hosts = args.hosts.min(args.feeds);
        let mut listeners = Vec::with_capacity(hosts);
        let mut port = args.port;
        for k in 0..hosts {
            let addr = SocketAddr::from((host(k), port));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
            port = listener.local_addr()?.port();
            listeners.push(listener);
        }
        write_files(&args, port)?;
        eprintln!(
            "feedfarm: {} feeds x {} entries, {} pages from {}, on {}..{} port {port}",
            args.feeds,
            args.entries,
            farm.pages.len(),
            dir.display(),
            host(0),
            host(hosts - 1)
        );
        println!("{port}");
        for listener in listeners {
            tokio::spawn(server::accept_loop(listener, Arc::clone(&farm)));
        }
        stop_signal().await
    })
}

async fn stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

fn write_files(args: &Args, port: u16) -> anyhow::Result<()> {
    let feed_url = |i: usize| format!("{}/feeds/{i}.xml", origin(i, args.hosts, port));
    if let Some(path) = &args.write_feeds {
        let text: String = (0..args.feeds).map(|i| feed_url(i) + "\n").collect();
        write_atomic(path, &text)?;
    }
    if let Some(path) = &args.write_urls {
        let mut text = String::new();
        for i in 0..args.feeds {
            for j in 0..args.entries {
                text.push_str(&format!("{}/a/{i}/{j}\n", origin(i, args.hosts, port)));
            }
        }
        write_atomic(path, &text)?;
    }
    if let Some(path) = &args.write_config {
        let mut toml = format!(
            "# Written by feedfarm: {feeds} feeds x {entries} entries on loopback port {port}.\n\
             [storage]\npath = {db:?}\n\n\
             [fetch]\n\
             timeout = \"60s\"\n\
             concurrency = {concurrency}\n\
             # Every feed's site is its own loopback address; a real site allows a few\n\
             # requests at once, and nothing on loopback needs spacing.\n\
             per_host_concurrency = {phc}\n\
             per_host_interval = \"0s\"\n\
             allow_private_networks = true\n\
             # The farm serves a robots.txt that allows everything.\n\
             respect_robots = true\n\n\
             [defaults]\nschedule = {schedule:?}\nfull_text = {full_text}\n",
            feeds = args.feeds,
            entries = args.entries,
            db = args.db,
            concurrency = args.concurrency,
            phc = args.per_host_concurrency,
            schedule = args.schedule,
            full_text = args.full_text,
        );
        for i in 0..args.feeds {
            toml.push_str(&format!(
                "\n[[feeds]]\nname = \"farm-{i:05}\"\nurl = \"{}\"\n",
                feed_url(i)
            ));
        }
        write_atomic(path, &toml)?;
    }
    Ok(())
}

/// Writes `text` to `path` through a temporary file, so a reader waiting
/// for `path` never sees it half written.
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
