//! The stored time format: RFC 3339 in UTC, to the second.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a timestamp as stored: `2026-11-28T03:00:00Z`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a stored timestamp.
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
