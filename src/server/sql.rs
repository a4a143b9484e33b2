//! The server's own read queries, for what [`Store`]'s helpers do not return:
//! one item in full, the feeds table, the HTML bodies of
//! items for syndication, and the figures of `/healthz` and `/metrics`.
//!
//! Each takes a read-only [`Store`] inside the request's read transaction and
//! returns plain serialisable rows.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, params_from_iter};
use serde::Serialize;

use super::error::ApiError;
use super::reader::query_error;
use crate::metrics::StoreGauges;
use crate::store::Store;

/// Maps a SQLite error on `store` to an API error.
pub fn sql_error(store: &Store) -> impl Fn(rusqlite::Error) -> ApiError + '_ {
    move |e| query_error(std::path::Path::new(store.path()), e)
}

/// One item in full, with every feed that carried it.
#[derive(Debug, Serialize)]
pub struct ItemDetail {
    /// Row id.
    pub id: i64,
    /// Title (plain text).
    pub title: Option<String>,
    /// Link as the first feed gave it.
    pub url: String,
    /// Canonical URL (the item's identity).
    pub canonical_url: String,
    /// Author or byline.
    pub author: Option<String>,
    /// Publication time.
    pub published_at: Option<String>,
    /// Modification time.
    pub updated_at: Option<String>,
    /// When newswire first stored it.
    pub first_seen_at: String,
    /// Feed summary (plain text).
    pub summary: Option<String>,
    /// Sanitised article HTML.
    pub content_html: Option<String>,
    /// Article plain text.
    pub content_text: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// Site name.
    pub site_name: Option<String>,
    /// How the text was obtained.
    pub extraction: String,
    /// Why extraction failed.
    pub extraction_error: Option<String>,
    /// Story id.
    pub story_id: Option<i64>,
    /// Every feed that carried it, first first.
    pub sources: Vec<ItemSource>,
}

/// One feed's copy of an item.
#[derive(Debug, Serialize)]
pub struct ItemSource {
    /// Feed name.
    pub feed: String,
    /// The entry's link in that feed.
    pub entry_url: Option<String>,
    /// The entry's key in that feed.
    pub entry_key: String,
    /// When that feed first carried it.
    pub first_seen_at: String,
}

/// The item `id`, if stored.
pub fn item_detail(store: &Store, id: i64) -> Result<Option<ItemDetail>, ApiError> {
    let conn = store.connection();
    let err = sql_error(store);
    let item = conn
        .query_row(
            "SELECT id, title, url, canonical_url, author, published_at, updated_at, first_seen_at,
                    summary, content_html, content_text, language, image, site_name, extraction,
                    extraction_error, COALESCE(story_id, id)
             FROM items WHERE id = ?1",
            [id],
            |r| {
                Ok(ItemDetail {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    canonical_url: r.get(3)?,
                    author: r.get(4)?,
                    published_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    first_seen_at: r.get(7)?,
                    summary: r.get(8)?,
                    content_html: r.get(9)?,
                    content_text: r.get(10)?,
                    language: r.get(11)?,
                    image: r.get(12)?,
                    site_name: r.get(13)?,
                    extraction: r.get(14)?,
                    extraction_error: r.get(15)?,
                    story_id: r.get(16)?,
                    sources: Vec::new(),
                })
            },
        )
        .optional()
        .map_err(&err)?;
    let Some(mut item) = item else {
        return Ok(None);
    };
    // Only web links leave the server (see `handlers::web_link`).
    item.url = super::handlers::shown_url(&item.url, &item.canonical_url);
    item.image = item
        .image
        .filter(|u| super::handlers::web_link(u).is_some());
    let mut stmt = conn
        .prepare_cached(
            "SELECT f.name, s.entry_url, s.entry_key, s.first_seen_at
             FROM item_sources s JOIN feeds f ON f.id = s.feed_id
             WHERE s.item_id = ?1 ORDER BY s.first_seen_at, f.name",
        )
        .map_err(&err)?;
    item.sources = stmt
        .query_map([id], |r| {
            let entry_url: Option<String> = r.get(1)?;
            Ok(ItemSource {
                feed: r.get(0)?,
                entry_url: entry_url.filter(|u| super::handlers::web_link(u).is_some()),
                entry_key: r.get(2)?,
                first_seen_at: r.get(3)?,
            })
        })
        .map_err(&err)?
        .collect::<Result<_, _>>()
        .map_err(&err)?;
    Ok(Some(item))
}

/// One feed's configuration and health.
#[derive(Debug, Serialize)]
pub struct FeedRow {
    /// Configured name.
    pub name: String,
    /// Configured URL.
    pub url: String,
    /// Where a permanent redirect moved it.
    pub effective_url: Option<String>,
    /// The feed's own title.
    pub title: Option<String>,
    /// The site it belongs to.
    pub site_url: Option<String>,
    /// `rss`, `rdf`, `atom` or `json`.
    pub format: Option<String>,
    /// Configured tags.
    pub tags: Vec<String>,
    /// Configured and enabled.
    pub enabled: bool,
    /// Why newswire stopped polling it by itself (410 Gone).
    pub disabled_reason: Option<String>,
    /// When the last poll finished.
    pub last_polled_at: Option<String>,
    /// When a poll last succeeded.
    pub last_success_at: Option<String>,
    /// `ok`, `not_modified` or `error`.
    pub last_status: Option<String>,
    /// HTTP status of the last poll.
    pub last_http_status: Option<i64>,
    /// The last poll's error.
    pub last_error: Option<String>,
    /// Consecutive failed polls.
    pub error_count: i64,
    /// When it is next polled.
    pub next_due_at: Option<String>,
    /// Items it carried.
    pub items: i64,
}

/// Every feed, by name.
pub fn feeds(store: &Store) -> Result<Vec<FeedRow>, ApiError> {
    let err = sql_error(store);
    let mut stmt = store
        .connection()
        .prepare_cached(
            "SELECT name, url, effective_url, title, site_url, format, tags, enabled, disabled_reason,
                    last_polled_at, last_success_at, last_status, last_http_status, last_error,
                    error_count, next_due_at,
                    (SELECT count(*) FROM item_sources s WHERE s.feed_id = feeds.id)
             FROM feeds ORDER BY name",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |r: &Row<'_>| {
            let tags: String = r.get(6)?;
            // Credentials stay in the config (see `crate::redact`).
            let url: String = r.get(1)?;
            let effective_url: Option<String> = r.get(2)?;
            let last_error: Option<String> = r.get(13)?;
            Ok(FeedRow {
                name: r.get(0)?,
                url: crate::redact::url(&url),
                effective_url: effective_url.as_deref().map(crate::redact::url),
                title: r.get(3)?,
                site_url: r.get(4)?,
                format: r.get(5)?,
                tags: serde_json::from_str(&tags).unwrap_or_default(),
                enabled: r.get(7)?,
                disabled_reason: r.get(8)?,
                last_polled_at: r.get(9)?,
                last_success_at: r.get(10)?,
                last_status: r.get(11)?,
                last_http_status: r.get(12)?,
                last_error: last_error.as_deref().map(crate::redact::text),
                error_count: r.get(14)?,
                next_due_at: r.get(15)?,
                items: r.get(16)?,
            })
        })
        .map_err(&err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// What syndication needs of an item beyond [`crate::store::ItemRow`].
#[derive(Debug, Default, Clone)]
pub struct ItemBody {
    /// Sanitised article HTML.
    pub content_html: Option<String>,
    /// Modification time.
    pub updated_at: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
}

/// The bodies of the items `ids`, by id.
pub fn item_bodies(store: &Store, ids: &[i64]) -> Result<HashMap<i64, ItemBody>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let err = sql_error(store);
    let marks = vec!["?"; ids.len()].join(",");
    let mut stmt = store
        .connection()
        .prepare(&format!(
            "SELECT id, content_html, updated_at, image FROM items WHERE id IN ({marks})"
        ))
        .map_err(&err)?;
    let rows = stmt
        .query_map(params_from_iter(ids.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                ItemBody {
                    content_html: r.get(1)?,
                    updated_at: r.get(2)?,
                    image: r
                        .get::<_, Option<String>>(3)?
                        .filter(|u| super::handlers::web_link(u).is_some()),
                },
            ))
        })
        .map_err(&err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// When any feed was last polled.
pub fn last_poll_at(store: &Store) -> Result<Option<String>, ApiError> {
    store
        .connection()
        .query_row("SELECT max(last_polled_at) FROM feeds", [], |r| r.get(0))
        .map_err(sql_error(store))
}

/// Item and story counts for `/metrics`.
pub fn gauges(store: &Store) -> Result<StoreGauges, ApiError> {
    store
        .connection()
        .query_row(
            // A story is the distinct COALESCE(story_id, id), as in the `stories` view.
            "SELECT count(*), count(DISTINCT COALESCE(story_id, id)) FROM items",
            [],
            |r| {
                Ok(StoreGauges {
                    items: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    stories: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                })
            },
        )
        .map_err(sql_error(store))
}
