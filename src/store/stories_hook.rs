//! Where an item joins a story: fingerprint its text, look up candidates in
//! the story index, join the best match or start a story of its own.
//!
//! Two entry points:
//!
//! - `assign_story`, inside the poll's transaction, for a new item;
//! - `rejoin_story`, for an item whose full text arrives later, inside the
//!   caller's transaction: its fingerprint re-made and its story chosen
//!   again. The one path for late text: the article queue's
//!   `finish_article` calls it after writing the page's text, and
//!   [`SqliteStore::refresh_story`] after replacing the item's text columns.
//!
//! A **teaser never joins by itself**: an item whose text is only a feed's
//! teaser ([`is_teaser`]: short, or a feed text of a few sentences when the
//! page was not extracted) is recorded with no index keys, so it neither
//! joins a story nor is joined, until `refresh_story` brings its full text.

use std::borrow::Cow;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::stories::{StoryContext, StoryStoreError};
use super::{ItemId, SqliteStore, StoreError, StoredEntry};
use crate::model::{Extraction, NewItem};
use crate::stories::{self, Fingerprint, StoryDecision, StoryIndex};

/// A text that did not come from the article page and has fewer words than
/// this is a teaser (one or two sentences of a feed's description).
pub const FEED_TEASER_WORDS: u32 = 60;

/// True when an item's text is only a teaser: a short text
/// ([`Fingerprint::is_short`]), or a feed-provided text (`extraction` feed or
/// failed) of fewer than [`FEED_TEASER_WORDS`] words.
pub fn is_teaser(extraction: Extraction, fingerprint: &Fingerprint) -> bool {
    fingerprint.is_short()
        || (matches!(extraction, Extraction::Feed | Extraction::Failed)
            && fingerprint.words < FEED_TEASER_WORDS)
}

/// Chooses the story of the new item `id` (its own id when nothing matches)
/// and records it on the item's row.
///
/// A teaser is recorded with its fingerprint alone (what the `stories` view
/// dates a story by, and what [`SqliteStore::refresh_story`] reads back): no band
/// or sample keys, no candidate lookup, and, being new, no old keys to clear.
pub(super) fn assign_story(
    tx: &Transaction<'_>,
    id: ItemId,
    entry: &StoredEntry,
    seen_at: DateTime<Utc>,
    story: &StoryContext,
) -> rusqlite::Result<ItemId> {
    let (fingerprint, teaser) = entry_fingerprint(entry);
    let fingerprint = fingerprint.as_ref();
    if teaser {
        tx.prepare_cached(
            "INSERT INTO story_fingerprints (item_id, story_id, seen_at, fingerprint) VALUES (?1, ?1, ?2, ?3)",
        )?
        .execute(params![id, seen_at.timestamp(), fingerprint.to_bytes()])?;
        set_story(tx, id, id)?;
        return Ok(id);
    }
    match decide(tx, id, fingerprint, seen_at, story) {
        // The index's insert set `items.story_id`.
        Ok(decision) => Ok(decision.story_for(id)),
        Err(StoryStoreError::Sql { source, .. }) => Err(source),
        Err(e) => {
            // A damaged index row costs only this match, never the item.
            tracing::warn!(item = id, error = %e, "story matching skipped");
            set_story(tx, id, id)?;
            Ok(id)
        }
    }
}

fn set_story(tx: &Transaction<'_>, id: ItemId, story_id: ItemId) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE items SET story_id = ?2 WHERE id = ?1")?
        .execute(params![id, story_id])?;
    Ok(())
}

/// Records `id` in the index and chooses its story.
fn decide(
    tx: &Transaction<'_>,
    id: ItemId,
    fingerprint: &Fingerprint,
    seen_at: DateTime<Utc>,
    story: &StoryContext,
) -> Result<StoryDecision, StoryStoreError> {
    let decision =
        stories::assign_story(&mut story.index(tx), id, fingerprint, seen_at, story.window)?;
    log_join(id, &decision);
    Ok(decision)
}

/// The debug line of a join.
pub(crate) fn log_join(id: ItemId, decision: &StoryDecision) {
    if let Some(other) = decision.matched_item {
        tracing::debug!(
            item = id,
            matched = other,
            score = decision.score,
            "joined story"
        );
    }
}

/// A new entry's fingerprint (made off the writer, or here when the caller
/// made none) and whether its text is only a teaser: what both stores'
/// new-item paths start from.
pub(crate) fn entry_fingerprint(entry: &StoredEntry) -> (Cow<'_, Fingerprint>, bool) {
    let fingerprint = match &entry.fingerprint {
        Some(fp) => Cow::Borrowed(fp),
        None => Cow::Owned(fingerprint_of(&entry.item)),
    };
    let teaser = is_teaser(entry.item.extraction, &fingerprint);
    (fingerprint, teaser)
}

/// The story fingerprint of an item: its text, with the title folded in when
/// the text is short.
pub fn fingerprint_of(item: &NewItem) -> Fingerprint {
    Fingerprint::from_parts(
        item.title.as_deref(),
        item.content_text.as_deref().unwrap_or_default(),
    )
}

/// The text of an item that arrives after the item was stored (the article
/// page fetched on a retry): what [`SqliteStore::refresh_story`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItemText {
    /// The page's title, when it has one (else the stored title is kept).
    pub title: Option<String>,
    /// Sanitised HTML of the article.
    pub content_html: Option<String>,
    /// Plain text of the article, paragraphs separated by blank lines.
    pub content_text: Option<String>,
    /// Language tag of the page, when it declares one (else the stored one is
    /// kept).
    pub language: Option<String>,
    /// How the text was obtained.
    pub extraction: Extraction,
    /// Why extraction failed or fell back.
    pub extraction_error: Option<String>,
    /// The text's fingerprint when the caller made it off the store thread
    /// ([`fingerprint_of`] on the same title and text); made here otherwise.
    pub fingerprint: Option<Fingerprint>,
}

/// What [`SqliteStore::refresh_story`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryRefresh {
    /// The item's story now.
    pub story_id: i64,
    /// The story it had before.
    pub previous_story_id: i64,
    /// The item it matched, when it joined another's story.
    pub matched_item: Option<i64>,
    /// The text still counts as a teaser: no join was attempted.
    pub teaser: bool,
}

impl SqliteStore {
    /// Replaces the text of stored item `item_id` with `text` and chooses its
    /// story again, in one transaction: the item is re-fingerprinted and,
    /// unless the text is still a teaser, matched against the window around
    /// when it was first seen. An item that other items already joined keeps
    /// its story (they stay together); nothing is deleted.
    ///
    /// Returns `Ok(None)` when no item has that id.
    pub fn refresh_story(
        &mut self,
        item_id: ItemId,
        text: &NewItemText,
    ) -> Result<Option<StoryRefresh>, StoreError> {
        let wrap = self.wrap();
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let row: Option<(Option<String>, String)> = tx
            .query_row(
                "SELECT i.title, i.first_seen_at FROM items i WHERE i.id = ?1",
                [item_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&wrap)?;
        let Some((stored_title, first_seen)) = row else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE items SET title = COALESCE(?2, title), content_html = ?3, content_text = ?4,
                    language = COALESCE(?5, language), extraction = ?6, extraction_error = ?7
             WHERE id = ?1",
            params![
                item_id,
                text.title,
                text.content_html,
                text.content_text,
                text.language,
                text.extraction.as_str(),
                text.extraction_error
            ],
        )
        .map_err(&wrap)?;
        let title = text.title.as_deref().or(stored_title.as_deref());
        let fingerprint = text.fingerprint.clone().unwrap_or_else(|| {
            Fingerprint::from_parts(title, text.content_text.as_deref().unwrap_or_default())
        });
        let refresh = rejoin_story(
            &tx,
            item_id,
            &fingerprint,
            text.extraction,
            super::parse_ts(&first_seen),
            &self.story,
        )
        .map_err(|source| StoreError::StoryIndex {
            path,
            source: Box::new(source),
        })?;
        tx.commit().map_err(&wrap)?;
        self.after_commit();
        Ok(Some(refresh))
    }
}

/// Chooses the story of stored item `item_id` again from its new text's
/// `fingerprint`, inside the caller's transaction: the one path by which
/// late text joins a story ([`Store::refresh_story`] and the article queue's
/// `finish_article` both call it).
///
/// The item is matched against the window around when it was first seen
/// (its fingerprint row's `seen_at`, else `first_seen`, else now); a text
/// that is still a teaser is recorded without keys. An item that other items
/// already joined keeps its story and is re-indexed in place (they stay
/// together). `items.story_id` is written with the result. A damaged index
/// row read as a candidate costs only this match (logged; the item keeps a
/// story of its own), never the text.
pub(super) fn rejoin_story(
    tx: &Transaction<'_>,
    item_id: ItemId,
    fingerprint: &Fingerprint,
    extraction: Extraction,
    first_seen: Option<DateTime<Utc>>,
    story: &StoryContext,
) -> Result<StoryRefresh, StoryStoreError> {
    let what = |s: &str| format!("{s} of item {item_id}");
    let previous: i64 = tx
        .query_row(
            "SELECT COALESCE(story_id, id) FROM items WHERE id = ?1",
            [item_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|source| StoryStoreError::Sql {
            action: what("reading the story"),
            source,
        })?
        .unwrap_or(item_id);
    let seen_at = tx
        .query_row(
            "SELECT seen_at FROM story_fingerprints WHERE item_id = ?1",
            [item_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(|source| StoryStoreError::Sql {
            action: what("reading the first-seen time"),
            source,
        })?
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .or(first_seen)
        .unwrap_or_else(Utc::now);
    let joined_by_others: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM items WHERE story_id = ?1 AND id <> ?1)",
            [item_id],
            |r| r.get(0),
        )
        .map_err(|source| StoryStoreError::Sql {
            action: what("reading who joined the story"),
            source,
        })?;
    let facts = LateText {
        item_id,
        previous,
        joined_by_others,
        seen_at,
        teaser: is_teaser(extraction, fingerprint),
    };
    rejoin(
        &mut story.index(tx),
        &facts,
        fingerprint,
        story.window,
        |e| !matches!(e, StoryStoreError::Sql { .. }),
    )
}

/// What the store read about an item whose text arrived late, for
/// [`rejoin`].
pub(crate) struct LateText {
    /// The item.
    pub item_id: ItemId,
    /// Its story before (its own id when it had none).
    pub previous: ItemId,
    /// Other items are in the story that bears its id.
    pub joined_by_others: bool,
    /// When it was first seen: the window is taken around this.
    pub seen_at: DateTime<Utc>,
    /// The new text is still a teaser.
    pub teaser: bool,
}

/// The late-text rule, the same on every backend (each reads the
/// [`LateText`] facts and passes its index): an item other items already
/// joined keeps its story and is re-indexed in place; a teaser is recorded
/// without keys; any other is matched as a new item would be. An index
/// error that `damaged` accepts (a stored row that does not decode, not a
/// failed statement) costs only this match: logged, and the item keeps a
/// story of its own. The index's insert writes `items.story_id`.
pub(crate) fn rejoin<I: StoryIndex>(
    index: &mut I,
    late: &LateText,
    fingerprint: &Fingerprint,
    window: TimeDelta,
    damaged: impl Fn(&I::Error) -> bool,
) -> Result<StoryRefresh, I::Error> {
    let id = late.item_id;
    let refresh = |story_id, matched_item| StoryRefresh {
        story_id,
        previous_story_id: late.previous,
        matched_item,
        teaser: late.teaser,
    };
    if late.teaser || (late.joined_by_others && late.previous == id) {
        let (bands, keys) = if late.teaser {
            (Vec::new(), Vec::new())
        } else {
            (stories::band_keys(fingerprint), fingerprint.sample_keys())
        };
        index.insert(id, id, late.seen_at, fingerprint, &bands, &keys)?;
        return Ok(refresh(id, None));
    }
    match stories::assign_story(index, id, fingerprint, late.seen_at, window) {
        Ok(decision) => {
            log_join(id, &decision);
            Ok(refresh(decision.story_for(id), decision.matched_item))
        }
        Err(e) if damaged(&e) => {
            tracing::warn!(item = id, error = %e, "story matching skipped");
            index.insert(id, id, late.seen_at, fingerprint, &[], &[])?;
            Ok(refresh(id, None))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
#[path = "stories_hook_tests.rs"]
mod tests;
