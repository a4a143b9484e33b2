//! The end of a poll's write: the feed's row (validators, health,
//! redirects, due time, the lease given back), the `fetches` row, and the
//! article-queue rows of its new items.

use chrono::{DateTime, Utc};
use postgres::Transaction;

use super::big;
use super::write::Writer;
use crate::store::{
    FeedId, PageJob, PollOutcome, PollRecord, PollSummary, write::REDIRECT_SIGHTINGS,
};

/// The feed's row and the `fetches` row; the lease, if any, is given back.
pub(super) fn write_feed(
    tx: &mut Transaction<'_>,
    poll: &PollRecord,
    summary: &PollSummary,
    writer: Writer<'_>,
) -> Result<(), postgres::Error> {
    let id = poll.feed_id;
    let now = poll.started_at;
    if writer.lease.is_some() {
        tx.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE id = $1",
            &[&id],
        )?;
    }
    let (status, http_status, bytes, error): (&str, Option<i64>, Option<i64>, Option<&str>) =
        match &poll.outcome {
            PollOutcome::Deferred => {
                tx.execute(
                    "UPDATE feeds SET next_due_at = $2 WHERE id = $1",
                    &[&id, &poll.next_due_at],
                )?;
                return Ok(());
            }
            PollOutcome::Fetched {
                http_status,
                bytes,
                etag,
                last_modified,
                meta,
                permanent_redirect,
            } => {
                tx.execute(
                    "UPDATE feeds SET etag = $2, last_modified = $3, title = COALESCE($4, title),
                       site_url = COALESCE($5, site_url), format = COALESCE($6, format),
                       last_success_at = $7
                     WHERE id = $1",
                    &[
                        &id,
                        etag,
                        last_modified,
                        &meta.title,
                        &meta.site_url,
                        &meta.format,
                        &now,
                    ],
                )?;
                record_redirect(tx, id, permanent_redirect.as_deref())?;
                (
                    "ok",
                    Some(i64::from(*http_status)),
                    Some(i64::try_from(*bytes).unwrap_or(i64::MAX)),
                    meta.broken.as_deref(),
                )
            }
            PollOutcome::NotModified {
                etag,
                last_modified,
            } => {
                tx.execute(
                    "UPDATE feeds SET etag = COALESCE($2, etag),
                       last_modified = COALESCE($3, last_modified), last_success_at = $4
                     WHERE id = $1",
                    &[&id, etag, last_modified, &now],
                )?;
                ("not_modified", Some(304), Some(0), None)
            }
            PollOutcome::Failed {
                http_status,
                error,
                gone,
            } => {
                if *gone {
                    tx.execute(
                        "UPDATE feeds SET disabled_reason = $2 WHERE id = $1",
                        &[&id, &format!("{}: {error}", crate::store::ts(now))],
                    )?;
                }
                (
                    "error",
                    http_status.map(i64::from),
                    None,
                    Some(error.as_str()),
                )
            }
        };
    tx.execute(
        "UPDATE feeds SET last_polled_at = $2, last_status = $3, last_http_status = $4,
           last_error = $5, error_count = $6, next_due_at = $7 WHERE id = $1",
        &[
            &id,
            &now,
            &status,
            &http_status,
            &error,
            &i64::from(poll.error_count),
            &poll.next_due_at,
        ],
    )?;
    let elapsed_ms = i64::try_from(poll.elapsed.as_millis()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO fetches (feed_id, started_at, elapsed_ms, status, http_status, bytes, entries,
           new_items, error, instance)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &id,
            &now,
            &elapsed_ms,
            &status,
            &http_status,
            &bytes,
            &big(poll.entries),
            &big(summary.new_items),
            &error,
            &writer.instance,
        ],
    )?;
    Ok(())
}

fn record_redirect(
    tx: &mut Transaction<'_>,
    feed_id: FeedId,
    target: Option<&str>,
) -> Result<(), postgres::Error> {
    match target {
        None => tx.execute(
            "UPDATE feeds SET redirect_to = NULL, redirect_seen = 0 WHERE id = $1",
            &[&feed_id],
        )?,
        Some(to) => tx.execute(
            "UPDATE feeds SET
               redirect_seen = CASE WHEN redirect_to = $2 THEN redirect_seen + 1 ELSE 1 END,
               redirect_to = $2
             WHERE id = $1",
            &[&feed_id, &to],
        )?,
    };
    tx.execute(
        "UPDATE feeds SET effective_url = redirect_to, redirect_to = NULL, redirect_seen = 0
         WHERE id = $1 AND redirect_seen >= $2",
        &[&feed_id, &REDIRECT_SIGHTINGS],
    )?;
    Ok(())
}

/// Writes the page row of a new item; an item that already has one keeps it.
pub(super) fn insert_page(
    tx: &mut Transaction<'_>,
    feed_id: FeedId,
    page: &PageJob,
    now: DateTime<Utc>,
) -> Result<(), postgres::Error> {
    let c = page.state.columns();
    tx.execute(
        "INSERT INTO article_queue (item_id, url, feed_id, state, attempts, next_attempt_at, last_error,
           last_http_status, extraction, created_at, updated_at)
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10 FROM items WHERE canonical_url = $1
         ON CONFLICT (item_id) DO NOTHING",
        &[
            &page.canonical_url,
            &page.url,
            &feed_id,
            &c.state,
            &i64::from(c.attempts),
            &c.next_attempt_at,
            &c.error,
            &c.http_status.map(i64::from),
            &c.extraction,
            &now,
        ],
    )?;
    Ok(())
}
