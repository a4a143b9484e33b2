//! Feeds and the cluster: the `feeds` table kept in step with the config,
//! the feed states the scheduler reads, and the leases several daemons poll
//! under (SCALE-OUT §4.1): one claiming statement with `FOR UPDATE SKIP
//! LOCKED`, expiry judged by the database clock, a heartbeat, a token that
//! fences a late writer, and jobs run once per cluster.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Row;

use super::{PgStore, big, lock_key};
use crate::model::{FeedSchedule, Lease};
use crate::store::{FeedId, FeedState, ItemId, StoreError};

const FEED_COLUMNS: &str = "f.id, f.name, f.url, f.effective_url, f.etag, f.last_modified, \
    f.error_count, f.next_due_at, f.last_polled_at, f.last_status, f.last_error, f.enabled, \
    f.disabled_reason, f.lease_owner, f.lease_until";

fn feed_from(r: &Row) -> FeedState {
    FeedState {
        id: r.get(0),
        name: r.get(1),
        url: r.get(2),
        effective_url: r.get(3),
        etag: r.get(4),
        last_modified: r.get(5),
        error_count: u32::try_from(r.get::<_, i64>(6)).unwrap_or(u32::MAX),
        next_due_at: r.get(7),
        last_polled_at: r.get(8),
        last_status: r.get(9),
        last_error: r.get(10),
        enabled: r.get(11),
        disabled_reason: r.get(12),
        lease_owner: r.get(13),
        lease_until: r.get(14),
    }
}

/// A lease length in seconds, as `make_interval` takes it.
fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl PgStore {
    /// See [`crate::store::Store::sync_feeds`]; instances starting together
    /// take turns (an advisory lock).
    pub fn sync_feeds(
        &mut self,
        feeds: &[crate::config::FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let wrap = self.wrap();
        self.in_tx(|tx| {
            tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({})", lock_key("sync")))
                .map_err(&wrap)?;
            tx.execute("UPDATE feeds SET enabled = false WHERE enabled", &[])
                .map_err(&wrap)?;
            let stmt = tx
                .prepare(
                    "INSERT INTO feeds (name, url, tags, enabled, created_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (name) DO UPDATE SET
                       effective_url = CASE WHEN feeds.url = excluded.url THEN feeds.effective_url END,
                       disabled_reason = CASE WHEN feeds.url = excluded.url THEN feeds.disabled_reason END,
                       etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                       last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
                       url = excluded.url, tags = excluded.tags, enabled = excluded.enabled",
                )
                .map_err(&wrap)?;
            for feed in feeds {
                let tags = serde_json::json!(feed.tags);
                tx.execute(
                    &stmt,
                    &[&feed.name, &feed.url.as_str(), &tags, &feed.enabled, &now],
                )
                .map_err(&wrap)?;
            }
            Ok(())
        })
    }

    /// The stored state of every feed, by name.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query(
                &format!("SELECT {FEED_COLUMNS} FROM feeds f ORDER BY f.name"),
                &[],
            )
            .map_err(wrap)?;
        Ok(rows.iter().map(feed_from).collect())
    }

    /// Every feed's schedule row, by name (see [`FeedSchedule`]).
    pub fn feed_schedules(&self) -> Result<Vec<FeedSchedule>, StoreError> {
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query(
                "SELECT name, enabled, disabled_reason IS NOT NULL, next_due_at FROM feeds ORDER BY name",
                &[],
            )
            .map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| FeedSchedule {
                name: r.get(0),
                enabled: r.get(1),
                gone: r.get(2),
                next_due_at: r.get(3),
            })
            .collect())
    }

    /// The stored state of the feed called `name`.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        let wrap = self.wrap();
        let row = self
            .client()?
            .query_opt(
                &format!("SELECT {FEED_COLUMNS} FROM feeds f WHERE f.name = $1"),
                &[&name],
            )
            .map_err(wrap)?;
        Ok(row.as_ref().map(feed_from))
    }

    /// Which of `keys` this feed has already stored (0 for a pruned entry).
    pub fn known_entries(
        &self,
        feed_id: FeedId,
        keys: &[crate::model::EntryKey],
    ) -> Result<HashMap<String, ItemId>, StoreError> {
        let wrap = self.wrap();
        let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        let rows = self
            .client()?
            .query(
                "SELECT entry_key, item_id FROM item_sources WHERE feed_id = $1 AND entry_key = ANY($2)
                 UNION ALL
                 SELECT entry_key, 0 FROM pruned_sources WHERE feed_id = $1 AND entry_key = ANY($2)",
                &[&feed_id, &keys],
            )
            .map_err(wrap)?;
        let mut known = HashMap::new();
        for r in rows {
            let id: i64 = r.get(1);
            // A stored source wins over a pruned one.
            known
                .entry(r.get::<_, String>(0))
                .and_modify(|v: &mut i64| *v = (*v).max(id))
                .or_insert(id);
        }
        Ok(known)
    }

    /// The item stored under `canonical_url`, if any.
    pub fn item_by_canonical(&self, canonical_url: &str) -> Result<Option<ItemId>, StoreError> {
        let wrap = self.wrap();
        Ok(self
            .client()?
            .query_opt(
                "SELECT id FROM items WHERE canonical_url = $1",
                &[&canonical_url],
            )
            .map_err(wrap)?
            .map(|r| r.get(0)))
    }

    /// Whether an item with this canonical URL was pruned by retention.
    pub fn is_tombstoned(&self, canonical_url: &str) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        Ok(self
            .client()?
            .query_opt(
                "SELECT 1 FROM tombstones WHERE canonical_url = $1",
                &[&canonical_url],
            )
            .map_err(wrap)?
            .is_some())
    }

    /// Sets when a feed is next due.
    pub fn set_next_due(&mut self, feed_id: FeedId, at: DateTime<Utc>) -> Result<(), StoreError> {
        let wrap = self.wrap();
        self.client()?
            .execute(
                "UPDATE feeds SET next_due_at = $2 WHERE id = $1",
                &[&feed_id, &at],
            )
            .map(|_| ())
            .map_err(wrap)
    }

    /// Clears `disabled_reason`; true if it was set.
    pub fn clear_disabled_reason(&mut self, name: &str) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        self.client()?
            .execute(
                "UPDATE feeds SET disabled_reason = NULL, error_count = 0
                 WHERE name = $1 AND disabled_reason IS NOT NULL",
                &[&name],
            )
            .map(|n| n > 0)
            .map_err(wrap)
    }

    /// A PostgreSQL store is shared: polls are leased.
    pub fn is_clustered(&self) -> bool {
        true
    }

    /// Leases up to `max` due feeds among `names` (this instance's config)
    /// to `owner` for `lease`: one statement; feeds another instance holds
    /// (a live lease or a row lock) are skipped. Each lease's token fences
    /// the poll's write.
    pub fn claim_due(
        &mut self,
        owner: &str,
        names: &[String],
        max: usize,
        lease: Duration,
    ) -> Result<Vec<(FeedState, Lease)>, StoreError> {
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query(
                &format!(
                    "WITH due AS (
                       SELECT id FROM feeds
                       WHERE enabled AND disabled_reason IS NULL AND name = ANY($2)
                         AND (next_due_at IS NULL OR next_due_at <= now())
                         AND (lease_until IS NULL OR lease_until < now())
                       ORDER BY next_due_at NULLS FIRST, id LIMIT $3
                       FOR UPDATE SKIP LOCKED)
                     UPDATE feeds f SET lease_owner = $1, lease_until = now() + make_interval(secs => $4),
                       lease_token = f.lease_token + 1
                     FROM due WHERE f.id = due.id
                     RETURNING {FEED_COLUMNS}, f.lease_token"
                ),
                &[&owner, &names, &big(max), &secs(lease)],
            )
            .map_err(wrap)?;
        let mut out: Vec<(FeedState, Lease)> = rows
            .iter()
            .map(|r| {
                let state = feed_from(r);
                let lease = Lease {
                    feed_id: state.id,
                    owner: owner.to_owned(),
                    token: r.get(15),
                };
                (state, lease)
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.next_due_at
                .cmp(&b.0.next_due_at)
                .then(a.0.id.cmp(&b.0.id))
        });
        Ok(out)
    }

    /// The heartbeat: extends `owner`'s leases on `feed_ids`; how many of
    /// them no other instance holds: those extended, plus those whose poll
    /// has just given its lease back with its write (the daemon hears of
    /// that a moment later), so only a lease taken over counts as lost.
    pub fn extend_leases(
        &mut self,
        owner: &str,
        feed_ids: &[FeedId],
        lease: Duration,
    ) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let row = self
            .client()?
            .query_one(
                "WITH extended AS (
                   UPDATE feeds SET lease_until = now() + make_interval(secs => $3)
                   WHERE lease_owner = $1 AND id = ANY($2) RETURNING id)
                 SELECT (SELECT count(*) FROM extended)
                      + (SELECT count(*) FROM feeds WHERE id = ANY($2) AND lease_owner IS NULL)",
                &[&owner, &feed_ids, &secs(lease)],
            )
            .map_err(wrap)?;
        let n: i64 = row.get(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Gives back every lease `owner` holds (a clean stop); how many.
    pub fn release_leases(&mut self, owner: &str) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let n = self
            .client()?
            .execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
                &[&owner],
            )
            .map_err(wrap)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// When the next of `names` falls due (a leased feed not before its
    /// lease ends), by the database clock; `None` when none is enabled.
    pub fn next_due_at(&self, names: &[String]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let wrap = self.wrap();
        Ok(self
            .client()?
            .query_one(
                "SELECT min(GREATEST(COALESCE(next_due_at, now()), COALESCE(lease_until, now())))
                 FROM feeds WHERE enabled AND disabled_reason IS NULL AND name = ANY($1)",
                &[&names],
            )
            .map_err(wrap)?
            .get(0))
    }

    /// True for the one instance that should run `job` now: the first to
    /// move its next run `every` ahead (housekeeping once per cluster).
    pub fn try_periodic(
        &mut self,
        job: &str,
        every: Duration,
        owner: &str,
    ) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        let row = self
            .client()?
            .query_opt(
                "INSERT INTO cluster_jobs (name, next_run_at, owner)
                 VALUES ($1, now() + make_interval(secs => $2), $3)
                 ON CONFLICT (name) DO UPDATE SET next_run_at = excluded.next_run_at, owner = excluded.owner
                 WHERE cluster_jobs.next_run_at <= now()
                 RETURNING 1",
                &[&job, &secs(every), &owner],
            )
            .map_err(wrap)?;
        Ok(row.is_some())
    }
}
