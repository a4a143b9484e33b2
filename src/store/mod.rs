//! The store: SQL only, behind one backend-neutral interface.
//!
//! [`Store`] is what the daemon, the pipeline, the CLI and the API use; it
//! dispatches each call to a backend: [`SqliteStore`] (one file, the
//! default; `sqlite.rs`) or, in builds with the `postgres` feature, a
//! PostgreSQL database shared by several daemons. The vocabulary both
//! speak (polls, feed states, rows, queries, times) lives in
//! [`crate::model`]; errors ([`StoreError`]) name the store, never a
//! backend type.
//!
//! The daemon owns one [`Store`] as the only writer of a SQLite file. A feed
//! poll is written by [`Store::record_poll`] in one transaction: new items,
//! their sources, the feed's state and the `fetches` row commit together or
//! not at all. The pipeline writes through [`Store::record_polls`] instead:
//! every poll waiting for the writer in one transaction, each still atomic
//! (group commit); SQLite's WAL checkpoints run on a thread of their own,
//! and the writer keeps the WAL near 64 MB (`checkpoint`). A writable
//! SQLite file records how newswire left it at a clean close, so the
//! daemon's check before writing reads the whole file only when needed
//! ([`Store::check_before_writing`], `soundness`). On a clustered store each daemon polls the feeds it
//! leased ([`Store::claim_due`]), and a poll is written only while its
//! lease holds ([`StoreError::LeaseLost`]).
//!
//! Reading helpers for the CLI live in [`query`], the API's own reads in
//! `reads.rs`, its pooled read-only stores in [`ReadPool`]; the article
//! queue (pages waiting for their full text, with retries and leases) in
//! [`articles`]. The tables are documented for downstream readers in
//! `docs/schema.md`.

pub mod articles;
mod checkpoint;
mod facade;
pub mod fts;
mod key_filter;
mod key_set;
mod migrate;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod query;
mod read_pool;
mod reads;
mod soundness;
mod sqlite;
pub mod stories;
pub mod stories_hook;
#[cfg(test)]
pub(crate) mod suite;
mod write;

pub use articles::{ArticleJob, ArticleOutcome, ArticleRow, PageJob, PageState, QueueStats};
#[cfg(feature = "postgres")]
pub use pg::copy::{CopiedTable, copy_sqlite_to_postgres};
// The vocabulary lives in `model`; re-exported for the store's callers.
pub use crate::model::{
    FeedId, FeedMeta, FeedState, ItemCursor, ItemId, ItemQuery, ItemRow, Lease, LinkedEntry,
    PollOutcome, PollRecord, PollSummary, SearchHit, StoreLocation, StoredEntry, StoryQuery,
    StoryRow, parse_ts, ts,
};
pub use facade::Store;
pub use read_pool::{CancelHandle, ReadPool};
pub use soundness::{Proof, StoreCheck};
pub use sqlite::{BUSY_TIMEOUT, SqliteStore};
pub use write::PendingPoll;

/// Errors from the store, naming the store (a file path, or a server URL
/// without its password). The backend's own error is carried boxed and
/// classified by the backend ([`ErrorKind`]), so nothing outside the store
/// names a backend type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused (locked, read-only, disk full, corrupt, gone...).
    #[error("store {store}: {source}")]
    Backend {
        /// The store as shown in messages.
        store: String,
        /// What kind of failure the backend judged it to be.
        kind: ErrorKind,
        /// The backend's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database directory could not be created.
    #[error("store {path}: cannot create directory: {source}")]
    Io {
        /// Database file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The story index could not be read or written.
    #[error("store {path}: {source}")]
    StoryIndex {
        /// The store as shown in messages.
        path: String,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store was written by a newer newswire.
    #[error(
        "store {path} has schema version {found}, newer than this newswire supports ({known}); upgrade newswire"
    )]
    TooNew {
        /// The store as shown in messages.
        path: String,
        /// Version in the store.
        found: i64,
        /// Latest version this build knows.
        known: i64,
    },
    /// The store cannot be used by this build or in this way.
    #[error("store {store}: {reason}")]
    Unsupported {
        /// The store as shown in messages.
        store: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The feed's poll lease passed to another daemon before this poll was
    /// written (clustered stores): the poll wrote nothing, and the feed is
    /// that daemon's to poll now.
    #[error("feed `{feed}`: its lease passed to another instance; this poll was not written")]
    LeaseLost {
        /// The feed's name.
        feed: String,
    },
    /// A feed the caller named has no row (the config and the store disagree
    /// until the next `sync_feeds`).
    #[error("store: no feed named `{name}`")]
    UnknownFeed {
        /// The feed's configured name.
        name: String,
    },
}

/// How a backend judged one of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Locked, busy, read-only or unreachable for now: retrying later may succeed.
    Transient,
    /// The disk (or the file's size limit) is full; also transient.
    Full,
    /// The store is damaged or not a database: writing on would make it worse.
    Corrupt,
    /// Anything else (a bad statement, a constraint): retrying will not help.
    Other,
}

impl StoreError {
    /// True when retrying later may succeed (locked or busy database, full disk).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Backend {
                kind: ErrorKind::Transient | ErrorKind::Full,
                ..
            }
        )
    }

    /// The store is damaged or not a database: writing on would make it worse.
    pub fn is_corrupt(&self) -> bool {
        matches!(
            self,
            StoreError::Backend {
                kind: ErrorKind::Corrupt,
                ..
            }
        )
    }

    /// The disk (or the file's size limit) is full.
    pub fn is_full(&self) -> bool {
        matches!(
            self,
            StoreError::Backend {
                kind: ErrorKind::Full,
                ..
            }
        )
    }

    /// A SQLite error on the store shown as `path`, classified.
    pub(crate) fn sqlite(path: &str, source: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode as C;
        let kind = match &source {
            rusqlite::Error::SqliteFailure(e, _) => match e.code {
                C::DatabaseBusy | C::DatabaseLocked | C::ReadOnly => ErrorKind::Transient,
                C::DiskFull => ErrorKind::Full,
                C::DatabaseCorrupt | C::NotADatabase => ErrorKind::Corrupt,
                _ => ErrorKind::Other,
            },
            _ => ErrorKind::Other,
        };
        StoreError::Backend {
            store: path.to_string(),
            kind,
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests;
