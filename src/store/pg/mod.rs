//! The PostgreSQL store: the same tables, views and methods as the SQLite
//! store, for a cluster of daemons sharing one database (`[storage] url`).
//!
//! **Sync client.** Every store call already runs on the `newswire-store`
//! thread or on the API's blocking threads, so this backend uses the sync
//! `postgres` crate (tokio-postgres underneath, each client with its own
//! small runtime): it maps one to one onto the SQLite store's sync methods.
//! It must never be called from inside an async task. TLS goes over rustls
//! with the ring provider already in the tree (`sslmode` disable, prefer,
//! require, verify-full; verify-full checks the server's certificate against
//! the platform's roots, as the HTTP client does).
//!
//! **Concurrency** (docs/schema.md, "PostgreSQL"):
//! - a poll is written in one READ COMMITTED transaction that first checks
//!   its lease (the fence: a poll whose lease token moved on writes nothing
//!   and returns [`StoreError::LeaseLost`]), then, when it writes items,
//!   takes one transaction-scoped advisory lock (the items lock) so story
//!   matching sees every earlier item and ids grow in commit order;
//! - an item is inserted `WHERE NOT EXISTS` a tombstone `ON CONFLICT
//!   (canonical_url) DO NOTHING`, so two instances meeting one article store
//!   it once;
//! - a deadlock or serialisation failure is retried once; a lost connection
//!   is transient and the next call reconnects.
//!
//! Files: [`migrate`] (schema), `write` (polls), `stories` (the story index
//! over [`crate::dedup::StoryIndex`]), `query` and `search` (readers),
//! `articles` (the article queue), `cluster` (leases and once-per-cluster
//! jobs), `admin` (retention), `conn` (connection and errors).

mod admin;
mod articles;
mod cluster;
mod conn;
pub mod copy;
mod feed_row;
pub mod migrate;
mod query;
mod search;
mod stories;
#[cfg(test)]
mod tests;
pub(crate) mod write;

use std::cell::{RefCell, RefMut};

use chrono::{DateTime, TimeDelta, Utc};

pub use conn::{PgUrl, TlsMode, is_corrupt_error, is_full_error, is_transient_error, one_line};

use super::StoreError;
use crate::store::FeedId;

/// A lease on one feed held by one instance; its token fences the poll's
/// write ([`PgStore::claim_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The feed.
    pub feed_id: FeedId,
    /// The instance holding it.
    pub owner: String,
    /// The claim's token: a later claim bumps it.
    pub token: i64,
}

/// Hooks the race tests use to hold a transaction at the point where a
/// guard matters.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct TestHooks {
    /// Skip the items lock (the control run of the concurrent-reprint race).
    pub skip_items_lock: bool,
    /// Called after the story candidates were read, before the item's keys
    /// are written.
    pub after_lookup: Option<Box<dyn Fn() + Send>>,
}

/// The store on a PostgreSQL database.
pub struct PgStore {
    client: RefCell<postgres::Client>,
    url: PgUrl,
    instance: String,
    story_window: TimeDelta,
    #[cfg(test)]
    pub(crate) hooks: TestHooks,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.url.shown())
            .finish()
    }
}

impl PgStore {
    /// Connects as `application_name` `instance` and brings the schema up to
    /// date. Errors name host, port and database, never the password.
    pub fn connect(url: &PgUrl, instance: &str) -> Result<PgStore, StoreError> {
        let mut client = url.open(instance)?;
        migrate::run(&mut client, url)?;
        Ok(PgStore {
            client: RefCell::new(client),
            url: url.clone(),
            instance: instance.to_owned(),
            story_window: crate::dedup::default_window(),
            #[cfg(test)]
            hooks: TestHooks::default(),
        })
    }

    /// Connects for reading only: the schema is checked, not migrated.
    pub fn connect_read_only(url: &PgUrl, instance: &str) -> Result<PgStore, StoreError> {
        let mut client = url.open(instance)?;
        migrate::check_version(&mut client, url)?;
        Ok(PgStore {
            client: RefCell::new(client),
            url: url.clone(),
            instance: instance.to_owned(),
            story_window: crate::dedup::default_window(),
            #[cfg(test)]
            hooks: TestHooks::default(),
        })
    }

    /// The store as shown in messages: `postgres://host:port/db`.
    pub fn path(&self) -> &str {
        self.url.shown()
    }

    /// The instance name this connection reports (`application_name`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// See [`crate::store::Store::set_story_window`].
    pub fn set_story_window(&mut self, window: std::time::Duration) {
        self.story_window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    }

    /// The client, connected again first when the server closed the last
    /// connection (a restart, a network cut): the call that saw the loss
    /// failed as transient, the next one goes on.
    fn client(&self) -> Result<RefMut<'_, postgres::Client>, StoreError> {
        let mut client = self.client.borrow_mut();
        if client.is_closed() {
            *client = self.url.open(&self.instance)?;
        }
        Ok(client)
    }

    /// Maps a driver error to the store's error naming this database.
    fn wrap(&self) -> impl Fn(postgres::Error) -> StoreError + use<> {
        let shown = self.url.shown().to_owned();
        move |source| StoreError::Postgres {
            store: shown.clone(),
            source,
        }
    }

    /// Runs `f` in a READ COMMITTED transaction, once more when it failed
    /// with a deadlock or serialisation failure (40P01, 40001).
    fn in_tx<T>(
        &self,
        mut f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let wrap = self.wrap();
        let mut client = self.client()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = client.transaction().map_err(&wrap)?;
            let result = f(&mut tx).and_then(|v| tx.commit().map(|()| v).map_err(&wrap));
            match result {
                Err(StoreError::Postgres { ref source, .. })
                    if attempt == 1 && conn::is_retryable(source) =>
                {
                    tracing::debug!(error = %one_line(source), "transaction retried once");
                }
                other => return other,
            }
        }
    }
}

/// A stored time read back as the SQLite store shows it.
fn text(t: DateTime<Utc>) -> String {
    super::ts(t)
}

/// A stored optional time as text.
fn opt_text(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(super::ts)
}

/// A time as items store it: whole seconds, as SQLite's text form holds
/// them, so a reader's cursor (`TIME~ID`, seconds) compares exactly.
fn whole(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// A count or size as the `bigint` columns take it.
fn big(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Transaction-scoped advisory lock keys, one set per schema (two stores in
/// two schemas of one database never wait for each other).
fn lock_key(name: &str) -> String {
    format!("hashtextextended('newswire.{name}.' || current_schema(), 0)")
}
