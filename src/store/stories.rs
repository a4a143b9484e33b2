//! Story index tables in SQLite: fingerprints, LSH band keys, sample keys, the `stories` view.
//!
//! [`SqliteIndex`] implements [`StoryIndex`] over a borrowed
//! [`rusqlite::Connection`] on the tables of migrations
//! [`MIGRATION_002_STORIES`], 008 and 014: a candidate lookup is one bounded
//! range read per key (`story_bands` by `(band_key, seen_at)` and
//! `story_samples` by `(sample_key, seen_at)`, newest first, at most
//! [`CANDIDATE_POSTINGS`] rows), then the chosen fingerprints by id; the spread of a
//! sample key over stories is one bounded range read per key; an insert
//! writes the fingerprint row, its keys and `items.story_id`.
//!
//! **Pending keys.** A new item's keys fall at random places in the two key
//! b-trees, so a commit of a few hundred items dirtied one index page per key
//! (at 300,000 items, 80 MB of WAL per group and most of the writer's time).
//! An insert therefore writes its keys to `story_pending` (one row per item,
//! appended in id order) and to the writer's [`PendingKeys`], an in-memory
//! copy keyed as the index is, and every lookup reads the index and that
//! copy. Once [`PENDING_ITEMS`] items wait, the store's writer, after a
//! commit, inserts their keys into the index in key order in a transaction
//! of its own with foreign-key checks off
//! ([`SqliteIndex::merge_after_commit`]), each index page written once for
//! many keys. The copy keeps each key in 16 bytes (`store::key_set`).
//! `story_pending` is the truth: the copy is loaded from it when the
//! connection first uses the index, when another connection has committed
//! (`PRAGMA data_version`), after a rollback on the connection (a rollback
//! hook marks it), and after pruning or deleting items. A crash loses
//! nothing: the rows wait in `story_pending` for the next start.
//!
//! **Key filters.** Most band keys are carried by one item only, so most
//! lookups of the merged tables found nothing, each after a descent to a
//! leaf page that was seldom cached. The writer keeps a Bloom filter of the
//! keys of each table (`store::key_filter`, 8 bits a key, at most 8 MB
//! each) and looks a key up only when its filter may hold it. Filters are
//! built from the tables when a lookup first needs them (about a second
//! for 5 million keys), again after another connection committed and when
//! one is full, and take each key this connection merges.
//!
//! Callers own the transaction: inside the store's per-poll transaction every
//! statement here joins it.

use std::cell::{RefCell, RefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::key_filter::KeyFilter;
use super::key_set::KeySet;
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

/// The SQL of migration 014 (`story_pending`), for tests that build the
/// tables by hand.
pub const MIGRATION_014_PENDING: &str = include_str!("migrations/014_story_pending.sql");

/// The SQL of migration 015 (the `(item_id, story_id)` index the sample
/// spread reads), for tests that build the tables by hand.
pub const MIGRATION_015_STORY_INDEX: &str =
    include_str!("migrations/015_story_fingerprint_stories.sql");

/// Rows read per key by [`StoryIndex::sample_spread`] from `story_samples`,
/// and as many from the pending keys.
pub const SPREAD_POSTINGS: i64 = 256;

/// Items whose keys wait in `story_pending` before they are merged into the
/// index. A merge of this many items' keys (about 500,000 rows on news
/// text: 42 band keys and a dozen or two sample keys an item) writes each
/// index page it touches once; the writer's [`PendingKeys`] hold them in
/// about 16 bytes a key. With merges free of key checks, 16,384 made the
/// 100,000-feed cold poll 5 % slower (more pending postings read per
/// lookup) and 4,096 slower too (BENCHMARKS.md, "Scale").
pub const PENDING_ITEMS: i64 = 8192;

/// Items whose keys may wait at most: an insert past this merges inside its
/// own transaction. The store merges after each of its commits that add
/// keys (polls, articles, `refresh_story`) once [`PENDING_ITEMS`] wait
/// ([`SqliteIndex::merge_after_commit`]), so this is reached only by a tool
/// writing through the index alone.
pub const MAX_PENDING_ITEMS: i64 = 2 * PENDING_ITEMS;

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

/// `keys` as a JSON array of integers (`story_pending`'s columns).
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

/// What a writer connection needs to match stories: the matching window and
/// its copy of the pending keys. One per connection (the copy follows that
/// connection's transactions).
#[derive(Debug)]
pub struct StoryContext {
    /// How far back a new item looks for a story to join.
    pub window: TimeDelta,
    /// The connection's copy of `story_pending`.
    pub pending: PendingKeys,
}

impl StoryContext {
    /// A context with `window` and no pending keys loaded yet.
    pub fn new(window: TimeDelta) -> Self {
        Self {
            window,
            pending: PendingKeys::default(),
        }
    }

    /// The index on `conn`, the connection this context belongs to.
    pub fn index<'a>(&'a self, conn: &'a Connection) -> SqliteIndex<'a> {
        SqliteIndex::new(conn, &self.pending)
    }
}

/// One connection's in-memory copy of `story_pending`, keyed as the index
/// is: `(key, seen_at, item_id)` in order, so a lookup is a range read
/// newest first and a merge walks the keys in index order.
///
/// Loaded on first use and again whenever it may differ from the table:
/// another connection committed (`PRAGMA data_version` moved), this
/// connection rolled a transaction back (a rollback hook, installed on the
/// connection when the copy is first loaded, sets a flag), or
/// [`SqliteIndex::forget_pending`] was called after rows left the table
/// other than through the index. Loading 8,192 items' keys takes a few
/// tenths of a second, so read-only transactions on the writer should end
/// with `COMMIT`, not a rollback.
#[derive(Debug, Default)]
pub struct PendingKeys {
    copy: RefCell<Option<PendingCopy>>,
    /// Filters of the merged keys, built when first needed.
    merged: RefCell<Option<MergedKeys>>,
    rolled_back: Arc<AtomicBool>,
}

/// Bloom filters of the keys in `story_bands` and `story_samples`: a key
/// they do not hold is not looked up in the table. Built from the tables
/// when a lookup first needs them, again when another connection has
/// committed (it may have merged keys) and when one is full; keys this
/// connection merges are added as they are written. Keys deleted from the
/// tables (pruning, replaced items, rolled-back merges) stay in them, which
/// costs a lookup and never a miss.
#[derive(Debug)]
struct MergedKeys {
    /// `PRAGMA data_version` when built.
    data_version: i64,
    bands: KeyFilter,
    samples: KeyFilter,
}

/// The keys of the items waiting in `story_pending`.
#[derive(Debug, Default)]
struct PendingCopy {
    /// `PRAGMA data_version` when loaded.
    data_version: i64,
    /// Items with keys waiting.
    items: i64,
    /// `(band_key, seen_at, item_id)`.
    bands: KeySet,
    /// `(sample_key, seen_at, item_id)`.
    samples: KeySet,
}

impl PendingCopy {
    fn add(&mut self, item_id: i64, seen: i64, bands: &[i64], samples: &[i64]) {
        self.bands.add(item_id, seen, bands);
        self.samples.add(item_id, seen, samples);
    }

    fn remove(&mut self, item_id: i64, seen: i64, bands: &[i64], samples: &[i64]) {
        self.bands.remove(item_id, seen, bands);
        self.samples.remove(item_id, seen, samples);
    }
}

impl PendingKeys {
    /// The copy, in step with `story_pending` as `conn` sees it.
    fn sync(&self, conn: &Connection) -> Result<RefMut<'_, PendingCopy>, StoryStoreError> {
        let version: i64 = conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(sql("reading the data version"))?;
        let mut copy = self.copy.borrow_mut();
        let rolled_back = self.rolled_back.swap(false, Ordering::Relaxed);
        let current = copy
            .as_ref()
            .is_some_and(|c| c.data_version == version && !rolled_back);
        if !current {
            if copy.is_none() {
                let flag = Arc::clone(&self.rolled_back);
                conn.rollback_hook(Some(move || flag.store(true, Ordering::Relaxed)))
                    .map_err(sql("watching for rollbacks"))?;
            }
            // Left unloaded if loading fails, so the next use tries again.
            *copy = None;
            *copy = Some(load_pending(conn, version)?);
        }
        Ok(RefMut::map(copy, |c| {
            c.get_or_insert_with(PendingCopy::default)
        }))
    }

    /// The filters of the merged keys, in step with the tables as `conn`
    /// sees them at `data_version` (what [`Self::sync`] just read).
    fn merged(
        &self,
        conn: &Connection,
        data_version: i64,
    ) -> Result<RefMut<'_, MergedKeys>, StoryStoreError> {
        let mut merged = self.merged.borrow_mut();
        let current = merged.as_ref().is_some_and(|m| {
            m.data_version == data_version && !m.bands.is_full() && !m.samples.is_full()
        });
        if !current {
            // Left unbuilt if building fails, so the next use tries again.
            *merged = None;
            *merged = Some(build_filters(conn, data_version)?);
        }
        Ok(RefMut::map(merged, |m| {
            m.get_or_insert_with(|| MergedKeys {
                data_version,
                bands: KeyFilter::with_capacity(0),
                samples: KeyFilter::with_capacity(0),
            })
        }))
    }

    /// Drops the copy, so the next use loads it again.
    fn forget(&self) {
        // The hook stays installed: only a copy of `None` re-installs it,
        // and installing again is harmless.
        if let Some(copy) = self.copy.borrow_mut().as_mut() {
            copy.data_version = i64::MIN;
        }
    }
}

/// Reads every pending key from `story_pending`.
fn load_pending(conn: &Connection, data_version: i64) -> Result<PendingCopy, StoryStoreError> {
    let started = std::time::Instant::now();
    let mut copy = PendingCopy {
        data_version,
        ..PendingCopy::default()
    };
    for column in ["bands", "samples"] {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT j.value, p.seen_at, p.item_id FROM story_pending p, json_each(p.{column}) j"
            ))
            .map_err(sql("loading the pending keys"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql("loading the pending keys"))?;
        let set = if column == "bands" {
            &mut copy.bands
        } else {
            &mut copy.samples
        };
        for row in rows {
            let (key, seen, id) = row.map_err(sql("loading the pending keys"))?;
            set.add(id, seen, &[key]);
        }
    }
    copy.items = conn
        .query_row("SELECT count(*) FROM story_pending", [], |r| r.get(0))
        .map_err(sql("counting the pending keys"))?;
    tracing::debug!(
        items = copy.items,
        ms = started.elapsed().as_millis() as u64,
        "story index: pending keys loaded"
    );
    Ok(copy)
}

/// Filters of every key in `story_bands` and `story_samples`, each sized
/// for twice the distinct keys its table holds (so a growing index rebuilds
/// them about every doubling), up to the largest size.
fn build_filters(conn: &Connection, data_version: i64) -> Result<MergedKeys, StoryStoreError> {
    let started = std::time::Instant::now();
    let filter = |table: &str, column: &str| -> Result<KeyFilter, StoryStoreError> {
        // One scan: into the largest filter, folded down afterwards.
        let mut filter = KeyFilter::with_capacity(usize::MAX);
        let mut stmt = conn
            .prepare(&format!("SELECT {column} FROM main.story_{table}"))
            .map_err(sql("reading the index keys"))?;
        let mut keys = stmt.query([]).map_err(sql("reading the index keys"))?;
        while let Some(row) = keys.next().map_err(sql("reading the index keys"))? {
            filter.insert(row.get(0).map_err(sql("reading the index keys"))?);
        }
        filter.shrink_to_fit();
        Ok(filter)
    };
    // One at most at full size at a time.
    let samples = filter("samples", "sample_key")?;
    let merged = MergedKeys {
        data_version,
        bands: filter("bands", "band_key")?,
        samples,
    };
    tracing::debug!(
        band_keys = merged.bands.keys(),
        sample_keys = merged.samples.keys(),
        bytes = merged.bands.bytes() + merged.samples.bytes(),
        ms = started.elapsed().as_millis() as u64,
        "story index: key filters built"
    );
    Ok(merged)
}

/// Turns foreign-key checks back on when dropped.
struct ForeignKeysBackOn<'a>(&'a Connection);

impl Drop for ForeignKeysBackOn<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.execute_batch("PRAGMA foreign_keys = ON") {
            tracing::error!(error = %e, "foreign-key checks could not be turned back on after a merge");
        }
    }
}

/// A [`StoryIndex`] over the story tables of a SQLite connection and that
/// connection's [`PendingKeys`].
#[derive(Debug, Clone, Copy)]
pub struct SqliteIndex<'a> {
    conn: &'a Connection,
    pending: &'a PendingKeys,
}

impl<'a> SqliteIndex<'a> {
    /// The index on `conn`, with `pending` the copy kept for that connection.
    pub fn new(conn: &'a Connection, pending: &'a PendingKeys) -> Self {
        Self { conn, pending }
    }

    /// Deletes band and sample keys of items seen before `before`, merged
    /// or pending (they can no longer be candidates in a later window);
    /// fingerprints are kept for the `stories` view. Returns the number of
    /// keys removed.
    ///
    /// Only fingerprints from the oldest item that still has band keys onward
    /// are read (a range of the `item_id` primary key; `+seen_at` keeps the
    /// planner off the `seen_at` index, which would walk every fingerprint
    /// ever stored), so the cost follows the window, not the store's age.
    pub fn prune_bands_before(&self, before: DateTime<Utc>) -> Result<usize, StoryStoreError> {
        let mut removed = 0;
        for table in ["story_bands", "story_samples"] {
            removed += self
                .conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE item_id IN \
                     (SELECT item_id FROM story_fingerprints \
                      WHERE item_id >= (SELECT MIN(item_id) FROM {table}) AND +seen_at < ?1)"
                ))
                .and_then(|mut s| s.execute([before.timestamp()]))
                .map_err(sql(format!("pruning {table}")))?;
        }
        let pending: Vec<i64> = self
            .conn
            .prepare_cached(
                "DELETE FROM story_pending WHERE seen_at < ?1 \
                 RETURNING json_array_length(bands) + json_array_length(samples)",
            )
            .and_then(|mut s| {
                s.query_map([before.timestamp()], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql("pruning pending keys"))?;
        if !pending.is_empty() {
            self.forget_pending();
        }
        Ok(removed + usize::try_from(pending.iter().sum::<i64>()).unwrap_or(0))
    }

    /// The story id recorded for an item, if it was fingerprinted.
    pub fn story_of(&self, item_id: i64) -> Result<Option<i64>, StoryStoreError> {
        self.conn
            .query_row(
                "SELECT story_id FROM story_fingerprints WHERE item_id = ?1",
                [item_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(format!("reading the story of item {item_id}")))
    }

    /// Makes the next use load the pending keys again from `story_pending`
    /// (after this connection changed that table other than through
    /// [`StoryIndex::insert`], as pruning and deleting items do).
    pub fn forget_pending(&self) {
        self.pending.forget();
    }

    /// Inserts every pending key into `story_bands` and `story_samples` in
    /// key order and empties `story_pending`, inside the caller's
    /// transaction; does nothing until [`PENDING_ITEMS`] items wait (or
    /// always, with `all`). Returns the number of items whose keys moved.
    pub fn merge_pending(&self, all: bool) -> Result<i64, StoryStoreError> {
        let mut copy = self.pending.sync(self.conn)?;
        self.merge_waiting(&mut copy, if all { 1 } else { PENDING_ITEMS })
    }

    /// [`Self::merge_pending`] in a transaction of its own with
    /// foreign-key checks off, once [`PENDING_ITEMS`] items wait; what the
    /// store runs after its commits. Every pending key's item has a
    /// fingerprint row (`story_pending`'s own foreign key, checked when the
    /// key was written), so checking the parent of each of half a million keys
    /// again, a random read of `story_fingerprints` each, only cost time:
    /// nearly half of every merge. `conn` must not be in a transaction.
    pub fn merge_after_commit(
        conn: &Connection,
        pending: &PendingKeys,
    ) -> Result<i64, StoryStoreError> {
        Self::merge_unchecked_when(conn, pending, PENDING_ITEMS)
    }

    /// [`Self::merge_after_commit`] once `due` items wait.
    fn merge_unchecked_when(
        conn: &Connection,
        pending: &PendingKeys,
        due: i64,
    ) -> Result<i64, StoryStoreError> {
        if pending.sync(conn)?.items < due {
            return Ok(0);
        }
        conn.execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(sql("turning foreign-key checks off for a merge"))?;
        // Declared first, dropped last: after the transaction has ended
        // either way, even on a panic.
        let _checks = ForeignKeysBackOn(conn);
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
                .map_err(sql("beginning a merge"))?;
        let merged = {
            let mut copy = pending.sync(&tx)?;
            SqliteIndex::new(&tx, pending).merge_waiting(&mut copy, due)?
        };
        tx.commit().map_err(sql("committing a merge"))?;
        Ok(merged)
    }

    /// [`Self::merge_pending`] on a copy known to be in step, once at
    /// least `due` items wait.
    fn merge_waiting(&self, copy: &mut PendingCopy, due: i64) -> Result<i64, StoryStoreError> {
        if copy.items == 0 || copy.items < due {
            return Ok(0);
        }
        let started = std::time::Instant::now();
        let mut filters = self.pending.merged.borrow_mut();
        let (band_filter, sample_filter) = match filters.as_mut() {
            Some(f) => (Some(&mut f.bands), Some(&mut f.samples)),
            None => (None, None),
        };
        // One row per statement: a statement that writes many rows and may
        // stop half-way (on a foreign key) first copies every index page it
        // changes to a statement journal, as much again as the merge writes.
        for (table, column, set, mut filter) in [
            ("bands", "band_key", &mut copy.bands, band_filter),
            ("samples", "sample_key", &mut copy.samples, sample_filter),
        ] {
            // Keys go into the filter before their rows are written: a
            // merge that fails leaves keys in the filter that the table
            // lacks, never the reverse.
            let mut write = self
                .conn
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO main.story_{table} ({column}, seen_at, item_id) \
                     VALUES (?1, ?2, ?3)"
                ))
                .map_err(sql("merging the pending keys"))?;
            for (key, seen, id) in set.iter() {
                if let Some(filter) = filter.as_mut() {
                    filter.insert(key);
                }
                write
                    .execute(params![key, seen, id])
                    .map_err(sql("merging the pending keys"))?;
            }
        }
        self.conn
            .execute("DELETE FROM story_pending", [])
            .map_err(sql("clearing the pending keys"))?;
        let items = copy.items;
        copy.bands.clear();
        copy.samples.clear();
        copy.items = 0;
        tracing::debug!(
            items,
            ms = started.elapsed().as_millis() as u64,
            "story index: pending keys merged"
        );
        Ok(items)
    }

    /// Clears an item's old keys wherever they are (in the index, or
    /// pending) before it is indexed again.
    fn clear_keys(&self, copy: &mut PendingCopy, item_id: i64) -> Result<(), StoryStoreError> {
        let what = |s: &str| format!("{s} of item {item_id}");
        for table in ["story_bands", "story_samples"] {
            self.conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE item_id = ?1"))
                .and_then(|mut s| s.execute([item_id]))
                .map_err(sql(what("clearing old keys")))?;
        }
        let old: Option<(i64, String, String)> = self
            .conn
            .prepare_cached(
                "DELETE FROM story_pending WHERE item_id = ?1 RETURNING seen_at, bands, samples",
            )
            .and_then(|mut s| {
                s.query_row([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(sql(what("clearing old pending keys")))?;
        if let Some((seen, bands, samples)) = old {
            let keys = |json: &str| serde_json::from_str::<Vec<i64>>(json);
            match (keys(&bands), keys(&samples)) {
                (Ok(bands), Ok(samples)) => {
                    copy.remove(item_id, seen, &bands, &samples);
                    copy.items -= 1;
                }
                // Written by hand: load the copy again at next use.
                _ => copy.data_version = i64::MIN,
            }
        }
        Ok(())
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
        let copy = self.pending.sync(self.conn)?;
        let merged = self.pending.merged(self.conn, copy.data_version)?;
        let since_ts = since.timestamp();
        // One bounded range read per key in the index (unless its filter
        // rules the key out) and one in the pending keys, newest first (the
        // primary key's order backwards), merged here; then the fingerprints
        // of the chosen ids.
        let postings =
            |table: &str, column: &str, keys: &[i64], filter: &KeyFilter, pending: &KeySet| {
                let mut lookup = self
                    .conn
                    .prepare_cached(&format!(
                        "SELECT seen_at, item_id FROM main.story_{table} \
                     WHERE {column} = ?1 AND seen_at >= ?2 \
                     ORDER BY seen_at DESC, item_id DESC LIMIT {CANDIDATE_POSTINGS}"
                    ))
                    .map_err(sql("preparing the candidate lookup"))?;
                distinct_keys(keys)
                    .iter()
                    .map(|&key| {
                        let mut rows: Vec<(i64, i64)> = if filter.may_contain(key) {
                            lookup
                                .query_map(params![key, since_ts], |r| {
                                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                                })
                                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                                .map_err(sql("looking up candidates"))?
                        } else {
                            Vec::new()
                        };
                        let before = rows.len();
                        rows.extend(pending.postings(key, since_ts, CANDIDATE_POSTINGS));
                        if rows.len() > before {
                            rows.sort_unstable_by(|a, b| b.cmp(a));
                            rows.dedup();
                            rows.truncate(CANDIDATE_POSTINGS);
                        }
                        Ok(rows.into_iter().map(|(_, id)| id).collect::<Vec<i64>>())
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
        let ids = candidate_ids(
            postings("bands", "band_key", bands, &merged.bands, &copy.bands)?,
            postings(
                "samples",
                "sample_key",
                samples,
                &merged.samples,
                &copy.samples,
            )?,
        );
        drop(merged);
        drop(copy);
        let mut stmt = self
            .conn
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
        let copy = self.pending.sync(self.conn)?;
        let merged = self.pending.merged(self.conn, copy.data_version)?;
        let since_ts = since.timestamp();
        // At most SPREAD_POSTINGS rows are read per key from the index (none
        // when its filter rules the key out) and as many from the pending
        // keys (passed in as a JSON array when there are any), each item's
        // story from the narrow `(item_id, story_id)` index, streamed (no
        // sort) and stopping at `cap` stories,
        // so a stock phrase carried by half the store costs no more than a
        // rare one.
        let spread = |with_pending: bool| {
            let pending = if with_pending {
                "UNION ALL SELECT value FROM json_each(?5)"
            } else {
                ""
            };
            self.conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM (SELECT DISTINCT f.story_id FROM ( \
                       SELECT * FROM (SELECT item_id FROM main.story_samples \
                         WHERE sample_key = ?1 AND seen_at >= ?2 LIMIT ?3) {pending}) s \
                     JOIN story_fingerprints f INDEXED BY story_fingerprints_item_story \
                       ON f.item_id = s.item_id LIMIT ?4)"
                ))
                .map_err(sql("preparing the sample spread"))
        };
        let (mut merged_only, mut with_pending) = (spread(false)?, spread(true)?);
        samples
            .iter()
            .map(|&key| {
                let pending: Vec<i64> = copy
                    .samples
                    .postings(key, since_ts, SPREAD_POSTINGS as usize)
                    .into_iter()
                    .map(|(_, id)| id)
                    .collect();
                let read = |r: &rusqlite::Row<'_>| r.get::<_, u32>(0);
                let indexed = if merged.samples.may_contain(key) {
                    SPREAD_POSTINGS
                } else {
                    0
                };
                if pending.is_empty() {
                    if indexed == 0 {
                        return Ok(0);
                    }
                    merged_only.query_row(params![key, since_ts, indexed, cap], read)
                } else {
                    with_pending.query_row(
                        params![key, since_ts, indexed, cap, json_keys(&pending)],
                        read,
                    )
                }
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
        let mut copy = self.pending.sync(self.conn)?;
        let bytes = fingerprint.to_bytes();
        // A new item (the fingerprint row is new) has no keys to clear: its
        // keys reference that row.
        let new = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO story_fingerprints (item_id, story_id, seen_at, fingerprint) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![item_id, story_id, seen, bytes]))
            .map_err(sql(what("writing the fingerprint")))?
            == 1;
        if !new {
            self.clear_keys(&mut copy, item_id)?;
            self.conn
                .prepare_cached(
                    "UPDATE story_fingerprints SET story_id = ?2, seen_at = ?3, fingerprint = ?4 \
                     WHERE item_id = ?1",
                )
                .and_then(|mut s| s.execute(params![item_id, story_id, seen, bytes]))
                .map_err(sql(what("writing the fingerprint")))?;
        }
        if !bands.is_empty() || !samples.is_empty() {
            self.conn
                .prepare_cached(
                    "INSERT INTO story_pending (item_id, seen_at, bands, samples) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![item_id, seen, json_keys(bands), json_keys(samples)])
                })
                .map_err(sql(what("writing pending keys")))?;
            copy.add(item_id, seen, bands, samples);
            copy.items += 1;
            self.merge_waiting(&mut copy, MAX_PENDING_ITEMS)?;
        }
        self.conn
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

    use super::super::key_filter::{BITS_PER_KEY, MIN_KEYS};
    use super::*;
    use crate::stories::index::MAX_CANDIDATES;
    use crate::stories::{MemoryIndex, assign_story, band_keys, default_window};

    /// The tables the story index reads and writes, on `conn`.
    fn create_tables(conn: &Connection) {
        conn.execute_batch(
            "CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, story_id INTEGER);
             CREATE TABLE item_sources (feed_id INTEGER NOT NULL, item_id INTEGER NOT NULL);",
        )
        .unwrap();
        conn.execute_batch(MIGRATION_002_STORIES).unwrap();
        conn.execute_batch(MIGRATION_008_SAMPLES).unwrap();
        conn.execute_batch(MIGRATION_014_PENDING).unwrap();
        conn.execute_batch(MIGRATION_015_STORY_INDEX).unwrap();
    }

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        create_tables(&conn);
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
        let keys = PendingKeys::default();
        let mut sqlite = SqliteIndex::new(&conn, &keys);
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
        let keys = PendingKeys::default();
        let mut sqlite = SqliteIndex::new(&conn, &keys);
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
        let keys = PendingKeys::default();
        let mut sqlite = SqliteIndex::new(&conn, &keys);
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

    /// Candidates and spreads of `fp` through `index`, sorted, for comparing.
    fn lookups(
        index: &impl StoryIndex,
        fp: &Fingerprint,
        since: DateTime<Utc>,
    ) -> (Vec<(i64, i64)>, Vec<u32>) {
        let mut found: Vec<(i64, i64)> = index
            .candidates(&band_keys(fp), &fp.sample_keys(), since)
            .unwrap()
            .iter()
            .map(|c| (c.item_id, c.story_id))
            .collect();
        found.sort_unstable();
        let spread = index.sample_spread(&fp.sample_keys(), since, 1000).unwrap();
        (found, spread)
    }

    #[test]
    fn pending_and_merged_keys_are_found_alike_and_replaced_wherever_they_are() {
        // Three copies of a story and unrelated texts, merged into the index
        // at different points: every lookup agrees with the memory index.
        let conn = db();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let stories = [
            text("talks in geneva resumed with envoys", 40),
            text("flooding closed roads across the north", 40),
            text("the central bank held its key rate", 40),
        ];
        let keys = PendingKeys::default();
        let mut sqlite = SqliteIndex::new(&conn, &keys);
        let mut memory = MemoryIndex::new();
        let mut id = 0;
        for round in 0..4 {
            for (k, story) in stories.iter().enumerate() {
                id += 1;
                conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                    .unwrap();
                let body = format!("{story} update {round}{k}");
                let fp = Fingerprint::from_text(&body);
                let at = t0 + TimeDelta::minutes(id);
                let a = assign_story(&mut sqlite, id, &fp, at, default_window()).unwrap();
                let b = assign_story(&mut memory, id, &fp, at, default_window()).unwrap();
                assert_eq!(a, b, "item {id}");
                assert_eq!(
                    lookups(&sqlite, &fp, t0),
                    lookups(&memory, &fp, t0),
                    "item {id}"
                );
            }
            // Rounds 0 and 2 end with every key so far merged; round 1's
            // keys wait through round 2, round 3's stay pending.
            if round % 2 == 0 {
                assert!(sqlite.merge_pending(true).unwrap() > 0);
                let pending: i64 = conn
                    .query_row("SELECT count(*) FROM story_pending", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(pending, 0);
            }
        }
        assert_eq!(sqlite.story_of(4).unwrap(), Some(1), "copies joined");
        // Re-inserting replaces keys: item 2 (merged) and item 12 (pending)
        // get the text of story 3; neither is found by its old text any more.
        let third = Fingerprint::from_text(&stories[2]);
        let old = Fingerprint::from_text(&format!("{} update 01", stories[1]));
        let pending: Vec<i64> = conn
            .prepare("SELECT item_id FROM story_pending ORDER BY item_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pending, vec![10, 11, 12]);
        let (bands, samples) = (band_keys(&third), third.sample_keys());
        for item in [2, 12] {
            sqlite
                .insert(item, 3, t0, &third, &bands, &samples)
                .unwrap();
            memory
                .insert(item, 3, t0, &third, &bands, &samples)
                .unwrap();
        }
        for fp in [&third, &old] {
            assert_eq!(lookups(&sqlite, fp, t0), lookups(&memory, fp, t0));
        }
        let (found, _) = lookups(&sqlite, &third, t0);
        assert!(
            found.contains(&(2, 3)) && found.contains(&(12, 3)),
            "{found:?}"
        );
    }

    #[test]
    fn pending_keys_roll_back_with_their_transaction_and_survive_a_new_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let open = || {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
            conn
        };
        let mut conn = open();
        create_tables(&conn);
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let fp = |i: i64| Fingerprint::from_text(&text(&format!("report {i} from the wire"), 40));
        // Each connection keeps its own copy of the pending keys.
        let add = |conn: &Connection, keys: &PendingKeys, id: i64| {
            conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                .unwrap();
            let f = fp(id);
            SqliteIndex::new(conn, keys)
                .insert(id, id, t0, &f, &band_keys(&f), &f.sample_keys())
                .unwrap();
        };
        let found = |conn: &Connection, keys: &PendingKeys, id: i64| -> bool {
            let f = fp(id);
            SqliteIndex::new(conn, keys)
                .candidates(&band_keys(&f), &f.sample_keys(), t0)
                .unwrap()
                .iter()
                .any(|c| c.item_id == id)
        };
        let (mine, theirs) = (PendingKeys::default(), PendingKeys::default());
        add(&conn, &mine, 1);
        {
            let tx = conn.transaction().unwrap();
            add(&tx, &mine, 2);
            assert!(found(&tx, &mine, 2), "seen inside its transaction");
            tx.rollback().unwrap();
        }
        assert!(found(&conn, &mine, 1));
        assert!(!found(&conn, &mine, 2), "rolled back with the transaction");
        // A transaction that fails half-way (dropped, as on an error) rolls
        // the copy back too.
        {
            let tx = conn.transaction().unwrap();
            add(&tx, &mine, 2);
            assert!(found(&tx, &mine, 2));
        }
        assert!(!found(&conn, &mine, 2), "dropped transaction");
        // Another connection (a restart, or a second process) reads what is
        // pending from the table, and each sees what the other commits.
        let other = open();
        assert!(found(&other, &theirs, 1));
        add(&other, &theirs, 3);
        assert!(found(&conn, &mine, 3), "committed by another connection");
        SqliteIndex::new(&other, &theirs)
            .merge_pending(true)
            .unwrap();
        add(&conn, &mine, 4);
        for id in [1, 3, 4] {
            assert!(
                found(&conn, &mine, id) && found(&other, &theirs, id),
                "item {id}"
            );
        }
        assert!(!found(&other, &theirs, 2));
        let merged: i64 = conn
            .query_row("SELECT count(DISTINCT item_id) FROM story_bands", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(merged, 2, "items 1 and 3 merged, 4 pending");
    }

    #[test]
    fn merged_keys_are_found_through_filters_built_early_grown_and_rebuilt() {
        // More distinct band keys than the smallest filter holds, merged a
        // few hundred items at a time after the first lookup built an
        // empty filter: every item is still its own best candidate.
        let conn = db();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let keys = PendingKeys::default();
        let mut index = SqliteIndex::new(&conn, &keys);
        let fp = Fingerprint::from_text(&text("a wire report on the talks", 40));
        let bands = |id: i64| -> Vec<i64> { (0..42).map(|b| id * 1_000 + b).collect() };
        let samples = |id: i64| vec![id % 50, 1_000_000 + id];
        let finds_itself = |index: &SqliteIndex<'_>, id: i64| {
            index
                .candidates(&bands(id), &samples(id), t0)
                .unwrap()
                .iter()
                .map(|c| c.item_id)
                .collect::<Vec<_>>()
                == [id]
        };
        assert!(
            index
                .candidates(&bands(1), &samples(1), t0)
                .unwrap()
                .is_empty()
        );
        let items = 1_700;
        for id in 1..=items {
            conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                .unwrap();
            index
                .insert(id, id, t0, &fp, &bands(id), &samples(id))
                .unwrap();
            if id % 400 == 0 {
                assert!(index.merge_pending(true).unwrap() > 0);
                assert!(finds_itself(&index, id - 1), "item {} just merged", id - 1);
            }
        }
        let filter = keys.merged.borrow().as_ref().map(|m| m.bands.bytes());
        assert!(
            filter > Some(MIN_KEYS * BITS_PER_KEY / 8),
            "rebuilt larger once full: {filter:?} bytes"
        );
        for id in (1..=items).step_by(37).chain([400, 401, items]) {
            assert!(finds_itself(&index, id), "item {id}");
        }
        // The spread of a key held only by merged items counts them.
        let spread = index.sample_spread(&[7, 2_000_000], t0, 1000).unwrap();
        assert_eq!(spread, vec![34, 0], "ids 7, 57, ... 1657; a key nobody has");
    }

    #[test]
    fn a_merge_after_commit_skips_key_checks_and_always_turns_them_back_on() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("s.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON")
            .unwrap();
        create_tables(&conn);
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let keys = PendingKeys::default();
        let fp = |i: i64| Fingerprint::from_text(&text(&format!("report {i} from the wire"), 40));
        for id in 1..=3 {
            conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
                .unwrap();
            let f = fp(id);
            SqliteIndex::new(&conn, &keys)
                .insert(id, id, t0, &f, &band_keys(&f), &f.sample_keys())
                .unwrap();
        }
        let checks = || -> i64 {
            conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap()
        };
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        let found = |id: i64| {
            let f = fp(id);
            SqliteIndex::new(&conn, &keys)
                .candidates(&band_keys(&f), &f.sample_keys(), t0)
                .unwrap()
                .iter()
                .any(|c| c.item_id == id)
        };
        // Not due: nothing moves.
        assert_eq!(
            SqliteIndex::merge_unchecked_when(&conn, &keys, 4).unwrap(),
            0
        );
        // A merge that fails half-way (its table is gone) rolls back: the
        // keys stay pending and are still found, and checks are back on.
        conn.execute_batch("ALTER TABLE story_samples RENAME TO gone")
            .unwrap();
        assert!(SqliteIndex::merge_unchecked_when(&conn, &keys, 3).is_err());
        assert_eq!(checks(), 1);
        assert_eq!(count("story_pending"), 3);
        conn.execute_batch("ALTER TABLE gone RENAME TO story_samples")
            .unwrap();
        assert_eq!(count("story_bands"), 0);
        assert!((1..=3).all(found));
        // Due: every key moves, in a transaction of its own.
        assert_eq!(
            SqliteIndex::merge_unchecked_when(&conn, &keys, 3).unwrap(),
            3
        );
        assert_eq!(checks(), 1);
        assert_eq!(count("story_pending"), 0);
        assert_eq!(count("story_bands"), 3 * band_keys(&fp(1)).len() as i64);
        assert!((1..=3).all(found));
        // Checks are on: a key of an item with no fingerprint is refused.
        assert!(
            conn.execute("INSERT INTO story_bands VALUES (1, 0, 99)", [])
                .is_err()
        );
    }

    #[test]
    fn prune_keeps_the_window_and_removes_old_items_in_any_id_order() {
        // Keys still pending, and keys merged into the index.
        for merged in [false, true] {
            let conn = db();
            conn.execute_batch("INSERT INTO items (id) VALUES (1), (2), (3), (4)")
                .unwrap();
            let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
            let keys = PendingKeys::default();
            let mut index = SqliteIndex::new(&conn, &keys);
            // Item 4 arrives last but carries the oldest time (a re-fingerprint).
            let seen = [(1, 1), (2, 5), (3, 9), (4, 0)];
            for (id, day) in seen {
                let fp = Fingerprint::from_text(&text(&format!("story number {id} told"), 30));
                let at = t0 + TimeDelta::days(day);
                index
                    .insert(id, id, at, &fp, &band_keys(&fp), &fp.sample_keys())
                    .unwrap();
            }
            if merged {
                assert_eq!(index.merge_pending(true).unwrap(), 4);
            }
            let per_item = |id: i64| {
                let fp = Fingerprint::from_text(&text(&format!("story number {id} told"), 30));
                band_keys(&fp).len() + fp.sample_keys().len()
            };
            let removed = index.prune_bands_before(t0 + TimeDelta::days(5)).unwrap();
            let left: Vec<i64> = conn
                .prepare(
                    "SELECT item_id FROM story_bands UNION SELECT item_id FROM story_samples \
                     UNION SELECT item_id FROM story_pending ORDER BY 1",
                )
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(left, vec![2, 3], "merged: {merged}");
            assert_eq!(removed, per_item(1) + per_item(4), "merged: {merged}");
            assert_eq!(
                index.prune_bands_before(t0 + TimeDelta::days(5)).unwrap(),
                0
            );
            assert_eq!(index.story_of(1).unwrap(), Some(1), "fingerprints are kept");
            // A pruned item is no candidate, whichever table held its keys.
            let fp = Fingerprint::from_text(&text("story number 1 told", 30));
            let found: Vec<i64> = index
                .candidates(&band_keys(&fp), &fp.sample_keys(), t0)
                .unwrap()
                .iter()
                .map(|c| c.item_id)
                .collect();
            assert!(!found.contains(&1), "merged: {merged}: {found:?}");
        }
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
        let keys = PendingKeys::default();
        let err = SqliteIndex::new(&conn, &keys)
            .candidates(&[42], &[], DateTime::from_timestamp(0, 0).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("item 7"), "{err}");
    }
}
