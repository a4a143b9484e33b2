//! The plain values of the HTTP layer: [`FetchOptions`] (limits and
//! manners), [`Request`] (what to ask for beyond the URL) and [`Response`]
//! (what came back), plus the default `Accept` values.

use std::time::Duration;

use url::Url;

/// The `Accept` sent for feeds when the [`Request`] names none.
pub const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, \
     application/feed+json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, \
     text/html;q=0.5, */*;q=0.3";

/// An `Accept` suited to article pages.
pub const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

/// Limits and manners of the [`Fetcher`](super::Fetcher).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// Overall deadline of one request, including redirects and the body
    /// (waiting for the host's politeness slot before the first hop does not count).
    pub timeout: Duration,
    /// Deadline for establishing one TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Largest body accepted, in bytes after decompression.
    pub max_body: u64,
    /// Most redirect hops followed.
    pub max_redirects: usize,
    /// Most requests in flight to one host at once.
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host.
    pub per_host_interval: Duration,
    /// Allow loopback, private and link-local addresses (tests, intranets).
    pub allow_private_networks: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            user_agent: concat!("newswire/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_body: 10 * 1024 * 1024,
            max_redirects: 10,
            per_host_concurrency: 2,
            per_host_interval: Duration::from_secs(1),
            allow_private_networks: false,
        }
    }
}

/// What to ask for, beyond the URL.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The `ETag` of the last response, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last response, sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// The `Accept` header; [`FEED_ACCEPT`] when `None`.
    pub accept: Option<String>,
}

/// A successful fetch: 2xx with a body, or 304 Not Modified.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status: 200 (or another 2xx), or 304.
    pub status: u16,
    /// The URL that answered, after redirects.
    pub final_url: Url,
    /// The target when every redirect hop was permanent (301/308); the
    /// caller may update the stored URL to it.
    pub permanent_redirect: Option<Url>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `ETag` to send next time (the request's own on a 304 without one).
    pub etag: Option<String>,
    /// The `Last-Modified` to send next time (the request's own on a 304 without one).
    pub last_modified: Option<String>,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// The decompressed body; empty on 304.
    pub body: Vec<u8>,
    /// Time from the first request start to the end of the body.
    pub elapsed: Duration,
}

impl Response {
    /// True for 304 Not Modified.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}
