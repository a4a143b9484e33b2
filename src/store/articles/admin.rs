//! Looking after the article queue: handing back rows a killed daemon left
//! `running`, queueing pages again on the user's request, and the listings
//! and counts behind `newswire articles` and `/metrics`.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{ArticleRow, QueueStats};
use crate::store::{ItemId, SqliteStore, StoreError, parse_ts, ts};

impl SqliteStore {
    /// Hands back every row left `running` (a daemon killed mid-fetch): they
    /// are due again at once. Called by the daemon at start-up; on SQLite it
    /// is the only worker. Returns the rows released.
    pub fn release_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        self.conn
            .prepare_cached(
                "UPDATE article_queue SET state = 'pending', next_attempt_at = ?1,
                   lease_owner = NULL, lease_until = NULL, updated_at = ?1
                 WHERE state = 'running'",
            )
            .and_then(|mut s| s.execute([ts(now)]))
            .map_err(wrap)
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
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let mut unknown = Vec::new();
        for id in items {
            let n = tx
                .prepare_cached(
                    "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at,
                       created_at, updated_at)
                     SELECT i.id, i.url,
                       (SELECT s.feed_id FROM item_sources s WHERE s.item_id = i.id
                         ORDER BY s.first_seen_at, s.feed_id LIMIT 1),
                       'pending', 0, ?2, ?2, ?2
                     FROM items i WHERE i.id = ?1
                     ON CONFLICT (item_id) DO UPDATE SET state = 'pending', attempts = 0,
                       next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at,
                       updated_at = excluded.updated_at, lease_owner = NULL, lease_until = NULL",
                )
                .and_then(|mut s| s.execute(params![id, ts(now)]))
                .map_err(&wrap)?;
            if n == 0 {
                unknown.push(*id);
            }
        }
        if unknown.is_empty() {
            tx.commit().map_err(&wrap)?;
        }
        // Otherwise dropping the transaction rolls it back.
        Ok(unknown)
    }

    /// Queues every `failed` page again, due now (`newswire refetch
    /// --failed`), and the items a newswire without the queue stored with a
    /// failed page (no row, `extraction = 'failed'`). Returns the rows queued.
    pub fn requeue_failed_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let again = tx
            .prepare_cached(
                "UPDATE article_queue SET state = 'pending', attempts = 0, next_attempt_at = ?1,
                   created_at = ?1, updated_at = ?1, lease_owner = NULL, lease_until = NULL
                 WHERE state = 'failed'",
            )
            .and_then(|mut s| s.execute([ts(now)]))
            .map_err(&wrap)?;
        let older = tx
            .prepare_cached(
                "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at,
                   created_at, updated_at)
                 SELECT i.id, i.url,
                   (SELECT s.feed_id FROM item_sources s WHERE s.item_id = i.id
                     ORDER BY s.first_seen_at, s.feed_id LIMIT 1),
                   'pending', 0, ?1, ?1, ?1
                 FROM items i
                 WHERE i.extraction = 'failed'
                   AND NOT EXISTS (SELECT 1 FROM article_queue q WHERE q.item_id = i.id)
                   AND (i.url LIKE 'http://%' OR i.url LIKE 'https://%')",
            )
            .and_then(|mut s| s.execute([ts(now)]))
            .map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(again + older)
    }

    /// Queue rows in `states` (all when empty), oldest first, at most `limit`.
    pub fn list_articles(
        &self,
        states: &[&str],
        limit: usize,
    ) -> Result<Vec<ArticleRow>, StoreError> {
        let wrap = self.wrap();
        let wanted = serde_json::to_string(states).unwrap_or_else(|_| "[]".into());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT q.item_id, i.title, q.url, q.state, q.attempts, q.next_attempt_at, q.last_error,
                   q.last_http_status, f.name, q.created_at, q.updated_at
                 FROM article_queue q JOIN items i ON i.id = q.item_id
                 LEFT JOIN feeds f ON f.id = q.feed_id
                 WHERE ?1 = '[]' OR q.state IN (SELECT value FROM json_each(?1))
                 ORDER BY q.created_at, q.id LIMIT ?2",
            )
            .map_err(&wrap)?;
        let rows = stmt
            .query_map(params![wanted, limit as i64], |r| {
                Ok(ArticleRow {
                    item_id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    state: r.get(3)?,
                    attempts: r.get(4)?,
                    next_attempt_at: r.get(5)?,
                    last_error: r.get(6)?,
                    last_http_status: r.get(7)?,
                    feed: r.get(8)?,
                    created_at: r.get(9)?,
                    updated_at: r.get(10)?,
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(&wrap)
    }

    /// Rows by state and the age of the oldest pending one. Reads the
    /// `(state, next_attempt_at, created_at)` index only: the small states
    /// are counted, `done` is the rest of the table (about 30 ms at a
    /// million rows, BENCHMARKS.md).
    pub fn article_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let wrap = self.wrap();
        let by_state = |state: &str| -> Result<(u64, Option<String>), StoreError> {
            self.conn
                .prepare_cached(
                    "SELECT count(*), min(created_at) FROM article_queue WHERE state = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([state], |r| {
                        Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?))
                    })
                })
                .map_err(&wrap)
        };
        let (pending, oldest) = by_state("pending")?;
        let (running, _) = by_state("running")?;
        let (failed, _) = by_state("failed")?;
        let total: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM article_queue")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(&wrap)?;
        Ok(QueueStats {
            pending,
            running,
            failed,
            done: (total.max(0) as u64).saturating_sub(pending + running + failed),
            oldest_pending_secs: oldest
                .as_deref()
                .and_then(parse_ts)
                .map_or(0, |t| (now - t).num_seconds().max(0) as u64),
        })
    }

    /// When the earliest pending row is due, if any (the worker sleeps until then).
    pub fn next_article_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let wrap = self.wrap();
        let next: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT min(next_attempt_at) FROM article_queue WHERE state = 'pending'",
            )
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(wrap)?;
        Ok(next.as_deref().and_then(parse_ts))
    }
}
