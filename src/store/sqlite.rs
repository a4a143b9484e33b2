//! The SQLite backend: one file, one connection per [`SqliteStore`].
//!
//! Opened in WAL mode so readers (the sqlite3 shell, Python, Datasette)
//! never block the writer, with a `busy_timeout` so a reader's lock makes
//! the writer wait rather than fail. Migrations in `migrations/` are
//! numbered and append-only; `PRAGMA user_version` records how far a file
//! has come, and a file written by a newer newswire is refused rather than
//! damaged. The writing, reading and queue methods live beside this file
//! (`write.rs`, `query.rs`, `reads.rs`, `articles/`, `stories_hook.rs`).
//!
//! SQLite has one daemon: [`SqliteStore::is_clustered`] is false, nothing is
//! leased, and the daemon keeps its own due queue.
//!
//! A writable file store knows at open whether the file is as newswire left
//! it at its last clean close, and writes that record again when it is
//! dropped after a sound session ([`super::soundness`]); the daemon's check
//! before writing ([`SqliteStore::check_before_writing`]) reads the whole
//! file only when that proof is missing or the last full check is old.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::soundness::{self, FileStamp, Proof};
use super::{CancelHandle, StoreCheck, StoreError, checkpoint, fts, migrate, stories};
use crate::model::{FeedId, FeedSchedule, FeedState, ItemId, Lease, parse_ts, ts};

/// The SQLite store: one connection.
pub struct SqliteStore {
    pub(super) conn: Connection,
    pub(super) path: String,
    /// The story window and the story index's pending keys (see
    /// [`stories::PendingKeys`]): one per connection.
    pub(super) story: stories::StoryContext,
    /// Set when SQLite reported the file damaged (through [`Self::wrap`]):
    /// such a session never leaves a clean-close record.
    damage_seen: Arc<AtomicBool>,
    /// What proves the file sound (writable file stores only).
    soundness: Option<Soundness>,
    /// The `-wal` file the writer keeps bounded (writable file stores only).
    wal_path: Option<PathBuf>,
    /// Its bound, in bytes ([`checkpoint::WAL_SIZE_LIMIT`]).
    wal_limit: u64,
    /// Shared with the checkpoint thread ([`checkpoint::CheckpointLock`]).
    checkpoint_lock: checkpoint::CheckpointLock,
    /// WAL checkpoints on their own thread (file-backed writable stores;
    /// see [`checkpoint`]). Declared last: dropped after `conn`.
    _checkpointer: Option<checkpoint::Checkpointer>,
}

/// What a writable file store knows of its file's soundness
/// ([`soundness`]).
struct Soundness {
    file: PathBuf,
    proof: Proof,
    /// When the last full check passed.
    checked_at: Option<DateTime<Utc>>,
    /// A full check passed in this session.
    checked_now: bool,
}

/// How long a write waits for a reader's lock before failing with "busy".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The writer's page cache, in KiB (`PRAGMA cache_size`).
const WRITER_CACHE_KIB: u32 = 12 * 1024;

/// The page cache of the pipeline's read-only connection
/// ([`SqliteStore::reader`]), in KiB.
const READER_CACHE_KIB: u32 = 1024;

/// Prepared statements the writer keeps: every statement of a poll's write
/// (about 25) and the candidate lookup, whose text varies with the number of
/// sample keys. rusqlite's default of 16 made a poll re-prepare most of them.
const WRITER_STATEMENTS: usize = 128;

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: shown.clone(),
                source,
            })?;
        }
        // The file's identity before SQLite opens it (see `soundness`).
        let before = FileStamp::of(path);
        let conn =
            Connection::open(path).map_err(|source| StoreError::sqlite(&shown.clone(), source))?;
        let mut store = SqliteStore::init(conn, shown.clone(), true)?;
        let record = soundness::open_record(&store.conn).map_err(store.wrap())?;
        store.soundness = Some(Soundness {
            file: path.to_path_buf(),
            proof: soundness::judge(before.as_ref(), &record),
            checked_at: record.checked_at,
            checked_now: false,
        });
        let checkpointer =
            checkpoint::Checkpointer::start(path, Arc::clone(&store.checkpoint_lock))
                .map_err(|source| StoreError::sqlite(&shown.clone(), source))?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        store.wal_path = Some(PathBuf::from(wal));
        // The writer's page cache: SQLite's default (2 MB) held too little
        // of the b-trees a poll reads and writes (the story index's keys,
        // the canonical-URL index); 12 MB keeps a 100,000-feed cold pass
        // under its memory bound beside the story index's pending keys
        // (`stories::PendingKeys`, 16 bytes a key: about 8 MB) and key
        // filters (about 10 MB at 300,000 items), which spare the cache
        // most band-key leaf pages. rusqlite's 16
        // statements were fewer than one poll's write uses.
        store
            .conn
            .set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
        // One plan per statement whatever its bound values: SQLite 3.53
        // otherwise looks at `LIMIT ?` values when planning, so a cached
        // statement with one (the story index's sample spread, once per
        // sample key of every new item) was parsed and planned again on
        // every use, a third of the writer's instructions.
        store
            .conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|source| StoreError::sqlite(&shown, source))?;
        store
            .conn
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {};
                 PRAGMA journal_size_limit = {};
                 PRAGMA cache_size = -{WRITER_CACHE_KIB};",
                checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
                checkpoint::WAL_SIZE_LIMIT
            ))
            .map_err(|source| StoreError::sqlite(&shown, source))?;
        store._checkpointer = Some(checkpointer);
        Ok(store)
    }

    /// Opens an existing store for reading only (no migration, no WAL change).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let shown = path.display().to_string();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|source| StoreError::sqlite(&shown.clone(), source))?;
        SqliteStore::init(conn, shown, false)
    }

    /// A read-only connection to the same file (see [`super::Store::reader`]);
    /// `None` for an in-memory store.
    pub fn reader(&self) -> Result<Option<SqliteStore>, StoreError> {
        let Some(state) = &self.soundness else {
            return Ok(None);
        };
        let reader = SqliteStore::open_read_only(&state.file)?;
        // Its reads are single index probes (a feed's row, an entry key, a
        // canonical URL): a small cache does, beside the writer's.
        reader
            .conn
            .execute_batch(&format!("PRAGMA cache_size = -{READER_CACHE_KIB}"))
            .map_err(reader.wrap())?;
        Ok(Some(reader))
    }

    /// A private in-memory store (tests, `inspect`).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|source| StoreError::sqlite(":memory:", source))?;
        SqliteStore::init(conn, ":memory:".into(), true)
    }

    fn init(conn: Connection, path: String, writable: bool) -> Result<SqliteStore, StoreError> {
        let mut store = SqliteStore {
            conn,
            path,
            story: stories::StoryContext::new(crate::stories::default_window()),
            damage_seen: Arc::new(AtomicBool::new(false)),
            soundness: None,
            wal_path: None,
            wal_limit: checkpoint::WAL_SIZE_LIMIT,
            checkpoint_lock: Default::default(),
            _checkpointer: None,
        };
        let wrap = store.wrap();
        store.conn.busy_timeout(BUSY_TIMEOUT).map_err(&wrap)?;
        // The search-index triggers call it (migration 008).
        fts::register(&store.conn).map_err(&wrap)?;
        if writable {
            // WAL lets readers work while the daemon writes; NORMAL sync is
            // durable across process crashes (only power loss can lose the
            // last transactions, never corrupt the file).
            store
                .conn
                .execute_batch(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(&wrap)?;
            migrate::run(&mut store.conn, &store.path)?;
        } else {
            migrate::check_version(&store.conn, &store.path)?;
        }
        Ok(store)
    }

    /// Maps SQLite's errors to [`StoreError`], noting damage on the way.
    pub(super) fn wrap(&self) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
        let path = self.path.clone();
        let damage = Arc::clone(&self.damage_seen);
        move |source| {
            let error = StoreError::sqlite(&path.clone(), source);
            if error.is_corrupt() {
                damage.store(true, Ordering::Relaxed);
            }
            error
        }
    }

    /// Sets how far apart in time two copies of a story may be first seen
    /// and still be joined (`[stories] window`).
    pub fn set_story_window(&mut self, window: std::time::Duration) {
        self.story.window = chrono::TimeDelta::from_std(window).unwrap_or(chrono::TimeDelta::MAX);
    }

    /// After a write: keeps the WAL file near its bound (see [`checkpoint`]).
    /// A failure is logged and tried again after the next write.
    pub(super) fn bound_wal(&self) {
        let Some(wal) = &self.wal_path else {
            return;
        };
        if let Err(e) =
            checkpoint::bound_wal(&self.conn, wal, self.wal_limit, &self.checkpoint_lock)
        {
            tracing::warn!(store = %self.path, error = %e, "the writer's WAL checkpoint failed");
        }
    }

    /// Sets the WAL bound (and `journal_size_limit`) to `bytes`: tests that
    /// pass it without writing 64 MB.
    #[cfg(test)]
    pub(super) fn set_wal_limit(&mut self, bytes: u64) -> rusqlite::Result<()> {
        self.wal_limit = bytes;
        self.conn
            .execute_batch(&format!("PRAGMA journal_size_limit = {bytes}"))
    }

    /// The database file as shown in messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw connection, for tests and tools that need SQL of their own.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A handle that stops the statement this store is running, from
    /// another thread (SQLite's interrupt).
    pub fn cancel_handle(&self) -> CancelHandle {
        let handle = self.conn.get_interrupt_handle();
        CancelHandle::new(move || handle.interrupt())
    }

    /// Runs `f` inside one read transaction, so the reads it makes on this
    /// store see one snapshot; nothing is committed. `Err` only when the
    /// transaction cannot begin.
    pub fn read_snapshot<R>(&self, f: impl FnOnce() -> R) -> Result<R, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(self.wrap())?;
        let result = f();
        // Read-only, so a commit writes nothing; a rollback would make the
        // story index load its pending keys again (`stories::PendingKeys`).
        tx.commit().map_err(self.wrap())?;
        Ok(result)
    }

    /// Makes the `feeds` table match the config: inserts new feeds, updates URL
    /// and tags, and marks feeds no longer configured (or disabled) as
    /// `enabled = 0`. Nothing is deleted: removed feeds keep their items.
    pub fn sync_feeds(
        &mut self,
        feeds: &[crate::config::FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        tx.execute("UPDATE feeds SET enabled = 0", [])
            .map_err(&wrap)?;
        for feed in feeds {
            let tags = serde_json::to_string(&feed.tags).unwrap_or_else(|_| "[]".into());
            tx.prepare_cached(
                "INSERT INTO feeds (name, url, tags, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET
                   effective_url = CASE WHEN feeds.url = excluded.url THEN feeds.effective_url END,
                   disabled_reason = CASE WHEN feeds.url = excluded.url THEN feeds.disabled_reason END,
                   etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                   last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
                   url = excluded.url, tags = excluded.tags, enabled = excluded.enabled",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![feed.name, feed.url.as_str(), tags, feed.enabled, ts(now)])
            })
            .map_err(&wrap)?;
        }
        tx.commit().map_err(&wrap)
    }

    /// The stored state of every feed, by name.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY name"))
            .map_err(&wrap)?;
        let rows = stmt.query_map([], feed_from_row).map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(&wrap)
    }

    /// Every feed's schedule row, by name (see [`FeedSchedule`]).
    pub fn feed_schedules(&self) -> Result<Vec<FeedSchedule>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, enabled, disabled_reason IS NOT NULL, next_due_at FROM feeds ORDER BY name",
            )
            .map_err(&wrap)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FeedSchedule {
                    name: r.get(0)?,
                    enabled: r.get(1)?,
                    gone: r.get(2)?,
                    next_due_at: r.get::<_, Option<String>>(3)?.as_deref().and_then(parse_ts),
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(&wrap)
    }

    /// The stored state of the feed called `name`.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        let wrap = self.wrap();
        self.conn
            .prepare_cached(&format!("SELECT {FEED_COLUMNS} FROM feeds WHERE name = ?1"))
            .and_then(|mut s| s.query_row([name], feed_from_row).optional())
            .map_err(wrap)
    }

    /// Which of `keys` this feed has already stored, with the item each points to.
    pub fn known_entries(
        &self,
        feed_id: FeedId,
        keys: &[crate::model::EntryKey],
    ) -> Result<std::collections::HashMap<String, ItemId>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            // A pruned entry counts as known (item id 0): it must not come back.
            .prepare_cached(
                "SELECT item_id FROM item_sources WHERE feed_id = ?1 AND entry_key = ?2
                 UNION ALL SELECT 0 FROM pruned_sources WHERE feed_id = ?1 AND entry_key = ?2
                 LIMIT 1",
            )
            .map_err(&wrap)?;
        let mut known = std::collections::HashMap::new();
        for key in keys {
            if let Some(id) = stmt
                .query_row(params![feed_id, key.as_str()], |r| r.get::<_, ItemId>(0))
                .optional()
                .map_err(&wrap)?
            {
                known.insert(key.0.clone(), id);
            }
        }
        Ok(known)
    }

    /// The item stored under `canonical_url`, if any.
    pub fn item_by_canonical(&self, canonical_url: &str) -> Result<Option<ItemId>, StoreError> {
        let wrap = self.wrap();
        self.conn
            .prepare_cached("SELECT id FROM items WHERE canonical_url = ?1")
            .and_then(|mut s| s.query_row([canonical_url], |r| r.get(0)).optional())
            .map_err(wrap)
    }

    /// Whether an item with this canonical URL was pruned by retention.
    pub fn is_tombstoned(&self, canonical_url: &str) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        self.conn
            .prepare_cached("SELECT 1 FROM tombstones WHERE canonical_url = ?1")
            .and_then(|mut s| s.exists([canonical_url]))
            .map_err(wrap)
    }

    /// Deletes items first seen before `before`, at most `batch` per
    /// transaction so the writer is never held for long, leaving tombstones
    /// (their canonical URLs and entry keys) so they are not stored again.
    /// Returns how many items were deleted.
    pub fn prune(&mut self, before: DateTime<Utc>, batch: usize) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let cutoff = ts(before);
        let now = ts(Utc::now());
        let mut total = 0;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(&wrap)?;
            let ids: Vec<i64> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id FROM items WHERE first_seen_at < ?1 ORDER BY id LIMIT ?2",
                    )
                    .map_err(&wrap)?;
                let rows = stmt
                    .query_map(params![cutoff, batch.max(1) as i64], |r| r.get(0))
                    .map_err(&wrap)?;
                rows.collect::<Result<_, _>>().map_err(&wrap)?
            };
            if ids.is_empty() {
                break;
            }
            for id in &ids {
                tx.execute(
                    "INSERT OR IGNORE INTO pruned_sources (feed_id, entry_key, pruned_at)
                     SELECT feed_id, entry_key, ?2 FROM item_sources WHERE item_id = ?1",
                    params![id, now],
                )
                .map_err(&wrap)?;
                tx.execute(
                    "INSERT OR IGNORE INTO tombstones (canonical_url, pruned_at)
                     SELECT canonical_url, ?2 FROM items WHERE id = ?1",
                    params![id, now],
                )
                .map_err(&wrap)?;
                tx.execute("DELETE FROM item_sources WHERE item_id = ?1", [id])
                    .map_err(&wrap)?;
                tx.execute("DELETE FROM items WHERE id = ?1", [id])
                    .map_err(&wrap)?;
            }
            // The cascade took their pending story keys from `story_pending`,
            // not from the writer's copy in memory: loaded again at next use.
            self.story.index(&tx).forget_pending();
            tx.commit().map_err(&wrap)?;
            total += ids.len();
        }
        Ok(total)
    }

    /// Deletes rows of the poll log (`fetches`) that started before `before`,
    /// `batch` rows a transaction so the writer is never held for long.
    /// Returns the rows deleted.
    pub fn prune_fetches(
        &mut self,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let cutoff = ts(before);
        let batch = batch.max(1);
        let mut total = 0;
        loop {
            // Rows are written in (nearly) time order, so the old ones are the lowest
            // ids: look at the next `batch` of those only, and stop at the
            // first batch that is not all old (no scan of the recent log).
            let n = self
                .conn
                .prepare_cached(
                    "DELETE FROM fetches WHERE started_at < ?1 AND id IN
                     (SELECT id FROM fetches ORDER BY id LIMIT ?2)",
                )
                .and_then(|mut stmt| stmt.execute(params![cutoff, batch as i64]))
                .map_err(&wrap)?;
            total += n;
            if n < batch {
                return Ok(total);
            }
        }
    }

    /// Drops story-index band keys of items first seen before `before`: they
    /// can never be candidates again, and keeping the index to the matching
    /// window keeps each lookup as fast at a million items as at ten thousand.
    /// Fingerprints and story ids are kept. Returns the rows removed.
    pub fn prune_story_index(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        self.story
            .index(&self.conn)
            .prune_bands_before(before)
            .map_err(|source| StoreError::StoryIndex {
                path: self.path.clone(),
                source: Box::new(source),
            })
    }

    /// Sets when a feed is next due (used at start-up and after config changes).
    pub fn set_next_due(&mut self, feed_id: FeedId, at: DateTime<Utc>) -> Result<(), StoreError> {
        let wrap = self.wrap();
        self.conn
            .execute(
                "UPDATE feeds SET next_due_at = ?2 WHERE id = ?1",
                params![feed_id, ts(at)],
            )
            .map(|_| ())
            .map_err(wrap)
    }

    /// Clears `disabled_reason` (the user re-enabled the feed); true if it was set.
    pub fn clear_disabled_reason(&mut self, name: &str) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        self.conn
            .execute(
                "UPDATE feeds SET disabled_reason = NULL, error_count = 0
                 WHERE name = ?1 AND disabled_reason IS NOT NULL",
                [name],
            )
            .map(|n| n > 0)
            .map_err(wrap)
    }

    /// False: one daemon writes a SQLite file, so nothing is leased and the
    /// daemon keeps its own due queue.
    pub fn is_clustered(&self) -> bool {
        false
    }

    /// Nothing to claim on SQLite (see [`SqliteStore::is_clustered`]): the
    /// daemon's own due queue decides what to poll.
    pub fn claim_due(
        &mut self,
        _owner: &str,
        _names: &[String],
        _max: usize,
        _lease: Duration,
    ) -> Result<Vec<(FeedState, Lease)>, StoreError> {
        Ok(Vec::new())
    }

    /// No leases on SQLite: extends none.
    pub fn extend_leases(
        &mut self,
        _owner: &str,
        _feed_ids: &[FeedId],
        _lease: Duration,
    ) -> Result<usize, StoreError> {
        Ok(0)
    }

    /// No leases on SQLite: releases none.
    pub fn release_leases(&mut self, _owner: &str) -> Result<usize, StoreError> {
        Ok(0)
    }

    /// The earliest due time of the enabled, polled feeds among `names`.
    pub fn next_due_at(&self, names: &[String]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT next_due_at FROM feeds
                 WHERE name = ?1 AND enabled AND disabled_reason IS NULL",
            )
            .map_err(&wrap)?;
        let mut next: Option<DateTime<Utc>> = None;
        for name in names {
            let due: Option<Option<String>> = stmt
                .query_row([name], |r| r.get(0))
                .optional()
                .map_err(&wrap)?;
            let Some(due) = due else { continue };
            // Never polled: due now.
            let at = due
                .as_deref()
                .and_then(parse_ts)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        Ok(next)
    }

    /// True: the one daemon of a SQLite store runs every periodic job; its
    /// own timer decides when.
    pub fn try_periodic(
        &mut self,
        _job: &str,
        _every: Duration,
        _owner: &str,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// `PRAGMA quick_check`: `Ok(())` when the file's pages and records are
    /// sound (the integrity check without its index-content pass; it reads
    /// the whole file once).
    pub fn quick_check(&self) -> Result<Result<(), String>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self.conn.prepare("PRAGMA quick_check(5)").map_err(&wrap)?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(&wrap)?
            .collect::<Result<_, _>>()
            .map_err(&wrap)?;
        Ok(if lines == ["ok"] {
            Ok(())
        } else {
            Err(lines.join("; "))
        })
    }

    /// What was known of the file when this store opened it: `None` for a
    /// store that is not a writable file.
    pub fn proof(&self) -> Option<&Proof> {
        self.soundness.as_ref().map(|s| &s.proof)
    }

    /// The check before the daemon writes: the whole file (`PRAGMA
    /// quick_check`) when nothing proves it is as newswire left it, or when
    /// the last full check that passed is `every` old or more; otherwise
    /// nothing more (see `store/soundness.rs`). A passing full check is recorded.
    /// `Ok(Err(detail))` when the file is damaged.
    pub fn check_before_writing(
        &mut self,
        every: Duration,
    ) -> Result<Result<StoreCheck, String>, StoreError> {
        let now = Utc::now();
        let due = match &self.soundness {
            Some(s) => soundness::full_check_due(&s.proof, s.checked_at, every, now),
            None => Some("not a file store"),
        };
        let Some(reason) = due else {
            let last_full_check = self.soundness.as_ref().and_then(|s| s.checked_at);
            return Ok(Ok(StoreCheck::Trusted {
                last_full_check: last_full_check.unwrap_or(now),
            }));
        };
        if let Err(detail) = self.quick_check()? {
            self.damage_seen.store(true, Ordering::Relaxed);
            return Ok(Err(detail));
        }
        if let Some(s) = &mut self.soundness {
            let bytes = std::fs::metadata(&s.file).ok().map(|m| m.len());
            soundness::record_check(&self.conn, now, bytes).map_err({
                let path = self.path.clone();
                move |source| StoreError::sqlite(&path, source)
            })?;
            s.checked_at = Some(now);
            s.checked_now = true;
        }
        Ok(Ok(StoreCheck::Full { reason }))
    }

    /// `PRAGMA integrity_check`: `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<Result<(), String>, StoreError> {
        let wrap = self.wrap();
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(wrap)?;
        Ok(if result == "ok" { Ok(()) } else { Err(result) })
    }
}

impl Drop for SqliteStore {
    /// Closes a writable file store: after a session that started proven (or
    /// passed a full check) and met no damage, leaves the clean-close record
    /// the next open looks for (`store/soundness.rs`).
    fn drop(&mut self) {
        let Some(state) = &self.soundness else {
            return;
        };
        // Its last checkpoint first, and its connection closed: the record
        // must be the last write, made after the file is stamped.
        drop(self._checkpointer.take());
        let sound =
            (state.proof.holds() || state.checked_now) && !self.damage_seen.load(Ordering::Relaxed);
        if !sound {
            return;
        }
        match soundness::close_cleanly(&self.conn, &state.file) {
            Ok(true) => {}
            Ok(false) => tracing::info!(
                store = %self.path,
                "a reader kept the WAL busy at close; the next start checks the whole store"
            ),
            Err(e) => tracing::warn!(
                store = %self.path,
                error = %e,
                "could not record the clean close; the next start checks the whole store"
            ),
        }
    }
}

const FEED_COLUMNS: &str = "id, name, url, effective_url, etag, last_modified, error_count, \
    next_due_at, last_polled_at, last_status, last_error, enabled, disabled_reason";

fn feed_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FeedState> {
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?.as_deref().and_then(parse_ts))
    };
    Ok(FeedState {
        id: r.get(0)?,
        name: r.get(1)?,
        url: r.get(2)?,
        effective_url: r.get(3)?,
        etag: r.get(4)?,
        last_modified: r.get(5)?,
        error_count: r.get(6)?,
        next_due_at: time(7)?,
        last_polled_at: time(8)?,
        last_status: r.get(9)?,
        last_error: r.get(10)?,
        enabled: r.get(11)?,
        disabled_reason: r.get(12)?,
        // No leases on SQLite.
        lease_owner: None,
        lease_until: None,
    })
}
