//! Retention on PostgreSQL: pruning old items (leaving tombstones), the
//! poll log. Each batch takes the items lock, so no poll can store an item
//! between its tombstone and its deletion.

use chrono::{DateTime, Utc};

use super::{PgStore, big};
use crate::store::StoreError;

impl PgStore {
    /// See [`crate::store::Store::prune`]: `batch` items a transaction,
    /// under the items lock.
    pub fn prune(&mut self, before: DateTime<Utc>, batch: usize) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let now = Utc::now();
        let mut total = 0;
        loop {
            let n = self.in_tx(|tx| {
                self.items_lock(tx).map_err(&wrap)?;
                let ids: Vec<i64> = tx
                    .query(
                        "SELECT id FROM items WHERE first_seen_at < $1 ORDER BY id LIMIT $2",
                        &[&before, &big(batch.max(1))],
                    )
                    .map_err(&wrap)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                if ids.is_empty() {
                    return Ok(0);
                }
                tx.execute(
                    "INSERT INTO pruned_sources (feed_id, entry_key, pruned_at)
                     SELECT feed_id, entry_key, $2 FROM item_sources WHERE item_id = ANY($1)
                     ON CONFLICT DO NOTHING",
                    &[&ids, &now],
                )
                .map_err(&wrap)?;
                tx.execute(
                    "INSERT INTO tombstones (canonical_url, pruned_at)
                     SELECT canonical_url, $2 FROM items WHERE id = ANY($1)
                     ON CONFLICT DO NOTHING",
                    &[&ids, &now],
                )
                .map_err(&wrap)?;
                tx.execute("DELETE FROM item_sources WHERE item_id = ANY($1)", &[&ids])
                    .map_err(&wrap)?;
                tx.execute("DELETE FROM items WHERE id = ANY($1)", &[&ids])
                    .map_err(&wrap)?;
                Ok(ids.len())
            })?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// See [`crate::store::Store::prune_fetches`].
    pub fn prune_fetches(
        &mut self,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let batch = batch.max(1);
        let mut total = 0;
        loop {
            let n = self
                .client()?
                .execute(
                    "DELETE FROM fetches WHERE started_at < $1 AND id IN
                     (SELECT id FROM fetches ORDER BY id LIMIT $2)",
                    &[&before, &big(batch)],
                )
                .map_err(&wrap)?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            total += n;
            if n < batch {
                return Ok(total);
            }
        }
    }

    /// The database answers (PostgreSQL checks its own pages; there is no
    /// file to scan from here).
    pub fn quick_check(&self) -> Result<Result<(), String>, StoreError> {
        let wrap = self.wrap();
        self.client()?.simple_query("SELECT 1").map_err(wrap)?;
        Ok(Ok(()))
    }

    /// As [`PgStore::quick_check`].
    pub fn integrity_check(&self) -> Result<Result<(), String>, StoreError> {
        self.quick_check()
    }
}
