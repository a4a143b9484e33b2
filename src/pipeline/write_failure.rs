//! What is left of a poll whose results could not be written (the store
//! locked or full): the failure itself, recorded on the feed row if that
//! small write still fits, so feed health tells the truth.

use chrono::Utc;

use super::Context;
use crate::config::FeedConfig;
use crate::model::{FeedState, PollOutcome, PollRecord};
use crate::scheduler;
use crate::store::StoreError;

/// How the error of a poll whose results could not be written starts, on
/// the feed row and in reports.
pub const STORE_WRITE_FAILED: &str = "could not write to the store";

/// After the poll's own write failed (locked, disk full): records the
/// failure on the feed row, a write of a few hundred bytes that may still
/// succeed, so feed health shows it instead of the last success (issue 15).
/// Not tried on a damaged store, which must not be written at all.
pub(super) async fn record_write_failure(
    ctx: &Context,
    feed: &FeedConfig,
    state: &FeedState,
    record: &PollRecord,
    e: &StoreError,
) {
    tracing::error!(feed = %feed.name, error = %e, "could not write the poll to the store");
    ctx.metrics
        .poll_finished(&feed.name, "error", 0, record.elapsed);
    if e.is_corrupt() {
        return;
    }
    let error_count = state.error_count.saturating_add(1);
    let failed = PollRecord {
        outcome: PollOutcome::Failed {
            http_status: None,
            gone: false,
            error: format!("{STORE_WRITE_FAILED}: {e}"),
        },
        new_entries: Vec::new(),
        linked: Vec::new(),
        error_count,
        next_due_at: scheduler::next_after_failure(
            feed,
            Utc::now(),
            error_count,
            ctx.config.defaults.max_backoff,
            None,
        ),
        ..record.clone()
    };
    if let Err(again) = ctx.with_store(move |s| s.record_poll(&failed)).await {
        tracing::warn!(feed = %feed.name, error = %again, "could not record the failure either");
    }
}
