//! Read-only access to the store for request handlers.
//!
//! [`Reader`] hands each request a read-only [`Store`] (never the daemon's
//! writer) and runs the request's queries on the blocking thread pool, inside
//! one short read transaction so a response sees one consistent snapshot.
//! A few idle connections are kept for reuse (each at most a minute old, so
//! a replaced file is noticed), and a semaphore bounds how many queries run at
//! once. A store that does not exist yet, or cannot be opened, is reported as
//! [`ApiError::Unavailable`] (503), never a crash.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::store::{Store, StoreError};

/// Idle connections kept for reuse.
const IDLE_CONNECTIONS: usize = 4;
/// Queries allowed to run at once; further requests wait their turn.
const CONCURRENT_QUERIES: usize = 8;
/// An idle connection older than this is closed rather than reused.
const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// Opens, pools and runs read-only store connections.
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<(Instant, Store)>>,
    permits: Arc<Semaphore>,
}

impl Reader {
    /// A reader of the store at `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> Reader {
        Reader {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(CONCURRENT_QUERIES)),
        }
    }

    /// Runs `f` on a read-only store inside one read transaction, on the
    /// blocking pool.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Unavailable("server is shutting down".into()))?;
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.run_blocking(f))
            .await
            .map_err(|e| ApiError::Internal(format!("query task: {e}")))?
    }

    fn run_blocking<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let store = self.checkout()?;
        let opened = store.0;
        let result = {
            let tx = store
                .1
                .connection()
                .unchecked_transaction()
                .map_err(|source| query_error(&self.path, source))?;
            let result = f(&store.1);
            // Read-only: nothing to commit; dropping rolls back and ends the snapshot.
            drop(tx);
            result
        };
        // A connection whose query failed inside SQLite is not reused.
        if !matches!(
            result,
            Err(ApiError::Unavailable(_) | ApiError::Internal(_))
        ) {
            self.checkin(opened, store.1);
        }
        result
    }

    fn checkout(&self) -> Result<(Instant, Store), ApiError> {
        if let Ok(mut idle) = self.idle.lock() {
            while let Some((opened, store)) = idle.pop() {
                if opened.elapsed() < MAX_CONNECTION_AGE {
                    return Ok((opened, store));
                }
            }
        }
        let store = Store::open_read_only(&self.path).map_err(|e| unavailable(&e))?;
        Ok((Instant::now(), store))
    }

    fn checkin(&self, opened: Instant, store: Store) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_CONNECTIONS
        {
            idle.push((opened, store));
        }
    }
}

/// The 503 for a store that cannot be opened.
fn unavailable(e: &StoreError) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

/// Maps a failed query: busy or locked is 503 (try again), anything else 500.
pub fn store_error(e: StoreError) -> ApiError {
    if e.is_transient() {
        ApiError::Unavailable(e.to_string())
    } else {
        ApiError::Internal(e.to_string())
    }
}

/// [`store_error`] for a raw SQLite error on the store at `path`.
pub fn query_error(path: &std::path::Path, source: rusqlite::Error) -> ApiError {
    store_error(StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    })
}
