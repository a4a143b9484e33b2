//! Read-only store connections for request handlers, pooled, and a way to
//! cancel the query one of them is running.
//!
//! [`ReadPool`] opens read-only stores on demand and keeps a few idle ones
//! for reuse (each at most [`MAX_CONNECTION_AGE`] old, so a replaced file is
//! noticed). [`CancelHandle`] stops the statement a store is running from
//! another thread: SQLite's `sqlite3_interrupt`; a server backend sends its
//! cancel request. Backend-neutral in shape: the caller knows only "stop
//! what you run for me". [`Store::read_snapshot`] runs several reads in one
//! consistent snapshot.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Store, StoreError};
use crate::model::StoreLocation;

/// Idle connections kept for reuse.
const IDLE_CONNECTIONS: usize = 4;
/// An idle connection older than this is closed rather than reused.
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// Stops the statement a store is running, from any thread. Firing it while
/// nothing runs does nothing (SQLite forgets it): callers repeat it until
/// the query's thread lets go.
#[derive(Clone)]
pub struct CancelHandle(Arc<dyn Fn() + Send + Sync>);

impl CancelHandle {
    /// A handle that runs `cancel` when fired.
    pub fn new(cancel: impl Fn() + Send + Sync + 'static) -> CancelHandle {
        CancelHandle(Arc::new(cancel))
    }

    /// Asks the store to stop its running statement.
    pub fn cancel(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelHandle")
    }
}

/// A read-only store taken from a [`ReadPool`], with its age.
pub struct Pooled {
    opened: Instant,
    store: Store,
}

impl Pooled {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Drop for ReadPool {
    /// Idle stores are closed on a thread of their own: the pool is often
    /// dropped inside an async task, where a server backend's client (which
    /// runs a runtime of its own) must not be dropped.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("newswire-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// Opens and pools read-only stores.
pub struct ReadPool {
    location: StoreLocation,
    idle: Mutex<Vec<Pooled>>,
}

impl ReadPool {
    /// A pool over the store at `location` (which need not exist yet).
    pub fn new(location: StoreLocation) -> ReadPool {
        ReadPool {
            location,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle store young enough to reuse, else a newly opened one.
    pub fn checkout(&self) -> Result<Pooled, StoreError> {
        if let Ok(mut idle) = self.idle.lock() {
            while let Some(pooled) = idle.pop() {
                if pooled.opened.elapsed() < MAX_CONNECTION_AGE {
                    return Ok(pooled);
                }
            }
        }
        let store = Store::open_read_only(&self.location)?;
        Ok(Pooled {
            opened: Instant::now(),
            store,
        })
    }

    /// Gives a store back for reuse (dropped when enough are idle). Give
    /// back only a store whose last query ended cleanly.
    pub fn checkin(&self, pooled: Pooled) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_CONNECTIONS
        {
            idle.push(pooled);
        }
    }
}
