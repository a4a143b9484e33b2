//! Story index tables in SQLite: fingerprints, LSH band keys, sample keys, the `stories` view.
//!
//! [`SqliteIndex`] implements [`StoryIndex`] over a borrowed
//! [`rusqlite::Connection`] on the tables of migrations
//! [`MIGRATION_002_STORIES`] and 008: a candidate lookup is one bounded
//! range read per key (`story_bands` by `(band_key, seen_at)` and
//! `story_samples` by `(sample_key, seen_at)`, newest first, at most
//! [`CANDIDATE_POSTINGS`] rows), then the chosen fingerprints by id; the spread of a
//! sample key over stories is one bounded range read per key; an insert
//! writes the fingerprint row, its keys and `items.story_id`.
//! Callers own the transaction: inside the store's per-poll transaction every
//! statement here joins it.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::stories::index::{CANDIDATE_POSTINGS, candidate_ids, distinct_keys};
use crate::stories::{Candidate, Fingerprint, FingerprintError, StoryIndex};

/// The SQL of migration 002 (story tables and the `stories` view).
pub const MIGRATION_002_STORIES: &str = include_str!("migrations/002_stories.sql");

/// The story-index part of migration 008 (sample keys), for tests that
/// build the tables by hand.
pub const MIGRATION_008_SAMPLES: &str = "CREATE TABLE story_samples (
    sample_key INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    item_id    INTEGER NOT NULL REFERENCES story_fingerprints(item_id) ON DELETE CASCADE,
    PRIMARY KEY (sample_key, seen_at, item_id)
) WITHOUT ROWID;
CREATE INDEX story_samples_item ON story_samples(item_id);";

/// Rows of `story_samples` read per key by [`StoryIndex::sample_spread`].
pub const SPREAD_POSTINGS: i64 = 256;

/// What the story index can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoryStoreError {
    /// A statement failed.
    #[error("story index: {action}: {source}")]
    Sql {
        /// What was being done (names the item when there is one).
        action: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored fingerprint could not be read.
    #[error("story index: fingerprint of item {item_id}: {source}")]
    Fingerprint {
        /// The item whose row is damaged.
        item_id: i64,
        /// What is wrong with it.
        #[source]
        source: FingerprintError,
    },
    /// A stored time is outside the representable range.
    #[error("story index: item {item_id} has an invalid seen_at {seen_at}")]
    Time {
        /// The item.
        item_id: i64,
        /// The stored Unix seconds.
        seen_at: i64,
    },
}

fn sql(action: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> StoryStoreError {
    let action = action.into();
    move |source| StoryStoreError::Sql { action, source }
}

/// `keys` as a JSON array of integers (for `json_each`).
fn json_keys(keys: &[i64]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(keys.len() * 20 + 2);
    out.push('[');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{k}");
    }
    out.push(']');
    out
}

/// A [`StoryIndex`] over the migration-002 tables of a SQLite connection.
#[derive(Debug, Clone, Copy)]
pub struct SqliteIndex<'a>(pub &'a Connection);

impl SqliteIndex<'_> {
    /// Deletes band keys of items seen before `before` (they can no longer be
    /// candidates in a later window); fingerprints are kept for the `stories`
    /// view. Returns the number of band rows removed.
    ///
    /// Only fingerprints from the oldest item that still has band keys onward
    /// are read (a range of the `item_id` primary key; `+seen_at` keeps the
    /// planner off the `seen_at` index, which would walk every fingerprint
    /// ever stored), so the cost follows the window, not the store's age.
    pub fn prune_bands_before(&self, before: DateTime<Utc>) -> Result<usize, StoryStoreError> {
        let mut removed = 0;
        for table in ["story_bands", "story_samples"] {
            removed += self
                .0
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE item_id IN \
                     (SELECT item_id FROM story_fingerprints \
                      WHERE item_id >= (SELECT MIN(item_id) FROM {table}) AND +seen_at < ?1)"
                ))
                .and_then(|mut s| s.execute([before.timestamp()]))
                .map_err(sql(format!("pruning {table}")))?;
        }
        Ok(removed)
    }

    /// The story id recorded for an item, if it was fingerprinted.
    pub fn story_of(&self, item_id: i64) -> Result<Option<i64>, StoryStoreError> {
        self.0
            .query_row(
                "SELECT story_id FROM story_fingerprints WHERE item_id = ?1",
                [item_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(format!("reading the story of item {item_id}")))
    }
}

impl StoryIndex for SqliteIndex<'_> {
    type Error = StoryStoreError;

    fn candidates(
        &self,
        bands: &[i64],
        samples: &[i64],
        since: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, StoryStoreError> {
        if bands.is_empty() && samples.is_empty() {
            return Ok(Vec::new());
        }
        // One bounded range read per key, newest first (the primary key's
        // order backwards), then the fingerprints of the chosen ids.
        let postings = |table: &str, column: &str, keys: &[i64]| {
            let mut stmt = self
                .0
                .prepare_cached(&format!(
                    "SELECT item_id FROM {table} WHERE {column} = ?1 AND seen_at >= ?2 \
                     ORDER BY seen_at DESC, item_id DESC LIMIT {CANDIDATE_POSTINGS}"
                ))
                .map_err(sql("preparing the candidate lookup"))?;
            distinct_keys(keys)
                .iter()
                .map(|key| {
                    stmt.query_map(params![key, since.timestamp()], |r| r.get::<_, i64>(0))
                        .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
                        .map_err(sql("looking up candidates"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let ids = candidate_ids(
            postings("story_bands", "band_key", bands)?,
            postings("story_samples", "sample_key", samples)?,
        );
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT item_id, story_id, seen_at, fingerprint FROM story_fingerprints \
                 WHERE item_id = ?1",
            )
            .map_err(sql("preparing the candidate lookup"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                })
                .optional()
                .map_err(sql("reading a candidate"))?;
            let Some((item_id, story_id, seen, bytes)) = row else {
                continue;
            };
            let fingerprint = Fingerprint::from_bytes(&bytes)
                .map_err(|source| StoryStoreError::Fingerprint { item_id, source })?;
            let seen_at = DateTime::from_timestamp(seen, 0).ok_or(StoryStoreError::Time {
                item_id,
                seen_at: seen,
            })?;
            out.push(Candidate {
                item_id,
                story_id,
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
    ) -> Result<Vec<u32>, StoryStoreError> {
        // At most SPREAD_POSTINGS rows are read per key, so a stock phrase
        // carried by half the store costs no more than a rare one.
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT count(*) FROM (SELECT DISTINCT f.story_id FROM \
                 (SELECT item_id FROM story_samples WHERE sample_key = ?1 AND seen_at >= ?2 LIMIT ?3) s \
                 JOIN story_fingerprints f ON f.item_id = s.item_id LIMIT ?4)",
            )
            .map_err(sql("preparing the sample spread"))?;
        samples
            .iter()
            .map(|key| {
                stmt.query_row(params![key, since.timestamp(), SPREAD_POSTINGS, cap], |r| {
                    r.get::<_, u32>(0)
                })
                .map_err(sql("reading the sample spread"))
            })
            .collect()
    }

    fn insert(
        &mut self,
        item_id: i64,
        story_id: i64,
        seen_at: DateTime<Utc>,
        fingerprint: &Fingerprint,
        bands: &[i64],
        samples: &[i64],
    ) -> Result<(), StoryStoreError> {
        let what = |s: &str| format!("{s} of item {item_id}");
        let seen = seen_at.timestamp();
        for table in ["story_bands", "story_samples"] {
            self.0
                .prepare_cached(&format!("DELETE FROM {table} WHERE item_id = ?1"))
                .and_then(|mut s| s.execute([item_id]))
                .map_err(sql(what("clearing old keys")))?;
        }
        self.0
            .prepare_cached(
                "INSERT INTO story_fingerprints (item_id, story_id, seen_at, fingerprint) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(item_id) DO UPDATE SET story_id = excluded.story_id, \
                 seen_at = excluded.seen_at, fingerprint = excluded.fingerprint",
            )
            .and_then(|mut s| s.execute(params![item_id, story_id, seen, fingerprint.to_bytes()]))
            .map_err(sql(what("writing the fingerprint")))?;
        // One statement per table, the keys as a JSON array: a statement
        // per key cost more in statement overhead than the rows themselves.
        for (table, column, keys) in [
            ("story_bands", "band_key", bands),
            ("story_samples", "sample_key", samples),
        ] {
            if keys.is_empty() {
                continue;
            }
            self.0
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO {table} ({column}, seen_at, item_id) \
                     SELECT value, ?2, ?3 FROM json_each(?1)"
                ))
                .and_then(|mut s| s.execute(params![json_keys(keys), seen, item_id]))
                .map_err(sql(what(&format!("writing {table}"))))?;
        }
        self.0
            .prepare_cached("UPDATE items SET story_id = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![item_id, story_id]))
            .map_err(sql(what("setting the story")))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;
    use crate::stories::index::MAX_CANDIDATES;
    use crate::stories::{MemoryIndex, assign_story, band_keys, default_window};

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, story_id INTEGER);
             CREATE TABLE item_sources (feed_id INTEGER NOT NULL, item_id INTEGER NOT NULL);",
        )
        .unwrap();
        conn.execute_batch(MIGRATION_002_STORIES).unwrap();
        conn.execute_batch(MIGRATION_008_SAMPLES).unwrap();
        conn
    }

    fn text(words: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{words} {i} {}", i * 31 % 17))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn sqlite_index_agrees_with_memory_index_and_fills_the_view() {
        let conn = db();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let texts = [
            text("talks in geneva resumed with envoys", 30),
            text("flooding closed roads across the north", 30),
            text("talks in geneva resumed with envoys", 30)
                + "\nReuters contributed to this report.",
            text("talks in geneva resumed with envoys", 22),
        ];
        conn.execute_batch(
            "INSERT INTO feeds VALUES (1, 'RT World'), (2, 'TASS'), (3, 'UN News');
             INSERT INTO items (id) VALUES (1), (2), (3), (4);
             INSERT INTO item_sources VALUES (1, 1), (3, 1), (2, 2), (2, 3), (3, 4);",
        )
        .unwrap();
        let mut sqlite = SqliteIndex(&conn);
        let mut memory = MemoryIndex::new();
        for (i, t) in texts.iter().enumerate() {
            let id = i as i64 + 1;
            let fp = Fingerprint::from_text(t);
            let at = t0 + TimeDelta::hours(id);
            let a = assign_story(&mut sqlite, id, &fp, at, default_window()).unwrap();
            let b = assign_story(&mut memory, id, &fp, at, default_window()).unwrap();
            assert_eq!(a, b, "item {id}");
        }
        assert_eq!(sqlite.story_of(3).unwrap(), Some(1));
        assert_eq!(sqlite.story_of(4).unwrap(), Some(1));
        assert_eq!(sqlite.story_of(2).unwrap(), Some(2));
        assert_eq!(sqlite.story_of(9).unwrap(), None);
        let item_story: i64 = conn
            .query_row("SELECT story_id FROM items WHERE id = 4", [], |r| r.get(0))
            .unwrap();
        assert_eq!(item_story, 1);

        let rows: Vec<(i64, String, i64, String)> = conn
            .prepare("SELECT id, first_seen_at, item_count, outlets FROM stories ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    1,
                    "2026-11-20T09:00:00Z".to_owned(),
                    3,
                    r#"["RT World","TASS","UN News"]"#.to_owned()
                ),
                (
                    2,
                    "2026-11-20T10:00:00Z".to_owned(),
                    1,
                    r#"["TASS"]"#.to_owned()
                ),
            ]
        );

        // The lookup honours the window and re-inserting replaces band keys.
        let fp = Fingerprint::from_text(&texts[0]);
        let bands = band_keys(&fp);
        assert_eq!(sqlite.candidates(&bands, &[], t0).unwrap().len(), 3);
        assert_eq!(
            sqlite
                .candidates(&bands, &[], t0 + TimeDelta::hours(4))
                .unwrap()
                .len(),
            1
        );
        let other = Fingerprint::from_text(&texts[1]);
        sqlite
            .insert(1, 1, t0, &other, &band_keys(&other), &other.sample_keys())
            .unwrap();
        let ids: Vec<i64> = sqlite
            .candidates(&bands, &[], t0)
            .unwrap()
            .iter()
            .map(|c| c.item_id)
            .collect();
        assert!(!ids.contains(&1), "{ids:?}");
        assert!(sqlite.prune_bands_before(t0 + TimeDelta::days(30)).unwrap() > 0);
        assert!(sqlite.candidates(&bands, &[], t0).unwrap().is_empty());
    }

    #[test]
    fn a_key_carried_by_many_items_yields_only_its_newest_carriers() {
        // A template: every item carries the same keys. The lookup reads
        // the newest CANDIDATE_POSTINGS of them, on SQLite as in memory, and
        // of those, all sharing as many keys, keeps the newest
        // MAX_CANDIDATES.
        let conn = db();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let fp = Fingerprint::from_text(&text("officials expect a further statement", 40));
        let (bands, samples) = (band_keys(&fp), fp.sample_keys());
        let mut sqlite = SqliteIndex(&conn);
        let mut memory = MemoryIndex::new();
        let n = CANDIDATE_POSTINGS as i64 + 10;
        for id in 1..=n {
            conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                .unwrap();
            let at = t0 + TimeDelta::minutes(id);
            sqlite.insert(id, id, at, &fp, &bands, &samples).unwrap();
            memory.insert(id, id, at, &fp, &bands, &samples).unwrap();
        }
        let ids = |c: Vec<Candidate>| {
            let mut ids: Vec<i64> = c.iter().map(|c| c.item_id).collect();
            ids.sort_unstable();
            ids
        };
        let kept = CANDIDATE_POSTINGS.min(MAX_CANDIDATES) as i64;
        let newest: Vec<i64> = (n - kept + 1..=n).collect();
        assert_eq!(
            ids(sqlite.candidates(&bands, &samples, t0).unwrap()),
            newest
        );
        assert_eq!(
            ids(memory.candidates(&bands, &samples, t0).unwrap()),
            newest
        );
        // Through sample keys alone, and with the window cutting the oldest.
        assert_eq!(ids(sqlite.candidates(&[], &samples, t0).unwrap()), newest);
        let late = t0 + TimeDelta::minutes(n - 4);
        assert_eq!(
            ids(sqlite.candidates(&bands, &[], late).unwrap()),
            (n - 4..=n).collect::<Vec<_>>()
        );
        // The ten oldest also carry a key of their own: they would share
        // one key more than the rest, were they among the newest
        // CANDIDATE_POSTINGS carriers of the template's keys. They are not.
        let mut query = bands.clone();
        for id in 1..=10 {
            let mut keys = bands.clone();
            keys.push(1_000 + id);
            query.push(1_000 + id);
            let at = t0 + TimeDelta::minutes(id);
            sqlite.insert(id, id, at, &fp, &keys, &samples).unwrap();
        }
        assert_eq!(
            ids(sqlite.candidates(&query, &samples, t0).unwrap()),
            newest
        );
    }

    #[test]
    fn the_items_sharing_most_keys_are_the_candidates_when_a_template_links_many() {
        // 80 items each share one band key with the new item (a template's
        // words), the oldest shares three: it is kept, with the newest of
        // the others up to the bound.
        let conn = db();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let fp = Fingerprint::from_text(&text("officials expect a further statement", 40));
        let mut sqlite = SqliteIndex(&conn);
        let n = 80i64;
        for id in 1..=n + 1 {
            conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                .unwrap();
            let keys: Vec<i64> = if id == 1 {
                vec![1, 2, 3]
            } else {
                vec![100 + id]
            };
            let at = t0 + TimeDelta::minutes(id);
            sqlite.insert(id, id, at, &fp, &keys, &[]).unwrap();
        }
        let mut query: Vec<i64> = (2..=n + 1).map(|id| 100 + id).collect();
        query.extend([1, 2, 3]);
        let mut ids: Vec<i64> = sqlite
            .candidates(&query, &[], t0)
            .unwrap()
            .iter()
            .map(|c| c.item_id)
            .collect();
        ids.sort_unstable();
        let mut expected = vec![1];
        expected.extend(n + 1 - (MAX_CANDIDATES as i64 - 2)..=n + 1);
        assert_eq!(ids, expected);
    }

    #[test]
    fn prune_keeps_the_window_and_removes_old_items_in_any_id_order() {
        let conn = db();
        conn.execute_batch("INSERT INTO items (id) VALUES (1), (2), (3), (4)")
            .unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let mut index = SqliteIndex(&conn);
        // Item 4 arrives last but carries the oldest time (a re-fingerprint).
        let seen = [(1, 1), (2, 5), (3, 9), (4, 0)];
        for (id, day) in seen {
            let fp = Fingerprint::from_text(&text(&format!("story number {id} told"), 30));
            let at = t0 + TimeDelta::days(day);
            index
                .insert(id, id, at, &fp, &band_keys(&fp), &fp.sample_keys())
                .unwrap();
        }
        let per_item = |id: i64| {
            let fp = Fingerprint::from_text(&text(&format!("story number {id} told"), 30));
            band_keys(&fp).len() + fp.sample_keys().len()
        };
        let removed = index.prune_bands_before(t0 + TimeDelta::days(5)).unwrap();
        let left: Vec<i64> = conn
            .prepare("SELECT DISTINCT item_id FROM story_bands ORDER BY item_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(left, vec![2, 3]);
        assert_eq!(removed, per_item(1) + per_item(4));
        assert_eq!(
            index.prune_bands_before(t0 + TimeDelta::days(5)).unwrap(),
            0
        );
        assert_eq!(index.story_of(1).unwrap(), Some(1), "fingerprints are kept");
    }

    #[test]
    fn damaged_fingerprint_is_an_error_naming_the_item() {
        let conn = db();
        conn.execute_batch(
            "INSERT INTO items (id) VALUES (7);
             INSERT INTO story_fingerprints VALUES (7, 7, 100, x'01020304');
             INSERT INTO story_bands VALUES (42, 100, 7);",
        )
        .unwrap();
        let err = SqliteIndex(&conn)
            .candidates(&[42], &[], DateTime::from_timestamp(0, 0).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("item 7"), "{err}");
    }
}
