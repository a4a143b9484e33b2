//! Proving a SQLite store sound before writing to it, without reading all of
//! it at every start.
//!
//! `PRAGMA quick_check` reads every page: seconds of CPU on a store of a few
//! hundred megabytes, at every `newswire poll`. Damage a user meets comes
//! from outside SQLite's own writes: a process killed or a machine stopped
//! mid-write on a disk that lies about flushes, another program writing the
//! file, a copy cut short or restored over it, a failing disk. So the file
//! carries a record of how newswire left it (`store_check`, migration 013):
//!
//! - **At open**, before SQLite touches it, the file's identity is read:
//!   device, inode, size, modification and change times ([`FileStamp`]). The
//!   record's `closed_stamp` is compared with it, then cleared, so a writer
//!   that stops without closing cleanly (kill -9, power loss) leaves none.
//! - **At a clean close** (the store dropped after a session that started
//!   proven or passed a full check, and met no damage), the WAL is copied
//!   into the file (`wal_checkpoint(TRUNCATE)`), the file's identity taken,
//!   and written as `closed_stamp`; the connection then closes *without* a
//!   checkpoint (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`), so that last record
//!   stays in the `-wal` file and the database file is left exactly as
//!   stamped. A damaged or missing `-wal` loses the record (SQLite drops
//!   frames whose checksums fail): the file is then checked whole.
//! - **Before writing** ([`super::SqliteStore::check_before_writing`]): a
//!   store whose stamp matched, and whose last full check passed within the
//!   configured interval (`[storage] full_check_every`), is taken as sound.
//!   Any other runs the full `PRAGMA quick_check` and records when it
//!   passed and at what file size.
//!
//! Any write to the file by another program changes its change time (which
//! no program can set back), so damage done while no newswire ran is found
//! even when the size and modification time are put back. What the stamp
//! cannot see (a disk returning other bytes than it was given) the periodic
//! full check does. A file last closed by another program (the `sqlite3`
//! shell writing or checkpointing it) no longer matches and is checked whole.
//! On a file system whose times have a coarse grain (ext3, FAT: one or two
//! seconds), a same-size write within that grain of the clean close is not
//! seen either; a remount that renumbers the device only costs a full check.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::{parse_ts, ts};

/// The identity of the database file as the file system reports it. Any
/// write through the file system changes the change time; a rename over
/// the file, a restore or a copy changes the inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileStamp(String);

impl FileStamp {
    /// The stamp of the file at `path`; `None` when it does not exist (or
    /// cannot be examined: then nothing is proven).
    pub(super) fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp(stamp_text(&meta)))
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(unix)]
fn stamp_text(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "dev={} ino={} size={} mtime={}.{:09} ctime={}.{:09}",
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

#[cfg(not(unix))]
fn stamp_text(meta: &std::fs::Metadata) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("size={} mtime={modified}", meta.len())
}

/// What the check before writing did ([`super::Store::check_before_writing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreCheck {
    /// The whole store was read (`PRAGMA quick_check`) and found sound; why
    /// it was needed.
    Full {
        /// Why the file was checked whole.
        reason: &'static str,
    },
    /// The file is as newswire left it at a clean close and a full check
    /// passed within the interval: nothing more was read.
    Trusted {
        /// When the last full check passed.
        last_full_check: DateTime<Utc>,
    },
    /// A database server, which keeps its own pages sound: it answered.
    Server,
}

/// What was known of the file when it was opened for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// The file did not exist: this store created it.
    Created,
    /// The file is as newswire left it at a clean close.
    ClosedCleanly,
    /// Nothing proves the file sound; the reason, for the log.
    Unproven(&'static str),
}

impl Proof {
    /// Whether the file is known to be as newswire left it.
    pub fn holds(&self) -> bool {
        !matches!(self, Proof::Unproven(_))
    }
}

/// The `store_check` row as found at open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Record {
    pub(super) closed_stamp: Option<String>,
    pub(super) checked_at: Option<DateTime<Utc>>,
    pub(super) checked_bytes: Option<i64>,
}

/// Reads the record and clears `closed_stamp` (a writer has the file now).
/// Writes only when there is something to clear: a command opened while the
/// daemon writes (the record already cleared) takes no write lock here.
pub(super) fn open_record(conn: &Connection) -> rusqlite::Result<Record> {
    let found = conn
        .query_row(
            "SELECT closed_stamp, checked_at, checked_bytes FROM store_check WHERE id = 1",
            [],
            |r| {
                Ok(Record {
                    closed_stamp: r.get(0)?,
                    checked_at: r.get::<_, Option<String>>(1)?.as_deref().and_then(parse_ts),
                    checked_bytes: r.get(2)?,
                })
            },
        )
        .optional()?;
    match &found {
        Some(record) if record.closed_stamp.is_none() => {}
        _ => {
            conn.execute(
                "INSERT INTO store_check (id) VALUES (1)
                 ON CONFLICT (id) DO UPDATE SET closed_stamp = NULL, closed_at = NULL",
                [],
            )?;
        }
    }
    Ok(found.unwrap_or_default())
}

/// What the file at open and its record prove.
pub(super) fn judge(before: Option<&FileStamp>, record: &Record) -> Proof {
    match (before, record.closed_stamp.as_deref()) {
        (None, _) => Proof::Created,
        (Some(_), None) => Proof::Unproven("it was not closed cleanly"),
        (Some(now), Some(then)) if now.as_str() == then => Proof::ClosedCleanly,
        (Some(_), Some(_)) => Proof::Unproven("the file changed since newswire closed it"),
    }
}

/// Whether a full check is due: when nothing proves the file, when no full
/// check has passed yet, or when the last one is older than `every` (or
/// dated in the future: the clock moved).
pub(super) fn full_check_due(
    proof: &Proof,
    checked_at: Option<DateTime<Utc>>,
    every: std::time::Duration,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if let Proof::Unproven(reason) = proof {
        return Some(reason);
    }
    let Some(at) = checked_at else {
        return Some("no full check has passed yet");
    };
    match (now - at).to_std() {
        Ok(age) if age < every => None,
        Ok(_) => Some("the last full check is older than `full_check_every`"),
        Err(_) => Some("the last full check is dated in the future"),
    }
}

/// Records a full check that passed now, on a file of `bytes`.
pub(super) fn record_check(
    conn: &Connection,
    now: DateTime<Utc>,
    bytes: Option<u64>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE store_check SET checked_at = ?1, checked_bytes = ?2 WHERE id = 1",
        params![ts(now), bytes.map(|b| b as i64)],
    )
    .map(|_| ())
}

/// The clean close: copies the WAL into the file, stamps the file, writes the
/// stamp (into the WAL) and makes the connection close without copying it.
/// `Err` or `Ok(false)` leaves the record cleared: the next open checks the
/// whole file.
pub(super) fn close_cleanly(conn: &Connection, path: &Path) -> rusqlite::Result<bool> {
    // A reader in the middle of a read holds the WAL: wait a little for it,
    // not the writer's full busy timeout (shutdown has a deadline).
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    let (busy, frames, copied): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 || frames != copied {
        return Ok(false);
    }
    let Some(stamp) = FileStamp::of(path) else {
        return Ok(false);
    };
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    conn.execute(
        "UPDATE store_check SET closed_stamp = ?1, closed_at = ?2 WHERE id = 1",
        params![stamp.as_str(), ts(Utc::now())],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests;
