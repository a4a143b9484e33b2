//! WAL checkpoints off the writer's path.
//!
//! SQLite's own checkpoint runs inside the commit that crosses
//! `wal_autocheckpoint` pages: that commit copies the WAL into the database
//! file and waits for its fsync while every poll queues behind it. A writable
//! [`super::Store`] opened on a file instead starts one [`Checkpointer`]
//! thread with a connection of its own that runs a `PASSIVE` checkpoint every
//! [`INTERVAL`] (it never blocks the writer nor readers), and once the WAL
//! passes [`RESTART_FRAMES`] a `RESTART` checkpoint that makes the writer
//! start it over; `journal_size_limit` trims the file back after a burst. The writer keeps a high `wal_autocheckpoint` as a
//! safety net: if the thread falls behind (a reader holding an old snapshot),
//! the WAL is still bounded.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the thread checkpoints.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// The writer's own checkpoint threshold, in pages (4 KiB each: 128 MiB),
/// reached only when the thread cannot keep up.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 32_768;

/// The size the WAL file is cut back to after a reset, in bytes.
pub const WAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// The checkpoint thread; stops (after one last checkpoint) when dropped.
pub(super) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(super) fn start(path: &Path) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("newswire-checkpoint".into())
            .spawn(move || {
                loop {
                    let last = !matches!(
                        stopped.recv_timeout(INTERVAL),
                        Err(mpsc::RecvTimeoutError::Timeout)
                    );
                    if let Err(e) = checkpoint(&conn) {
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
/// Then, when the WAL is past [`RESTART_FRAMES`], a `RESTART` one: a busy
/// writer appends frames between any two passive checkpoints, so the WAL is
/// never wholly copied when the writer looks and it never starts over (it
/// grew to 875 MB in a 20,000-feed cold poll). `RESTART` copies the few
/// frames written since the passive pass and makes the next write start the
/// WAL from its beginning; it holds the writer back only for that remainder.
/// Returns (WAL frames, frames copied) of the last checkpoint run.
pub(super) fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let run = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
    };
    let (frames, copied) = run("PASSIVE")?;
    if frames > RESTART_FRAMES {
        return run("RESTART");
    }
    Ok((frames, copied))
}

/// The WAL size, in frames (pages; 4 KiB each: 64 MiB), past which the
/// thread restarts the WAL.
pub const RESTART_FRAMES: i64 = 16_384;

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
