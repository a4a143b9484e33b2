//! When each feed is next due.
//!
//! Pure functions over the config and a feed's history: the next cron firing,
//! pushed back by what the server asked for (`Retry-After`, `Cache-Control:
//! max-age`, RSS `<ttl>`, each honoured up to [`MAX_HINT`]) and, after failures,
//! by exponential backoff with jitter, capped by `[defaults] max_backoff`.
//! The daemon keeps the due times in a queue; the store keeps them across restarts.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::FeedConfig;

/// The longest a server's caching hint (max-age, ttl) may delay a feed beyond
/// its schedule. `Retry-After` is not capped: it is an explicit request.
pub const MAX_HINT: Duration = Duration::from_secs(3600);

/// The first backoff step after one failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);

/// The next poll after a success: the first cron firing at or after
/// `now + hint` (hint capped by [`MAX_HINT`]).
pub fn next_after_success(
    feed: &FeedConfig,
    now: DateTime<Utc>,
    hint: Option<Duration>,
) -> DateTime<Utc> {
    let earliest = now + to_chrono(hint.unwrap_or_default().min(MAX_HINT));
    next_firing(feed, earliest)
}

/// The next poll after the `error_count`-th consecutive failure:
/// the later of the next cron firing and `now + backoff`, and never before
/// the server's `Retry-After`.
pub fn next_after_failure(
    feed: &FeedConfig,
    now: DateTime<Utc>,
    error_count: u32,
    max_backoff: Duration,
    retry_after: Option<Duration>,
) -> DateTime<Utc> {
    let wait = backoff(error_count, max_backoff).max(retry_after.unwrap_or_default());
    next_firing(feed, now).max(now + to_chrono(wait))
}

/// Exponential backoff: 1 min, 2 min, 4 min … capped at `max`, with ±10 %
/// jitter so feeds that failed together do not retry together.
pub fn backoff(error_count: u32, max: Duration) -> Duration {
    if error_count == 0 {
        return Duration::ZERO;
    }
    let exp = BACKOFF_BASE.saturating_mul(1u32 << (error_count - 1).min(20));
    let capped = exp.min(max);
    let jitter = 0.9 + fastrand::f64() * 0.2;
    capped.mul_f64(jitter).min(max)
}

fn next_firing(feed: &FeedConfig, at_or_after: DateTime<Utc>) -> DateTime<Utc> {
    // `next_after` is strictly after; step back one second to allow "at",
    // but never return a firing earlier than `at_or_after` (the step back can
    // land on the firing that just passed, within the same second, which
    // would make the feed due again at once).
    feed.schedule
        .next_after(at_or_after - chrono::Duration::seconds(1), feed.timezone)
        .filter(|t| *t >= at_or_after)
        .or_else(|| feed.schedule.next_after(at_or_after, feed.timezone))
        // A schedule that never fires again is refused at load time; a
        // day from now is a safe answer if the calendar still runs out.
        .unwrap_or(at_or_after + chrono::Duration::days(1))
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn feed(schedule: &str) -> FeedConfig {
        Config::from_toml(
            &format!(
                "[[feeds]]\nname = \"f\"\nurl = \"https://f.example/\"\nschedule = \"{schedule}\"\n"
            ),
            "t",
            None,
        )
        .expect("valid")
        .feeds
        .remove(0)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("ts")
            .with_timezone(&Utc)
    }

    #[test]
    fn success_follows_the_schedule_and_hints() {
        let f = feed("*/10 * * * *");
        let now = at("2026-01-01T10:03:00Z");
        assert_eq!(
            next_after_success(&f, now, None),
            at("2026-01-01T10:10:00Z")
        );
        // max-age of 25 minutes: the first firing after 10:28.
        assert_eq!(
            next_after_success(&f, now, Some(Duration::from_secs(25 * 60))),
            at("2026-01-01T10:30:00Z")
        );
        // A day-long hint is capped at an hour.
        assert_eq!(
            next_after_success(&f, now, Some(Duration::from_secs(86_400))),
            at("2026-01-01T11:10:00Z")
        );
    }

    /// Regression: a poll finishing in the same second as the firing that
    /// started it used to get that firing back as its next due time.
    #[test]
    fn the_next_poll_is_never_before_now() {
        let f = feed("*/2 * * * * *");
        let now = DateTime::parse_from_rfc3339("2026-01-01T10:00:02.400Z")
            .expect("ts")
            .with_timezone(&Utc);
        let next = next_after_success(&f, now, None);
        assert!(next >= now, "{next} is before {now}");
        assert_eq!(next, at("2026-01-01T10:00:04Z"));
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let max = Duration::from_secs(6 * 3600);
        assert_eq!(backoff(0, max), Duration::ZERO);
        let one = backoff(1, max).as_secs_f64();
        assert!((54.0..=66.0).contains(&one), "{one}");
        let five = backoff(5, max).as_secs_f64();
        assert!((16.0 * 54.0..=16.0 * 66.0).contains(&five), "{five}");
        assert!(backoff(40, max) <= max);
        let f = feed("* * * * * *");
        let now = at("2026-01-01T10:00:00Z");
        let next = next_after_failure(&f, now, 3, max, None);
        assert!(next >= now + chrono::Duration::seconds(200), "{next}");
        let next = next_after_failure(&f, now, 1, max, Some(Duration::from_secs(7200)));
        assert!(next >= now + chrono::Duration::seconds(7200), "{next}");
    }
}
