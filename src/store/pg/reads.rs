//! The HTTP API's own reads on PostgreSQL (see `store::reads`): one item
//! in full, the feeds table, item bodies, and the figures of `/healthz` and
//! `/metrics`. Times come back in the stored text form SQLite shows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{PgStore, opt_text, text};
use crate::model::{FeedRow, ItemBody, ItemDetail, ItemSource, StoreGauges};
use crate::store::StoreError;

impl PgStore {
    /// The item `id` with every feed that carried it, first first.
    pub fn item_detail(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        let wrap = self.wrap();
        let mut client = self.client()?;
        let Some(r) = client
            .query_opt(
                "SELECT id, title, url, canonical_url, author, published_at, updated_at, first_seen_at,
                        summary, content_html, content_text, language, image, site_name, extraction,
                        extraction_error, COALESCE(story_id, id)
                 FROM items WHERE id = $1",
                &[&id],
            )
            .map_err(&wrap)?
        else {
            return Ok(None);
        };
        let sources = client
            .query(
                "SELECT f.name, s.entry_url, s.entry_key, s.first_seen_at
                 FROM item_sources s JOIN feeds f ON f.id = s.feed_id
                 WHERE s.item_id = $1 ORDER BY s.first_seen_at, f.name",
                &[&id],
            )
            .map_err(&wrap)?
            .iter()
            .map(|s| ItemSource {
                feed: s.get(0),
                entry_url: s.get(1),
                entry_key: s.get(2),
                first_seen_at: text(s.get(3)),
            })
            .collect();
        Ok(Some(ItemDetail {
            id: r.get(0),
            title: r.get(1),
            url: r.get(2),
            canonical_url: r.get(3),
            author: r.get(4),
            published_at: opt_text(r.get(5)),
            updated_at: opt_text(r.get(6)),
            first_seen_at: text(r.get(7)),
            summary: r.get(8),
            content_html: r.get(9),
            content_text: r.get(10),
            language: r.get(11),
            image: r.get(12),
            site_name: r.get(13),
            extraction: r.get(14),
            extraction_error: r.get(15),
            story_id: r.get(16),
            sources,
        }))
    }

    /// Every feed's configuration and health, by name.
    pub fn feed_rows(&self) -> Result<Vec<FeedRow>, StoreError> {
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query(
                "SELECT name, url, effective_url, title, site_url, format, tags, enabled, disabled_reason,
                        last_polled_at, last_success_at, last_status, last_http_status, last_error,
                        error_count, next_due_at,
                        (SELECT count(*) FROM item_sources s WHERE s.feed_id = feeds.id)
                 FROM feeds ORDER BY name",
                &[],
            )
            .map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| FeedRow {
                name: r.get(0),
                url: r.get(1),
                effective_url: r.get(2),
                title: r.get(3),
                site_url: r.get(4),
                format: r.get(5),
                tags: serde_json::from_value(r.get(6)).unwrap_or_default(),
                enabled: r.get(7),
                disabled_reason: r.get(8),
                last_polled_at: opt_text(r.get(9)),
                last_success_at: opt_text(r.get(10)),
                last_status: r.get(11),
                last_http_status: r.get(12),
                last_error: r.get(13),
                error_count: r.get(14),
                next_due_at: opt_text(r.get(15)),
                items: r.get(16),
            })
            .collect())
    }

    /// The bodies of the items `ids`, by id.
    pub fn item_bodies(&self, ids: &[i64]) -> Result<HashMap<i64, ItemBody>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query(
                "SELECT id, content_html, updated_at, image FROM items WHERE id = ANY($1)",
                &[&ids],
            )
            .map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    ItemBody {
                        content_html: r.get(1),
                        updated_at: opt_text(r.get(2)),
                        image: r.get(3),
                    },
                )
            })
            .collect())
    }

    /// When any feed was last polled (stored text form).
    pub fn last_poll_at(&self) -> Result<Option<String>, StoreError> {
        let wrap = self.wrap();
        let at: Option<DateTime<Utc>> = self
            .client()?
            .query_one("SELECT max(last_polled_at) FROM feeds", &[])
            .map_err(wrap)?
            .get(0);
        Ok(opt_text(at))
    }

    /// Item and story counts for `/metrics`.
    pub fn gauges(&self) -> Result<StoreGauges, StoreError> {
        let wrap = self.wrap();
        let r = self
            .client()?
            .query_one(
                "SELECT count(*), count(DISTINCT COALESCE(story_id, id)) FROM items",
                &[],
            )
            .map_err(wrap)?;
        Ok(StoreGauges {
            items: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
            stories: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
        })
    }
}
