//! Later attempts at article pages: the retry policy and the queue worker.
//!
//! A page that failed for a reason that may pass (timeouts, connection and
//! DNS errors, 408, 425, 429, 5xx) is tried again after an exponential
//! back-off with jitter, or after the server's `Retry-After` when it sent
//! one, until `[fetch] article_retry_for` has passed since it was first
//! queued or `article_max_attempts` attempts were made ([`after_failure`]).
//! A page whose host is backing off is *deferred* to the end of the back-off:
//! no request, no attempt counted, no error recorded. A permanent failure
//! (404, 410, 451, robots.txt, not HTML, too large) is recorded once and
//! never retried unless the user asks (`newswire refetch`).
//!
//! [`run_due`] is one round of the worker: it leases the due rows
//! ([`crate::store::Store::claim_articles`]), fetches each page (sharing
//! requests with polls in flight, see [`super::article::fetch_page`]), and
//! writes each result in one transaction
//! ([`crate::store::Store::finish_article`]): on success the item gets the
//! page's text, metadata, search index entry, fingerprint and story.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use super::Context;
use super::article::{PageError, fetch_page, rule_for, with_article};
use crate::config::FetchConfig;
use crate::store::{ArticleJob, ArticleOutcome, PageState, StoreError};

/// The first retry waits about this long; each further one twice as long.
pub const RETRY_BASE: Duration = Duration::from_secs(30);
/// No retry waits longer than this (a `Retry-After` may).
pub const RETRY_MAX: Duration = Duration::from_secs(6 * 3600);
/// How long a worker holds a claimed row before another may take it: far
/// longer than one fetch (`[fetch] timeout`) and its extraction.
pub const LEASE: Duration = Duration::from_secs(300);

/// How long and how often a failing page is retried (`[fetch]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries stop once this much time has passed since the page was queued.
    pub retry_for: Duration,
    /// Retries stop after this many attempts.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The policy of a `[fetch]` config.
    pub fn from_config(c: &FetchConfig) -> RetryPolicy {
        RetryPolicy {
            retry_for: c.article_retry_for,
            max_attempts: c.article_max_attempts.max(1),
        }
    }
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Try again at `at`.
    RetryAt {
        /// When.
        at: DateTime<Utc>,
        /// The error.
        error: String,
        /// Its HTTP status.
        http_status: Option<u16>,
    },
    /// The host is backing off: run at `at`, the attempt not counted.
    DeferTo {
        /// When the back-off ends.
        at: DateTime<Utc>,
    },
    /// Stop: a permanent failure or the retry limit.
    GiveUp {
        /// Why.
        error: String,
        /// The HTTP status, when the server answered.
        http_status: Option<u16>,
    },
}

/// The wait before retry number `attempt` (1 for the first retry): the
/// server's `Retry-After` when it sent one (RFC 9110 §10.2.3), plus up to a
/// tenth more; else [`RETRY_BASE`] doubled per attempt up to [`RETRY_MAX`],
/// plus up to a quarter more, so pages that failed together do not all come
/// back in the same second.
pub fn retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(wait) => {
            let wait = wait.max(Duration::from_secs(1));
            wait + wait.mul_f64(fastrand::f64() / 10.0)
        }
        None => {
            let doublings = attempt.saturating_sub(1).min(20);
            let wait = RETRY_BASE.saturating_mul(1 << doublings).min(RETRY_MAX);
            wait + wait.mul_f64(fastrand::f64() / 4.0)
        }
    }
}

/// The step after a failed attempt. `attempts` counts this one; the page
/// was first queued at `queued_at`.
pub fn after_failure(
    error: &PageError,
    attempts: u32,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: RetryPolicy,
) -> Step {
    match error {
        PageError::Deferred { wait } => Step::DeferTo {
            at: ceil_secs(now + delta(*wait)),
        },
        PageError::Permanent {
            message,
            http_status,
        } => Step::GiveUp {
            error: message.clone(),
            http_status: *http_status,
        },
        PageError::Transient {
            message,
            http_status,
            retry_after,
        } => {
            let at = ceil_secs(now + delta(retry_delay(attempts, *retry_after)));
            let deadline = queued_at + delta(policy.retry_for);
            if attempts >= policy.max_attempts || at > deadline {
                let reason = if attempts >= policy.max_attempts {
                    "article_max_attempts"
                } else {
                    "article_retry_for"
                };
                Step::GiveUp {
                    error: format!("gave up after {attempts} attempts ({reason}): {message}"),
                    http_status: *http_status,
                }
            } else {
                Step::RetryAt {
                    at,
                    error: message.clone(),
                    http_status: *http_status,
                }
            }
        }
    }
}

/// The queue row of a page after the poll's first attempt gave `step`.
pub fn page_state(attempts: u32, step: Step) -> PageState {
    match step {
        Step::RetryAt {
            at,
            error,
            http_status,
        } => PageState::Pending {
            attempts,
            next_attempt_at: at,
            error: Some(error),
            http_status,
        },
        Step::DeferTo { at } => PageState::Pending {
            attempts: attempts.saturating_sub(1),
            next_attempt_at: at,
            error: None,
            http_status: None,
        },
        Step::GiveUp { error, http_status } => PageState::Failed {
            attempts,
            error,
            http_status,
        },
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `t` rounded up to a whole second: the store keeps seconds, and a retry
/// rounded down could start before the host's back-off ends.
pub(super) fn ceil_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.timestamp_subsec_nanos() == 0 {
        return t;
    }
    DateTime::from_timestamp(t.timestamp().saturating_add(1), 0).unwrap_or(t)
}

/// One round of the worker: leases up to `max` due pages for `owner`,
/// attempts them all at once (page fetches are bounded by
/// `[fetch] concurrency`), and records each result. Returns how many rows
/// were claimed.
pub async fn run_due(ctx: &Context, owner: &str, max: usize) -> Result<usize, StoreError> {
    let owner = owner.to_string();
    let jobs = ctx
        .with_store(move |s| s.claim_articles(&owner, max.max(1), LEASE, Utc::now()))
        .await?;
    let claimed = jobs.len();
    let mut attempts = tokio::task::JoinSet::new();
    for job in jobs {
        let ctx = ctx.clone();
        attempts.spawn(async move { attempt(&ctx, job).await });
    }
    let mut first_error = None;
    while let Some(done) = attempts.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "could not record a page attempt; it is retried when its lease ends");
                first_error.get_or_insert(e);
            }
            // The row stays leased and is taken again when the lease ends.
            Err(_) => tracing::error!("page attempt task failed"),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(claimed),
    }
}

/// One attempt at one claimed page, recorded.
async fn attempt(ctx: &Context, job: ArticleJob) -> Result<(), StoreError> {
    let policy = RetryPolicy::from_config(&ctx.config.fetch);
    let feed = job.feed.as_deref().and_then(|n| ctx.config.feed(n));
    let feed_name = job.feed.clone().unwrap_or_default();
    if job.attempts > 0 {
        ctx.metrics.article_retried();
    }
    let outcome = match Url::parse(&job.url) {
        Err(e) => ArticleOutcome::Failed {
            error: format!("invalid URL {}: {e}", job.url),
            http_status: None,
        },
        Ok(url) => match fetch_page(ctx, &url, rule_for(feed, &url)).await {
            Ok(article) => {
                let mut item = with_article(&feed_name, job.item.clone(), &url, article);
                // The page is as untrusted as the feed: the same limits (see `limits`).
                super::limits::vet_item(&mut item);
                let for_cpu = item.clone();
                match ctx
                    .on_cpu(move || crate::store::stories_hook::fingerprint_of(&for_cpu))
                    .await
                {
                    Ok(fingerprint) => ArticleOutcome::Fetched {
                        item: Box::new(item),
                        fingerprint,
                    },
                    Err(_) => ArticleOutcome::Failed {
                        error: "story fingerprint crashed on this page".into(),
                        http_status: None,
                    },
                }
            }
            Err(error) => {
                match after_failure(&error, job.attempts + 1, job.created_at, Utc::now(), policy) {
                    Step::RetryAt {
                        at,
                        error,
                        http_status,
                    } => ArticleOutcome::Retry {
                        next_attempt_at: at,
                        error,
                        http_status,
                    },
                    Step::DeferTo { at } => ArticleOutcome::Deferred { until: at },
                    Step::GiveUp { error, http_status } => {
                        ArticleOutcome::Failed { error, http_status }
                    }
                }
            }
        },
    };
    log_outcome(&job, &outcome);
    let (id, item_id) = (job.id, job.item_id);
    let kept = ctx
        .with_store(move |s| s.finish_article(&job, &outcome, Utc::now()))
        .await?;
    if !kept {
        tracing::warn!(
            item = item_id,
            row = id,
            "page lease lost; another worker owns it now"
        );
    }
    Ok(())
}

fn log_outcome(job: &ArticleJob, outcome: &ArticleOutcome) {
    let (item, url, attempt) = (job.item_id, job.url.as_str(), job.attempts + 1);
    match outcome {
        ArticleOutcome::Fetched { item: got, .. } => tracing::info!(
            item,
            url,
            attempt,
            extraction = got.extraction.as_str(),
            "full text arrived"
        ),
        ArticleOutcome::Retry {
            next_attempt_at,
            error,
            ..
        } => tracing::info!(
            item, url, attempt, error = %error, next_attempt_at = %crate::model::ts(*next_attempt_at),
            "page attempt failed; will retry"
        ),
        ArticleOutcome::Deferred { until } => tracing::debug!(
            item, url, until = %crate::model::ts(*until), "host is backing off; page deferred"
        ),
        ArticleOutcome::Failed { error, .. } => {
            tracing::warn!(item, url, attempt, error = %error, "page failed; kept feed content")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
    }

    fn transient(retry_after: Option<Duration>) -> PageError {
        PageError::Transient {
            message: "HTTP 503 from http://a.example/x".into(),
            http_status: Some(503),
            retry_after,
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        retry_for: Duration::from_secs(3 * 86_400),
        max_attempts: 30,
    };

    #[test]
    fn back_off_doubles_with_jitter_and_honours_retry_after() {
        for attempt in 1..=5u32 {
            let base = RETRY_BASE * 2u32.pow(attempt - 1);
            let d = retry_delay(attempt, None);
            assert!(d >= base && d <= base + base / 4, "{attempt}: {d:?}");
        }
        assert!(retry_delay(40, None) <= RETRY_MAX + RETRY_MAX / 4);
        let d = retry_delay(3, Some(Duration::from_secs(5)));
        assert!(
            d >= Duration::from_secs(5) && d <= Duration::from_millis(5500),
            "{d:?}"
        );
    }

    #[test]
    fn transient_failures_retry_until_the_window_or_the_attempt_limit() {
        let step = after_failure(
            &transient(Some(Duration::from_secs(5))),
            1,
            at(0),
            at(0),
            POLICY,
        );
        match step {
            Step::RetryAt { at: when, .. } => assert!(when >= at(5) && when <= at(6)),
            other => panic!("{other:?}"),
        }
        let late = after_failure(&transient(None), 3, at(0), at(3 * 86_400 - 10), POLICY);
        assert!(
            matches!(&late, Step::GiveUp { error, .. } if error.contains("article_retry_for")),
            "{late:?}"
        );
        let many = after_failure(&transient(None), 30, at(0), at(60), POLICY);
        assert!(
            matches!(&many, Step::GiveUp { error, .. } if error.contains("30 attempts")),
            "{many:?}"
        );
    }

    #[test]
    fn permanent_failures_give_up_and_back_offs_defer_without_an_attempt() {
        let gone = PageError::Permanent {
            message: "HTTP 404 from http://a.example/x".into(),
            http_status: Some(404),
        };
        assert!(matches!(
            after_failure(&gone, 1, at(0), at(0), POLICY),
            Step::GiveUp {
                http_status: Some(404),
                ..
            }
        ));
        let wait = PageError::Deferred {
            wait: Duration::from_millis(2500),
        };
        let step = after_failure(&wait, 1, at(0), at(0), POLICY);
        assert_eq!(step, Step::DeferTo { at: at(3) }, "rounded up to a second");
        assert_eq!(
            page_state(1, step),
            PageState::Pending {
                attempts: 0,
                next_attempt_at: at(3),
                error: None,
                http_status: None
            }
        );
    }
}
