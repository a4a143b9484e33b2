//! The readers' queries on PostgreSQL: items (newest first, by cursor,
//! `after_id`, `updated_since`), stories and counts, with the same meaning
//! and row types as SQLite's (`store::query`). Full-text search is in
//! `search`.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;

use super::{PgStore, big, opt_text, text};
use crate::store::{ItemQuery, ItemRow, StoreError, StoryQuery, StoryRow};

/// Query arguments, numbered as they are pushed.
#[derive(Default)]
pub(super) struct Args(pub Vec<Box<dyn ToSql + Sync>>);

impl Args {
    /// Adds a value; its `$n`.
    pub fn push(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }

    /// The values as the driver takes them.
    pub fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
    }
}

/// The feeds that carried item `i`, as an array.
pub(super) const FEEDS_OF_ITEM: &str = "ARRAY(SELECT f.name FROM item_sources s \
    JOIN feeds f ON f.id = s.feed_id WHERE s.item_id = i.id ORDER BY s.first_seen_at, s.feed_id)";

/// Appends the `WHERE` clauses for `q` (table alias `i`).
pub(super) fn filters(q: &ItemQuery, sql: &mut String, args: &mut Args) {
    if let Some(feed) = &q.feed {
        let n = args.push(feed.clone());
        sql.push_str(&format!(
            " AND i.id IN (SELECT s.item_id FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = {n})"
        ));
    }
    if let Some(tag) = &q.tag {
        let n = args.push(tag.clone());
        sql.push_str(&format!(
            " AND i.id IN (SELECT s.item_id FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.tags ? {n})"
        ));
    }
    if let Some(lang) = &q.language {
        let n = args.push(lang.clone());
        sql.push_str(&format!(
            " AND (lower(i.language) = lower({n}) OR starts_with(lower(i.language), lower({n}) || '-'))"
        ));
    }
    if let Some(since) = q.since {
        let n = args.push(since);
        sql.push_str(&format!(
            " AND COALESCE(i.published_at, i.first_seen_at) >= {n}"
        ));
    }
    if let Some(until) = q.until {
        let n = args.push(until);
        sql.push_str(&format!(
            " AND COALESCE(i.published_at, i.first_seen_at) < {n}"
        ));
    }
    if let Some(changed) = q.updated_since {
        let n = args.push(changed);
        sql.push_str(&format!(
            " AND COALESCE(i.changed_at, i.first_seen_at) >= {n}"
        ));
    }
    if let Some(after) = q.after_id {
        let n = args.push(after);
        sql.push_str(&format!(" AND i.id > {n}"));
    }
    if let Some(story) = q.story {
        let n = args.push(story);
        sql.push_str(&format!(" AND i.story_id = {n}"));
    }
}

impl PgStore {
    /// See [`crate::store::Store::items`].
    pub fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>, StoreError> {
        let wrap = self.wrap();
        let content = if q.omit_text {
            "NULL::text"
        } else {
            "i.content_text"
        };
        let order = if q.updated_since.is_some() {
            "COALESCE(i.changed_at, i.first_seen_at), i.id"
        } else if q.after_id.is_some() {
            "i.id"
        } else {
            "COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC"
        };
        let mut args = Args::default();
        let mut page = String::from("SELECT i.id FROM items i WHERE true");
        filters(q, &mut page, &mut args);
        if let Some(c) = &q.before {
            let at = args.push(c.at.clone());
            let id = args.push(c.id);
            page.push_str(&format!(
                " AND (COALESCE(i.published_at, i.first_seen_at), i.id) < (CAST({at}::text AS timestamptz), {id})"
            ));
        }
        page.push_str(&format!(
            " ORDER BY {order} LIMIT {} OFFSET {}",
            big(q.limit),
            big(q.offset)
        ));
        let sql = format!(
            "SELECT i.id, i.title, i.url, i.canonical_url, i.author, i.published_at, i.first_seen_at,
                    {FEEDS_OF_ITEM}, i.story_id, i.extraction, i.language, i.summary, {content},
                    COALESCE(i.changed_at, i.first_seen_at)
             FROM items i WHERE i.id IN ({page}) ORDER BY {order}"
        );
        let rows = self.client()?.query(&sql, &args.refs()).map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| ItemRow {
                id: r.get(0),
                title: r.get(1),
                url: r.get(2),
                canonical_url: r.get(3),
                author: r.get(4),
                published_at: opt_text(r.get(5)),
                first_seen_at: text(r.get(6)),
                feeds: r.get(7),
                story_id: r.get(8),
                extraction: r.get(9),
                language: r.get(10),
                summary: r.get(11),
                content_text: r.get(12),
                changed_at: opt_text(r.get(13)),
            })
            .collect())
    }

    /// Counts rows of `items`, `item_sources` and `fetches`.
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let wrap = self.wrap();
        let r = self
            .client()?
            .query_one(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM item_sources),
                        (SELECT count(*) FROM fetches)",
                &[],
            )
            .map_err(wrap)?;
        Ok((r.get(0), r.get(1), r.get(2)))
    }

    /// See [`crate::store::Store::stories`].
    pub fn stories(&self, q: &StoryQuery) -> Result<Vec<StoryRow>, StoreError> {
        let wrap = self.wrap();
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rows = self
            .client()?
            .query(
                "SELECT s.id, COALESCE(s.first_seen_at, i.first_seen_at) AS seen, s.item_count,
                        s.outlets, i.title, i.url
                 FROM stories s LEFT JOIN items i ON i.id = s.id
                 WHERE ($1::timestamptz IS NULL OR COALESCE(s.first_seen_at, i.first_seen_at) >= $1)
                   AND s.item_count >= $2
                 ORDER BY seen DESC, s.id DESC LIMIT $3 OFFSET $4",
                &[
                    &q.since,
                    &int(q.min_items),
                    &int(q.limit as u64),
                    &int(q.offset as u64),
                ],
            )
            .map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| {
                let outlets: serde_json::Value = r.get(3);
                StoryRow {
                    id: r.get(0),
                    first_seen_at: r.get::<_, Option<DateTime<Utc>>>(1).map(text),
                    item_count: r.get(2),
                    outlets: serde_json::from_value(outlets).unwrap_or_default(),
                    title: r.get(4),
                    url: r.get(5),
                }
            })
            .collect())
    }
}
