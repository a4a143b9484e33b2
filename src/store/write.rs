//! Writing one feed poll: everything in one transaction.
//!
//! [`SqliteStore::record_poll`] writes the items, their sources, the feed's state and
//! the `fetches` row; [`SqliteStore::record_poll_with_pages`] (in `articles`) adds
//! the items' article-queue rows to the same transaction. A
//! [`PollOutcome::Deferred`] poll (the host asked us to wait) moves only the
//! feed's due time: no error, no backoff, no `fetches` row.
//!
//! [`SqliteStore::record_polls`] is the group commit: every poll waiting for the
//! writer goes into one transaction. Each poll stays atomic: if one fails to
//! write, the group rolls back and its polls are written one transaction
//! each, so the failure costs that poll alone. A crash before the commit
//! loses the whole group, none of whose callers was told it was stored (so
//! nothing is lost: those feeds are polled again, and nothing duplicates).
//!
//! After each commit the writer merges the story index's pending keys once
//! enough wait, in a transaction of its own
//! ([`super::stories::SqliteIndex::merge_after_commit`]), then keeps the WAL
//! bounded.
//!
//! Every write begins `IMMEDIATE`: a transaction that has read first cannot
//! wait for the write lock (SQLite answers "database is locked" at once
//! rather than risk a deadlock), and with the checkpoint thread's connection
//! on the same file a deferred poll write failed that way now and then.
//!
//! One commit per group instead of per poll is what lets the writer keep up
//! with many small polls: the pages every poll touches (the `feeds` and
//! `fetches` b-trees) are written to the WAL once per group, and the search
//! index rows of all the group's new items are inserted together just before
//! the commit, one index segment per group ([`super::fts`]).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::fts::PendingSearch;
use super::stories::StoryContext;
use super::{SqliteStore, StoreError};
use crate::model::{
    EntryKey, FeedId, ItemId, PollOutcome, PollRecord, PollSummary, StoredEntry, ts,
};

impl SqliteStore {
    /// Writes one poll in one transaction.
    pub fn record_poll(&mut self, poll: &PollRecord) -> Result<PollSummary, StoreError> {
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let summary = write_poll(&tx, poll, &self.story).map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        self.after_commit();
        Ok(summary)
    }
}

/// One poll waiting for the writer, with its items' article-queue rows.
pub type PendingPoll = (PollRecord, Vec<super::PageJob>);

impl SqliteStore {
    /// Writes `polls` in one transaction; the result of each, in order. Each
    /// poll is atomic: if any fails to write, the group is rolled back and
    /// every poll is written again in a transaction of its own, so the
    /// failing one returns its error and the others commit. If a commit
    /// fails, the polls it held return that error (nothing of them is
    /// stored).
    pub fn record_polls(&mut self, polls: &[PendingPoll]) -> Vec<Result<PollSummary, StoreError>> {
        tracing::trace!(polls = polls.len(), "writing polls");
        if polls.len() > 1 {
            match self.write_group(polls) {
                Ok(summaries) => {
                    self.after_commit();
                    return summaries.into_iter().map(Ok).collect();
                }
                // Rolled back: one by one below, which isolates the failure.
                Err(e) => {
                    tracing::debug!(error = %e, polls = polls.len(), "group write failed; writing its polls one by one")
                }
            }
        }
        let results = polls
            .iter()
            .map(|(poll, pages)| self.record_poll_with_pages(poll, pages))
            .collect();
        self.after_commit();
        results
    }

    /// What follows a write: the story index's pending keys merged once
    /// enough wait ([`super::stories::SqliteIndex::merge_after_commit`]), then the WAL
    /// kept bounded. A failed merge leaves the keys pending (they are found
    /// there as well) for the next write to try again.
    pub(super) fn after_commit(&self) {
        if let Err(e) =
            super::stories::SqliteIndex::merge_after_commit(&self.conn, &self.story.pending)
        {
            tracing::warn!(store = %self.path(), error = %e, "merging the story index's pending keys failed; they stay pending");
        }
        self.bound_wal();
    }

    /// Every poll in one transaction, with no savepoints: a savepoint makes
    /// the search index flush its pending terms to a new segment, which
    /// cost a fifth of the writer's time when each poll had one.
    fn write_group(&mut self, polls: &[PendingPoll]) -> Result<Vec<PollSummary>, StoreError> {
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let mut summaries = Vec::with_capacity(polls.len());
        let mut search = PendingSearch::begin();
        for (poll, pages) in polls {
            summaries.push(write_poll_items(&tx, poll, &self.story, &mut search).map_err(&wrap)?);
            for page in pages {
                super::articles::insert_page(&tx, poll.feed_id, page, poll.started_at)
                    .map_err(&wrap)?;
            }
        }
        search.write(&tx).map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(summaries)
    }
}

/// Writes one poll, its items' search-index rows included (written last, in
/// one go: [`super::fts`]).
pub(super) fn write_poll(
    tx: &Transaction<'_>,
    poll: &PollRecord,
    story: &StoryContext,
) -> rusqlite::Result<PollSummary> {
    let mut search = PendingSearch::begin();
    let summary = write_poll_items(tx, poll, story, &mut search)?;
    search.write(tx)?;
    Ok(summary)
}

/// Writes one poll; the search-index rows of its new items go to `search`,
/// which the caller writes before it commits.
fn write_poll_items(
    tx: &Transaction<'_>,
    poll: &PollRecord,
    story: &StoryContext,
    search: &mut PendingSearch,
) -> rusqlite::Result<PollSummary> {
    let now = ts(poll.started_at);
    let mut summary = PollSummary::default();
    for entry in &poll.new_entries {
        let Some((item_id, inserted)) = insert_item(tx, entry, poll.started_at, story, search)?
        else {
            // Pruned by retention: remembered as pruned under this feed's key
            // too, so it is not offered again.
            tx.prepare_cached(
                "INSERT OR IGNORE INTO pruned_sources (feed_id, entry_key, pruned_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![poll.feed_id, entry.key.as_str(), now])?;
            continue;
        };
        if inserted {
            summary.new_items += 1;
        } else {
            summary.linked += 1;
        }
        add_source(
            tx,
            poll.feed_id,
            item_id,
            &entry.key,
            entry.entry_url.as_deref(),
            &now,
        )?;
    }
    for link in &poll.linked {
        if add_source(
            tx,
            poll.feed_id,
            link.item_id,
            &link.key,
            link.entry_url.as_deref(),
            &now,
        )? {
            summary.linked += 1;
        }
    }
    if matches!(poll.outcome, PollOutcome::Deferred) {
        tx.prepare_cached("UPDATE feeds SET next_due_at = ?2 WHERE id = ?1")?
            .execute(params![poll.feed_id, ts(poll.next_due_at)])?;
        return Ok(summary);
    }
    let elapsed_ms = i64::try_from(poll.elapsed.as_millis()).unwrap_or(i64::MAX);
    let (status, http_status, bytes, error) = match &poll.outcome {
        PollOutcome::Fetched {
            http_status,
            bytes,
            etag,
            last_modified,
            meta,
            permanent_redirect,
        } => {
            tx.prepare_cached(
                "UPDATE feeds SET etag = ?2, last_modified = ?3, title = COALESCE(?4, title),
                   site_url = COALESCE(?5, site_url), format = COALESCE(?6, format),
                   last_success_at = ?7
                 WHERE id = ?1",
            )?
            .execute(params![
                poll.feed_id,
                etag,
                last_modified,
                meta.title,
                meta.site_url,
                meta.format,
                now
            ])?;
            record_redirect(tx, poll.feed_id, permanent_redirect.as_deref())?;
            (
                "ok",
                Some(*http_status),
                Some(*bytes),
                meta.broken.as_deref(),
            )
        }
        PollOutcome::NotModified {
            etag,
            last_modified,
        } => {
            tx.prepare_cached("UPDATE feeds SET etag = COALESCE(?2, etag), last_modified = COALESCE(?3, last_modified),
                   last_success_at = ?4 WHERE id = ?1")?.execute(params![poll.feed_id, etag, last_modified, now])?;
            ("not_modified", Some(304), Some(0), None)
        }
        PollOutcome::Failed {
            http_status,
            error,
            gone,
        } => {
            if *gone {
                tx.prepare_cached("UPDATE feeds SET disabled_reason = ?2 WHERE id = ?1")?
                    .execute(params![poll.feed_id, format!("{now}: {error}")])?;
            }
            ("error", *http_status, None, Some(error.as_str()))
        }
        // Returned early above.
        PollOutcome::Deferred => return Ok(summary),
    };
    tx.prepare_cached(
        "UPDATE feeds SET last_polled_at = ?2, last_status = ?3, last_http_status = ?4,
           last_error = ?5, error_count = ?6, next_due_at = ?7 WHERE id = ?1",
    )?
    .execute(params![
        poll.feed_id,
        now,
        status,
        http_status,
        error,
        poll.error_count,
        ts(poll.next_due_at)
    ])?;
    tx.prepare_cached("INSERT INTO fetches (feed_id, started_at, elapsed_ms, status, http_status, bytes, entries, new_items, error, instance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?.execute(params![
            poll.feed_id,
            now,
            elapsed_ms,
            status,
            http_status,
            bytes.map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
            poll.entries as i64,
            summary.new_items as i64,
            error,
            poll.instance
        ])?;
    Ok(summary)
}

/// Polls a permanent redirect must be seen on, in a row, before the feed's
/// `effective_url` moves to its target.
pub const REDIRECT_SIGHTINGS: i64 = 3;

/// Counts consecutive sightings of one permanent-redirect target and moves
/// `effective_url` once there are [`REDIRECT_SIGHTINGS`] of them.
fn record_redirect(
    tx: &Transaction<'_>,
    feed_id: FeedId,
    target: Option<&str>,
) -> rusqlite::Result<()> {
    match target {
        None => tx
            .prepare_cached("UPDATE feeds SET redirect_to = NULL, redirect_seen = 0 WHERE id = ?1")?
            .execute(params![feed_id])?,
        Some(to) => tx
            .prepare_cached(
                "UPDATE feeds SET
               redirect_seen = CASE WHEN redirect_to = ?2 THEN redirect_seen + 1 ELSE 1 END,
               redirect_to = ?2
             WHERE id = ?1",
            )?
            .execute(params![feed_id, to])?,
    };
    tx.prepare_cached(
        "UPDATE feeds SET effective_url = redirect_to, redirect_to = NULL, redirect_seen = 0
         WHERE id = ?1 AND redirect_seen >= ?2",
    )?
    .execute(params![feed_id, REDIRECT_SIGHTINGS])?;
    Ok(())
}

/// Inserts the item unless its canonical URL is stored or tombstoned;
/// returns its id and whether it was new, `None` when it is tombstoned.
fn insert_item(
    tx: &Transaction<'_>,
    entry: &StoredEntry,
    seen_at: DateTime<Utc>,
    story: &StoryContext,
    search: &mut PendingSearch,
) -> rusqlite::Result<Option<(ItemId, bool)>> {
    let item = &entry.item;
    if let Some(id) = tx
        .prepare_cached("SELECT id FROM items WHERE canonical_url = ?1")?
        .query_row([&item.canonical_url], |r| r.get(0))
        .optional()?
    {
        return Ok(Some((id, false)));
    }
    // An article retention deleted is not stored again, whichever feed or
    // key offers it (the tombstone outlives the feed's entry).
    if tx
        .prepare_cached("SELECT 1 FROM tombstones WHERE canonical_url = ?1")?
        .exists([&item.canonical_url])?
    {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT INTO items (url, canonical_url, title, author, published_at, updated_at, first_seen_at,
           summary, content_html, content_text, language, image, site_name, extraction, extraction_error,
           changed_at, extraction_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?7, ?16)",
    )?
    .execute(params![
        item.url,
        item.canonical_url,
        item.title,
        item.author,
        item.published_at.map(ts),
        item.updated_at.map(ts),
        ts(seen_at),
        item.summary,
        item.content_html,
        item.content_text,
        item.language,
        item.image,
        item.site_name,
        item.extraction.as_str(),
        item.extraction_error,
        item.extraction_path,
    ])?;
    let id = tx.last_insert_rowid();
    let terms = match &entry.search_terms {
        Some(terms) => terms.clone(),
        // As the trigger's function did, a crash in the analyser fails this
        // write (and so this poll alone), never the writer thread.
        None => std::panic::catch_unwind(|| super::fts::item_terms(item)).map_err(|_| {
            rusqlite::Error::UserFunctionError(
                format!("search terms of {} could not be made", item.canonical_url).into(),
            )
        })?,
    };
    search.push(id, terms);
    super::stories_hook::assign_story(tx, id, entry, seen_at, story)?;
    Ok(Some((id, true)))
}

/// Records that `feed_id` carried `item_id` under `key`; false if it already had.
fn add_source(
    tx: &Transaction<'_>,
    feed_id: FeedId,
    item_id: ItemId,
    key: &EntryKey,
    entry_url: Option<&str>,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO item_sources (feed_id, item_id, entry_key, entry_url, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![feed_id, item_id, key.as_str(), entry_url, now])?;
    Ok(n > 0)
}
