//! What the `Fetcher` tests share: a small feed, options for a server on
//! 127.0.0.1, and URLs on the test server.

use std::time::Duration;

use newswire::fetch::{FetchOptions, Fetcher};
use url::Url;

use super::TestServer;

/// A one-entry RSS feed.
pub const RSS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>UN News - Global perspective</title>
<link>https://news.example.org/</link>
<item><title>Security Council meets on humanitarian access</title>
<link>https://news.example.org/story/2026/11/1001</link>
<guid isPermaLink="false">un-1001</guid>
<pubDate>Fri, 27 Nov 2026 09:30:00 GMT</pubDate></item>
</channel></rss>"#;

/// Options for tests against 127.0.0.1: guard off, no spacing.
pub fn opts() -> FetchOptions {
    FetchOptions {
        allow_private_networks: true,
        per_host_interval: Duration::ZERO,
        timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

/// A fetcher with `opts`.
pub fn fetcher(opts: FetchOptions) -> Fetcher {
    Fetcher::new(opts).expect("client builds")
}

/// `path` on the test server, parsed.
pub fn url(srv: &TestServer, path: &str) -> Url {
    Url::parse(&srv.url(path)).expect("test URL parses")
}
