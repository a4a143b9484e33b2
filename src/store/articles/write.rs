//! The article queue's writes inside a transaction: a new item's page row
//! and the page's text over the item (the story join that follows is
//! `stories_hook::rejoin_story`).

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::{ArticleJob, PageJob};
use crate::model::NewItem;
use crate::store::{FeedId, ts};

/// Writes the page row of a new item; an item that already has one keeps it.
pub(in crate::store) fn insert_page(
    tx: &Transaction<'_>,
    feed_id: FeedId,
    page: &PageJob,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let c = page.state.columns();
    tx.prepare_cached(
        "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at, last_error,
           last_http_status, extraction, created_at, updated_at)
         SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10 FROM items WHERE canonical_url = ?1
         ON CONFLICT (item_id) DO NOTHING",
    )?
    .execute(params![
        page.canonical_url,
        page.url,
        feed_id,
        c.state,
        c.attempts,
        c.next_attempt_at.map(ts),
        c.error,
        c.http_status,
        c.extraction,
        ts(now)
    ])?;
    Ok(())
}

/// Writes the page's text and metadata over the item. The page's declared
/// canonical URL becomes the item's identity only when no other item (and
/// no tombstone) holds it; otherwise the two stay separate items and story
/// matching joins them.
pub(super) fn update_item(
    tx: &Transaction<'_>,
    job: &ArticleJob,
    item: &NewItem,
    now: &str,
) -> rusqlite::Result<()> {
    let canonical = if item.canonical_url == job.item.canonical_url {
        &job.item.canonical_url
    } else {
        let taken: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM items WHERE canonical_url = ?1)
                     OR EXISTS (SELECT 1 FROM tombstones WHERE canonical_url = ?1)",
            )?
            .query_row([&item.canonical_url], |r| r.get(0))?;
        if taken {
            &job.item.canonical_url
        } else {
            &item.canonical_url
        }
    };
    tx.prepare_cached(
        "UPDATE items SET canonical_url = ?2, title = ?3, author = ?4, published_at = ?5,
           updated_at = ?6, content_html = ?7, content_text = ?8, language = ?9, image = ?10,
           site_name = ?11, extraction = ?12, extraction_error = ?13, changed_at = ?14,
           extraction_path = ?15
         WHERE id = ?1",
    )?
    .execute(params![
        job.item_id,
        canonical,
        item.title,
        item.author,
        item.published_at.map(ts),
        item.updated_at.map(ts),
        item.content_html,
        item.content_text,
        item.language,
        item.image,
        item.site_name,
        item.extraction.as_str(),
        item.extraction_error,
        now,
        item.extraction_path
    ])?;
    Ok(())
}
