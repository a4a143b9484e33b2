//! No input stalls the daemon and no request stalls the API (issue 15),
//! through the real binary: hostile feed content beside a good feed, costly
//! searches beside `/healthz`, idle connections past the limit, and SIGTERM
//! answered within the promised 30 seconds through all of it.

mod common;
mod harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use harness::{Setup, config_text, feed, wire_feed};

/// A free port on 127.0.0.1 (bound, then released for the daemon).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `GET path` on `port` with a raw HTTP/1.1 request: status and body, or
/// None when no answer came within `timeout`.
fn get(port: u16, path: &str, timeout: Duration) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `get` until it answers 200 or `timeout` passes.
fn wait_until_up(port: u16, timeout: Duration) {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if get(port, "/healthz", Duration::from_secs(2)).is_some_and(|(s, _)| s == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the API on port {port} never answered /healthz");
}

/// An RSS feed of `entries` items, each description `depth` unclosed
/// `<div>` (about 5 bytes a level) around a line of text.
fn deep_feed(name: &str, entries: usize, depth: usize) -> Vec<u8> {
    let mut xml = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>\
         <link>http://deep.example/</link><description>d</description>"
    );
    for i in 0..entries {
        xml.push_str(&format!(
            "<item><title>{name} {i}</title><link>http://deep.example/{name}/{i}</link>\
             <guid>{name}-{i}</guid><description><![CDATA[{}the text {i}]]></description></item>",
            "<div>".repeat(depth)
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

#[test]
fn hostile_feed_content_does_not_stall_polls_health_or_shutdown() {
    // Issue 15, finding 1: three feeds whose entries hold 60,000 unclosed
    // `<div>` each froze the runtime: the good feed, due every 2 s, was
    // polled once in 30 s, /healthz went silent and SIGTERM was ignored.
    let srv = TestServer::start();
    srv.route(
        "/good.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 3, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let mut feeds = vec![feed("good", srv.url("/good.rss")).with("schedule = \"*/2 * * * * *\"")];
    for name in ["deep1", "deep2", "deep3"] {
        srv.route(
            &format!("/{name}.rss"),
            Reply::ok(deep_feed(name, 3, 60_000)).header("Content-Type", "application/rss+xml"),
        );
        feeds.push(feed(name, srv.url(&format!("/{name}.rss"))));
    }
    let port = free_port();
    let mut text = config_text("max_body = \"4MiB\"", "", &feeds);
    text = text.replacen(
        "[fetch]",
        &format!("[server]\nlisten = \"127.0.0.1:{port}\"\n\n[fetch]"),
        1,
    );
    let setup = Setup::with_config(&text);
    let mut daemon = setup.spawn_daemon();
    wait_until_up(port, Duration::from_secs(15));
    let started = Instant::now();
    // Every hostile entry is stored (flattened), not lost.
    setup.wait_for(
        "SELECT count(*) FROM items WHERE url LIKE 'http://deep.example/%'",
        9,
        Duration::from_secs(30),
    );
    let good =
        "SELECT count(*) FROM fetches x JOIN feeds f ON f.id = x.feed_id WHERE f.name = 'good'";
    let before = setup.query_i64(good);
    // Health answers promptly all along, and the good feed keeps its schedule.
    for _ in 0..5 {
        let asked = Instant::now();
        let answer = get(port, "/healthz", Duration::from_secs(5));
        assert!(
            answer.as_ref().is_some_and(|(s, _)| *s == 200),
            "/healthz: {answer:?} after {:?}",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    setup.wait_for(good, before + 2, Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "{:?}",
        started.elapsed()
    );
    let text_kept = setup
        .query_text("SELECT content_text FROM items WHERE url = 'http://deep.example/deep1/0'")
        .unwrap_or_default();
    assert!(text_kept.contains("the text 0"), "{text_kept}");
    daemon.signal("TERM");
    let asked = Instant::now();
    let status = daemon.wait(Duration::from_secs(30));
    assert!(status.success(), "{status:?}\n{}", daemon.log_text());
    assert!(asked.elapsed() < Duration::from_secs(30));
}
