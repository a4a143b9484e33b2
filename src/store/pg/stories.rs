//! The story index on PostgreSQL: the reads and writes behind
//! [`crate::stories::StoryIndex`] over the same tables as SQLite's
//! (`story_fingerprints`, `story_bands`, `story_samples`). The decision is
//! the shared one ([`crate::stories::assign_story`]); it runs under the items
//! lock (module notes of [`super`]), so every earlier item is a candidate.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use postgres::Transaction;

use super::PgStore;
use crate::model::Extraction;
use crate::store::stories::{SPREAD_POSTINGS, StoryStoreError};
use crate::store::stories_hook::{self, LateText, NewItemText, StoryRefresh, is_teaser};
use crate::store::{ItemId, StoreError, StoredEntry};
use crate::stories::index::{
    CANDIDATE_POSTINGS, MAX_CANDIDATES, MIN_CANDIDATE_SAMPLES, distinct_keys,
};
use crate::stories::{self, Candidate, Fingerprint, StoryDecision, StoryIndex};

/// What the PostgreSQL story index fails with.
#[derive(Debug, thiserror::Error)]
pub enum PgIndexError {
    /// A statement failed.
    #[error("story index: {0}")]
    Sql(#[from] postgres::Error),
    /// A stored row could not be read.
    #[error(transparent)]
    Row(#[from] StoryStoreError),
}

/// A [`StoryIndex`] inside one transaction.
pub(super) struct PgIndex<'t, 'c> {
    tx: RefCell<&'t mut Transaction<'c>>,
    #[cfg(test)]
    after_lookup: Option<&'t (dyn Fn() + Send)>,
}

impl StoryIndex for PgIndex<'_, '_> {
    type Error = PgIndexError;

    fn candidates(
        &self,
        bands: &[i64],
        samples: &[i64],
        since: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, PgIndexError> {
        if bands.is_empty() && samples.is_empty() {
            return Ok(Vec::new());
        }
        // The rule of `candidate_ids` in one statement (the most keys shared
        // first, ties to the highest id): the newest postings
        // of each distinct key (a bounded range read, the primary key's
        // order backwards), gathered first (an InitPlan) so that the
        // fingerprints are read by primary key. With `IN (subquery)` the
        // planner misjudged the few ids as thousands and hashed the whole
        // fingerprint table on every lookup.
        let rows = self.tx.borrow_mut().query(
            "SELECT f.item_id, f.story_id, f.seen_at, f.fingerprint FROM story_fingerprints f
             WHERE f.item_id = ANY(ARRAY(
               SELECT p.item_id FROM (
                 SELECT p.item_id, 1 AS band FROM unnest($2::bigint[]) k(key) CROSS JOIN LATERAL
                   (SELECT item_id FROM story_bands WHERE band_key = k.key AND seen_at >= $1
                    ORDER BY seen_at DESC, item_id DESC LIMIT $5) p
                 UNION ALL
                 SELECT p.item_id, 0 FROM unnest($3::bigint[]) k(key) CROSS JOIN LATERAL
                   (SELECT item_id FROM story_samples WHERE sample_key = k.key AND seen_at >= $1
                    ORDER BY seen_at DESC, item_id DESC LIMIT $5) p) p
               GROUP BY p.item_id
               HAVING sum(p.band) > 0 OR count(*) - sum(p.band) >= $4
               ORDER BY count(*) DESC, p.item_id DESC LIMIT $6))",
            &[
                &since.timestamp(),
                &distinct_keys(bands),
                &distinct_keys(samples),
                &(MIN_CANDIDATE_SAMPLES as i64),
                &(CANDIDATE_POSTINGS as i64),
                &(MAX_CANDIDATES as i64),
            ],
        )?;
        #[cfg(test)]
        if let Some(hook) = self.after_lookup {
            hook();
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let item_id: i64 = row.get(0);
            let seen: i64 = row.get(2);
            let fingerprint = Fingerprint::from_bytes(row.get::<_, &[u8]>(3))
                .map_err(|source| StoryStoreError::Fingerprint { item_id, source })?;
            let seen_at = DateTime::from_timestamp(seen, 0).ok_or(StoryStoreError::Time {
                item_id,
                seen_at: seen,
            })?;
            out.push(Candidate {
                item_id,
                story_id: row.get(1),
                seen_at,
                fingerprint,
            });
        }
        Ok(out)
    }

    fn sample_spread(
        &self,
        samples: &[i64],
        since: DateTime<Utc>,
        cap: u32,
    ) -> Result<Vec<u32>, PgIndexError> {
        // One statement for every key, each bounded like SQLite's: at most
        // SPREAD_POSTINGS postings, each story looked up by primary key (a
        // scalar subquery, so that the planner cannot turn it into a scan
        // of every fingerprint in story order, as it did for a join).
        let rows = self.tx.borrow_mut().query(
            "SELECT k.ord, LEAST($4, (SELECT count(DISTINCT
                 (SELECT f.story_id FROM story_fingerprints f WHERE f.item_id = s.item_id))
               FROM (SELECT item_id FROM story_samples
                     WHERE sample_key = k.key AND seen_at >= $2 LIMIT $3) s))
             FROM unnest($1::bigint[]) WITH ORDINALITY AS k(key, ord) ORDER BY k.ord",
            &[
                &samples,
                &since.timestamp(),
                &SPREAD_POSTINGS,
                &i64::from(cap),
            ],
        )?;
        Ok(rows
            .iter()
            .map(|r| u32::try_from(r.get::<_, i64>(1)).unwrap_or(u32::MAX))
            .collect())
    }

    fn insert(
        &mut self,
        item_id: i64,
        story_id: i64,
        seen_at: DateTime<Utc>,
        fingerprint: &Fingerprint,
        bands: &[i64],
        samples: &[i64],
    ) -> Result<(), PgIndexError> {
        let seen = seen_at.timestamp();
        let tx = self.tx.get_mut();
        tx.execute("DELETE FROM story_bands WHERE item_id = $1", &[&item_id])?;
        tx.execute("DELETE FROM story_samples WHERE item_id = $1", &[&item_id])?;
        tx.execute(
            "INSERT INTO story_fingerprints (item_id, story_id, seen_at, fingerprint) VALUES ($1, $2, $3, $4)
             ON CONFLICT (item_id) DO UPDATE SET story_id = excluded.story_id,
               seen_at = excluded.seen_at, fingerprint = excluded.fingerprint",
            &[&item_id, &story_id, &seen, &fingerprint.to_bytes()],
        )?;
        tx.execute(
            "INSERT INTO story_bands (band_key, seen_at, item_id)
             SELECT DISTINCT k, $2::bigint, $3::bigint FROM unnest($1::bigint[]) k ON CONFLICT DO NOTHING",
            &[&bands, &seen, &item_id],
        )?;
        tx.execute(
            "INSERT INTO story_samples (sample_key, seen_at, item_id)
             SELECT DISTINCT k, $2::bigint, $3::bigint FROM unnest($1::bigint[]) k ON CONFLICT DO NOTHING",
            &[&samples, &seen, &item_id],
        )?;
        tx.execute(
            "UPDATE items SET story_id = $2 WHERE id = $1",
            &[&item_id, &story_id],
        )?;
        Ok(())
    }
}

impl PgStore {
    fn index<'t, 'c>(&'t self, tx: &'t mut Transaction<'c>) -> PgIndex<'t, 'c> {
        PgIndex {
            tx: RefCell::new(tx),
            #[cfg(test)]
            after_lookup: self.hooks.after_lookup.as_deref(),
        }
    }

    /// The story the new item `id` belongs to (its own id when nothing
    /// matches); a damaged index row costs only this match.
    pub(super) fn assign_story(
        &self,
        tx: &mut Transaction<'_>,
        id: ItemId,
        entry: &StoredEntry,
        seen_at: DateTime<Utc>,
    ) -> Result<ItemId, StoreError> {
        let (fingerprint, teaser) = stories_hook::entry_fingerprint(entry);
        match self.decide(tx, id, &fingerprint, teaser, seen_at) {
            // The index's insert set `items.story_id`.
            Ok(decision) => Ok(decision.story_for(id)),
            Err(PgIndexError::Sql(source)) => Err(self.wrap()(source)),
            Err(e) => {
                // A damaged index row costs only this match, never the item.
                tracing::warn!(item = id, error = %e, "story matching skipped");
                tx.execute("UPDATE items SET story_id = $1 WHERE id = $1", &[&id])
                    .map_err(self.wrap())?;
                Ok(id)
            }
        }
    }

    /// Records `id` in the index and chooses its story (none for a teaser).
    pub(super) fn decide(
        &self,
        tx: &mut Transaction<'_>,
        id: ItemId,
        fingerprint: &Fingerprint,
        teaser: bool,
        seen_at: DateTime<Utc>,
    ) -> Result<StoryDecision, PgIndexError> {
        let window = self.story_window;
        let mut index = self.index(tx);
        if teaser {
            index.insert(id, id, seen_at, fingerprint, &[], &[])?;
            return Ok(StoryDecision::none());
        }
        stories::assign_story(&mut index, id, fingerprint, seen_at, window)
    }

    /// See [`crate::store::Store::refresh_story`]: the item's text replaced
    /// and its story chosen again, under the items lock.
    pub fn refresh_story(
        &mut self,
        item_id: ItemId,
        text: &NewItemText,
    ) -> Result<Option<StoryRefresh>, StoreError> {
        let wrap = self.wrap();
        self.in_tx(|tx| {
            self.items_lock(tx).map_err(&wrap)?;
            let Some(row) = tx
                .query_opt(
                    "SELECT title, first_seen_at, language FROM items WHERE id = $1",
                    &[&item_id],
                )
                .map_err(&wrap)?
            else {
                return Ok(None);
            };
            let stored_title: Option<String> = row.get(0);
            let first_seen: DateTime<Utc> = row.get(1);
            let stored_lang: Option<String> = row.get(2);
            let title = text.title.clone().or(stored_title);
            let language = text.language.clone().or(stored_lang);
            let (st, sx) = super::write::search_terms(
                title.as_deref(),
                text.content_text.as_deref(),
                language.as_deref(),
            );
            tx.execute(
                "UPDATE items SET title = $2, content_html = $3, content_text = $4, language = $5,
                   extraction = $6, extraction_error = $7, search_title = $8, search_text = $9
                 WHERE id = $1",
                &[
                    &item_id,
                    &title,
                    &text.content_html,
                    &text.content_text,
                    &language,
                    &text.extraction.as_str(),
                    &text.extraction_error,
                    &st,
                    &sx,
                ],
            )
            .map_err(&wrap)?;
            let fingerprint = text.fingerprint.clone().unwrap_or_else(|| {
                Fingerprint::from_parts(
                    title.as_deref(),
                    text.content_text.as_deref().unwrap_or_default(),
                )
            });
            self.rejoin_story(tx, item_id, &fingerprint, text.extraction, first_seen)
                .map(Some)
        })
    }

    /// Chooses the story of stored item `item_id` again from its new text's
    /// `fingerprint`, inside the caller's transaction (which holds the
    /// items lock): the one path by which late text joins a story here
    /// ([`PgStore::refresh_story`] and the article queue's finish), reading
    /// the facts the shared rule ([`stories_hook::rejoin`]) needs.
    pub(super) fn rejoin_story(
        &self,
        tx: &mut Transaction<'_>,
        item_id: ItemId,
        fingerprint: &Fingerprint,
        extraction: Extraction,
        first_seen: DateTime<Utc>,
    ) -> Result<StoryRefresh, StoreError> {
        let wrap = self.wrap();
        let previous: i64 = tx
            .query_opt(
                "SELECT COALESCE(story_id, id) FROM items WHERE id = $1",
                &[&item_id],
            )
            .map_err(&wrap)?
            .map_or(item_id, |r| r.get(0));
        let seen_at = tx
            .query_opt(
                "SELECT seen_at FROM story_fingerprints WHERE item_id = $1",
                &[&item_id],
            )
            .map_err(&wrap)?
            .and_then(|r| DateTime::from_timestamp(r.get::<_, i64>(0), 0))
            .unwrap_or(first_seen);
        let joined_by_others: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM items WHERE story_id = $1 AND id <> $1)",
                &[&item_id],
            )
            .map_err(&wrap)?
            .get(0);
        let late = LateText {
            item_id,
            previous,
            joined_by_others,
            seen_at,
            teaser: is_teaser(extraction, fingerprint),
        };
        stories_hook::rejoin(
            &mut self.index(tx),
            &late,
            fingerprint,
            self.story_window,
            |e| matches!(e, PgIndexError::Row(_)),
        )
        .map_err(|e| match e {
            PgIndexError::Sql(source) => wrap(source),
            PgIndexError::Row(source) => StoreError::StoryIndex {
                path: self.path().to_owned(),
                source: Box::new(source),
            },
        })
    }

    /// See [`crate::store::Store::prune_story_index`]; takes the items lock
    /// so no poll is matching meanwhile.
    pub fn prune_story_index(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        self.in_tx(|tx| {
            self.items_lock(tx).map_err(&wrap)?;
            let mut removed = 0;
            for table in ["story_bands", "story_samples"] {
                removed += tx
                    .execute(
                        &format!(
                            "DELETE FROM {table} WHERE item_id IN
                             (SELECT item_id FROM story_fingerprints WHERE seen_at < $1)"
                        ),
                        &[&before.timestamp()],
                    )
                    .map_err(&wrap)?;
            }
            Ok(usize::try_from(removed).unwrap_or(usize::MAX))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;
    use crate::store::pg::tests::{TestDb, entry, feeds, item, poll, story_text};
    use crate::stories::band_keys;
    use crate::stories::index::{CANDIDATE_POSTINGS, MAX_CANDIDATES};

    #[test]
    fn a_key_carried_by_many_items_yields_only_its_newest_carriers() {
        let Some(db) = TestDb::new("candidate postings") else {
            return;
        };
        let mut store = db.store("t");
        let feed = feeds(&mut store, &["wire"])[0];
        // A template: every item has the same text, so the same keys.
        let text = story_text("officials expect a further statement", 40);
        let n = CANDIDATE_POSTINGS + 10;
        let entries = (0..n)
            .map(|i| {
                let url = format!("https://wire.test/{i}");
                entry(&i.to_string(), item(&url, "Statement", &text))
            })
            .collect();
        store.record_poll(&poll(feed, entries, vec![])).unwrap();
        let fp = Fingerprint::from_text(&text);
        let mut client = store.client().unwrap();
        let mut tx = client.transaction().unwrap();
        let stored: Vec<i64> = tx
            .query("SELECT id FROM items ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(stored.len(), n);
        let index = PgIndex {
            tx: RefCell::new(&mut tx),
            after_lookup: None,
        };
        let since = Utc::now() - chrono::TimeDelta::days(1);
        let ids = |c: Vec<Candidate>| {
            let mut ids: Vec<i64> = c.iter().map(|c| c.item_id).collect();
            ids.sort_unstable();
            ids
        };
        // All stored in one second: the newest are the highest ids; all
        // share as many keys, so the newest MAX_CANDIDATES are kept.
        let newest = &stored[n - CANDIDATE_POSTINGS.min(MAX_CANDIDATES)..];
        let both = index
            .candidates(&band_keys(&fp), &fp.sample_keys(), since)
            .unwrap();
        assert_eq!(ids(both), newest);
        let by_samples = index.candidates(&[], &fp.sample_keys(), since).unwrap();
        assert_eq!(ids(by_samples), newest);
    }

    #[test]
    fn the_items_sharing_most_keys_are_the_candidates_when_a_template_links_many() {
        // As on SQLite (`store::stories`): the oldest item shares three band
        // keys, each of the others one; the bound keeps the oldest and the
        // newest of the others.
        let Some(db) = TestDb::new("candidate ranking") else {
            return;
        };
        let mut store = db.store("t");
        let feed = feeds(&mut store, &["wire"])[0];
        let n = 80usize;
        let entries = (0..=n)
            .map(|i| {
                let url = format!("https://wire.test/{i}");
                let text = story_text(&format!("report number {i} filed"), 40);
                entry(&i.to_string(), item(&url, "Report", &text))
            })
            .collect();
        store.record_poll(&poll(feed, entries, vec![])).unwrap();
        let mut client = store.client().unwrap();
        let mut tx = client.transaction().unwrap();
        let stored: Vec<i64> = tx
            .query("SELECT id FROM items ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(stored.len(), n + 1);
        let fp = Fingerprint::from_text(&story_text("officials expect a statement", 40));
        let at = Utc::now();
        let mut index = PgIndex {
            tx: RefCell::new(&mut tx),
            after_lookup: None,
        };
        for (i, id) in stored.iter().enumerate() {
            let keys: Vec<i64> = if i == 0 {
                vec![1, 2, 3]
            } else {
                vec![100 + *id]
            };
            index.insert(*id, *id, at, &fp, &keys, &[]).unwrap();
        }
        let mut query: Vec<i64> = stored[1..].iter().map(|id| 100 + id).collect();
        query.extend([1, 2, 3]);
        let mut ids: Vec<i64> = index
            .candidates(&query, &[], at - chrono::TimeDelta::days(1))
            .unwrap()
            .iter()
            .map(|c| c.item_id)
            .collect();
        ids.sort_unstable();
        let mut expected = vec![stored[0]];
        expected.extend_from_slice(&stored[n + 2 - MAX_CANDIDATES..]);
        assert_eq!(ids, expected);
    }
}
