//! Cron schedules as users write them.
//!
//! A [`Schedule`] is parsed from one of:
//! - a classic 5-field crontab line, minute first: `*/15 * * * *`
//!   (day of week 0–7, where 0 and 7 are Sunday, as in crontab(5));
//! - the `cron` crate's 6- or 7-field form, seconds first, optional year:
//!   `*/30 * * * * *` (its day of week counts 1–7 from Sunday);
//! - a macro: `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`,
//!   `@yearly` (`@annually`).
//!
//! Times are evaluated in a [`chrono_tz::Tz`] (UTC unless the config names a
//! zone) and returned in UTC. Unlike crontab, a line that restricts both the day
//! of month and the day of week fires only when both match (the `cron` crate's
//! rule); this is documented in the README.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A parsed cron schedule; keeps the text the user wrote. Cloning shares
/// it: a parsed `cron::Schedule` holds a set per field (a year set of 131
/// entries among them), about 2 KB, and every feed without a schedule of its
/// own carries the default one (200 MB at 100,000 feeds when each was a
/// copy).
#[derive(Clone)]
pub struct Schedule(Arc<Parsed>);

struct Parsed {
    source: String,
    cron: cron::Schedule,
}

/// Why a schedule string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid schedule `{source_text}`: {reason}")]
pub struct ScheduleError {
    /// The text as written.
    pub source_text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Schedule {
    /// The schedule as the user wrote it.
    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// The first firing strictly after `after`, evaluated in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&tz);
        self.0
            .cron
            .after(&local)
            .next()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The next `n` firings after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        let local = after.with_timezone(&tz);
        self.0
            .cron
            .after(&local)
            .take(n)
            .map(|t| t.with_timezone(&Utc))
            .collect()
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.0.source)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.0.source == other.0.source
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ScheduleError {
            source_text: s.to_string(),
            reason,
        };
        let text = s.trim();
        let expanded = match text.to_ascii_lowercase().as_str() {
            "@hourly" => "0 0 * * * *".to_string(),
            "@daily" | "@midnight" => "0 0 0 * * *".to_string(),
            "@weekly" => "0 0 0 * * SUN".to_string(),
            "@monthly" => "0 0 0 1 * *".to_string(),
            "@yearly" | "@annually" => "0 0 0 1 1 *".to_string(),
            m if m.starts_with('@') => {
                return Err(err(
                    "unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)".into(),
                ));
            }
            _ => {
                let fields: Vec<&str> = text.split_whitespace().collect();
                match fields.len() {
                    5 => {
                        let dow = crontab_dow_to_cron(fields[4]).map_err(err)?;
                        format!(
                            "0 {} {} {} {} {}",
                            fields[0], fields[1], fields[2], fields[3], dow
                        )
                    }
                    6 | 7 => fields.join(" "),
                    n => {
                        return Err(err(format!(
                            "expected 5 fields (minute hour day month weekday) or 6-7 fields \
                             with seconds first, found {n}"
                        )));
                    }
                }
            }
        };
        let cron = cron::Schedule::from_str(&expanded).map_err(|e| err(e.to_string()))?;
        // A schedule that can never fire (e.g. 30 February) is a mistake, not a feed
        // that is silently never polled.
        if cron.upcoming(Utc).next().is_none() {
            return Err(err("never fires".into()));
        }
        Ok(Schedule(Arc::new(Parsed {
            source: text.to_string(),
            cron,
        })))
    }
}

impl TryFrom<String> for Schedule {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Rewrites a crontab(5) day-of-week field (0–7, 0 and 7 = Sunday) into the
/// `cron` crate's numbering (1–7, 1 = Sunday). Names and `*` pass through.
fn crontab_dow_to_cron(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" || field.starts_with("*/") {
        // `*/n` starts at Sunday in both numberings, so it selects the same days.
        return Ok(field.to_string());
    }
    if !field.bytes().any(|b| b.is_ascii_digit()) {
        return Ok(field.to_string()); // names such as MON-FRI
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<usize>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or(format!("bad step in day of week `{part}`"))?,
            ),
            None => (part, 1),
        };
        let num = |t: &str| {
            t.parse::<usize>()
                .ok()
                .filter(|n| *n <= 7)
                .ok_or(format!("day of week `{t}` is not 0-7 or a name"))
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None if part.contains('/') => (num(range)?, 6),
            None => {
                let n = num(range)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(format!("day of week range `{range}` runs backwards"));
        }
        for d in (lo..=hi).step_by(step) {
            days[d % 7] = true;
        }
    }
    let list: Vec<String> = (0..7)
        .filter(|d| days[*d])
        .map(|d| (d + 1).to_string())
        .collect();
    Ok(list.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    #[test]
    fn five_fields_are_minute_first() {
        let s: Schedule = "*/15 * * * *".parse().expect("valid");
        let next = s.next_after(at("2026-01-01T10:07:30Z"), Tz::UTC);
        assert_eq!(next, Some(at("2026-01-01T10:15:00Z")));
    }

    #[test]
    fn six_fields_are_seconds_first() {
        let s: Schedule = "*/2 * * * * *".parse().expect("valid");
        let next = s.next_after(at("2026-01-01T10:00:01Z"), Tz::UTC);
        assert_eq!(next, Some(at("2026-01-01T10:00:02Z")));
    }

    #[test]
    fn crontab_weekdays_use_sunday_zero() {
        // 2026-01-04 is a Sunday.
        for (expr, want) in [
            ("0 9 * * 0", Weekday::Sun),
            ("0 9 * * 7", Weekday::Sun),
            ("0 9 * * 1", Weekday::Mon),
            ("0 9 * * 6", Weekday::Sat),
            ("0 9 * * MON", Weekday::Mon),
        ] {
            let s: Schedule = expr.parse().expect(expr);
            let next = s
                .next_after(at("2026-01-03T12:00:00Z"), Tz::UTC)
                .expect("fires");
            assert_eq!(next.weekday(), want, "{expr}");
            assert_eq!(next.hour(), 9, "{expr}");
        }
        let s: Schedule = "0 9 * * 1-5".parse().expect("valid");
        let days: Vec<Weekday> = s
            .upcoming(at("2026-01-03T12:00:00Z"), Tz::UTC, 7)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(
            days,
            [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Mon,
                Weekday::Tue
            ]
        );
        let s: Schedule = "0 9 * * 5-7".parse().expect("valid");
        let days: Vec<Weekday> = s
            .upcoming(at("2026-01-05T12:00:00Z"), Tz::UTC, 3)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(days, [Weekday::Fri, Weekday::Sat, Weekday::Sun]);
    }

    #[test]
    fn macros_and_time_zones() {
        let s: Schedule = "@daily".parse().expect("valid");
        let tz: Tz = "Europe/Moscow".parse().expect("zone");
        let next = s.next_after(at("2026-01-01T10:00:00Z"), tz).expect("fires");
        // Midnight in Moscow (UTC+3) is 21:00 UTC.
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 1, 1, 21, 0, 0).unwrap());
        assert!("@hourly".parse::<Schedule>().is_ok());
    }

    #[test]
    fn bad_schedules_say_why() {
        for bad in [
            "",
            "* * *",
            "61 * * * *",
            "@fortnightly",
            "0 0 30 2 *",
            "0 0 * * 8",
        ] {
            let e = bad.parse::<Schedule>().expect_err(bad);
            assert!(!e.reason.is_empty(), "{bad}");
        }
    }
}
