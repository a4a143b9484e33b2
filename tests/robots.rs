//! robots.txt: the parser on a news site's file, and the fetcher's cache
//! against a local server.

mod common;

use std::time::Duration;

use common::{Reply, TestServer};
use newswire::fetch::{FetchOptions, Fetcher, RobotsRules};
use url::Url;

const NEWS_ROBOTS: &str = "\u{feff}# robots.txt for news.example.org\r
User-agent: *\r
Disallow: /search\r
Disallow: /*?print=\r
Allow: /search/about$\r
Crawl-delay: 2\r
\r
User-agent: newswire\r
User-agent: OtherBot\r
Disallow: /private/\r
Allow: /private/press/\r
\r
User-agent: BadBot\r
Disallow: /\r
Sitemap: https://news.example.org/sitemap.xml\r
";

#[test]
fn groups_are_chosen_by_product_token() {
    let ours = RobotsRules::parse(
        NEWS_ROBOTS.as_bytes(),
        "newswire/0.1 (+https://example.org/bot)",
    );
    assert!(
        ours.allowed("/search?q=un+news"),
        "the * group does not apply to us"
    );
    assert!(!ours.allowed("/private/draft.html"));
    assert!(ours.allowed("/private/press/release-1.html"));
    assert!(ours.allowed("/world/2026/11/27/story"));
    assert_eq!(ours.crawl_delay(), None);

    let other = RobotsRules::parse(NEWS_ROBOTS.as_bytes(), "SomeCrawler/2.0");
    assert!(!other.allowed("/search?q=x"));
    assert!(other.allowed("/search/about"));
    assert!(!other.allowed("/search/about/team"));
    assert!(!other.allowed("/story/1?print=1"));
    assert!(other.allowed("/story/1"));
    assert_eq!(other.crawl_delay(), Some(Duration::from_secs(2)));

    let bad = RobotsRules::parse(NEWS_ROBOTS.as_bytes(), "badbot");
    assert!(!bad.allowed("/"));
    assert!(!bad.allowed("/anything"));
    assert!(bad.allowed("/robots.txt"));
}

#[test]
fn longest_match_wins_and_allow_wins_ties() {
    let r = RobotsRules::parse(b"User-agent: *\nDisallow: /\nAllow: /news/\n", "newswire");
    assert!(r.allowed("/news/2026/story"));
    assert!(!r.allowed("/sport/2026/story"));
    let tie = RobotsRules::parse(
        b"User-agent: *\nDisallow: /page\nAllow: /page\n",
        "newswire",
    );
    assert!(tie.allowed("/page"));
    let longer = RobotsRules::parse(b"User-agent: *\nAllow: /a\nDisallow: /a/b\n", "newswire");
    assert!(!longer.allowed("/a/b/c"));
    assert!(longer.allowed("/a/c"));
}

#[test]
fn edge_cases_of_the_format() {
    // Rules before any user-agent line belong to no group.
    let r = RobotsRules::parse(b"Disallow: /\nUser-agent: *\nDisallow: /tmp\n", "newswire");
    assert!(r.allowed("/news"));
    assert!(!r.allowed("/tmp/x"));
    // An empty Disallow allows everything.
    let r = RobotsRules::parse(b"User-agent: *\nDisallow:\n", "newswire");
    assert!(r.allowed("/anything"));
    // A user-agent after rules starts a new group; comments are ignored.
    let r = RobotsRules::parse(
        b"User-agent: a\nDisallow: /x # no x\nUser-agent: newswire\nDisallow: /y\n",
        "newswire",
    );
    assert!(r.allowed("/x"));
    assert!(!r.allowed("/y"));
    // Two groups naming us are combined.
    let r = RobotsRules::parse(
        b"User-agent: newswire\nDisallow: /a\n\nUser-agent: newswire\nDisallow: /b\n",
        "newswire",
    );
    assert!(!r.allowed("/a") && !r.allowed("/b") && r.allowed("/c"));
    // Case-insensitive keys and agent names.
    let r = RobotsRules::parse(b"USER-AGENT: NewsWire\nDISALLOW: /z\n", "newswire/1");
    assert!(!r.allowed("/z"));
    // No file content, or junk: everything allowed, no panic.
    assert!(RobotsRules::parse(b"", "newswire").allowed("/"));
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let _ = RobotsRules::parse(&junk, "newswire").allowed("/x");
}

fn opts() -> FetchOptions {
    FetchOptions {
        user_agent: "newswire/0.1".into(),
        allow_private_networks: true,
        per_host_interval: Duration::ZERO,
        ..FetchOptions::default()
    }
}

#[tokio::test]
async fn fetcher_fetches_robots_once_per_origin() {
    let srv = TestServer::start();
    srv.route(
        "/robots.txt",
        Reply::ok("User-agent: *\nDisallow: /private/\n").header("Content-Type", "text/plain"),
    );
    let f = Fetcher::new(opts()).expect("client");
    let robots = f.robots();
    let page = |p: &str| Url::parse(&srv.url(p)).expect("url");
    assert!(robots.allowed(&page("/world/story-1")).await);
    assert!(!robots.allowed(&page("/private/x")).await);
    assert!(f.robots_allowed(&page("/world/story-2")).await);
    assert_eq!(srv.hits("/robots.txt"), 1, "cached after the first check");
    // localhost is another origin: fetched again.
    let other = Url::parse(&srv.url_with_host("localhost", "/private/x")).expect("url");
    assert!(!robots.allowed(&other).await);
    assert_eq!(srv.hits("/robots.txt"), 2);
}

#[tokio::test]
async fn missing_or_failing_robots_allows() {
    let missing = TestServer::start();
    let failing = TestServer::start();
    failing.route("/robots.txt", Reply::status(503));
    let f = Fetcher::new(opts()).expect("client");
    for srv in [&missing, &failing] {
        let u = Url::parse(&srv.url("/private/x")).expect("url");
        assert!(f.robots_allowed(&u).await);
        assert!(f.robots_allowed(&u).await);
        assert_eq!(srv.hits("/robots.txt"), 1, "the answer is cached");
    }
}
