//! Where a new item joins a story: fingerprint its text, look up candidates
//! in the story index (one indexed query), join the best match or start a
//! story of its own. Runs inside the poll's transaction.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Transaction;

use super::ItemId;
use super::stories::{SqliteIndex, StoryStoreError};
use crate::dedup::{self, Fingerprint};
use crate::model::NewItem;

/// The story the new item `id` belongs to (its own id when nothing matches).
pub(super) fn assign_story(
    tx: &Transaction<'_>,
    id: ItemId,
    item: &NewItem,
    seen_at: DateTime<Utc>,
    window: TimeDelta,
) -> rusqlite::Result<ItemId> {
    let text = item.content_text.as_deref().unwrap_or_default();
    let fingerprint = Fingerprint::from_parts(item.title.as_deref(), text);
    let mut index = SqliteIndex(tx);
    match dedup::assign_story(&mut index, id, &fingerprint, seen_at, window) {
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
