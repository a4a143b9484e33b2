//! Read queries for the command line (`newswire items`, `newswire feeds list`).

use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use serde::Serialize;

use super::{Store, StoreError, ts};

/// Filters for [`Store::items`].
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Only items carried by this feed (name).
    pub feed: Option<String>,
    /// Only items published (or, without a date, first seen) at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only items of this story.
    pub story: Option<i64>,
    /// At most this many rows.
    pub limit: usize,
}

/// One item as listed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemRow {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: Option<String>,
    /// URL as the feed gave it.
    pub url: String,
    /// Canonical URL.
    pub canonical_url: String,
    /// Author.
    pub author: Option<String>,
    /// Publication time (stored text form).
    pub published_at: Option<String>,
    /// When newswire first stored it.
    pub first_seen_at: String,
    /// Names of the feeds that carried it.
    pub feeds: Vec<String>,
    /// Story id.
    pub story_id: Option<i64>,
    /// How the text was obtained.
    pub extraction: String,
    /// Language.
    pub language: Option<String>,
    /// Summary (plain text).
    pub summary: Option<String>,
    /// Article text.
    pub content_text: Option<String>,
}

impl Store {
    /// Newest items first (by publication time, else first-seen time).
    pub fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>, StoreError> {
        let wrap = self.wrap();
        let mut sql = String::from(
            "SELECT i.id, i.title, i.url, i.canonical_url, i.author, i.published_at, i.first_seen_at,
                    (SELECT group_concat(f.name, char(31)) FROM item_sources s JOIN feeds f ON f.id = s.feed_id
                      WHERE s.item_id = i.id),
                    i.story_id, i.extraction, i.language, i.summary, i.content_text
             FROM items i WHERE 1 = 1",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(feed) = &q.feed {
            args.push(feed.clone());
            sql.push_str(&format!(
                " AND i.id IN (SELECT s.item_id FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = ?{})",
                args.len()
            ));
        }
        if let Some(since) = q.since {
            args.push(ts(since));
            sql.push_str(&format!(
                " AND COALESCE(i.published_at, i.first_seen_at) >= ?{}",
                args.len()
            ));
        }
        if let Some(story) = q.story {
            args.push(story.to_string());
            sql.push_str(&format!(
                " AND i.story_id = CAST(?{} AS INTEGER)",
                args.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC LIMIT {}",
            q.limit.min(i64::MAX as usize)
        ));
        let mut stmt = self.conn.prepare(&sql).map_err(&wrap)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                let feeds: Option<String> = r.get(7)?;
                Ok(ItemRow {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    canonical_url: r.get(3)?,
                    author: r.get(4)?,
                    published_at: r.get(5)?,
                    first_seen_at: r.get(6)?,
                    feeds: feeds
                        .map(|f| f.split('\u{1f}').map(str::to_string).collect())
                        .unwrap_or_default(),
                    story_id: r.get(8)?,
                    extraction: r.get(9)?,
                    language: r.get(10)?,
                    summary: r.get(11)?,
                    content_text: r.get(12)?,
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }

    /// Counts rows of `items`, `item_sources` and `fetches` (for summaries and tests).
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let wrap = self.wrap();
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM item_sources), (SELECT count(*) FROM fetches)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(wrap)
    }
}
