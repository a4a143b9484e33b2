//! The article queue on PostgreSQL: claimed with `FOR UPDATE SKIP LOCKED`
//! (several daemons share the page work), finished under the claim's token,
//! late text joining its story under the items lock.

use chrono::{DateTime, TimeDelta, Utc};
use postgres::Row;

use super::{PgStore, big, text, whole};
use crate::model::{Extraction, NewItem};
use crate::store::articles::{ArticleJob, ArticleOutcome, ArticleRow, QueueStats};
use crate::store::{ItemId, StoreError};

fn extraction_from(s: &str) -> Extraction {
    match s {
        "extracted" => Extraction::Extracted,
        "site_rule" => Extraction::SiteRule,
        "failed" => Extraction::Failed,
        _ => Extraction::Feed,
    }
}

fn job_from(r: &Row, now: DateTime<Utc>) -> ArticleJob {
    ArticleJob {
        id: r.get(0),
        item_id: r.get(1),
        url: r.get(2),
        feed: r.get(3),
        attempts: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
        created_at: r.get(5),
        lease_token: r.get(6),
        item: NewItem {
            url: r.get(7),
            canonical_url: r.get(8),
            title: r.get(9),
            author: r.get(10),
            published_at: r.get(11),
            updated_at: r.get(12),
            summary: r.get(13),
            content_html: r.get(14),
            content_text: r.get(15),
            language: r.get(16),
            image: r.get(17),
            site_name: r.get(18),
            extraction: extraction_from(r.get(19)),
            extraction_error: r.get(20),
            extraction_path: None,
        },
        first_seen_at: r.get::<_, Option<DateTime<Utc>>>(21).unwrap_or(now),
    }
}

impl PgStore {
    /// See [`crate::store::Store::claim_articles`]: one statement leases the
    /// due rows no other instance holds.
    pub fn claim_articles(
        &mut self,
        owner: &str,
        max: usize,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<ArticleJob>, StoreError> {
        let wrap = self.wrap();
        let until = now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
        let rows = self
            .client()?
            .query(
                "WITH due AS (
                   SELECT id FROM article_queue
                   WHERE (state = 'pending' AND next_attempt_at <= $3)
                      OR (state = 'running' AND (lease_until IS NULL OR lease_until < $3))
                   ORDER BY next_attempt_at, id LIMIT $4
                   FOR UPDATE SKIP LOCKED),
                 claimed AS (
                   UPDATE article_queue q SET state = 'running', lease_owner = $1, lease_until = $2,
                     lease_token = q.lease_token + 1, updated_at = $3
                   FROM due WHERE q.id = due.id
                   RETURNING q.id, q.item_id, q.url, q.feed_id, q.attempts, q.created_at, q.lease_token)
                 SELECT c.id, c.item_id, c.url, f.name, c.attempts, c.created_at, c.lease_token,
                   i.url, i.canonical_url, i.title, i.author, i.published_at, i.updated_at,
                   i.summary, i.content_html, i.content_text, i.language, i.image, i.site_name,
                   i.extraction, i.extraction_error, i.first_seen_at
                 FROM claimed c JOIN items i ON i.id = c.item_id
                 LEFT JOIN feeds f ON f.id = c.feed_id
                 ORDER BY c.id",
                &[&owner, &until, &now, &big(max)],
            )
            .map_err(wrap)?;
        Ok(rows.iter().map(|r| job_from(r, now)).collect())
    }

    /// See [`crate::store::Store::finish_article`]: false, writing nothing,
    /// when the claim's token moved on.
    pub fn finish_article(
        &mut self,
        job: &ArticleJob,
        outcome: &ArticleOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        self.in_tx(|tx| {
            let held = tx
                .query_opt(
                    "SELECT 1 FROM article_queue WHERE id = $1 AND lease_token = $2 AND state = 'running'
                     FOR UPDATE",
                    &[&job.id, &job.lease_token],
                )
                .map_err(&wrap)?;
            if held.is_none() {
                return Ok(false);
            }
            match outcome {
                ArticleOutcome::Fetched { item, fingerprint } => {
                    self.items_lock(tx).map_err(&wrap)?;
                    let taken: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM items WHERE canonical_url = $1)
                                 OR EXISTS (SELECT 1 FROM tombstones WHERE canonical_url = $1)",
                            &[&item.canonical_url],
                        )
                        .map_err(&wrap)?
                        .get(0);
                    let canonical = if item.canonical_url == job.item.canonical_url || taken {
                        &job.item.canonical_url
                    } else {
                        &item.canonical_url
                    };
                    let (st, sx) = super::write::search_terms(
                        item.title.as_deref(),
                        item.content_text.as_deref(),
                        item.language.as_deref(),
                    );
                    tx.execute(
                        "UPDATE items SET canonical_url = $2, title = $3, author = $4, published_at = $5,
                           updated_at = $6, content_html = $7, content_text = $8, language = $9, image = $10,
                           site_name = $11, extraction = $12, extraction_error = $13, changed_at = $14,
                           extraction_path = $15, search_title = $16, search_text = $17
                         WHERE id = $1",
                        &[
                            &job.item_id,
                            canonical,
                            &item.title,
                            &item.author,
                            &item.published_at.map(whole),
                            &item.updated_at.map(whole),
                            &item.content_html,
                            &item.content_text,
                            &item.language,
                            &item.image,
                            &item.site_name,
                            &item.extraction.as_str(),
                            &item.extraction_error,
                            &whole(now),
                            &item.extraction_path,
                            &st,
                            &sx,
                        ],
                    )
                    .map_err(&wrap)?;
                    // The late text's story, as SQLite chooses it (the
                    // index's insert writes `items.story_id`).
                    self.rejoin_story(
                        tx,
                        job.item_id,
                        fingerprint,
                        item.extraction,
                        job.first_seen_at,
                    )?;
                    tx.execute(
                        "UPDATE article_queue SET state = 'done', attempts = attempts + 1,
                           extraction = $2, next_attempt_at = NULL, last_error = NULL,
                           last_http_status = NULL, lease_owner = NULL, lease_until = NULL,
                           updated_at = $3 WHERE id = $1",
                        &[&job.id, &item.extraction.as_str(), &now],
                    )
                    .map_err(&wrap)?;
                }
                ArticleOutcome::Retry {
                    next_attempt_at,
                    error,
                    http_status,
                } => {
                    tx.execute(
                        "UPDATE article_queue SET state = 'pending', attempts = attempts + 1,
                           next_attempt_at = $2, last_error = $3, last_http_status = $4,
                           lease_owner = NULL, lease_until = NULL, updated_at = $5 WHERE id = $1",
                        &[&job.id, next_attempt_at, error, &http_status.map(i64::from), &now],
                    )
                    .map_err(&wrap)?;
                }
                ArticleOutcome::Deferred { until } => {
                    tx.execute(
                        "UPDATE article_queue SET state = 'pending', next_attempt_at = $2,
                           lease_owner = NULL, lease_until = NULL, updated_at = $3 WHERE id = $1",
                        &[&job.id, until, &now],
                    )
                    .map_err(&wrap)?;
                }
                ArticleOutcome::Failed { error, http_status } => {
                    tx.execute(
                        "UPDATE article_queue SET state = 'failed', attempts = attempts + 1,
                           next_attempt_at = NULL, last_error = $2, last_http_status = $3,
                           lease_owner = NULL, lease_until = NULL, updated_at = $4 WHERE id = $1",
                        &[&job.id, error, &http_status.map(i64::from), &now],
                    )
                    .map_err(&wrap)?;
                    tx.execute(
                        "UPDATE items SET extraction = 'failed', extraction_error = $2, changed_at = $3
                         WHERE id = $1 AND extraction IN ('feed', 'failed')",
                        &[&job.item_id, error, &now],
                    )
                    .map_err(&wrap)?;
                }
            }
            Ok(true)
        })
    }

    /// Hands back rows left `running` whose lease ran out (on a cluster, a
    /// live instance's rows are its own business). Returns the rows released.
    pub fn release_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        let n = self
            .client()?
            .execute(
                "UPDATE article_queue SET state = 'pending', next_attempt_at = $1,
                   lease_owner = NULL, lease_until = NULL, updated_at = $1
                 WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $1 OR lease_owner = $2)",
                &[&now, &self.instance],
            )
            .map_err(wrap)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// See [`crate::store::Store::requeue_articles`].
    pub fn requeue_articles(
        &mut self,
        items: &[ItemId],
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemId>, StoreError> {
        let wrap = self.wrap();
        let mut client = self.client()?;
        let unknown: Vec<ItemId> = client
            .query(
                "SELECT k FROM unnest($1::bigint[]) k WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = k)",
                &[&items],
            )
            .map_err(&wrap)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !unknown.is_empty() {
            return Ok(unknown);
        }
        client
            .execute(
                "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at,
                   created_at, updated_at)
                 SELECT i.id, i.url,
                   (SELECT s.feed_id FROM item_sources s WHERE s.item_id = i.id
                     ORDER BY s.first_seen_at, s.feed_id LIMIT 1),
                   'pending', 0, $2, $2, $2
                 FROM items i WHERE i.id = ANY($1)
                 ON CONFLICT (item_id) DO UPDATE SET state = 'pending', attempts = 0,
                   next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at,
                   updated_at = excluded.updated_at, lease_owner = NULL, lease_until = NULL",
                &[&items, &now],
            )
            .map_err(&wrap)?;
        Ok(Vec::new())
    }

    /// See [`crate::store::Store::requeue_failed_articles`].
    pub fn requeue_failed_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        self.in_tx(|tx| {
            let again = tx
                .execute(
                    "UPDATE article_queue SET state = 'pending', attempts = 0, next_attempt_at = $1,
                       created_at = $1, updated_at = $1, lease_owner = NULL, lease_until = NULL
                     WHERE state = 'failed'",
                    &[&now],
                )
                .map_err(&wrap)?;
            let older = tx
                .execute(
                    "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at,
                       created_at, updated_at)
                     SELECT i.id, i.url,
                       (SELECT s.feed_id FROM item_sources s WHERE s.item_id = i.id
                         ORDER BY s.first_seen_at, s.feed_id LIMIT 1),
                       'pending', 0, $1, $1, $1
                     FROM items i
                     WHERE i.extraction = 'failed'
                       AND NOT EXISTS (SELECT 1 FROM article_queue q WHERE q.item_id = i.id)
                       AND (i.url LIKE 'http://%' OR i.url LIKE 'https://%')
                     ON CONFLICT (item_id) DO NOTHING",
                    &[&now],
                )
                .map_err(&wrap)?;
            Ok(usize::try_from(again + older).unwrap_or(usize::MAX))
        })
    }

    /// See [`crate::store::Store::list_articles`].
    pub fn list_articles(
        &self,
        states: &[&str],
        limit: usize,
    ) -> Result<Vec<ArticleRow>, StoreError> {
        let wrap = self.wrap();
        let states: Vec<&str> = states.to_vec();
        let rows = self
            .client()?
            .query(
                "SELECT q.item_id, i.title, q.url, q.state, q.attempts, q.next_attempt_at, q.last_error,
                   q.last_http_status, f.name, q.created_at, q.updated_at
                 FROM article_queue q JOIN items i ON i.id = q.item_id
                 LEFT JOIN feeds f ON f.id = q.feed_id
                 WHERE cardinality($1::text[]) = 0 OR q.state = ANY($1)
                 ORDER BY q.created_at, q.id LIMIT $2",
                &[&states, &big(limit)],
            )
            .map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| ArticleRow {
                item_id: r.get(0),
                title: r.get(1),
                url: r.get(2),
                state: r.get(3),
                attempts: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
                next_attempt_at: r.get::<_, Option<DateTime<Utc>>>(5).map(text),
                last_error: r.get(6),
                last_http_status: r
                    .get::<_, Option<i64>>(7)
                    .and_then(|s| u16::try_from(s).ok()),
                feed: r.get(8),
                created_at: text(r.get(9)),
                updated_at: text(r.get(10)),
            })
            .collect())
    }

    /// See [`crate::store::Store::article_stats`].
    pub fn article_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let wrap = self.wrap();
        let row = self
            .client()?
            .query_one(
                "SELECT count(*) FILTER (WHERE state = 'pending'),
                        count(*) FILTER (WHERE state = 'running'),
                        count(*) FILTER (WHERE state = 'done'),
                        count(*) FILTER (WHERE state = 'failed'),
                        min(created_at) FILTER (WHERE state = 'pending')
                 FROM article_queue",
                &[],
            )
            .map_err(wrap)?;
        let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        let oldest: Option<DateTime<Utc>> = row.get(4);
        Ok(QueueStats {
            pending: n(0),
            running: n(1),
            done: n(2),
            failed: n(3),
            oldest_pending_secs: oldest.map_or(0, |t| (now - t).num_seconds().max(0) as u64),
        })
    }

    /// See [`crate::store::Store::next_article_due`].
    pub fn next_article_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let wrap = self.wrap();
        Ok(self
            .client()?
            .query_one(
                "SELECT min(next_attempt_at) FROM article_queue WHERE state = 'pending'",
                &[],
            )
            .map_err(wrap)?
            .get(0))
    }
}
