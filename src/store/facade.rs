//! The backend-neutral store: [`Store`] over `enum Backend`, one arm per
//! backend, each public method dispatched to the backend's own.
//!
//! Every method is sync: the daemon and pipeline call the store on the
//! dedicated `newswire-store` thread, the API on blocking threads (see
//! `crate::workers` and `crate::server::reader`). A backend implements the
//! same methods with the same meaning; where one has nothing to do (SQLite
//! has no leases: one daemon writes it) it says so in its answer
//! ([`Store::is_clustered`]) rather than in an error.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::articles::{ArticleJob, ArticleOutcome, ArticleRow, PageJob, QueueStats};
use super::stories_hook::{NewItemText, StoryRefresh};
use super::{CancelHandle, PendingPoll, SqliteStore, StoreCheck, StoreError};
use crate::model::{
    FeedId, FeedRow, FeedSchedule, FeedState, ItemBody, ItemDetail, ItemId, ItemQuery, ItemRow,
    Lease, PollRecord, PollSummary, SearchHit, StoreGauges, StoreLocation, StoryQuery, StoryRow,
};

/// The store a daemon, a command or a request works with, whatever the
/// backend.
pub struct Store {
    backend: Backend,
}

/// The backends. Each arm holds an open store.
enum Backend {
    /// One SQLite file (boxed: its connection, caches and file state are
    /// far larger than the PostgreSQL handle).
    Sqlite(Box<SqliteStore>),
    /// A PostgreSQL database, shared by a cluster of daemons.
    #[cfg(feature = "postgres")]
    Postgres(Box<super::pg::PgStore>),
}

/// Runs `$e` with `$s` bound to the backend's store.
macro_rules! dispatch {
    (mut $self:ident, $s:ident => $e:expr) => {
        match &mut $self.backend {
            Backend::Sqlite($s) => $e,
            #[cfg(feature = "postgres")]
            Backend::Postgres($s) => super::pg::outside_async(|| $e),
        }
    };
    ($self:ident, $s:ident => $e:expr) => {
        match &$self.backend {
            Backend::Sqlite($s) => $e,
            #[cfg(feature = "postgres")]
            Backend::Postgres($s) => super::pg::outside_async(|| $e),
        }
    };
}

impl Store {
    /// Opens (creating a SQLite file if needed) the store at `location` and
    /// brings its schema up to date.
    pub fn open(location: impl Into<StoreLocation>) -> Result<Store, StoreError> {
        match location.into() {
            StoreLocation::Sqlite(path) => Ok(SqliteStore::open(&path)?.into()),
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => {
                Ok(super::pg::outside_async(|| super::pg::PgStore::connect(&url))?.into())
            }
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(url) => Err(not_built(&url)),
        }
    }

    /// Opens an existing store for reading only (no migration).
    pub fn open_read_only(location: impl Into<StoreLocation>) -> Result<Store, StoreError> {
        match location.into() {
            StoreLocation::Sqlite(path) => Ok(SqliteStore::open_read_only(&path)?.into()),
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => {
                Ok(
                    super::pg::outside_async(|| super::pg::PgStore::connect_read_only(&url))?
                        .into(),
                )
            }
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(url) => Err(not_built(&url)),
        }
    }

    /// A second, read-only connection to this SQLite file, for reads that
    /// should not queue behind the writer's transactions (the pipeline's
    /// feed state and known-entry checks); `None` for an in-memory store
    /// and on PostgreSQL, whose reads already go to the server.
    pub fn reader(&self) -> Result<Option<Store>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => Ok(s.reader()?.map(Store::from)),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Ok(None),
        }
    }

    /// A private in-memory SQLite store (tests, `inspect`).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Ok(SqliteStore::open_in_memory()?.into())
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The store as shown in messages: a file path, or a URL without its
    /// password.
    pub fn path(&self) -> &str {
        dispatch!(self, s => s.path())
    }

    /// The SQLite store underneath, for tests and tools that run SQL of
    /// their own; `None` on another backend.
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    /// A handle that stops the statement this store is running, from
    /// another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        dispatch!(self, s => s.cancel_handle())
    }

    /// Runs `f` on this store inside one read snapshot (a response that
    /// makes several reads sees one state); nothing is committed. `Err`
    /// only when the snapshot cannot begin.
    pub fn read_snapshot<T, E>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<Result<T, E>, StoreError> {
        dispatch!(self, s => s.read_snapshot(|| f(self)))
    }

    /// Sets how far apart in time two copies of a story may be first seen
    /// and still be joined (`[stories] window`).
    pub fn set_story_window(&mut self, window: std::time::Duration) {
        dispatch!(mut self, s => s.set_story_window(window))
    }

    /// Names this store's writer `instance` (`[cluster] instance`): on
    /// PostgreSQL the connection's `application_name`, so `pg_stat_activity`
    /// shows which daemon a session belongs to. SQLite has one writer and
    /// nothing to name.
    pub fn set_instance(&mut self, instance: &str) -> Result<(), StoreError> {
        #[cfg(not(feature = "postgres"))]
        let _ = instance;
        match &mut self.backend {
            Backend::Sqlite(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(s) => super::pg::outside_async(|| s.set_instance(instance)),
        }
    }

    /// Makes the `feeds` table match the config: inserts new feeds, updates URL
    /// and tags, and marks feeds no longer configured (or disabled) as
    /// `enabled = 0`. Nothing is deleted: removed feeds keep their items.
    pub fn sync_feeds(
        &mut self,
        feeds: &[crate::config::FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(mut self, s => s.sync_feeds(feeds, now))
    }

    /// The stored state of every feed, by name.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        dispatch!(self, s => s.feed_states())
    }

    /// Every feed's name, enabled and gone flags and next due time, by name:
    /// what the daemon's schedule needs, without the rest of each state.
    pub fn feed_schedules(&self) -> Result<Vec<FeedSchedule>, StoreError> {
        dispatch!(self, s => s.feed_schedules())
    }

    /// The stored state of the feed called `name`.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        dispatch!(self, s => s.feed_state(name))
    }

    /// Which of `keys` this feed has already stored, with the item each points to.
    pub fn known_entries(
        &self,
        feed_id: FeedId,
        keys: &[crate::model::EntryKey],
    ) -> Result<std::collections::HashMap<String, ItemId>, StoreError> {
        dispatch!(self, s => s.known_entries(feed_id, keys))
    }

    /// The item stored under `canonical_url`, if any.
    pub fn item_by_canonical(&self, canonical_url: &str) -> Result<Option<ItemId>, StoreError> {
        dispatch!(self, s => s.item_by_canonical(canonical_url))
    }

    /// Whether an item with this canonical URL was pruned by retention.
    pub fn is_tombstoned(&self, canonical_url: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.is_tombstoned(canonical_url))
    }

    /// Deletes items first seen before `before`, at most `batch` per
    /// transaction so the writer is never held for long, leaving tombstones
    /// (their canonical URLs and entry keys) so they are not stored again.
    /// Returns how many items were deleted.
    pub fn prune(&mut self, before: DateTime<Utc>, batch: usize) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.prune(before, batch))
    }

    /// Deletes rows of the poll log (`fetches`) that started before `before`,
    /// `batch` rows a transaction so the writer is never held for long.
    /// Returns the rows deleted.
    pub fn prune_fetches(
        &mut self,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.prune_fetches(before, batch))
    }

    /// Drops story-index band keys of items first seen before `before`: they
    /// can never be candidates again, and keeping the index to the matching
    /// window keeps each lookup as fast at a million items as at ten thousand.
    /// Fingerprints and story ids are kept. Returns the rows removed.
    pub fn prune_story_index(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.prune_story_index(before))
    }

    /// Sets when a feed is next due (used at start-up and after config changes).
    pub fn set_next_due(&mut self, feed_id: FeedId, at: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(mut self, s => s.set_next_due(feed_id, at))
    }

    /// Clears `disabled_reason` (the user re-enabled the feed); true if it was set.
    pub fn clear_disabled_reason(&mut self, name: &str) -> Result<bool, StoreError> {
        dispatch!(mut self, s => s.clear_disabled_reason(name))
    }

    /// Whether several daemons may share this store, and so poll only the
    /// feeds they lease ([`Store::claim_due`]). False on SQLite: one daemon
    /// writes the file and keeps its own due queue.
    pub fn is_clustered(&self) -> bool {
        dispatch!(self, s => s.is_clustered())
    }

    /// Leases to `owner` up to `max` enabled feeds among `names` that are
    /// due and not leased by a live daemon, for `lease` (judged by the
    /// store's clock), and returns them with their leases. Two daemons never
    /// get the same feed. Nothing on a store that is not clustered.
    pub fn claim_due(
        &mut self,
        owner: &str,
        names: &[String],
        max: usize,
        lease: Duration,
    ) -> Result<Vec<(FeedState, Lease)>, StoreError> {
        dispatch!(mut self, s => s.claim_due(owner, names, max, lease))
    }

    /// The heartbeat: extends `owner`'s leases on `feed_ids` to `lease` from
    /// now; returns how many no other instance holds (extended, or given
    /// back by their poll's write a moment ago). The others passed to
    /// another daemon, and their polls' writes will be refused.
    pub fn extend_leases(
        &mut self,
        owner: &str,
        feed_ids: &[FeedId],
        lease: Duration,
    ) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.extend_leases(owner, feed_ids, lease))
    }

    /// Ends every lease `owner` holds (a daemon stopping); returns how many.
    pub fn release_leases(&mut self, owner: &str) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.release_leases(owner))
    }

    /// The earliest due time of the enabled, polled feeds among `names`
    /// (a feed never polled is due at once).
    pub fn next_due_at(&self, names: &[String]) -> Result<Option<DateTime<Utc>>, StoreError> {
        dispatch!(self, s => s.next_due_at(names))
    }

    /// Whether `owner` should run the periodic `job` now: true for one
    /// daemon of a cluster once per `every`, so housekeeping runs once per
    /// cluster. Always true on a store one daemon writes (its own timer
    /// decides when).
    pub fn try_periodic(
        &mut self,
        job: &str,
        every: Duration,
        owner: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(mut self, s => s.try_periodic(job, every, owner))
    }

    /// A check of the whole store before the daemon writes to it: `Ok(())`
    /// when it is sound (SQLite: `PRAGMA quick_check`, which reads the
    /// whole file once).
    pub fn quick_check(&self) -> Result<Result<(), String>, StoreError> {
        dispatch!(self, s => s.quick_check())
    }

    /// The check before the daemon writes: on SQLite the whole file only
    /// when nothing proves it is as newswire left it or the last full check
    /// passed `every` ago or more (see `store/soundness.rs`); on PostgreSQL
    /// [`Store::quick_check`]. `Ok(Err(detail))` when the store is damaged.
    pub fn check_before_writing(
        &mut self,
        every: Duration,
    ) -> Result<Result<StoreCheck, String>, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.check_before_writing(every),
            #[cfg(feature = "postgres")]
            Backend::Postgres(s) => {
                super::pg::outside_async(|| Ok(s.quick_check()?.map(|()| StoreCheck::Server)))
            }
        }
    }

    /// The thorough check: `Ok(())` when the store is sound (SQLite:
    /// `PRAGMA integrity_check`).
    pub fn integrity_check(&self) -> Result<Result<(), String>, StoreError> {
        dispatch!(self, s => s.integrity_check())
    }

    /// Writes one poll in one transaction. With a [`Lease`] in the poll, on a
    /// clustered store, nothing is written when the lease has passed to
    /// another daemon: [`StoreError::LeaseLost`].
    pub fn record_poll(&mut self, poll: &PollRecord) -> Result<PollSummary, StoreError> {
        dispatch!(mut self, s => s.record_poll(poll))
    }

    /// Writes `polls` in one transaction; the result of each, in order. Each
    /// poll is atomic: if any fails to write, the group is rolled back and
    /// every poll is written again in a transaction of its own, so the
    /// failing one returns its error and the others commit. If a commit
    /// fails, the polls it held return that error (nothing of them is
    /// stored).
    pub fn record_polls(&mut self, polls: &[PendingPoll]) -> Vec<Result<PollSummary, StoreError>> {
        dispatch!(mut self, s => s.record_polls(polls))
    }

    /// Newest items first (by publication time, else first-seen time); with
    /// `after_id`, in the order they were stored.
    ///
    /// The page is chosen first by ids and sort keys alone (an index walk),
    /// then only its rows are read in full: skipped rows cost no text.
    pub fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>, StoreError> {
        dispatch!(self, s => s.items(q))
    }

    /// Full-text search over titles and article text, best matches first
    /// (BM25, title weighted ten times the text), with a snippet per hit.
    ///
    /// `text` uses the FTS5 operators (`putin AND visit`, `"black sea"`,
    /// `sanction*`, `OR`, `NOT`, parentheses) over analysed words (see
    /// [`super::fts`]): a Chinese word is found inside a sentence, a Russian,
    /// Turkish or Arabic word in any inflected form. Text that is not valid
    /// syntax is searched as plain words; a query without any word finds
    /// nothing.
    pub fn search(&self, text: &str, q: &ItemQuery) -> Result<Vec<SearchHit>, StoreError> {
        dispatch!(self, s => s.search(text, q))
    }

    /// Counts rows of `items`, `item_sources` and `fetches` (for summaries and tests).
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        dispatch!(self, s => s.counts())
    }

    /// Stories, newest first. A story whose items were never fingerprinted
    /// (no text) counts as first seen when its first item was.
    pub fn stories(&self, q: &StoryQuery) -> Result<Vec<StoryRow>, StoreError> {
        dispatch!(self, s => s.stories(q))
    }

    /// The item `id` with every feed that carried it, first first.
    pub fn item_detail(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        dispatch!(self, s => s.item_detail(id))
    }

    /// Every feed's configuration and health, by name.
    pub fn feed_rows(&self) -> Result<Vec<FeedRow>, StoreError> {
        dispatch!(self, s => s.feed_rows())
    }

    /// The bodies of the items `ids`, by id.
    pub fn item_bodies(&self, ids: &[i64]) -> Result<HashMap<i64, ItemBody>, StoreError> {
        dispatch!(self, s => s.item_bodies(ids))
    }

    /// When any feed was last polled (stored text form).
    pub fn last_poll_at(&self) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.last_poll_at())
    }

    /// Item and story counts for `/metrics`.
    pub fn gauges(&self) -> Result<StoreGauges, StoreError> {
        dispatch!(self, s => s.gauges())
    }

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
        dispatch!(mut self, s => s.refresh_story(item_id, text))
    }

    /// Writes one poll and its items' page rows in one transaction (see
    /// [`Store::record_poll`]). A page row is written only for an item that
    /// has none yet.
    pub fn record_poll_with_pages(
        &mut self,
        poll: &super::PollRecord,
        pages: &[PageJob],
    ) -> Result<super::PollSummary, StoreError> {
        dispatch!(mut self, s => s.record_poll_with_pages(poll, pages))
    }

    /// Leases up to `max` due rows to `owner` for `lease`: pending rows whose
    /// time has come, and running rows whose lease has run out (their worker
    /// died). Oldest due first.
    pub fn claim_articles(
        &mut self,
        owner: &str,
        max: usize,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<ArticleJob>, StoreError> {
        dispatch!(mut self, s => s.claim_articles(owner, max, lease, now))
    }

    /// Records how a claimed attempt ended, in one transaction. Returns
    /// false, writing nothing, when the lease was lost (another worker
    /// claimed the row since, or `newswire refetch` reset it).
    pub fn finish_article(
        &mut self,
        job: &ArticleJob,
        outcome: &ArticleOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        dispatch!(mut self, s => s.finish_article(job, outcome, now))
    }

    /// Hands back every row left `running` (a daemon killed mid-fetch): they
    /// are due again at once. Called by the daemon at start-up; on SQLite it
    /// is the only worker. Returns the rows released.
    pub fn release_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.release_articles(now))
    }

    /// Queues the pages of `items` again, due now, with a fresh retry window
    /// (`newswire refetch ITEM_ID…`); items that never had a row get one.
    /// Returns the ids that are not stored items; when there are any,
    /// nothing is queued.
    pub fn requeue_articles(
        &mut self,
        items: &[ItemId],
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemId>, StoreError> {
        dispatch!(mut self, s => s.requeue_articles(items, now))
    }

    /// Queues every `failed` page again, due now (`newswire refetch
    /// --failed`), and the items a newswire without the queue stored with a
    /// failed page (no row, `extraction = 'failed'`). Returns the rows queued.
    pub fn requeue_failed_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        dispatch!(mut self, s => s.requeue_failed_articles(now))
    }

    /// Queue rows in `states` (all when empty), oldest first, at most `limit`.
    pub fn list_articles(
        &self,
        states: &[&str],
        limit: usize,
    ) -> Result<Vec<ArticleRow>, StoreError> {
        dispatch!(self, s => s.list_articles(states, limit))
    }

    /// Rows by state and the age of the oldest pending one. Reads the
    /// `(state, next_attempt_at, created_at)` index only: the small states
    /// are counted, `done` is the rest of the table (about 30 ms at a
    /// million rows, BENCHMARKS.md).
    pub fn article_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        dispatch!(self, s => s.article_stats(now))
    }

    /// When the earliest pending row is due, if any (the worker sleeps until then).
    pub fn next_article_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        dispatch!(self, s => s.next_article_due())
    }
}

impl From<SqliteStore> for Store {
    fn from(store: SqliteStore) -> Store {
        Store {
            backend: Backend::Sqlite(Box::new(store)),
        }
    }
}

#[cfg(feature = "postgres")]
impl From<super::pg::PgStore> for Store {
    fn from(store: super::pg::PgStore) -> Store {
        Store {
            backend: Backend::Postgres(Box::new(store)),
        }
    }
}

/// The answer for a PostgreSQL URL in a build without that backend.
#[cfg(not(feature = "postgres"))]
fn not_built(url: &crate::model::PgUrl) -> StoreError {
    StoreError::Unsupported {
        store: url.to_string(),
        reason: "this newswire was built without PostgreSQL support; \
                 use a build with the `postgres` feature, or `[storage] path`"
            .into(),
    }
}
