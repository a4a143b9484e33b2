//! Hostile feed servers, through the real binary: every kind of bad answer
//! becomes a recorded error on its own feed row, in bounded time, while a
//! good feed in the same config is stored as usual; awkward but usable feeds
//! are still stored.

mod common;
mod harness;

use std::time::Duration;

use common::{Reply, TestServer, gzip_zeros};
use harness::{Setup, bounded_poll, describe, feed, fixture, wire_feed};

/// Bytes from a seeded xorshift generator (no `rand` dependency).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A hostile route: path, reply, and the texts one of which `last_error`
/// must contain.
struct Hostile {
    name: &'static str,
    path: &'static str,
    reply: Reply,
    expect: &'static [&'static str],
}

fn hostile_routes(srv: &TestServer) -> Vec<Hostile> {
    let rss = "application/rss+xml; charset=utf-8";
    let mut list = vec![
        Hostile {
            name: "gzip-bomb",
            path: "/bomb.xml",
            // 32 MiB of zeros in ~32 KB of gzip: the 1 MiB cap must hold
            // after decompression.
            reply: Reply::ok(gzip_zeros(32 << 20))
                .header("Content-Encoding", "gzip")
                .header("Content-Type", rss),
            expect: &["larger than 1048576 bytes"],
        },
        Hostile {
            name: "endless",
            path: "/endless.xml",
            // No length, 'x' forever: also the huge body without a newline.
            reply: Reply::endless().header("Content-Type", rss),
            expect: &["larger than 1048576 bytes"],
        },
        Hostile {
            name: "declared-50mb",
            path: "/huge.xml",
            reply: Reply::raw(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                  Content-Length: 52428800\r\nConnection: close\r\n\r\n<rss version=\"2.0\">"
                    .to_vec(),
            ),
            expect: &["larger than 1048576 bytes"],
        },
        Hostile {
            name: "trickle",
            path: "/trickle.xml",
            reply: Reply::trickle(wire_feed("http://t.example", "slow", 3, 0), Duration::from_secs(1))
                .header("Content-Type", rss),
            expect: &["timed out"],
        },
        Hostile {
            name: "redirect-loop",
            path: "/loop-a",
            reply: Reply::redirect(302, "/loop-b"),
            expect: &["too many redirects"],
        },
        Hostile {
            name: "headers-forever",
            path: "/headers-forever",
            reply: Reply::headers_never_end(),
            // Either the deadline or hyper's header limit ends it.
            expect: &["timed out", "/headers-forever"],
        },
        Hostile {
            name: "garbage-response",
            path: "/garbage-response",
            reply: Reply::raw(noise(7, 4096)),
            expect: &["/garbage-response"],
        },
        Hostile {
            name: "garbage-body",
            path: "/garbage-body",
            reply: Reply::ok(noise(11, 8192)).header("Content-Type", rss),
            expect: &["not a feed", "malformed feed"],
        },
        Hostile {
            name: "empty",
            path: "/empty.xml",
            reply: Reply::ok(Vec::new()).header("Content-Type", rss),
            expect: &["empty feed body"],
        },
        Hostile {
            name: "html-page",
            path: "/news/",
            reply: Reply::ok(fixture("html-page.html"))
                .header("Content-Type", "text/html; charset=utf-8"),
            expect: &["not a feed"],
        },
        Hostile {
            name: "error-page",
            path: "/feed-error",
            reply: Reply::ok(
                "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title>\
                 </head><body><h1>Service Temporarily Unavailable</h1><p>The server is \
                 temporarily unable to service your request.</p></body></html>",
            )
            .header("Content-Type", "text/html"),
            expect: &["not a feed"],
        },
        Hostile {
            name: "truncated",
            path: "/truncated.xml",
            // Cut inside the channel head: nothing whole to keep.
            reply: Reply::ok(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Wor",
            )
            .header("Content-Type", rss),
            expect: &["malformed feed"],
        },
        Hostile {
            name: "cut-root",
            path: "/cut-root.xml",
            reply: Reply::ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss vers")
                .header("Content-Type", rss),
            expect: &["not a feed", "malformed feed"],
        },
    ];
    srv.route("/loop-b", Reply::redirect(302, "/loop-a"));
    for h in &list {
        srv.route(h.path, h.reply.clone());
    }
    list.sort_by_key(|h| h.name);
    list
}

#[test]
fn hostile_feeds_fail_cleanly_and_the_good_feed_is_stored() {
    let srv = TestServer::start();
    let hostile = hostile_routes(&srv);
    srv.route(
        "/good.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 12, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let mut feeds = vec![feed("good", srv.url("/good.rss"))];
    feeds.extend(hostile.iter().map(|h| feed(h.name, srv.url(h.path))));
    let setup = Setup::new(&feeds);

    for round in 1..=2 {
        let out = bounded_poll(&setup);
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            describe(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        assert_eq!(report.as_array().map(Vec::len), Some(hostile.len() + 1));

        for h in &hostile {
            let row = |col: &str| {
                setup.query_text(&format!(
                    "SELECT CAST({col} AS TEXT) FROM feeds WHERE name = '{}'",
                    h.name
                ))
            };
            assert_eq!(row("last_status").as_deref(), Some("error"), "{}", h.name);
            let error = row("last_error").unwrap_or_default();
            assert!(
                h.expect.iter().any(|e| error.contains(e)),
                "{}: last_error {error:?} should contain one of {:?}",
                h.name,
                h.expect
            );
            assert_eq!(
                row("error_count").as_deref(),
                Some(round.to_string().as_str()),
                "{}: error_count after {round} polls",
                h.name
            );
            assert_eq!(
                setup.query_i64(&format!(
                    "SELECT count(*) FROM fetches x JOIN feeds f ON f.id = x.feed_id \
                     WHERE f.name = '{}' AND x.status = 'error' AND x.error IS NOT NULL",
                    h.name
                )),
                round,
                "{}: one error row per poll",
                h.name
            );
        }
        assert_eq!(
            setup.query_i64(
                "SELECT count(*) FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = 'good'"
            ),
            12
        );
        assert_eq!(
            setup
                .query_text("SELECT last_status FROM feeds WHERE name = 'good'")
                .as_deref(),
            Some("ok")
        );
    }
    // Only the good feed's entries were stored: nothing from a hostile body.
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 12);

    // The HTML page names the feeds it advertises, made absolute.
    let html_error = setup
        .query_text("SELECT last_error FROM feeds WHERE name = 'html-page'")
        .unwrap_or_default();
    assert!(
        html_error.contains(&srv.url("/feed/subscribe/en/news/all/rss.xml"))
            && html_error.contains("https://news.un.org/feed/subscribe/en/news/all/atom.xml"),
        "{html_error}"
    );
    // The redirect loop stopped at the configured hop limit (10, then one more refused).
    assert!(
        srv.hits("/loop-a") + srv.hits("/loop-b") <= 2 * 11,
        "loop hits"
    );
}

#[test]
fn awkward_but_usable_feeds_are_stored() {
    let srv = TestServer::start();
    let base = srv.url("");
    // A real feed with a wrong content type.
    srv.route(
        "/wrong-type",
        Reply::ok(wire_feed(&base, "typed", 4, 0)).header("Content-Type", "image/png"),
    );
    // Declared UTF-8 but holding invalid sequences: decoded, never stored raw.
    let mut bad_utf8 = wire_feed(&base, "bytes", 3, 0);
    let at = bad_utf8
        .windows(8)
        .position(|w| w == b"report 1")
        .expect("title");
    bad_utf8.splice(at..at, b"\xff\xfe\xc3\x28 ".iter().copied());
    srv.route(
        "/bad-utf8",
        Reply::ok(bad_utf8).header("Content-Type", "application/rss+xml; charset=utf-8"),
    );
    // Cut off in the middle of its fifth entry: the four whole ones are kept.
    let full = wire_feed(&base, "cut", 6, 0);
    let text = String::from_utf8(full).expect("utf8");
    let cut = text.find("cut report 4").expect("entry 4");
    srv.route(
        "/cut.xml",
        Reply::ok(text[..cut].to_owned()).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[
        feed("wrong-type", srv.url("/wrong-type")),
        feed("bad-utf8", srv.url("/bad-utf8")),
        feed("cut", srv.url("/cut.xml")),
    ]);
    let out = bounded_poll(&setup);
    assert!(out.status.success(), "{}", describe(&out));
    let sources = |name: &str| {
        setup.query_i64(&format!(
            "SELECT count(*) FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = '{name}'"
        ))
    };
    assert_eq!(sources("wrong-type"), 4);
    assert_eq!(sources("bad-utf8"), 3);
    assert_eq!(sources("cut"), 4);
    // SQLite holds valid UTF-8 only: every title round-trips through Rust's String.
    let conn = setup.conn();
    let mut stmt = conn.prepare("SELECT title FROM items").expect("prepare");
    let titles: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("every title is valid UTF-8 text");
    assert_eq!(titles.len(), 11);
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    // Issue 15: `newswire check | head -1` panicked on the closed pipe.
    let feeds: Vec<_> = (0..50)
        .map(|i| feed(&format!("wire{i}"), format!("https://wire{i}.example/rss")))
        .collect();
    let setup = Setup::new(&feeds);
    drop(newswire::store::Store::open(setup.db()).expect("create the store"));
    for args in [&["check"][..], &["items", "--format", "json"][..]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        // The reader is gone before the first line is written.
        drop(reader);
        let out = setup
            .cmd(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
    }
}
