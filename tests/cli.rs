//! End-to-end tests of the real `newswire` binary against feeds served on
//! 127.0.0.1 by a server the test starts.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Reply, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_newswire");

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feeds")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A temporary directory with a config whose store is `news.db` beside it.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(feeds: &[(&str, String, &str)]) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = String::from(
            "# test config\n[storage]\npath = \"news.db\"\n\n[fetch]\nallow_private_networks = true\n\
             per_host_interval = \"0s\"\ntimeout = \"5s\"\n\n[defaults]\nfull_text = false\n",
        );
        for (name, url, extra) in feeds {
            text.push_str(&format!(
                "\n[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n"
            ));
        }
        std::fs::write(dir.path().join("newswire.toml"), text).expect("write config");
        Setup { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("newswire.toml")
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("news.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(self.config()).args(args);
        cmd.env_remove("NEWSWIRE_CONFIG")
            .env("NEWSWIRE_LOG", "info");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run newswire")
    }

    fn query_i64(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn poll_stores_each_entry_once_and_revalidates() {
    let srv = TestServer::start();
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss"))
            .header("Content-Type", "application/rss+xml; charset=utf-8")
            .etag("\"rt-1\""),
    );
    let setup = Setup::new(&[("rt", srv.url("/rss/"), "")]);

    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    let items = setup.query_i64("SELECT count(*) FROM items");
    assert!(items >= 10, "expected the fixture's entries, got {items}");
    assert_eq!(setup.query_i64("SELECT count(*) FROM item_sources"), items);
    // Second poll: validators sent, 304, nothing added.
    let out = setup.run(&["poll", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let last = srv
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/rss/")
        .expect("request");
    assert_eq!(last.header("if-none-match"), Some("\"rt-1\""));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    assert_eq!(report[0]["status"], "not_modified");
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), items);

    // The server forgets its validators (as after a restart or a cache flush):
    // a full 200 of the same entries still adds nothing.
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), items);
    assert_eq!(setup.query_i64("SELECT count(*) FROM fetches"), 3);
    // Each poll names the process that made it (`[cluster] instance`,
    // by default host name and process id).
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM fetches WHERE instance LIKE '%-%'"),
        3
    );
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM fetches WHERE status = 'not_modified'"),
        1
    );

    // items lists them, newest first, as JSON too.
    let out = setup.run(&["items", "--limit", "3", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
    assert_eq!(rows[0]["feeds"][0], "rt");

    // A poll's report as CSV: a header of the JSON keys, a line per feed.
    let out = setup.run(&["poll", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "feed,url,status,http_status,entries,new_items,linked,elapsed_ms,next_due_at,error"
    );
    assert_eq!(lines.len(), 1 + report.as_array().expect("rows").len());
    assert!(lines[1].starts_with("rt,http://"), "{csv}");
    assert!(lines[1].contains(",ok,200,"), "{csv}");
}

#[test]
fn a_broken_feed_is_reported_not_fatal() {
    let srv = TestServer::start();
    srv.route(
        "/good.rss",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    srv.route(
        "/broken.xml",
        Reply::ok(b"<rss><channel><title>x</title><item><title>".to_vec()),
    );
    srv.route("/gone", Reply::status(404));
    let setup = Setup::new(&[
        ("good", srv.url("/good.rss"), ""),
        ("broken", srv.url("/broken.xml"), ""),
        ("gone", srv.url("/gone"), ""),
    ]);
    let out = setup.run(&["poll", "--format", "json"]);
    assert!(
        out.status.success(),
        "one good feed is enough: {}",
        text(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let by_name = |n: &str| {
        report
            .as_array()
            .and_then(|a| a.iter().find(|r| r["feed"] == n))
            .cloned()
            .unwrap_or_else(|| panic!("{n} in report"))
    };
    assert_eq!(by_name("good")["status"], "ok");
    assert_eq!(by_name("gone")["status"], "error");
    assert_eq!(by_name("gone")["http_status"], 404);
    assert_eq!(
        setup.query_i64("SELECT error_count FROM feeds WHERE name = 'gone'"),
        1
    );
    assert!(
        setup.query_i64(
            "SELECT count(*) FROM feeds WHERE name = 'gone' AND last_error LIKE '%404%'"
        ) == 1
    );

    // Only broken feeds: nothing could be done, exit 1.
    let out = setup.run(&["poll", "gone"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        setup.query_i64("SELECT error_count FROM feeds WHERE name = 'gone'"),
        2
    );
}

#[test]
fn cp1251_feed_is_stored_as_utf8() {
    let srv = TestServer::start();
    srv.route(
        "/v2.xml",
        Reply::ok(fixture("tass-cp1251.rss")).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[("tass-ru", srv.url("/v2.xml"), "")]);
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    let cyrillic = setup.query_i64("SELECT count(*) FROM items WHERE title GLOB '*[а-яА-Я]*'");
    assert!(cyrillic > 0, "titles decoded from windows-1251");
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM items WHERE title LIKE '%�%'"),
        0
    );
}

#[test]
fn run_stops_cleanly_on_sigterm_with_work_committed() {
    let srv = TestServer::start();
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[("rt", srv.url("/rss/"), "schedule = \"*/1 * * * * *\"")]);
    let mut child = setup
        .cmd(&["run", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn run");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let polled = setup.db().exists()
            && rusqlite::Connection::open(setup.db())
                .and_then(|c| {
                    c.query_row("SELECT count(*) FROM fetches", [], |r| r.get::<_, i64>(0))
                })
                .unwrap_or(0)
                >= 1;
        if polled {
            break;
        }
        assert!(Instant::now() < deadline, "daemon did not poll in time");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "daemon did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut log)
        .expect("read log");
    assert!(exit.success(), "exit {exit:?}\n{log}");
    assert!(log.contains("\"message\":\"newswire stopped\""), "{log}");
    assert!(
        log.contains("\"feed\":\"rt\""),
        "structured poll lines: {log}"
    );
    assert!(setup.query_i64("SELECT count(*) FROM items") >= 10);
    let integrity: String = rusqlite::Connection::open(setup.db())
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .expect("integrity");
    assert_eq!(integrity, "ok");
}

#[test]
fn bad_config_is_refused_with_the_key_named() {
    let setup = Setup::new(&[(
        "rt",
        "https://www.rt.com/rss/".into(),
        "schedule = \"every tuesday\"",
    )]);
    for cmd in [&["check"][..], &["run"], &["poll"]] {
        let out = setup.run(cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("feeds[0].schedule"), "{cmd:?}: {err}");
        assert!(err.contains("newswire.toml:"), "{cmd:?}: {err}");
    }
}

#[test]
fn check_lists_feeds_with_next_due_times() {
    let setup = Setup::new(&[(
        "rt",
        "https://www.rt.com/rss/".into(),
        "schedule = \"@hourly\"",
    )]);
    let out = setup.run(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rt") && stdout.contains("@hourly") && stdout.contains(":00:00Z"),
        "{stdout}"
    );
}

#[test]
fn check_names_the_store_and_a_postgres_password_is_never_shown() {
    let setup = Setup::new(&[]);
    let out = setup.run(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("store  sqlite {}", setup.db().display())),
        "{stdout}"
    );
    // Port 1 on loopback: nothing answers there, whatever the build.
    std::fs::write(
        setup.config(),
        "[storage]\nurl = \"postgres://news:s3cret@127.0.0.1:1/wire?sslmode=disable\"\n",
    )
    .expect("write config");
    let out = setup.run(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("store  postgres postgres://news@127.0.0.1:1/wire"),
        "{stdout}"
    );
    let out = setup.run(&["poll"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("postgres://news@127.0.0.1:1/wire"), "{all}");
    assert!(!all.contains("s3cret"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn feeds_add_remove_keep_comments() {
    let setup = Setup::new(&[(
        "rt",
        "https://www.rt.com/rss/".into(),
        "# RT's English feed\ntags = [\"world\"]",
    )]);
    let out = setup.run(&[
        "feeds",
        "add",
        "--no-check",
        "https://tass.com/rss/v2.xml",
        "--schedule",
        "*/5 * * * *",
        "--tag",
        "wire",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let cfg = std::fs::read_to_string(setup.config()).expect("read");
    assert!(cfg.starts_with("# test config\n"), "{cfg}");
    assert!(cfg.contains("# RT's English feed"), "{cfg}");
    assert!(
        cfg.contains("name = \"tass\"") && cfg.contains("schedule = \"*/5 * * * *\""),
        "{cfg}"
    );

    // Adding it twice, or a bad schedule, is refused and changes nothing.
    let out = setup.run(&["feeds", "add", "https://tass.com/rss/v2.xml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = setup.run(&[
        "feeds",
        "add",
        "https://un.example/rss",
        "--schedule",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(setup.config()).expect("read"), cfg);

    let out = setup.run(&["feeds", "disable", "rt"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = setup.run(&["feeds", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list[0]["name"], "rt");
    assert_eq!(list[0]["enabled"], false);
    let out = setup.run(&["feeds", "remove", "tass"]);
    assert!(out.status.success(), "{}", text(&out));
    let cfg = std::fs::read_to_string(setup.config()).expect("read");
    assert!(
        !cfg.contains("tass") && cfg.contains("# RT's English feed"),
        "{cfg}"
    );
}

#[test]
fn inspect_shows_entries_and_fails_clearly_on_non_feeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds");
    let out = Command::new(BIN)
        .args(["inspect", "--format", "json"])
        .arg(dir.join("rt.rss"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["format"], "rss");
    let entries = doc["entries"].as_array().expect("entries");
    assert!(entries.len() >= 10);
    assert!(
        entries
            .iter()
            .all(|e| e["key"].as_str().is_some_and(|k| !k.is_empty()))
    );

    let junk = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(junk.path(), "this is plain text, not a feed\n").expect("write");
    let out = Command::new(BIN)
        .arg("inspect")
        .arg(junk.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a usable feed"));
}

#[test]
fn gone_feeds_stop_until_reenabled() {
    let srv = TestServer::start();
    srv.route("/gone.rss", Reply::status(410));
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[
        ("gone", srv.url("/gone.rss"), ""),
        ("rt", srv.url("/rss/"), ""),
    ]);
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        setup.query_i64(
            "SELECT count(*) FROM feeds WHERE name = 'gone' AND disabled_reason LIKE '%410%'"
        ),
        1
    );
    // A second poll of all feeds leaves it alone.
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        srv.hits("/gone.rss"),
        1,
        "a gone feed is not requested again"
    );
    // Re-enabling clears the mark; the next poll asks again.
    srv.route(
        "/gone.rss",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let out = setup.run(&["feeds", "enable", "gone"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(srv.hits("/gone.rss"), 2);
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM feeds WHERE name = 'gone' AND disabled_reason IS NULL AND last_status = 'ok'"),
        1
    );
}

#[test]
fn permanent_redirects_move_the_feed_after_consistent_sightings() {
    let srv = TestServer::start();
    srv.route("/old.rss", Reply::redirect(301, "/new.rss"));
    srv.route(
        "/new.rss",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[("rt", srv.url("/old.rss"), "")]);
    for round in 1..=3 {
        let out = setup.run(&["poll"]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(srv.hits("/old.rss"), round);
    }
    let effective: String = rusqlite::Connection::open(setup.db())
        .and_then(|c| {
            c.query_row(
                "SELECT effective_url FROM feeds WHERE name = 'rt'",
                [],
                |r| r.get(0),
            )
        })
        .expect("effective_url set");
    assert_eq!(effective, srv.url("/new.rss"));
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(srv.hits("/old.rss"), 3, "the old URL is no longer asked");
    assert_eq!(srv.hits("/new.rss"), 4);
}

#[test]
fn feeds_add_checks_the_url_and_discovers_advertised_feeds() {
    let srv = TestServer::start();
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let one = format!(
        "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"{}\"></head><body>News</body></html>",
        srv.url("/rss/")
    );
    srv.route("/", Reply::ok(one).header("Content-Type", "text/html"));
    srv.route(
        "/many",
        Reply::ok(fixture("html-page.html")).header("Content-Type", "text/html"),
    );
    srv.route("/down", Reply::status(500));
    let setup = Setup::new(&[]);

    // A page advertising one feed: that feed is added.
    let out = setup.run(&["feeds", "add", &srv.url("/"), "--name", "site"]);
    assert!(out.status.success(), "{}", text(&out));
    let cfg = std::fs::read_to_string(setup.config()).expect("read");
    assert!(
        cfg.contains(&format!("url = \"{}\"", srv.url("/rss/"))),
        "{cfg}"
    );

    // Several advertised feeds: listed, nothing changed.
    let out = setup.run(&["feeds", "add", &srv.url("/many"), "--name", "many"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("advertises these feeds"),
        "{}",
        text(&out)
    );
    // A failing URL is refused unless --no-check.
    let out = setup.run(&["feeds", "add", &srv.url("/down"), "--name", "down"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(setup.config()).expect("read"), cfg);
    let out = setup.run(&[
        "feeds",
        "add",
        &srv.url("/down"),
        "--name",
        "down",
        "--no-check",
    ]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_running_daemon_picks_up_feeds_added_to_the_config() {
    let srv = TestServer::start();
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    srv.route(
        "/un.atom",
        Reply::ok(fixture("un-news.atom")).header("Content-Type", "application/atom+xml"),
    );
    let setup = Setup::new(&[("rt", srv.url("/rss/"), "")]);
    let mut child = setup
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn run");
    assert!(
        srv.wait_for_hits("/rss/", 1, Duration::from_secs(20)),
        "first feed polled"
    );
    let out = setup.run(&["feeds", "add", &srv.url("/un.atom"), "--name", "un"]);
    assert!(out.status.success(), "{}", text(&out));
    // No signal: the daemon notices the edited file by itself.
    let picked_up = srv.wait_for_hits("/un.atom", 2, Duration::from_secs(30));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("wait");
    assert!(picked_up, "the added feed was polled by the running daemon");
    assert!(exit.success());
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM feeds WHERE name = 'un' AND last_status = 'ok'"),
        1
    );
}

#[test]
fn opml_import_and_export_round_trip() {
    let setup = Setup::new(&[("rt", "https://www.rt.com/rss/".into(), "")]);
    let opml = setup.dir.path().join("subs.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
<outline text="Wires"><outline type="rss" text="TASS" xmlUrl="https://tass.com/rss/v2.xml"/>
<outline type="rss" text="RT again" xmlUrl="https://www.rt.com/rss/"/></outline>
<outline type="rss" text="Bad" xmlUrl="ftp://x.example/feed"/></body></opml>"#,
    )
    .expect("write opml");
    let before = std::fs::read_to_string(setup.config()).expect("read");
    let out = setup.run(&["feeds", "import", "--dry-run", opml.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(setup.config()).expect("read"),
        before,
        "dry run writes nothing"
    );
    let out = setup.run(&["feeds", "import", opml.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 feeds added, 2 skipped"), "{stdout}");
    assert!(stdout.contains("already configured as `rt`"), "{stdout}");
    let cfg = std::fs::read_to_string(setup.config()).expect("read");
    assert!(
        cfg.starts_with("# test config") && cfg.contains("name = \"tass\""),
        "{cfg}"
    );
    assert!(cfg.contains("tags = [\"Wires\"]"), "{cfg}");

    let out = setup.run(&["feeds", "export"]);
    assert!(out.status.success(), "{}", text(&out));
    let exported = String::from_utf8_lossy(&out.stdout);
    let feeds = newswire::config::opml::parse(&exported).expect("export is OPML");
    let urls: Vec<&str> = feeds.iter().map(|f| f.feed.url.as_str()).collect();
    assert_eq!(
        urls,
        ["https://www.rt.com/rss/", "https://tass.com/rss/v2.xml"]
    );
}

/// A plain HTTP/1.1 GET with the standard library: (status, body).
fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

#[test]
fn run_serves_the_api_when_configured() {
    let srv = TestServer::start();
    srv.route(
        "/rss/",
        Reply::ok(fixture("rt.rss")).header("Content-Type", "application/rss+xml"),
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let setup = Setup::new(&[("rt", srv.url("/rss/"), "")]);
    let mut cfg = std::fs::read_to_string(setup.config()).expect("read");
    cfg = cfg.replace(
        "[defaults]",
        &format!("[server]\nlisten = \"{addr}\"\n\n[defaults]"),
    );
    std::fs::write(setup.config(), cfg).expect("write");
    let mut child = setup
        .cmd(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    assert!(srv.wait_for_hits("/rss/", 1, Duration::from_secs(20)));
    let deadline = Instant::now() + Duration::from_secs(20);
    let items = loop {
        if let Some((200, body)) = http_get(addr, "/items?limit=5") {
            let v: serde_json::Value = serde_json::from_str(&body).expect("json");
            if v["items"].as_array().is_some_and(|a| a.len() == 5) {
                break v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "API did not serve the polled items"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(items["items"][0]["feeds"][0], "rt", "{items}");
    let (status, metrics) = http_get(addr, "/metrics").expect("metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("newswire_polls_total{status=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("newswire_items_new_total 15"), "{metrics}");
    let (status, atom) = http_get(addr, "/feed.atom").expect("atom");
    assert_eq!(status, 200);
    assert!(atom.contains("<feed") && atom.contains("<entry>"), "{atom}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().expect("wait").success());
    assert!(
        http_get(addr, "/healthz").is_none(),
        "the API stops with the daemon"
    );
}
