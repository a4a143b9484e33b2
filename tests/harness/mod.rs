//! Shared set-up for the hardening tests that run the real `newswire` binary:
//! a temporary directory with a config (store `news.db` beside it), helpers to
//! run commands and the daemon, read the store, and build synthetic feeds.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_newswire");

/// A temporary directory with `newswire.toml` and the store `news.db`.
pub struct Setup {
    /// Holds the files; removed on drop.
    pub dir: tempfile::TempDir,
}

/// One `[[feeds]]` entry: name, URL, extra TOML lines.
pub struct FeedSpec {
    /// Feed name.
    pub name: String,
    /// Feed URL.
    pub url: String,
    /// Extra lines inside the `[[feeds]]` table.
    pub extra: String,
}

/// A feed entry for [`Setup::new`].
pub fn feed(name: &str, url: impl Into<String>) -> FeedSpec {
    FeedSpec {
        name: name.to_owned(),
        url: url.into(),
        extra: String::new(),
    }
}

impl FeedSpec {
    /// Adds TOML lines to the feed's table.
    pub fn with(mut self, extra: &str) -> FeedSpec {
        self.extra.push_str(extra);
        self.extra.push('\n');
        self
    }
}

/// The config text: the `[fetch]` lines given, plus test defaults for the
/// keys they do not set (private networks allowed, no politeness gap, 3 s
/// timeout, 1 MiB body cap, robots off); `full_text = false` unless
/// `defaults` sets it; then the feeds.
pub fn config_text(fetch: &str, defaults: &str, feeds: &[FeedSpec]) -> String {
    let test_defaults = [
        ("allow_private_networks", "true"),
        ("per_host_interval", "\"0s\""),
        ("per_host_concurrency", "64"),
        ("concurrency", "32"),
        ("timeout", "\"3s\""),
        ("connect_timeout", "\"2s\""),
        ("max_body", "\"1MiB\""),
        ("respect_robots", "false"),
    ];
    let mut text = String::from("[storage]\npath = \"news.db\"\n\n[fetch]\n");
    text.push_str(fetch);
    text.push('\n');
    for (key, value) in test_defaults {
        let set = fetch
            .lines()
            .any(|l| l.split('=').next().is_some_and(|k| k.trim() == key));
        if !set {
            text.push_str(&format!("{key} = {value}\n"));
        }
    }
    text.push_str("\n[defaults]\n");
    text.push_str(defaults);
    text.push('\n');
    if !defaults.contains("full_text") {
        text.push_str("full_text = false\n");
    }
    for f in feeds {
        text.push_str(&format!(
            "\n[[feeds]]\nname = \"{}\"\nurl = \"{}\"\n{}",
            f.name, f.url, f.extra
        ));
    }
    text
}

impl Setup {
    /// A directory whose config has these feeds and test `[fetch]` settings.
    pub fn new(feeds: &[FeedSpec]) -> Setup {
        Setup::with_config(&config_text("", "", feeds))
    }

    /// A directory whose config is `text`.
    pub fn with_config(text: &str) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("newswire.toml"), text).expect("write config");
        Setup { dir }
    }

    /// Replaces the config atomically (write beside, rename over).
    pub fn rewrite_config(&self, text: &str) {
        let tmp = self.dir.path().join("newswire.toml.new");
        std::fs::write(&tmp, text).expect("write config");
        std::fs::rename(&tmp, self.config()).expect("rename config");
    }

    /// The config file.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("newswire.toml")
    }

    /// The store file.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("news.db")
    }

    /// `newswire --config … ARGS`, logs at info.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(self.config()).args(args);
        cmd.env_remove("NEWSWIRE_CONFIG")
            .env("NEWSWIRE_LOG", "info");
        cmd
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run newswire")
    }

    /// Starts `newswire run` with JSON logs captured in `log`.
    pub fn spawn_daemon(&self) -> Daemon {
        let log = self.dir.path().join("daemon.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = self
            .cmd(&["run", "--log-format", "json"])
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn newswire run");
        Daemon { child, log }
    }

    /// A read-write connection to the store.
    pub fn conn(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.db()).expect("open store");
        conn.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        conn
    }

    /// One integer from `sql`.
    pub fn query_i64(&self, sql: &str) -> i64 {
        self.conn()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One optional text value from `sql`.
    pub fn query_text(&self, sql: &str) -> Option<String> {
        self.conn()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The same as [`Setup::query_i64`], but 0 while the store or its tables
    /// do not exist yet (for polling a store a daemon is creating).
    pub fn try_i64(&self, sql: &str) -> i64 {
        if !self.db().exists() {
            return 0;
        }
        rusqlite::Connection::open(self.db())
            .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
            .unwrap_or(0)
    }

    /// Waits until `sql` returns at least `n`; panics after `timeout`.
    pub fn wait_for(&self, sql: &str, n: i64, timeout: Duration) {
        let end = Instant::now() + timeout;
        loop {
            let got = self.try_i64(sql);
            if got >= n {
                return;
            }
            assert!(
                Instant::now() < end,
                "waited {timeout:?} for `{sql}` >= {n}, got {got}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running `newswire run`.
pub struct Daemon {
    /// The process.
    pub child: Child,
    /// Its stderr (JSON log lines).
    pub log: PathBuf,
}

impl Daemon {
    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `signal` (`TERM`, `HUP`, `KILL`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit; panics after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let end = Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                panic!(
                    "daemon still running after {timeout:?}\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.wait(Duration::from_secs(40))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Status, stdout and stderr of a finished command, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fixture from `fixtures/feeds`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feeds")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A wire-service RSS 2.0 feed with `count` entries whose links are
/// `{base}/{section}/{i}` and guids `{section}-{i}`, plus `shared` entries
/// whose links (`{base}/shared/{j}`) every feed built with the same `base`
/// carries under its own guids.
pub fn wire_feed(base: &str, section: &str, count: usize, shared: usize) -> Vec<u8> {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Wire service: {section}</title><link>{base}/</link>\
         <description>Latest {section} news</description>\n"
    );
    for i in 0..count {
        xml.push_str(&format!(
            "<item><title>{section} report {i}: talks resume in Geneva</title>\
             <link>{base}/{section}/{i}</link><guid isPermaLink=\"false\">{section}-{i}</guid>\
             <pubDate>Fri, 27 Nov 2026 {:02}:{:02}:00 +0000</pubDate>\
             <description>Delegations met on day {i} of the {section} talks.</description></item>\n",
            (i / 60) % 24,
            i % 60
        ));
    }
    for j in 0..shared {
        xml.push_str(&format!(
            "<item><title>Shared story {j}</title><link>{base}/shared/{j}</link>\
             <guid isPermaLink=\"false\">{section}-shared-{j}</guid>\
             <description>Carried by every desk.</description></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml.into_bytes()
}

/// Generous bound for one `newswire poll` over every hostile feed (the
/// config's request timeout is 3 s); only a hang would pass it.
pub const POLL_BOUND: Duration = Duration::from_secs(30);

/// Runs `newswire poll --format json`, killing it if it outlives [`POLL_BOUND`].
pub fn bounded_poll(setup: &Setup) -> Output {
    bounded_poll_of(setup, &[])
}

/// [`bounded_poll`] of the named feeds only.
pub fn bounded_poll_of(setup: &Setup, names: &[&str]) -> Output {
    let mut args = vec!["poll", "--format", "json"];
    args.extend_from_slice(names);
    let mut child = setup
        .cmd(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn poll");
    let end = Instant::now() + POLL_BOUND;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= end {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "poll did not finish within {POLL_BOUND:?}\n{}",
                describe(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}
