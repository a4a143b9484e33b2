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
//! over [`crate::stories::StoryIndex`]), `query` and `search` (readers),
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
mod reads;
mod search;
mod stories;
#[cfg(test)]
pub(crate) mod tests;
pub(crate) mod write;

use std::cell::{RefCell, RefMut};

use chrono::{DateTime, TimeDelta, Utc};

pub use conn::{
    PgError, Target, TlsMode, is_corrupt_error, is_full_error, is_transient_error, one_line,
    pg_error, pg_message,
};

use super::{CancelHandle, StoreError};
use crate::model::PgUrl;

/// Hooks the race tests use to hold a transaction at the point where a
/// guard matters.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct TestHooks {
    /// Skip the items lock (the control run of the concurrent-reprint race;
    /// the same-URL race runs without it, to meet the insert's own guard).
    pub skip_items_lock: bool,
    /// Insert an item the naive way: look its canonical URL up first, then
    /// insert without `ON CONFLICT` (the control run of the same-URL race).
    pub unguarded_insert: bool,
    /// Called just before an item's `INSERT`.
    pub before_insert: Option<Box<dyn Fn() + Send>>,
    /// Called after the story candidates were read, before the item's keys
    /// are written.
    pub after_lookup: Option<Box<dyn Fn() + Send>>,
}

/// The store on a PostgreSQL database.
pub struct PgStore {
    /// `None` only while being dropped.
    client: RefCell<Option<postgres::Client>>,
    url: Target,
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
    /// Connects to `url` and brings the schema up to date. The connection
    /// reports this process's default instance name as its
    /// `application_name`. Errors name host, port and database, never the
    /// password.
    pub fn connect(url: &PgUrl) -> Result<PgStore, StoreError> {
        PgStore::open(&Target::new(url)?, &crate::config::default_instance(), true)
    }

    /// Connects for reading only: the schema is checked, not migrated.
    pub fn connect_read_only(url: &PgUrl) -> Result<PgStore, StoreError> {
        PgStore::open(
            &Target::new(url)?,
            &crate::config::default_instance(),
            false,
        )
    }

    /// Connects to `target` as `application_name` `instance`, migrating the
    /// schema when `migrate`, else only checking its version.
    pub fn open(target: &Target, instance: &str, migrate: bool) -> Result<PgStore, StoreError> {
        let mut client = target.open(instance)?;
        if migrate {
            migrate::run(&mut client, target)?;
        } else {
            migrate::check_version(&mut client, target)?;
        }
        Ok(PgStore {
            client: RefCell::new(Some(client)),
            url: target.clone(),
            instance: instance.to_owned(),
            story_window: crate::stories::default_window(),
            #[cfg(test)]
            hooks: TestHooks::default(),
        })
    }

    /// Names this connection `instance` (`[cluster] instance`): its
    /// `application_name`, and `fetches.instance` for polls that name none.
    pub fn set_instance(&mut self, instance: &str) -> Result<(), StoreError> {
        let wrap = self.wrap();
        self.client()?
            .execute(
                "SELECT set_config('application_name', $1, false)",
                &[&instance],
            )
            .map_err(wrap)?;
        self.instance = instance.to_owned();
        Ok(())
    }

    /// A handle that cancels the statement this connection is running.
    pub fn cancel_handle(&self) -> CancelHandle {
        let token = self.client.borrow().as_ref().map(|c| c.cancel_token());
        let target = self.url.clone();
        CancelHandle::new(move || {
            // The API fires this from an async task: the sync client's
            // request (its own small runtime, a connection, maybe TLS) runs
            // on a thread of its own.
            if let Some(token) = token.clone() {
                let target = target.clone();
                let spawned = std::thread::Builder::new()
                    .name("newswire-pg-cancel".into())
                    .spawn(move || target.cancel(&token));
                if let Err(e) = spawned {
                    tracing::debug!(error = %e, "cancel: no thread");
                }
            }
        })
    }

    /// Runs `f` inside one read-only REPEATABLE READ transaction, so the
    /// reads it makes on this store see one snapshot; nothing is committed.
    pub fn read_snapshot<R>(&self, f: impl FnOnce() -> R) -> Result<R, StoreError> {
        let wrap = self.wrap();
        self.client()?
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(&wrap)?;
        let result = f();
        self.client()?.batch_execute("ROLLBACK").map_err(&wrap)?;
        Ok(result)
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
        let mut slot = self.client.borrow_mut();
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            *slot = Some(self.url.open(&self.instance)?);
        }
        Ok(RefMut::map(slot, |c| {
            c.as_mut()
                .expect("connected just above: the slot holds a client")
        }))
    }

    /// Maps a driver error to the store's error naming this database.
    fn wrap(&self) -> impl Fn(postgres::Error) -> StoreError + use<> {
        let shown = self.url.shown().to_owned();
        move |source| pg_error(&shown, source)
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
                Err(ref e) if attempt == 1 && conn::is_retryable_store_error(e) => {
                    tracing::debug!(error = %e, "transaction retried once");
                }
                other => return other,
            }
        }
    }
}

/// Runs `f`, a call into the sync client, off the async scheduler when
/// called from a task of a multi-thread runtime (the client runs its own
/// small runtime, which must not start inside another's task: a daemon
/// opening its store in an async function would otherwise panic). On the
/// store thread, a blocking thread or outside any runtime, `f` just runs.
pub fn outside_async<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl Drop for PgStore {
    /// Closing the connection blocks on the client's runtime: done off the
    /// async scheduler when dropped inside a task.
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            outside_async(move || drop(client));
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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod cancel_tests {
    use std::time::{Duration, Instant};

    use super::tests::TestDb;

    #[test]
    fn a_cancel_fired_from_an_async_task_stops_the_running_statement() {
        let Some(db) = TestDb::new("cancel") else {
            return;
        };
        let store = db.store("t");
        let handle = store.cancel_handle();
        // As the API fires it: from a task on a runtime, while the
        // statement runs on another thread.
        let canceller = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            rt.block_on(async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                handle.cancel();
            });
        });
        let started = Instant::now();
        let outcome = store.client().unwrap().execute("SELECT pg_sleep(20)", &[]);
        let err = outcome.expect_err("the sleep was cancelled");
        assert_eq!(
            err.code(),
            Some(&postgres::error::SqlState::QUERY_CANCELED),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        canceller.join().unwrap();
    }
}
