//! WAL checkpoints off the writer's path, and a bound on the WAL file.
//!
//! SQLite's own checkpoint runs inside the commit that crosses
//! `wal_autocheckpoint` pages: that commit copies the WAL into the database
//! file and waits for its fsync while every poll queues behind it. A writable
//! [`super::Store`] opened on a file instead starts one [`Checkpointer`]
//! thread with a connection of its own that runs a `PASSIVE` checkpoint every
//! [`INTERVAL`]; it never blocks the writer nor readers.
//!
//! A passive checkpoint copies the frames committed when it began, and the
//! WAL starts over from its beginning only when a write begins after *every*
//! frame was copied. Under a busy writer that never happens from another
//! connection: the writer has always appended more by then (the WAL grew to
//! 875 MB in a 20,000-feed cold poll, and to 218 MB at 100,000 feeds with a
//! `RESTART` attempt from this thread, which has to wait for the writer's
//! lock and did not keep it near the limit). So the bound is the writer's ([`bound_wal`]): after a
//! write, when the WAL file has passed [`WAL_SIZE_LIMIT`], the writer, the
//! only one, copies the few frames the thread has not (after the thread's
//! current pass, [`CheckpointLock`]); its next write starts the WAL over and
//! `journal_size_limit` cuts the file back to the limit. A reader holding an
//! old snapshot can still hold the WAL back until it finishes. The writer
//! keeps a high `wal_autocheckpoint` as a last safety net.

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the thread checkpoints.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// The writer's own checkpoint threshold, in pages (4 KiB each: 128 MiB),
/// reached only when the thread cannot keep up.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 32_768;

/// The WAL file's bound: past it the writer makes the WAL start over, and
/// the file is cut back to it when it does (`journal_size_limit`), in bytes.
pub const WAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Taken by whichever of the thread and the writer checkpoints, so the
/// writer's checkpoint waits for the thread's pass instead of failing busy.
pub(super) type CheckpointLock = Arc<Mutex<()>>;

/// The checkpoint thread; stops (after one last checkpoint) when dropped.
pub(super) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(super) fn start(path: &Path, lock: CheckpointLock) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        // The writer closes last and decides what the close leaves
        // (`soundness`); this connection never copies the WAL at close.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("newswire-checkpoint".into())
            .spawn(move || {
                loop {
                    let last = !matches!(
                        stopped.recv_timeout(INTERVAL),
                        Err(mpsc::RecvTimeoutError::Timeout)
                    );
                    let pass = {
                        let _turn = lock.lock().unwrap_or_else(|p| p.into_inner());
                        checkpoint(&conn)
                    };
                    if let Err(e) = pass {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                    }
                    if last {
                        return;
                    }
                }
            })
            .map_err(|e| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!("cannot start the checkpoint thread: {e}")),
                )
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// One passive checkpoint: copies what no reader still needs, never waits.
/// Returns (WAL frames, frames copied).
pub(super) fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })
}

/// The writer's step after a write: when the WAL file at `wal` has grown
/// past `limit` bytes, a passive checkpoint on the writer's connection
/// `conn`, after the thread's pass. No write is in progress (this is the
/// writer), so it copies every frame no reader still reads, and the next
/// write starts the WAL over. Returns whether it ran.
pub(super) fn bound_wal(
    conn: &Connection,
    wal: &Path,
    limit: u64,
    lock: &CheckpointLock,
) -> rusqlite::Result<bool> {
    if std::fs::metadata(wal).map_or(true, |m| m.len() <= limit) {
        return Ok(false);
    }
    let _turn = lock.lock().unwrap_or_else(|p| p.into_inner());
    checkpoint(conn)?;
    Ok(true)
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
