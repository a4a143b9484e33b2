//! Writing one feed poll (SCALE-OUT §4.1–4.3): the fence, the items lock,
//! the insert that respects tombstones and another instance's insert, the
//! sources, the feed row and the `fetches` row, in one transaction.

use chrono::{DateTime, Utc};
use postgres::Transaction;

use super::{PgStore, lock_key, whole};
use crate::model::EntryKey;
use crate::model::Lease;
use crate::store::{
    FeedId, ItemId, PageJob, PendingPoll, PollRecord, PollSummary, StoreError, StoredEntry, fts,
};

/// Analysed search terms kept per column: PostgreSQL refuses a `tsvector`
/// over 1 MB, and positions past 16,383 are not told apart anyway.
pub const SEARCH_TERMS_MAX: usize = 256 * 1024;

/// The item insert, skipped for a tombstoned URL, with `$guard` before its
/// `RETURNING`.
macro_rules! insert_item_sql {
    ($guard:literal) => {
        concat!(
            "INSERT INTO items (url, canonical_url, title, author, published_at, updated_at,
               first_seen_at, summary, content_html, content_text, language, image, site_name,
               extraction, extraction_error, changed_at, extraction_path, search_title, search_text)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $7, $16, $17, $18
             WHERE NOT EXISTS (SELECT 1 FROM tombstones WHERE canonical_url = $2)",
            $guard,
            " RETURNING id"
        )
    };
}

/// Who writes a poll: the instance recorded in `fetches`, the lease that
/// fences it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writer<'a> {
    /// `fetches.instance`.
    pub instance: Option<&'a str>,
    /// The lease the poll was made under; `None` writes unfenced (the CLI's
    /// one-off `poll`).
    pub lease: Option<&'a Lease>,
}

impl<'a> Writer<'a> {
    /// The poll's own instance and lease; `instance` (this connection's)
    /// when the poll names none.
    pub fn of(poll: &'a PollRecord, instance: &'a str) -> Writer<'a> {
        Writer {
            instance: Some(poll.instance.as_deref().unwrap_or(instance)),
            lease: poll.lease.as_ref(),
        }
    }
}

impl PgStore {
    /// Writes one poll in one transaction (see the module notes): fenced by
    /// `poll.lease` when it has one.
    pub fn record_poll(&mut self, poll: &PollRecord) -> Result<PollSummary, StoreError> {
        self.record_poll_with_pages(poll, &[])
    }

    /// Writes one poll and its items' article-queue rows in one transaction.
    pub fn record_poll_with_pages(
        &mut self,
        poll: &PollRecord,
        pages: &[PageJob],
    ) -> Result<PollSummary, StoreError> {
        let instance = self.instance.clone();
        self.record_poll_as(poll, pages, Writer::of(poll, &instance))
    }

    /// Writes one poll as `writer`: fenced by its lease when it has one.
    pub fn record_poll_as(
        &mut self,
        poll: &PollRecord,
        pages: &[PageJob],
        writer: Writer<'_>,
    ) -> Result<PollSummary, StoreError> {
        self.in_tx(|tx| self.write_poll(tx, poll, pages, writer))
    }

    /// Writes `polls` in one transaction (group commit), each atomic and
    /// fenced by its own lease: when one fails, the group is rolled back and
    /// each is written alone, so the failure (a lost lease, say) costs that
    /// poll only.
    pub fn record_polls(&mut self, polls: &[PendingPoll]) -> Vec<Result<PollSummary, StoreError>> {
        let instance = self.instance.clone();
        if polls.len() > 1 {
            let group = self.in_tx(|tx| {
                polls
                    .iter()
                    .map(|(poll, pages)| {
                        self.write_poll(tx, poll, pages, Writer::of(poll, &instance))
                    })
                    .collect::<Result<Vec<_>, _>>()
            });
            match group {
                Ok(summaries) => return summaries.into_iter().map(Ok).collect(),
                Err(e) => {
                    tracing::debug!(error = %e, polls = polls.len(), "group write failed; writing its polls one by one")
                }
            }
        }
        polls
            .iter()
            .map(|(poll, pages)| {
                self.in_tx(|tx| self.write_poll(tx, poll, pages, Writer::of(poll, &instance)))
            })
            .collect()
    }

    fn write_poll(
        &self,
        tx: &mut Transaction<'_>,
        poll: &PollRecord,
        pages: &[PageJob],
        writer: Writer<'_>,
    ) -> Result<PollSummary, StoreError> {
        let wrap = self.wrap();
        if let Some(lease) = writer.lease {
            // The fence: the feed row is locked first (lock order: feed row,
            // items lock, item rows), and a token that moved on means another
            // instance polls this feed now.
            let held = tx
                .query_opt(
                    "SELECT 1 FROM feeds WHERE id = $1 AND lease_owner = $2 AND lease_token = $3 FOR UPDATE",
                    &[&poll.feed_id, &lease.owner, &lease.token],
                )
                .map_err(&wrap)?;
            if held.is_none() {
                return Err(StoreError::LeaseLost {
                    feed: feed_name(tx, poll.feed_id),
                });
            }
        }
        if !poll.new_entries.is_empty() || !poll.linked.is_empty() {
            self.items_lock(tx).map_err(&wrap)?;
        }
        let now = whole(poll.started_at);
        let mut summary = PollSummary::default();
        for entry in &poll.new_entries {
            match self.insert_item(tx, entry, now)? {
                Some((item_id, inserted)) => {
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
                        now,
                    )
                    .map_err(&wrap)?;
                }
                // Pruned by retention meanwhile: remembered as pruned so it
                // is not fetched again.
                None => {
                    tx.execute(
                        "INSERT INTO pruned_sources (feed_id, entry_key, pruned_at) VALUES ($1, $2, $3)
                         ON CONFLICT DO NOTHING",
                        &[&poll.feed_id, &entry.key.as_str(), &now],
                    )
                    .map_err(&wrap)?;
                }
            }
        }
        for link in &poll.linked {
            if add_source(
                tx,
                poll.feed_id,
                link.item_id,
                &link.key,
                link.entry_url.as_deref(),
                now,
            )
            .map_err(&wrap)?
            {
                summary.linked += 1;
            }
        }
        for page in pages {
            super::feed_row::insert_page(tx, poll.feed_id, page, now).map_err(&wrap)?;
        }
        super::feed_row::write_feed(tx, poll, &summary, writer).map_err(&wrap)?;
        Ok(summary)
    }

    /// The one global items lock (per schema), held to commit.
    pub(super) fn items_lock(&self, tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
        #[cfg(test)]
        if self.hooks.skip_items_lock {
            return Ok(());
        }
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({})",
            lock_key("items")
        ))
    }

    /// Inserts the item unless it is stored or tombstoned; its id and whether
    /// this poll inserted it, `None` when it is tombstoned.
    fn insert_item(
        &self,
        tx: &mut Transaction<'_>,
        entry: &StoredEntry,
        seen_at: DateTime<Utc>,
    ) -> Result<Option<(ItemId, bool)>, StoreError> {
        let wrap = self.wrap();
        let item = &entry.item;
        // Made off the writer by the pipeline when it could; the same
        // analysis either way.
        let terms = match &entry.search_terms {
            Some(terms) => terms.clone(),
            None => fts::item_terms(item),
        };
        let search_title = terms.title.as_deref().map(cap_terms);
        let search_text = terms.text.as_deref().map(cap_terms);
        // Test builds can swap the guarded insert for the naive one (look up,
        // then insert), to show the race the guard closes.
        #[cfg(test)]
        let unguarded = self.hooks.unguarded_insert;
        #[cfg(not(test))]
        let unguarded = false;
        if unguarded
            && let Some(row) = tx
                .query_opt(
                    "SELECT id FROM items WHERE canonical_url = $1",
                    &[&item.canonical_url],
                )
                .map_err(&wrap)?
        {
            return Ok(Some((row.get(0), false)));
        }
        #[cfg(test)]
        if let Some(hook) = &self.hooks.before_insert {
            hook();
        }
        // Another instance may insert the same canonical URL at this moment:
        // `ON CONFLICT` waits for its commit and then inserts nothing, where a
        // plain insert would fail on the unique index.
        let sql = if unguarded {
            insert_item_sql!("")
        } else {
            insert_item_sql!(" ON CONFLICT (canonical_url) DO NOTHING")
        };
        let row = tx
            .query_opt(
                sql,
                &[
                    &item.url,
                    &item.canonical_url,
                    &item.title,
                    &item.author,
                    &item.published_at.map(whole),
                    &item.updated_at.map(whole),
                    &seen_at,
                    &item.summary,
                    &item.content_html,
                    &item.content_text,
                    &item.language,
                    &item.image,
                    &item.site_name,
                    &item.extraction.as_str(),
                    &item.extraction_error,
                    &item.extraction_path,
                    &search_title,
                    &search_text,
                ],
            )
            .map_err(&wrap)?;
        if let Some(row) = row {
            let id: ItemId = row.get(0);
            // The story index's insert sets `items.story_id`.
            self.assign_story(tx, id, entry, seen_at)?;
            return Ok(Some((id, true)));
        }
        let stored = tx
            .query_opt(
                "SELECT id FROM items WHERE canonical_url = $1",
                &[&item.canonical_url],
            )
            .map_err(&wrap)?;
        Ok(stored.map(|r| (r.get(0), false)))
    }
}

/// The analysed terms of an item's title and text, as SQLite's
/// `newswire_terms(title|text, language, text)` makes them.
pub(super) fn search_terms(
    title: Option<&str>,
    text: Option<&str>,
    language: Option<&str>,
) -> (Option<String>, Option<String>) {
    let terms = fts::terms_of(title, text, language);
    (
        terms.title.as_deref().map(cap_terms),
        terms.text.as_deref().map(cap_terms),
    )
}

/// `terms` cut at a word boundary to at most [`SEARCH_TERMS_MAX`] bytes.
pub(super) fn cap_terms(terms: &str) -> String {
    if terms.len() <= SEARCH_TERMS_MAX {
        return terms.to_owned();
    }
    // Analysed terms of Cyrillic, Arabic or Chinese text are multi-byte:
    // step back to a character boundary before slicing.
    let mut end = SEARCH_TERMS_MAX;
    while !terms.is_char_boundary(end) {
        end -= 1;
    }
    let cut = terms[..end].rfind(' ').unwrap_or(0);
    terms[..cut].to_owned()
}

fn feed_name(tx: &mut Transaction<'_>, feed_id: FeedId) -> String {
    tx.query_opt("SELECT name FROM feeds WHERE id = $1", &[&feed_id])
        .ok()
        .flatten()
        .map_or_else(|| format!("#{feed_id}"), |r| r.get(0))
}

/// Records that `feed_id` carried `item_id` under `key`; false if it already had.
fn add_source(
    tx: &mut Transaction<'_>,
    feed_id: FeedId,
    item_id: ItemId,
    key: &EntryKey,
    entry_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, postgres::Error> {
    let n = tx.execute(
        "INSERT INTO item_sources (feed_id, item_id, entry_key, entry_url, first_seen_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        &[&feed_id, &item_id, &key.as_str(), &entry_url, &now],
    )?;
    Ok(n > 0)
}
