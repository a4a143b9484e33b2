//! The HTTP layer: one shared client that fetches a URL and returns its bytes
//! and validators, or a typed [`FetchError`]. It knows nothing of feeds or SQL.
//!
//! In: a [`Url`] and a [`Request`] (validators from the last poll, an
//! `Accept`). Out: a [`Response`] (200 with the body, or 304 with none) whose
//! final URL, permanent redirect target, validators and `max-age` the caller
//! stores. On the way the [`Fetcher`] enforces:
//!
//! - conditional GET (`If-None-Match`, `If-Modified-Since`);
//! - redirects followed here (not by reqwest), at most `max_redirects`, each
//!   hop guarded and polite;
//! - one overall deadline for connect, redirects, headers and body;
//! - a body cap counted after decompression (a gzip bomb costs at most
//!   `max_body` bytes of memory);
//! - the address guard ([`guard`]): no loopback, private or link-local
//!   address unless `allow_private_networks`;
//! - per-host politeness: concurrency, spacing of starts,
//!   and backoff after 429/503 with `Retry-After`: while a host backs off,
//!   requests to it are not sent and return [`FetchError::HostBackoff`],
//!   which callers treat as "run this when the back-off ends", never as a
//!   failure of the feed or page.
//!
//! [`Robots`] answers whether robots.txt lets us fetch a URL, one request
//! per origin however many pages ask at once. [`SingleFlight`] shares one
//! run of any async work between concurrent callers with the same key (the
//! pipeline uses it for article pages, keyed by canonical URL).

mod error;
mod flight;
pub mod guard;
pub mod headers;
mod politeness;
mod request;
mod robots;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::Instant;
use url::Url;

pub use error::FetchError;
pub use flight::SingleFlight;
pub use request::{FEED_ACCEPT, FetchOptions, PAGE_ACCEPT, Request, Response};
pub use robots::{Robots, RobotsRules};

use robots::RobotsCache;

use guard::{BlockedAddress, GuardedResolver};
use politeness::Politeness;

/// The longest wait a `Retry-After` can impose (longer values are cut to it).
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The shared HTTP client with its politeness state and robots.txt cache.
/// Cheap to clone: clones share everything.
#[derive(Clone, Debug)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    opts: FetchOptions,
    politeness: Politeness,
    robots: RobotsCache,
}

/// Install ring as the process-wide rustls provider, once; a provider
/// installed earlier by someone else is fine too.
fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    /// Build the client. Fails only if the TLS setup cannot be built.
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(opts.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(opts.connect_timeout)
            .dns_resolver(GuardedResolver {
                allow_private: opts.allow_private_networks,
            })
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| FetchError::Client {
                detail: error_chain(&e),
            })?;
        let politeness = Politeness::new(opts.per_host_concurrency, opts.per_host_interval);
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                opts,
                politeness,
                robots: RobotsCache::default(),
            }),
        })
    }

    /// The options this fetcher was built with.
    pub fn options(&self) -> &FetchOptions {
        &self.inner.opts
    }

    /// GET `url`, following redirects, within the limits of the options.
    pub async fn get(&self, url: &Url, req: &Request) -> Result<Response, FetchError> {
        let mut deadline = None;
        let result = self.get_hops(url, req, &mut deadline).await;
        if let Err(e) = &result {
            tracing::debug!(url = %url, error = %e, "fetch failed");
        }
        result
    }

    /// robots.txt checks through this fetcher (same client, politeness and
    /// cache).
    pub fn robots(&self) -> Robots {
        Robots::new(self.clone())
    }

    /// Whether robots.txt of `url`'s origin allows our user agent to fetch
    /// it. See [`Robots::allowed`].
    pub async fn robots_allowed(&self, url: &Url) -> bool {
        self.robots().allowed(url).await
    }

    /// The redirect loop. `deadline` is set when the first hop may start.
    async fn get_hops(
        &self,
        url: &Url,
        req: &Request,
        deadline: &mut Option<Instant>,
    ) -> Result<Response, FetchError> {
        let opts = &self.inner.opts;
        let mut current = url.clone();
        let mut hops = 0usize;
        let mut all_permanent = true;
        let mut started: Option<Instant> = None;
        loop {
            let host = check_url(&current)?;
            if !opts.allow_private_networks
                && let Some(ip) = guard::check_literal(&current)
            {
                return Err(FetchError::Blocked {
                    url: current.to_string(),
                    addr: ip.to_string(),
                });
            }
            self.check_backoff(&host)?;
            let _permit = match *deadline {
                None => self.inner.politeness.acquire(&host).await,
                Some(d) => tokio::time::timeout_at(d, self.inner.politeness.acquire(&host))
                    .await
                    .map_err(|_| FetchError::Timeout {
                        url: url.to_string(),
                    })?,
            };
            // The backoff may have been set while we waited for the slot.
            self.check_backoff(&host)?;
            let now = Instant::now();
            let deadline_at = *deadline.get_or_insert(now + opts.timeout);
            let started_at = *started.get_or_insert(now);

            let timeout = || FetchError::Timeout {
                url: url.to_string(),
            };
            let resp = tokio::time::timeout_at(deadline_at, self.send(&current, req))
                .await
                .map_err(|_| timeout())??;
            let status = resp.status().as_u16();

            if matches!(status, 301 | 302 | 303 | 307 | 308)
                && let Some(location) = resp.headers().get(header::LOCATION)
            {
                hops += 1;
                if hops > opts.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: url.to_string(),
                    });
                }
                let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
                let next = current
                    .join(location.trim())
                    .map_err(|e| FetchError::InvalidUrl {
                        url: location.clone(),
                        reason: format!("bad redirect from {current}: {e}"),
                    })?;
                all_permanent &= matches!(status, 301 | 308);
                tracing::debug!(from = %current, to = %next, status, "redirect");
                current = next;
                continue;
            }

            let headers = resp.headers().clone();
            let text = |name: header::HeaderName| header_text(&headers, name);
            if status == 304 || (200..300).contains(&status) {
                let body = if status == 304 {
                    Vec::new()
                } else {
                    tokio::time::timeout_at(deadline_at, self.read_body(resp, &current))
                        .await
                        .map_err(|_| timeout())??
                };
                let mut etag = text(header::ETAG);
                let mut last_modified = text(header::LAST_MODIFIED);
                if status == 304 {
                    etag = etag.or_else(|| req.etag.clone());
                    last_modified = last_modified.or_else(|| req.last_modified.clone());
                }
                tracing::debug!(
                    url = %url,
                    final_url = %current,
                    status,
                    bytes = body.len(),
                    elapsed_ms = started_at.elapsed().as_millis() as u64,
                    "fetched"
                );
                return Ok(Response {
                    status,
                    permanent_redirect: (hops > 0 && all_permanent).then(|| current.clone()),
                    final_url: current,
                    content_type: text(header::CONTENT_TYPE),
                    etag,
                    last_modified,
                    max_age: text(header::CACHE_CONTROL)
                        .as_deref()
                        .and_then(headers::parse_max_age),
                    body,
                    elapsed: started_at.elapsed(),
                });
            }

            let retry_after = text(header::RETRY_AFTER)
                .and_then(|v| headers::parse_retry_after(&v, SystemTime::now()))
                .map(|wait| wait.min(MAX_BACKOFF));
            if matches!(status, 429 | 503)
                && let Some(wait) = retry_after
            {
                self.inner.politeness.back_off(&host, wait);
            }
            return Err(FetchError::Status {
                url: current.to_string(),
                status,
                retry_after,
            });
        }
    }

    fn check_backoff(&self, host: &str) -> Result<(), FetchError> {
        match self.inner.politeness.backoff_until(host) {
            Some(until) => Err(FetchError::HostBackoff {
                host: host.to_owned(),
                until: SystemTime::now() + until.saturating_duration_since(Instant::now()),
            }),
            None => Ok(()),
        }
    }

    /// Send one GET (no redirect following) and wait for the response head.
    async fn send(&self, url: &Url, req: &Request) -> Result<reqwest::Response, FetchError> {
        let accept = req.accept.as_deref().unwrap_or(FEED_ACCEPT);
        let mut builder = self
            .inner
            .client
            .get(url.clone())
            .header(header::ACCEPT, accept);
        if let Some(etag) = &req.etag {
            builder = builder.header(header::IF_NONE_MATCH, etag.as_str());
        }
        if let Some(lm) = &req.last_modified {
            builder = builder.header(header::IF_MODIFIED_SINCE, lm.as_str());
        }
        builder.send().await.map_err(|e| map_send_error(url, &e))
    }

    /// Read the body chunk by chunk (after decompression), stopping as soon
    /// as it passes `max_body`.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.inner.opts.max_body;
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        // reqwest reports a length only for bodies it does not decompress,
        // so a declared length is the length we would read.
        let declared = resp.content_length();
        if declared.is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let capacity = declared.unwrap_or(0).min(limit).min(1 << 20);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                if e.is_timeout() {
                    FetchError::Timeout {
                        url: url.to_string(),
                    }
                } else {
                    FetchError::Body {
                        url: url.to_string(),
                        detail: error_chain(&e),
                    }
                }
            })?;
            let Some(chunk) = chunk else { return Ok(body) };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }
}

/// The host of an http(s) URL, or why it cannot be fetched.
fn check_url(url: &Url) -> Result<String, FetchError> {
    let invalid = |reason: &str| FetchError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https can be fetched"));
    }
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(h.to_owned()),
        _ => Err(invalid("no host")),
    }
}

/// A header as text (lossy for non-UTF-8 bytes), `None` when absent or empty.
fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let v: &HeaderValue = headers.get(name)?;
    let s = String::from_utf8_lossy(v.as_bytes()).trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// An error and all its causes, joined with ": ".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Classify a reqwest error from sending: the guard's refusal, a timeout, or
/// a connection failure.
fn map_send_error(url: &Url, e: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(blocked) = s.downcast_ref::<BlockedAddress>() {
            return FetchError::Blocked {
                url: url.to_string(),
                addr: blocked.addr_list(),
            };
        }
        source = s.source();
    }
    if e.is_timeout() {
        FetchError::Timeout {
            url: url.to_string(),
        }
    } else {
        FetchError::Connect {
            url: url.to_string(),
            detail: error_chain(e),
        }
    }
}
