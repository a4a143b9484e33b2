//! The article stage of a poll: for each new entry, find or build its item.
//!
//! An entry whose canonical URL is already stored becomes a new source of that
//! item (no page fetch). Otherwise, with `full_text` on, its page is fetched
//! once (robots.txt permitting), decoded and extracted, with the feed's
//! per-site rule or the built-in one; the page's declared canonical URL joins
//! the item to a stored one when they match. When the page fails or yields
//! less text than the feed itself carried, the feed's content is kept and the
//! reason recorded in `items.extraction_error`.

use url::Url;

use super::{Context, item_from_entry};
use crate::config::FeedConfig;
use crate::extract::{Article, SiteRule};
use crate::fetch::Request;
use crate::model::{Entry, EntryKey, Extraction, NewItem};
use crate::store::{LinkedEntry, StoredEntry};

/// `Accept` for article pages.
pub const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1";

/// Builds the new items and new links for the entries this feed has not stored.
pub async fn build_items(
    ctx: &Context,
    feed: &FeedConfig,
    feed_url: &Url,
    fresh: Vec<(EntryKey, Entry)>,
) -> (Vec<StoredEntry>, Vec<LinkedEntry>) {
    let mut stored = Vec::new();
    let mut linked = Vec::new();
    let mut pages = tokio::task::JoinSet::new();
    for (key, entry) in fresh {
        let link = entry
            .link
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let canonical = match &link {
            Some(u) => crate::canonical::canonical_url(u).to_string(),
            // An entry without a usable link is still stored, under a URL
            // that names the feed and the entry key.
            None => format!("{feed_url}#{}", key.as_str()),
        };
        let lookup = canonical.clone();
        let found = ctx
            .with_store(move |s| Ok((s.item_by_canonical(&lookup)?, s.is_tombstoned(&lookup)?)))
            .await;
        match found {
            // Pruned by retention while still in the feed: never stored again.
            Ok((_, true)) => continue,
            Ok((Some(item_id), false)) => {
                linked.push(LinkedEntry {
                    key,
                    entry_url: entry.link.clone(),
                    item_id,
                });
                continue;
            }
            Ok((None, false)) => {}
            Err(e) => {
                tracing::warn!(feed = %feed.name, error = %e, "store lookup failed; storing entry as new")
            }
        }
        let shown_url = entry.link.clone().unwrap_or_else(|| canonical.clone());
        let base = link.clone().unwrap_or_else(|| feed_url.clone());
        let item = item_from_entry(&entry, &shown_url, canonical, &base);
        match link.filter(|_| feed.full_text) {
            Some(page_url) => {
                let ctx = ctx.clone();
                let rule = site_rule(feed, &page_url);
                let feed_name = feed.name.clone();
                pages.spawn(async move {
                    let item = with_full_text(&ctx, &feed_name, item, &page_url, rule).await;
                    (key, entry.link, item)
                });
            }
            None => stored.push(StoredEntry {
                key,
                entry_url: entry.link,
                item,
                fingerprint: None,
            }),
        }
    }
    while let Some(done) = pages.join_next().await {
        let Ok((key, entry_url, item)) = done else {
            // A panicking page task loses only that page's full text; the
            // entry comes back as new on the next poll.
            tracing::error!(feed = %feed.name, "article task failed");
            continue;
        };
        let lookup = item.canonical_url.clone();
        match ctx.with_store(move |s| s.item_by_canonical(&lookup)).await {
            Ok(Some(item_id)) => linked.push(LinkedEntry {
                key,
                entry_url,
                item_id,
            }),
            _ => stored.push(StoredEntry {
                key,
                entry_url,
                item,
                fingerprint: None,
            }),
        }
    }
    // Story fingerprints are CPU work: do it here, on the CPU threads and in
    // parallel across feeds, not later inside the store's one writer. An item
    // whose fingerprint cannot be made is stored without one (its own story).
    let stored = ctx
        .on_cpu(move || {
            let mut stored = stored;
            for entry in &mut stored {
                let item = &entry.item;
                entry.fingerprint = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::store::stories_hook::fingerprint_of(item)
                }))
                .ok();
            }
            stored
        })
        .await
        .unwrap_or_default();
    (stored, linked)
}

fn site_rule(feed: &FeedConfig, page: &Url) -> Option<SiteRule> {
    if feed.selector.is_some() || !feed.remove.is_empty() {
        return Some(SiteRule {
            selector: feed.selector.clone(),
            remove: feed.remove.clone(),
        });
    }
    page.host_str().and_then(crate::extract::builtin_rule)
}

/// Fetches and extracts the page; keeps the feed's content when that is better.
async fn with_full_text(
    ctx: &Context,
    feed: &str,
    mut item: NewItem,
    url: &Url,
    rule: Option<SiteRule>,
) -> NewItem {
    match fetch_article(ctx, url, rule).await {
        Ok(article) => {
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
        Err(reason) => {
            tracing::info!(feed, url = %url, error = %reason, "full text unavailable; kept feed content");
            item.extraction = Extraction::Failed;
            item.extraction_error = Some(reason);
            item
        }
    }
}

async fn fetch_article(
    ctx: &Context,
    url: &Url,
    rule: Option<SiteRule>,
) -> Result<Article, String> {
    let started = std::time::Instant::now();
    let result = fetch_and_extract(ctx, url, rule).await;
    ctx.metrics.page_fetched(result.is_ok(), started.elapsed());
    result
}

async fn fetch_and_extract(
    ctx: &Context,
    url: &Url,
    rule: Option<SiteRule>,
) -> Result<Article, String> {
    let _permit = ctx.pages.acquire().await.map_err(|e| e.to_string())?;
    if ctx.config.fetch.respect_robots && !ctx.fetcher.robots_allowed(url).await {
        return Err("disallowed by robots.txt".into());
    }
    let request = Request {
        accept: Some(PAGE_ACCEPT.to_string()),
        ..Request::default()
    };
    let response = ctx
        .fetcher
        .get(url, &request)
        .await
        .map_err(|e| e.to_string())?;
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
            return Err(format!("not an HTML page ({mime})"));
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
    .map_err(|_| "extractor crashed on this page".to_string())
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
