//! Where a new item joins a story: fingerprint its text, look up candidates
//! in the story index (one indexed query), join the best match or start a
//! story of its own. Runs inside the poll's transaction.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Transaction;

use super::ItemId;
use super::StoredEntry;
use super::stories::{SqliteIndex, StoryStoreError};
use crate::dedup::{self, Fingerprint};

/// The story the new item `id` belongs to (its own id when nothing matches).
pub(super) fn assign_story(
    tx: &Transaction<'_>,
    id: ItemId,
    entry: &StoredEntry,
    seen_at: DateTime<Utc>,
    window: TimeDelta,
) -> rusqlite::Result<ItemId> {
    let computed;
    let fingerprint = match &entry.fingerprint {
        Some(fp) => fp,
        None => {
            computed = fingerprint_of(&entry.item);
            &computed
        }
    };
    let mut index = SqliteIndex(tx);
    match dedup::assign_story(&mut index, id, fingerprint, seen_at, window) {
        Ok(decision) => {
            if let Some(other) = decision.matched_item {
                tracing::debug!(
                    item = id,
                    matched = other,
                    score = decision.score,
                    "joined story"
                );
            }
            Ok(decision.story_for(id))
        }
        Err(StoryStoreError::Sql { source, .. }) => Err(source),
        Err(e) => {
            // A damaged index row costs only this match, never the item.
            tracing::warn!(item = id, error = %e, "story matching skipped");
            Ok(id)
        }
    }
}

/// The story fingerprint of an item: its text, with the title folded in when
/// the text is short.
pub fn fingerprint_of(item: &crate::model::NewItem) -> Fingerprint {
    Fingerprint::from_parts(
        item.title.as_deref(),
        item.content_text.as_deref().unwrap_or_default(),
    )
}
