//! The article queue: one row per item whose page is fetched for its full
//! text (table `article_queue`, migration 009, docs/schema.md).
//!
//! A poll writes each new item's row in the poll's own transaction
//! ([`Store::record_poll_with_pages`]): `done` when the first attempt got
//! the page, `failed` when it cannot succeed (404, 410, 451, robots.txt, not
//! HTML, too large), `pending` with a next attempt time when it may
//! (timeouts, 429, 5xx, a host's back-off). Workers take due rows with
//! [`Store::claim_articles`], an `UPDATE … RETURNING` that leases them (owner,
//! expiry, a token bumped on every claim), and report with
//! [`Store::finish_article`], fenced by that token. The shape is the one a
//! PostgreSQL store implements with `FOR UPDATE SKIP LOCKED` (SCALE-OUT
//! §4.1): several daemons can then share the page work, and a dead daemon's
//! rows are claimed again when their lease runs out. On SQLite one daemon
//! writes; [`Store::release_articles`] hands back the rows a killed daemon
//! left `running`.
//!
//! When the text arrives, one transaction updates the item's text, HTML,
//! metadata, search index (by trigger), `changed_at`, story fingerprint and
//! story ([`join_story_later`]), and marks the row `done`.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{FeedId, ItemId, Store, StoreError, parse_ts, ts};
use crate::dedup::Fingerprint;
use crate::model::{Extraction, NewItem};

/// What the first attempt at an item's page gave, written with the poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PageJob {
    /// The item's canonical URL (as in its [`super::StoredEntry`]).
    pub canonical_url: String,
    /// The page to fetch.
    pub url: String,
    /// Where the page stands.
    pub state: PageState,
}

/// Where one page stands after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum PageState {
    /// Try again at `next_attempt_at`.
    Pending {
        /// Attempts made (0 when the page was deferred before any request).
        attempts: u32,
        /// When to try again.
        next_attempt_at: DateTime<Utc>,
        /// The last error, when an attempt failed.
        error: Option<String>,
        /// Its HTTP status, when the server answered.
        http_status: Option<u16>,
    },
    /// Fetched; the item's text came from this path.
    Done {
        /// How the stored text was obtained.
        extraction: Extraction,
    },
    /// Given up on: `newswire refetch` is the only way back.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// Why.
        error: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
    },
}

/// A claimed row: the page to fetch and the item as stored now.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleJob {
    /// Row id in `article_queue`.
    pub id: i64,
    /// The item.
    pub item_id: ItemId,
    /// The page to fetch.
    pub url: String,
    /// The feed that first carried the item (its per-site rules apply).
    pub feed: Option<String>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the page was first queued (the retry window counts from here).
    pub created_at: DateTime<Utc>,
    /// The lease token of this claim; [`Store::finish_article`] checks it.
    pub lease_token: i64,
    /// The item as stored (the feed's content, for a page never fetched).
    pub item: NewItem,
    /// When the item was first stored (its story window counts from here).
    pub first_seen_at: DateTime<Utc>,
}

/// How an attempt from the queue ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ArticleOutcome {
    /// The page was fetched: the item as it should now be stored.
    Fetched {
        /// The item with the page's text and metadata merged in.
        item: NewItem,
        /// Its story fingerprint, made off the writer thread.
        fingerprint: Fingerprint,
    },
    /// A transient failure: try again at `next_attempt_at`.
    Retry {
        /// When.
        next_attempt_at: DateTime<Utc>,
        /// What went wrong.
        error: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
    },
    /// No request was sent (the host is backing off): run at `until`, as if
    /// this attempt had not happened.
    Deferred {
        /// When the host's back-off ends.
        until: DateTime<Utc>,
    },
    /// A permanent failure, or the retry limit reached.
    Failed {
        /// Why.
        error: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
    },
}

/// One row of `newswire articles`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArticleRow {
    /// The item.
    pub item_id: ItemId,
    /// Its title.
    pub title: Option<String>,
    /// The page.
    pub url: String,
    /// `pending`, `running`, `done` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending rows).
    pub next_attempt_at: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
    /// Its HTTP status.
    pub last_http_status: Option<u16>,
    /// The feed that first carried the item.
    pub feed: Option<String>,
    /// When the page was first queued.
    pub created_at: String,
    /// When the row last changed.
    pub updated_at: String,
}

/// The queue at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Rows waiting for their next attempt.
    pub pending: u64,
    /// Rows claimed by a worker.
    pub running: u64,
    /// Pages fetched.
    pub done: u64,
    /// Pages given up on.
    pub failed: u64,
    /// Age in seconds of the oldest pending row (0 when none).
    pub oldest_pending_secs: u64,
}

const ITEM_COLUMNS: &str = "i.url, i.canonical_url, i.title, i.author, i.published_at, i.updated_at, \
    i.summary, i.content_html, i.content_text, i.language, i.image, i.site_name, i.extraction, \
    i.extraction_error, i.first_seen_at";

fn extraction_from(s: &str) -> Extraction {
    match s {
        "extracted" => Extraction::Extracted,
        "site_rule" => Extraction::SiteRule,
        "failed" => Extraction::Failed,
        _ => Extraction::Feed,
    }
}

impl Store {
    /// Writes one poll and its items' page rows in one transaction (see
    /// [`Store::record_poll`]). A page row is written only for an item that
    /// has none yet.
    pub fn record_poll_with_pages(
        &mut self,
        poll: &super::PollRecord,
        pages: &[PageJob],
    ) -> Result<super::PollSummary, StoreError> {
        let wrap = self.wrap();
        let tx = self.conn.transaction().map_err(&wrap)?;
        let summary = super::write::write_poll(&tx, poll, self.story_window).map_err(&wrap)?;
        for page in pages {
            insert_page(&tx, poll.feed_id, page, poll.started_at).map_err(&wrap)?;
        }
        tx.commit().map_err(&wrap)?;
        Ok(summary)
    }

    /// Leases up to `max` due rows to `owner` for `lease`: pending rows whose
    /// time has come, and running rows whose lease has run out (their worker
    /// died). Oldest due first.
    pub fn claim_articles(
        &mut self,
        owner: &str,
        max: usize,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<ArticleJob>, StoreError> {
        let wrap = self.wrap();
        let until = now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
        let tx = self.conn.transaction().map_err(&wrap)?;
        let claimed: Vec<(i64, ItemId, String, Option<FeedId>, u32, String, i64)> = {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE article_queue SET state = 'running', lease_owner = ?1, lease_until = ?2,
                       lease_token = lease_token + 1, updated_at = ?3
                     WHERE id IN (SELECT id FROM article_queue
                       WHERE (state = 'pending' AND next_attempt_at <= ?3)
                          OR (state = 'running' AND (lease_until IS NULL OR lease_until < ?3))
                       ORDER BY next_attempt_at, id LIMIT ?4)
                     RETURNING id, item_id, url, feed_id, attempts, created_at, lease_token",
                )
                .map_err(&wrap)?;
            let rows = stmt
                .query_map(params![owner, ts(until), ts(now), max as i64], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .map_err(&wrap)?;
            rows.collect::<Result<_, _>>().map_err(&wrap)?
        };
        let mut jobs = Vec::with_capacity(claimed.len());
        for (id, item_id, url, feed_id, attempts, created_at, lease_token) in claimed {
            let loaded = tx
                .prepare_cached(&format!(
                    "SELECT {ITEM_COLUMNS}, (SELECT name FROM feeds WHERE id = ?2)
                     FROM items i WHERE i.id = ?1"
                ))
                .and_then(|mut s| {
                    s.query_row(params![item_id, feed_id], |r| {
                        let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                            Ok(r.get::<_, Option<String>>(i)?.as_deref().and_then(parse_ts))
                        };
                        let item = NewItem {
                            url: r.get(0)?,
                            canonical_url: r.get(1)?,
                            title: r.get(2)?,
                            author: r.get(3)?,
                            published_at: time(4)?,
                            updated_at: time(5)?,
                            summary: r.get(6)?,
                            content_html: r.get(7)?,
                            content_text: r.get(8)?,
                            language: r.get(9)?,
                            image: r.get(10)?,
                            site_name: r.get(11)?,
                            extraction: extraction_from(&r.get::<_, String>(12)?),
                            extraction_error: r.get(13)?,
                        };
                        Ok((item, time(14)?.unwrap_or(now), r.get(15)?))
                    })
                    .optional()
                })
                .map_err(&wrap)?;
            // The item row is referenced with ON DELETE CASCADE, so it exists;
            // a row without one is skipped rather than trusted.
            let Some((item, first_seen_at, feed)) = loaded else {
                continue;
            };
            jobs.push(ArticleJob {
                id,
                item_id,
                url,
                feed,
                attempts,
                created_at: parse_ts(&created_at).unwrap_or(now),
                lease_token,
                item,
                first_seen_at,
            });
        }
        tx.commit().map_err(&wrap)?;
        Ok(jobs)
    }

    /// Records how a claimed attempt ended, in one transaction. Returns
    /// false, writing nothing, when the lease was lost (another worker
    /// claimed the row since, or `newswire refetch` reset it).
    pub fn finish_article(
        &mut self,
        job: &ArticleJob,
        outcome: &ArticleOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let wrap = self.wrap();
        let window = self.story_window;
        let tx = self.conn.transaction().map_err(&wrap)?;
        let held = tx
            .prepare_cached(
                "SELECT 1 FROM article_queue WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
            )
            .and_then(|mut s| s.exists(params![job.id, job.lease_token]))
            .map_err(&wrap)?;
        if !held {
            return Ok(false);
        }
        let now_s = ts(now);
        match outcome {
            ArticleOutcome::Fetched { item, fingerprint } => {
                update_item(&tx, job, item, &now_s).map_err(&wrap)?;
                join_story_later(&tx, job.item_id, item, fingerprint, job.first_seen_at, window)
                    .map_err(&wrap)?;
                tx.prepare_cached(
                    "UPDATE article_queue SET state = 'done', attempts = attempts + 1,
                       extraction = ?2, next_attempt_at = NULL, last_error = NULL,
                       last_http_status = NULL, lease_owner = NULL, lease_until = NULL,
                       updated_at = ?3 WHERE id = ?1",
                )
                .and_then(|mut s| s.execute(params![job.id, item.extraction.as_str(), now_s]))
                .map_err(&wrap)?;
            }
            ArticleOutcome::Retry {
                next_attempt_at,
                error,
                http_status,
            } => {
                tx.prepare_cached(
                    "UPDATE article_queue SET state = 'pending', attempts = attempts + 1,
                       next_attempt_at = ?2, last_error = ?3, last_http_status = ?4,
                       lease_owner = NULL, lease_until = NULL, updated_at = ?5 WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![job.id, ts(*next_attempt_at), error, http_status, now_s])
                })
                .map_err(&wrap)?;
            }
            ArticleOutcome::Deferred { until } => {
                tx.prepare_cached(
                    "UPDATE article_queue SET state = 'pending', next_attempt_at = ?2,
                       lease_owner = NULL, lease_until = NULL, updated_at = ?3 WHERE id = ?1",
                )
                .and_then(|mut s| s.execute(params![job.id, ts(*until), now_s]))
                .map_err(&wrap)?;
            }
            ArticleOutcome::Failed { error, http_status } => {
                tx.prepare_cached(
                    "UPDATE article_queue SET state = 'failed', attempts = attempts + 1,
                       next_attempt_at = NULL, last_error = ?2, last_http_status = ?3,
                       lease_owner = NULL, lease_until = NULL, updated_at = ?4 WHERE id = ?1",
                )
                .and_then(|mut s| s.execute(params![job.id, error, http_status, now_s]))
                .map_err(&wrap)?;
                // The item says why it keeps the feed's text, unless it
                // already has a page's text (a refetch that failed).
                tx.prepare_cached(
                    "UPDATE items SET extraction = 'failed', extraction_error = ?2, changed_at = ?3
                     WHERE id = ?1 AND extraction IN ('feed', 'failed')",
                )
                .and_then(|mut s| s.execute(params![job.item_id, error, now_s]))
                .map_err(&wrap)?;
            }
        }
        tx.commit().map_err(&wrap)?;
        Ok(true)
    }

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
        let tx = self.conn.transaction().map_err(&wrap)?;
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

    /// Queues every `failed` page again, due now (`newswire refetch --failed`).
    pub fn requeue_failed_articles(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let wrap = self.wrap();
        self.conn
            .prepare_cached(
                "UPDATE article_queue SET state = 'pending', attempts = 0, next_attempt_at = ?1,
                   created_at = ?1, updated_at = ?1 WHERE state = 'failed'",
            )
            .and_then(|mut s| s.execute([ts(now)]))
            .map_err(wrap)
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

    /// Rows by state and the age of the oldest pending one.
    pub fn article_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let wrap = self.wrap();
        let mut stats = QueueStats::default();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT state, count(*), min(CASE WHEN state = 'pending' THEN created_at END)
                 FROM article_queue GROUP BY state",
            )
            .map_err(&wrap)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(&wrap)?;
        for row in rows {
            let (state, n, oldest) = row.map_err(&wrap)?;
            match state.as_str() {
                "pending" => {
                    stats.pending = n;
                    stats.oldest_pending_secs = oldest
                        .as_deref()
                        .and_then(parse_ts)
                        .map_or(0, |t| (now - t).num_seconds().max(0) as u64);
                }
                "running" => stats.running = n,
                "done" => stats.done = n,
                _ => stats.failed = n,
            }
        }
        Ok(stats)
    }

    /// When the earliest pending row is due, if any (the worker sleeps until then).
    pub fn next_article_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let wrap = self.wrap();
        let next: Option<String> = self
            .conn
            .prepare_cached("SELECT min(next_attempt_at) FROM article_queue WHERE state = 'pending'")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(wrap)?;
        Ok(next.as_deref().and_then(parse_ts))
    }
}

/// Writes the page row of a new item; an item that already has one keeps it.
fn insert_page(
    tx: &Transaction<'_>,
    feed_id: FeedId,
    page: &PageJob,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let (state, attempts, next, error, status, extraction) = match &page.state {
        PageState::Pending {
            attempts,
            next_attempt_at,
            error,
            http_status,
        } => (
            "pending",
            *attempts,
            Some(ts(*next_attempt_at)),
            error.clone(),
            *http_status,
            None,
        ),
        PageState::Done { extraction } => ("done", 1, None, None, None, Some(extraction.as_str())),
        PageState::Failed {
            attempts,
            error,
            http_status,
        } => ("failed", *attempts, None, Some(error.clone()), *http_status, None),
    };
    tx.prepare_cached(
        "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at, last_error,
           last_http_status, extraction, created_at, updated_at)
         SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10 FROM items WHERE canonical_url = ?1
         ON CONFLICT (item_id) DO NOTHING",
    )?
    .execute(params![
        page.canonical_url,
        page.url,
        feed_id,
        state,
        attempts,
        next,
        error,
        status,
        extraction,
        ts(now)
    ])?;
    Ok(())
}

/// Writes the page's text and metadata over the item. The page's declared
/// canonical URL becomes the item's identity only when no other item (and
/// no tombstone) holds it; otherwise the two stay separate items and story
/// matching joins them.
fn update_item(
    tx: &Transaction<'_>,
    job: &ArticleJob,
    item: &NewItem,
    now: &str,
) -> rusqlite::Result<()> {
    let canonical = if item.canonical_url == job.item.canonical_url {
        &job.item.canonical_url
    } else {
        let taken: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM items WHERE canonical_url = ?1)
                     OR EXISTS (SELECT 1 FROM tombstones WHERE canonical_url = ?1)",
            )?
            .query_row([&item.canonical_url], |r| r.get(0))?;
        if taken {
            &job.item.canonical_url
        } else {
            &item.canonical_url
        }
    };
    tx.prepare_cached(
        "UPDATE items SET canonical_url = ?2, title = ?3, author = ?4, published_at = ?5,
           updated_at = ?6, content_html = ?7, content_text = ?8, language = ?9, image = ?10,
           site_name = ?11, extraction = ?12, extraction_error = ?13, changed_at = ?14
         WHERE id = ?1",
    )?
    .execute(params![
        job.item_id,
        canonical,
        item.title,
        item.author,
        item.published_at.map(ts),
        item.updated_at.map(ts),
        item.content_html,
        item.content_text,
        item.language,
        item.image,
        item.site_name,
        item.extraction.as_str(),
        item.extraction_error,
        now
    ])?;
    Ok(())
}

/// Fingerprints an item whose text changed after it was stored and lets it
/// join the story its new text belongs to (a teaser-only item joins its
/// story here). This is the one call to swap for the stories module's own
/// "fingerprint and join later" function when it exists.
pub(super) fn join_story_later(
    tx: &Transaction<'_>,
    item_id: ItemId,
    item: &NewItem,
    fingerprint: &Fingerprint,
    first_seen_at: DateTime<Utc>,
    window: TimeDelta,
) -> rusqlite::Result<()> {
    let entry = super::StoredEntry {
        key: crate::model::EntryKey(String::new()),
        entry_url: None,
        item: item.clone(),
        fingerprint: Some(fingerprint.clone()),
    };
    let story = super::stories_hook::assign_story(tx, item_id, &entry, first_seen_at, window)?;
    tx.prepare_cached("UPDATE items SET story_id = ?2 WHERE id = ?1")?
        .execute(params![item_id, story])?;
    Ok(())
}
