//! The article queue: one row per item whose page is fetched for its full
//! text (table `article_queue`, migration 009, docs/schema.md).
//!
//! A poll writes each new item's row in the poll's own transaction
//! ([`SqliteStore::record_poll_with_pages`]): `done` when the first attempt got
//! the page, `failed` when it cannot succeed (404, 410, 451, robots.txt, not
//! HTML, too large), `pending` with a next attempt time when it may
//! (timeouts, 429, 5xx, a host's back-off). Workers take due rows with
//! [`SqliteStore::claim_articles`], an `UPDATE … RETURNING` that leases them (owner,
//! expiry, a token bumped on every claim), and report with
//! [`SqliteStore::finish_article`], fenced by that token. The shape is the one a
//! PostgreSQL store implements with `FOR UPDATE SKIP LOCKED` (SCALE-OUT
//! §4.1): several daemons can then share the page work, and a dead daemon's
//! rows are claimed again when their lease runs out. On SQLite one daemon
//! writes; [`SqliteStore::release_articles`] hands back the rows a killed daemon
//! left `running`.
//!
//! When the text arrives, one transaction updates the item's text, HTML,
//! metadata, search index (by trigger), `changed_at`, story fingerprint and
//! story (`stories_hook::rejoin_story`, the same path as
//! `Store::refresh_story`), and marks the row `done`.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, params};

mod admin;
#[cfg(test)]
mod tests;
mod write;

use super::{FeedId, ItemId, SqliteStore, StoreError, parse_ts, ts};
use crate::model::{Extraction, NewItem};
use crate::stories::Fingerprint;
pub(super) use write::insert_page;
use write::update_item;

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

/// A page row's queue columns, as both stores write them.
pub(in crate::store) struct PageColumns<'a> {
    /// `state`.
    pub state: &'static str,
    /// `attempts`.
    pub attempts: u32,
    /// `next_attempt_at`.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// `last_error`.
    pub error: Option<&'a str>,
    /// `last_http_status`.
    pub http_status: Option<u16>,
    /// `extraction`.
    pub extraction: Option<&'static str>,
}

impl PageState {
    /// This state's columns of an `article_queue` row.
    pub(in crate::store) fn columns(&self) -> PageColumns<'_> {
        match self {
            PageState::Pending {
                attempts,
                next_attempt_at,
                error,
                http_status,
            } => PageColumns {
                state: "pending",
                attempts: *attempts,
                next_attempt_at: Some(*next_attempt_at),
                error: error.as_deref(),
                http_status: *http_status,
                extraction: None,
            },
            PageState::Done { extraction } => PageColumns {
                state: "done",
                attempts: 1,
                next_attempt_at: None,
                error: None,
                http_status: None,
                extraction: Some(extraction.as_str()),
            },
            PageState::Failed {
                attempts,
                error,
                http_status,
            } => PageColumns {
                state: "failed",
                attempts: *attempts,
                next_attempt_at: None,
                error: Some(error),
                http_status: *http_status,
                extraction: None,
            },
        }
    }
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
    /// The lease token of this claim; [`SqliteStore::finish_article`] checks it.
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
        /// The item with the page's text and metadata merged in (boxed: it
        /// is large and the other outcomes are small).
        item: Box<NewItem>,
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

/// A claimed row as `UPDATE … RETURNING` gives it: id, item, page, feed,
/// attempts, created at, lease token.
type Claimed = (i64, ItemId, String, Option<FeedId>, u32, String, i64);

impl SqliteStore {
    /// Writes one poll and its items' page rows in one transaction (see
    /// [`SqliteStore::record_poll`]). A page row is written only for an item that
    /// has none yet.
    pub fn record_poll_with_pages(
        &mut self,
        poll: &super::PollRecord,
        pages: &[PageJob],
    ) -> Result<super::PollSummary, StoreError> {
        let wrap = self.wrap();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let summary = crate::store::write::write_poll(&tx, poll, &self.story).map_err(&wrap)?;
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
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
        let claimed: Vec<Claimed> = {
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
                            extraction_path: None,
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
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&wrap)?;
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
                super::stories_hook::rejoin_story(
                    &tx,
                    job.item_id,
                    fingerprint,
                    item.extraction,
                    Some(job.first_seen_at),
                    &self.story,
                )
                .map_err(|source| StoreError::StoryIndex {
                    path: self.path.clone(),
                    source: Box::new(source),
                })?;
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
                    s.execute(params![
                        job.id,
                        ts(*next_attempt_at),
                        error,
                        http_status,
                        now_s
                    ])
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
        // A page's text re-indexes its item: the keys wait like a new
        // item's and are merged the same way.
        self.after_commit();
        Ok(true)
    }
}
