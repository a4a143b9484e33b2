//! The HTTP API's own reads, beside [`super::query`]'s lists: one item in
//! full, the feeds table, the HTML bodies of items for syndication, and the
//! figures of `/healthz` and `/metrics`. Rows come back as stored; what the
//! API may show of them (web links only, credentials masked) is the
//! server's judgement, not the store's.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, params_from_iter};

use super::{SqliteStore, StoreError};
use crate::model::{FeedRow, ItemBody, ItemDetail, ItemSource, StoreGauges};

impl SqliteStore {
    /// The item `id` with every feed that carried it, first first.
    pub fn item_detail(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        let wrap = self.wrap();
        let item = self
            .conn
            .prepare_cached(
                "SELECT id, title, url, canonical_url, author, published_at, updated_at, first_seen_at,
                        summary, content_html, content_text, language, image, site_name, extraction,
                        extraction_error, COALESCE(story_id, id)
                 FROM items WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([id], |r| {
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
                })
                .optional()
            })
            .map_err(&wrap)?;
        let Some(mut item) = item else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.name, s.entry_url, s.entry_key, s.first_seen_at
                 FROM item_sources s JOIN feeds f ON f.id = s.feed_id
                 WHERE s.item_id = ?1 ORDER BY s.first_seen_at, f.name",
            )
            .map_err(&wrap)?;
        item.sources = stmt
            .query_map([id], |r| {
                Ok(ItemSource {
                    feed: r.get(0)?,
                    entry_url: r.get(1)?,
                    entry_key: r.get(2)?,
                    first_seen_at: r.get(3)?,
                })
            })
            .map_err(&wrap)?
            .collect::<Result<_, _>>()
            .map_err(&wrap)?;
        Ok(Some(item))
    }

    /// Every feed's configuration and health, by name.
    pub fn feed_rows(&self) -> Result<Vec<FeedRow>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, url, effective_url, title, site_url, format, tags, enabled, disabled_reason,
                        last_polled_at, last_success_at, last_status, last_http_status, last_error,
                        error_count, next_due_at,
                        (SELECT count(*) FROM item_sources s WHERE s.feed_id = feeds.id)
                 FROM feeds ORDER BY name",
            )
            .map_err(&wrap)?;
        let rows = stmt
            .query_map([], |r: &Row<'_>| {
                let tags: String = r.get(6)?;
                Ok(FeedRow {
                    name: r.get(0)?,
                    url: r.get(1)?,
                    effective_url: r.get(2)?,
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
                    last_error: r.get(13)?,
                    error_count: r.get(14)?,
                    next_due_at: r.get(15)?,
                    items: r.get(16)?,
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }

    /// The bodies of the items `ids`, by id.
    pub fn item_bodies(&self, ids: &[i64]) -> Result<HashMap<i64, ItemBody>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let wrap = self.wrap();
        let marks = vec!["?"; ids.len()].join(",");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, content_html, updated_at, image FROM items WHERE id IN ({marks})"
            ))
            .map_err(&wrap)?;
        let rows = stmt
            .query_map(params_from_iter(ids.iter()), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    ItemBody {
                        content_html: r.get(1)?,
                        updated_at: r.get(2)?,
                        image: r.get(3)?,
                    },
                ))
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }

    /// When any feed was last polled (stored text form).
    pub fn last_poll_at(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT max(last_polled_at) FROM feeds", [], |r| r.get(0))
            .map_err(self.wrap())
    }

    /// Item and story counts for `/metrics`.
    pub fn gauges(&self) -> Result<StoreGauges, StoreError> {
        self.conn
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
            .map_err(self.wrap())
    }
}
