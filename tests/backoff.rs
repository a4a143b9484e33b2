//! Servers that ask us to wait are obeyed: `Retry-After` on 429 (seconds)
//! and 503 (an HTTP date) pushes the feed's `next_due_at` back at least that
//! far; without it the ordinary backoff applies.

mod common;
mod harness;

use common::{Reply, TestServer};
use harness::{Setup, bounded_poll_of, describe, feed};

#[test]
fn retry_after_pushes_the_next_poll_back() {
    let srv = TestServer::start();
    srv.route(
        "/busy.rss",
        Reply::status(429).header("Retry-After", "7200"),
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(3);
    srv.route(
        "/down.rss",
        Reply::status(503).header(
            "Retry-After",
            &later.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
    );
    srv.route("/plain-503.rss", Reply::status(503));
    // Two host names, so one host's backoff does not touch the other; the
    // feed without Retry-After is polled by a later process (the backoff a
    // 429 sets on its host lives as long as the process).
    let setup = Setup::new(&[
        feed("busy", srv.url("/busy.rss")),
        feed("down", srv.url_with_host("localhost", "/down.rss")),
        feed("plain", srv.url("/plain-503.rss")),
    ]);
    let before = chrono::Utc::now();
    let out = bounded_poll_of(&setup, &["busy", "down"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "every feed failed: {}",
        describe(&out)
    );
    let out = bounded_poll_of(&setup, &["plain"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let due = |name: &str| {
        let text = setup
            .query_text(&format!(
                "SELECT next_due_at FROM feeds WHERE name = '{name}'"
            ))
            .expect("next_due_at");
        chrono::DateTime::parse_from_rfc3339(&text)
            .expect("timestamp")
            .with_timezone(&chrono::Utc)
    };
    // Stored times have whole seconds: allow one for the truncation.
    assert!(
        due("busy") >= before + chrono::Duration::seconds(7200 - 1),
        "{} should be at least {before} + 2 h",
        due("busy")
    );
    assert!(
        due("down") >= later - chrono::Duration::seconds(2),
        "{} should be at least {later}",
        due("down")
    );
    // Without Retry-After it is the ordinary first backoff step (about a minute).
    assert!(
        due("plain") < before + chrono::Duration::seconds(3600),
        "{}",
        due("plain")
    );
    assert_eq!(
        setup.query_i64("SELECT last_http_status FROM feeds WHERE name = 'busy'"),
        429
    );
    assert_eq!(
        setup.query_i64("SELECT last_http_status FROM feeds WHERE name = 'down'"),
        503
    );
}
