//! One article page: fetched (robots.txt permitting, HTML only), decoded and
//! extracted, once however many callers ask for it at the same time
//! ([`fetch_page`], single-flight by canonical URL), with its failures sorted
//! into what may pass, what waits for a host's back-off, and what will not
//! ([`PageError`]).

use std::time::Duration;

use url::Url;

use super::super::Context;
use crate::extract::{Article, SiteRule};
use crate::fetch::{FetchError, Request};
use crate::model::{Extraction, NewItem};

/// `Accept` for article pages.
pub const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1";

/// Why a page gave no article.
#[derive(Debug, Clone, PartialEq)]
pub enum PageError {
    /// It may work later (timeout, connection, 408, 425, 429, 5xx).
    Transient {
        /// What went wrong.
        message: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// No request was sent: the host asked us to back off for this long.
    Deferred {
        /// Until the back-off ends, from now.
        wait: Duration,
    },
    /// Waiting will not help (404, 410, 451, robots.txt, not HTML, too large).
    Permanent {
        /// Why.
        message: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
    },
}

impl From<FetchError> for PageError {
    fn from(e: FetchError) -> Self {
        if e.is_host_backoff() {
            PageError::Deferred {
                wait: e.retry_after().unwrap_or(Duration::from_secs(1)),
            }
        } else if e.is_transient() {
            PageError::Transient {
                http_status: e.status(),
                retry_after: e.retry_after(),
                message: e.to_string(),
            }
        } else {
            PageError::Permanent {
                http_status: e.status(),
                message: e.to_string(),
            }
        }
    }
}

impl PageError {
    fn permanent(message: impl Into<String>) -> PageError {
        PageError::Permanent {
            message: message.into(),
            http_status: None,
        }
    }
}

/// What one page fetch gave, shared by everyone who asked for it at once.
pub type PageResult = Result<Article, PageError>;

/// The item with the page's article merged in, or with the feed's content
/// kept (and why) when the page has less text than the feed.
pub fn with_article(feed: &str, mut item: NewItem, url: &Url, article: Article) -> NewItem {
    let feed_len = item
        .content_text
        .as_deref()
        .map_or(0, |t| t.chars().count());
    let page_len = article.text.chars().count();
    if page_len == 0 || page_len < feed_len {
        item.extraction = Extraction::Failed;
        item.extraction_error = Some(format!(
            "page text ({page_len} chars) is shorter than the feed's ({feed_len} chars)"
        ));
        tracing::info!(feed, url = %url, page_len, feed_len, "kept feed content");
        return item;
    }
    merge_article(item, article)
}

/// Fetches and extracts one page, sharing the work with every concurrent
/// caller asking for the same canonical URL.
pub async fn fetch_page(ctx: &Context, url: &Url, rule: Option<SiteRule>) -> PageResult {
    let key = crate::canonical::canonical_url(url).to_string();
    ctx.page_flight
        .run(key, || async {
            let started = std::time::Instant::now();
            let result = fetch_and_extract(ctx, url, rule).await;
            // A deferral sent no request: it is not a page fetch.
            if !matches!(result, Err(PageError::Deferred { .. })) {
                ctx.metrics.page_fetched(result.is_ok(), started.elapsed());
            }
            result
        })
        .await
}

async fn fetch_and_extract(ctx: &Context, url: &Url, rule: Option<SiteRule>) -> PageResult {
    let _permit = ctx
        .pages
        .acquire()
        .await
        .map_err(|e| PageError::Transient {
            message: e.to_string(),
            http_status: None,
            retry_after: None,
        })?;
    if ctx.config.fetch.respect_robots && !ctx.fetcher.robots().check(url).await? {
        return Err(PageError::permanent("disallowed by robots.txt"));
    }
    let request = Request {
        accept: Some(PAGE_ACCEPT.to_string()),
        ..Request::default()
    };
    let response = ctx.fetcher.get(url, &request).await?;
    if let Some(ct) = response.content_type.as_deref() {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !(mime.is_empty()
            || mime == "text/html"
            || mime == "application/xhtml+xml"
            || mime == "text/plain")
        {
            return Err(PageError::permanent(format!("not an HTML page ({mime})")));
        }
    }
    let final_url = response.final_url.clone();
    let content_type = response.content_type.clone();
    let body = response.body;
    ctx.on_cpu(move || {
        let html = crate::extract::decode_html(&body, content_type.as_deref());
        crate::extract::extract(&html, &final_url, rule.as_ref())
    })
    .await
    .map_err(|_| PageError::permanent("extractor crashed on this page"))
}

fn merge_article(mut item: NewItem, a: Article) -> NewItem {
    if let Some(canonical) = a
        .canonical_url
        .as_deref()
        .and_then(|c| Url::parse(c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    {
        item.canonical_url = crate::canonical::canonical_url(&canonical).to_string();
    }
    item.extraction = a.method.into();
    item.extraction_path = Some(a.path.as_str());
    item.extraction_error = None;
    item.title = item.title.or(a.title);
    item.author = a.author.or(item.author);
    item.published_at = item.published_at.or(a.published);
    item.updated_at = a.modified.or(item.updated_at);
    item.language = a.language.or(item.language);
    item.image = item.image.or(a.image);
    item.site_name = a.site_name;
    item.content_text = Some(a.text);
    item.content_html = Some(a.html);
    item
}
