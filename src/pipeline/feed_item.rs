//! An entry's item from the feed's own content: its HTML sanitised, its text
//! and summary rendered, on a CPU thread (see [`feed_item`]).

use url::Url;

use super::Context;
use crate::model::NewItem;

/// [`item_from_entry`] on a CPU thread: sanitising and rendering the feed's
/// HTML is the CPU-bound part of an entry, and on the runtime's own threads
/// one hostile entry stalled every poll, `/healthz` and shutdown (issue 15).
/// If it panics, the entry is kept without its feed content.
pub async fn feed_item(
    ctx: &Context,
    entry: &crate::model::Entry,
    url: &str,
    canonical_url: String,
    base: &Url,
) -> NewItem {
    let (job_entry, job_url, job_canonical, job_base) = (
        entry.clone(),
        url.to_string(),
        canonical_url.clone(),
        base.clone(),
    );
    match ctx
        .on_cpu(move || item_from_entry(&job_entry, &job_url, job_canonical, &job_base))
        .await
    {
        Ok(item) => item,
        Err(_) => {
            tracing::error!(url = %crate::redact::url(url), "feed content could not be sanitised; stored without it");
            let bare = crate::model::Entry {
                content: None,
                summary: None,
                ..entry.clone()
            };
            item_from_entry(&bare, url, canonical_url, base)
        }
    }
}

/// The item for an entry built from the feed's own content (no page fetch).
/// CPU-bound: call it through [`feed_item`] from async code.
pub fn item_from_entry(
    entry: &crate::model::Entry,
    url: &str,
    canonical_url: String,
    base: &Url,
) -> NewItem {
    let content = entry.content.as_deref().or(entry.summary.as_deref());
    let content_html = content.map(|c| crate::extract::sanitize_html(c, base));
    let content_text = content_html
        .as_deref()
        .map(crate::extract::html_to_text)
        .filter(|t| !t.trim().is_empty());
    let summary = entry
        .summary
        .as_deref()
        .map(|s| crate::extract::html_to_text(&crate::extract::sanitize_html(s, base)))
        .filter(|t| !t.trim().is_empty());
    NewItem {
        url: url.to_string(),
        canonical_url,
        title: entry.title.clone(),
        author: (!entry.authors.is_empty()).then(|| entry.authors.join(", ")),
        published_at: entry.published.or(entry.updated),
        updated_at: entry.updated,
        summary,
        content_html,
        content_text,
        language: entry.language.clone(),
        image: entry.image.clone(),
        site_name: None,
        extraction: crate::model::Extraction::Feed,
        extraction_error: None,
        extraction_path: None,
    }
}
