//! Read-only access to the store for request handlers.
//!
//! [`Reader`] hands each request a read-only [`Store`] (never the daemon's
//! writer) from the store's [`ReadPool`] and runs the request's queries on
//! the blocking thread pool, inside one read snapshot
//! ([`Store::read_snapshot`]) so a response is consistent. A semaphore
//! bounds how many queries run at once. A store that does not exist yet, or cannot be opened, is reported as
//! [`ApiError::Unavailable`] (503), never a crash.
//!
//! Every request has a deadline ([`QUERY_DEADLINE`]; [`HEALTH_DEADLINE`] for
//! the probes). When it passes, or when the client leaves and the request is
//! dropped, the running query is cancelled through the store's
//! [`CancelHandle`] (SQLite's `sqlite3_interrupt`; a server backend's cancel
//! request) and the request answers
//! 503: one costly search can hold a query slot for seconds, not minutes.
//! `/healthz` and `/metrics` read through [`Reader::probe`], which has slots
//! of its own, so they never queue behind the API's queries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::model::StoreLocation;
use crate::store::{CancelHandle, ReadPool, Store, StoreError};

/// Queries allowed to run at once; further requests wait their turn.
const CONCURRENT_QUERIES: usize = 8;
/// Probes (`/healthz`, `/metrics`) allowed at once, beside the queries.
const CONCURRENT_PROBES: usize = 4;
/// The longest a request may wait for a query slot and run its queries.
pub const QUERY_DEADLINE: Duration = Duration::from_secs(5);
/// The same for `/healthz` and `/metrics`, whose queries are tiny.
pub const HEALTH_DEADLINE: Duration = Duration::from_secs(2);

/// Opens, pools and runs read-only store connections.
pub struct Reader {
    kind: &'static str,
    pool: ReadPool,
    permits: Arc<Semaphore>,
    probes: Arc<Semaphore>,
}

/// Cancels one request's running query: set by the query's thread while it
/// holds a store, fired by the request on its deadline or when it is
/// dropped (the client left). Backend-neutral: the store's [`CancelHandle`]
/// does the stopping.
#[derive(Default)]
struct Cancel {
    fired: AtomicBool,
    done: AtomicBool,
    handle: Mutex<Option<CancelHandle>>,
}

impl Cancel {
    /// Registers the store's handle; false if cancelled already.
    fn arm(&self, handle: CancelHandle) -> bool {
        let mut slot = self.handle.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(handle);
        !self.fired.load(Ordering::SeqCst)
    }

    /// Forgets the handle before the store goes back to the pool, so a
    /// late cancel cannot reach another request's query.
    fn disarm(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Stops the running statement. SQLite forgets an interrupt that
    /// lands between two statements, so [`Cancel::until_done`] repeats it.
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        if let Some(h) = self
            .handle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            h.cancel();
        }
    }
}

impl Cancel {
    /// Fires now and every [`REFIRE`] until the query's thread let go of its
    /// connection.
    async fn until_done(self: Arc<Self>) {
        // Bounded all the same: a query thread that never let go must not
        // keep a task alive forever.
        for _ in 0..REFIRE_MAX {
            if self.done.load(Ordering::SeqCst) {
                return;
            }
            self.fire();
            tokio::time::sleep(REFIRE).await;
        }
    }
}

/// How often a cancel is repeated until the query stops.
const REFIRE: Duration = Duration::from_millis(50);
/// At most this many repeats (a minute).
const REFIRE_MAX: usize = 1_200;

/// Cancels the query when the request's future is dropped unfinished (the
/// client closed the connection).
struct CancelOnDrop(Arc<Cancel>, bool);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.1 {
            tracing::debug!("request dropped; cancelling its query");
            self.0.fire();
            // Repeated in case it landed between two statements; without a
            // runtime (shutting down) the one above has to do.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(Arc::clone(&self.0).until_done());
            }
        }
    }
}

impl Reader {
    /// A reader of the store at `location` (a SQLite file need not exist yet).
    pub fn new(location: impl Into<StoreLocation>) -> Reader {
        let location = location.into();
        Reader {
            kind: location.kind(),
            pool: ReadPool::new(location),
            permits: Arc::new(Semaphore::new(CONCURRENT_QUERIES)),
            probes: Arc::new(Semaphore::new(CONCURRENT_PROBES)),
        }
    }

    /// `sqlite` or `postgres`: the kind of store read.
    pub fn store_kind(&self) -> &'static str {
        self.kind
    }

    /// Runs `f` on a read-only store inside one read transaction, on the
    /// blocking pool, within [`QUERY_DEADLINE`].
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        self.run_within(&self.permits, QUERY_DEADLINE, f).await
    }

    /// [`Reader::run`] for the health and metrics probes: their own slots and
    /// [`HEALTH_DEADLINE`], so a queue of searches never delays them.
    pub async fn probe<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        self.run_within(&self.probes, HEALTH_DEADLINE, f).await
    }

    async fn run_within<T, F>(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        deadline: Duration,
        f: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let started = tokio::time::Instant::now();
        let end = started + deadline;
        let _permit = match tokio::time::timeout_at(end, Arc::clone(slots).acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(ApiError::Unavailable("server is shutting down".into())),
            Err(_) => return Err(ApiError::TimedOut(deadline)),
        };
        let cancel = Arc::new(Cancel::default());
        let mut guard = CancelOnDrop(Arc::clone(&cancel), false);
        let me = Arc::clone(self);
        let job = Arc::clone(&cancel);
        let mut task = tokio::task::spawn_blocking(move || me.run_blocking(f, &job));
        let result = match tokio::time::timeout_at(end, &mut task).await {
            Ok(done) => done.map_err(|e| ApiError::Internal(format!("query task: {e}")))?,
            Err(_) => {
                // The interrupted query returns at its next step; wait for
                // it so the slot is not reused while it still runs.
                let refire = tokio::spawn(Arc::clone(&cancel).until_done());
                let _ = task.await;
                refire.abort();
                tracing::warn!(
                    deadline_ms = deadline.as_millis() as u64,
                    "query cancelled at its deadline"
                );
                Err(ApiError::TimedOut(deadline))
            }
        };
        guard.1 = true;
        result
    }

    fn run_blocking<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, ApiError>,
        cancel: &Cancel,
    ) -> Result<T, ApiError> {
        // However this returns (an open error, a panic in `f`), the cancel
        // is disarmed and its repeater stops; the normal paths disarm
        // explicitly before the connection goes back to the pool.
        struct Disarm<'a>(&'a Cancel);
        impl Drop for Disarm<'_> {
            fn drop(&mut self) {
                self.0.disarm();
            }
        }
        let _disarm = Disarm(cancel);
        let pooled = self.pool.checkout().map_err(|e| unavailable(&e))?;
        let store = pooled.store();
        if !cancel.arm(store.cancel_handle()) {
            cancel.disarm();
            // Nothing ran: the store is clean.
            self.pool.checkin(pooled);
            return Err(ApiError::Unavailable("request cancelled".into()));
        }
        let result = match store.read_snapshot(f) {
            Ok(result) => result,
            Err(e) => Err(store_error(e)),
        };
        cancel.disarm();
        // A store whose query failed inside the database is not reused.
        if !matches!(
            result,
            Err(ApiError::Unavailable(_) | ApiError::Internal(_))
        ) {
            self.pool.checkin(pooled);
        }
        result
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
