//! What readers (the CLI, the HTTP API) ask the store for, and the rows they
//! get back. Times in rows are in the stored text form ([`super::ts`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Filters for [`Store::items`](crate::store::Store::items).
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Only items carried by this feed (name).
    pub feed: Option<String>,
    /// Only items carried by a feed with this tag.
    pub tag: Option<String>,
    /// Only items in this language (`en` also matches `en-GB`).
    pub language: Option<String>,
    /// Only items published (or, without a date, first seen) at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only items published before this.
    pub until: Option<DateTime<Utc>>,
    /// Only items of this story.
    pub story: Option<i64>,
    /// Only items stored after this one (a greater id). [`Store::items`](crate::store::Store::items)
    /// then lists oldest first, so a reader that passes the last id it saw
    /// gets everything stored since, in order, page by page.
    pub after_id: Option<i64>,
    /// Only items whose row changed at or after this (first stored, or full
    /// text arrived later: `items.changed_at`). [`Store::items`](crate::store::Store::items) then lists
    /// in the order they changed, oldest first.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only items older in the newest-first order than this one: the keyset
    /// cursor of the last row of the previous page ([`ItemRow::cursor`]).
    pub before: Option<ItemCursor>,
    /// Rows skipped before the first one returned. Only ids and sort keys
    /// are read for skipped rows; a cursor is cheaper still.
    pub offset: usize,
    /// Leave `content_text` out of the rows (lists that do not show it).
    pub omit_text: bool,
    /// At most this many rows.
    pub limit: usize,
}

/// Where a newest-first page ended: the last row's sort time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCursor {
    /// `COALESCE(published_at, first_seen_at)` of the row, as stored.
    pub at: String,
    /// Its id (breaks ties between rows of the same time).
    pub id: i64,
}

impl std::fmt::Display for ItemCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.at, self.id)
    }
}

impl std::str::FromStr for ItemCursor {
    type Err = String;

    /// The `TIME~ID` form [`ItemCursor`]'s `Display` writes.
    fn from_str(s: &str) -> Result<ItemCursor, String> {
        let (at, id) = s
            .rsplit_once('~')
            .ok_or_else(|| format!("`{s}` is not a cursor (TIME~ID, from `next_cursor`)"))?;
        let id = id
            .parse::<i64>()
            .map_err(|_| format!("`{s}` is not a cursor (TIME~ID, from `next_cursor`)"))?;
        if at.is_empty() || at.len() > 64 {
            return Err(format!(
                "`{s}` is not a cursor (TIME~ID, from `next_cursor`)"
            ));
        }
        Ok(ItemCursor {
            at: at.to_string(),
            id,
        })
    }
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
    /// When newswire last wrote the row (its full text may come later).
    pub changed_at: Option<String>,
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

impl ItemRow {
    /// The keyset cursor after this row in the newest-first order.
    pub fn cursor(&self) -> ItemCursor {
        ItemCursor {
            at: self
                .published_at
                .clone()
                .unwrap_or_else(|| self.first_seen_at.clone()),
            id: self.id,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    /// Item id.
    pub id: i64,
    /// Title.
    pub title: Option<String>,
    /// URL.
    pub url: String,
    /// Publication (else first-seen) time.
    pub published_at: String,
    /// Feeds that carried it.
    pub feeds: Vec<String>,
    /// Story id.
    pub story_id: Option<i64>,
    /// The best-matching passage of the text, matches in `[brackets]`.
    pub snippet: Option<String>,
    /// BM25 score (lower is better).
    pub rank: f64,
}

/// One story as listed by `newswire stories` and `GET /stories`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryRow {
    /// Story id (the id of its first item).
    pub id: i64,
    /// When its first item was seen.
    pub first_seen_at: Option<String>,
    /// Items that carry it.
    pub item_count: i64,
    /// Names of the feeds that carried it.
    pub outlets: Vec<String>,
    /// Title of its first item.
    pub title: Option<String>,
    /// URL of its first item.
    pub url: Option<String>,
}

/// Filters and paging for [`Store::stories`](crate::store::Store::stories).
#[derive(Debug, Clone, Copy)]
pub struct StoryQuery {
    /// Only stories first seen at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only stories with at least this many items.
    pub min_items: u64,
    /// Rows wanted.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
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

/// Gauges the server reads from the store at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Rows in `items`.
    pub items: u64,
    /// Stories (distinct story ids of items).
    pub stories: u64,
}
