//! Query-string parameters: parsed by hand so a bad one is a 400 that names it.
//!
//! [`Params::parse`] takes the raw query string and the names an endpoint
//! accepts; an unknown or repeated name is refused, so a typo (`limt=5`) is
//! reported instead of silently ignored. Typed getters turn values into
//! numbers, times and pages.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::error::ApiError;

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest `limit` accepted.
pub const MAX_LIMIT: usize = 500;
/// Largest `offset` accepted (deep pages: narrow with `until` instead).
pub const MAX_OFFSET: usize = 10_000;

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// A page of a list: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows wanted.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

impl Params {
    /// Parses `query` (the part after `?`, percent-encoded), accepting only `allowed` names.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                return Err(ApiError::bad_param(
                    &name,
                    format!("unknown parameter (accepted: {})", allowed.join(", ")),
                ));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::bad_param(&name, "given more than once"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// The value of `name`, trimmed; an empty value counts as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// `name` as a non-negative integer.
    pub fn uint(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::bad_param(name, format!("`{v}` is not a non-negative integer"))
                })
            })
            .transpose()
    }

    /// `name` as a row id (a positive integer).
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name).map(|v| parse_id(name, &v)).transpose()
    }

    /// `limit` and `offset`, with defaults and bounds.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = match self.uint("limit")? {
            None => DEFAULT_LIMIT,
            Some(0) => return Err(ApiError::bad_param("limit", "must be at least 1")),
            Some(n) if n > MAX_LIMIT as u64 => {
                return Err(ApiError::bad_param(
                    "limit",
                    format!("must be at most {MAX_LIMIT}"),
                ));
            }
            Some(n) => n as usize,
        };
        let offset = match self.uint("offset")? {
            None => 0,
            Some(n) if n > MAX_OFFSET as u64 => {
                return Err(ApiError::bad_param(
                    "offset",
                    format!("must be at most {MAX_OFFSET}; narrow the list with `until` instead"),
                ));
            }
            Some(n) => n as usize,
        };
        Ok(Page { limit, offset })
    }

    /// `name` as a lower time bound: RFC 3339, or `YYYY-MM-DD` for the start of that day (UTC).
    pub fn since(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.text(name)
            .map(|v| parse_time(name, &v, false))
            .transpose()
    }

    /// `name` as an exclusive upper time bound: RFC 3339, or `YYYY-MM-DD` for
    /// the end of that day (the day itself included).
    pub fn until(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.text(name)
            .map(|v| parse_time(name, &v, true))
            .transpose()
    }
}

/// Parses a positive row id named `name`.
pub fn parse_id(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_param(name, format!("`{value}` is not a positive integer id")))
}

fn parse_time(name: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_day {
            day.checked_add_signed(TimeDelta::days(1))
        } else {
            Some(day)
        };
        if let Some(start) = day.and_then(|d| d.and_hms_opt(0, 0, 0)) {
            return Ok(start.and_utc());
        }
    }
    Err(ApiError::bad_param(
        name,
        format!("`{value}` is not a date (YYYY-MM-DD) or an RFC 3339 time"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_repeated_and_malformed_parameters_name_themselves() {
        let err = |r: Result<Params, ApiError>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(Params::parse(Some("limt=5"), &["limit"])).contains("`limt`"));
        assert!(err(Params::parse(Some("limit=5&limit=6"), &["limit"])).contains("more than once"));
        let p = Params::parse(
            Some("limit=abc&since=yesterday&offset=20000"),
            &["limit", "since", "offset"],
        )
        .expect("parse");
        assert!(
            p.page()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("`limit`")
        );
        assert!(
            p.since("since")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("`since`")
        );
    }

    #[test]
    fn pages_and_dates() {
        let p = Params::parse(None, &["limit"]).expect("parse");
        assert_eq!(
            p.page().expect("page"),
            Page {
                limit: DEFAULT_LIMIT,
                offset: 0
            }
        );
        let p = Params::parse(
            Some("limit=500&offset=10&since=2026-11-27&until=2026-11-27"),
            &["limit", "offset", "since", "until"],
        )
        .expect("parse");
        assert_eq!(
            p.page().expect("page"),
            Page {
                limit: 500,
                offset: 10
            }
        );
        assert_eq!(
            p.since("since")
                .expect("since")
                .map(crate::model::ts)
                .as_deref(),
            Some("2026-11-27T00:00:00Z")
        );
        assert_eq!(
            p.until("until")
                .expect("until")
                .map(crate::model::ts)
                .as_deref(),
            Some("2026-11-28T00:00:00Z")
        );
        let p = Params::parse(
            Some("since=2026-11-27T08%3A00%3A00%2B03%3A00&limit=501"),
            &["since", "limit"],
        )
        .expect("parse");
        assert_eq!(
            p.since("since")
                .expect("since")
                .map(crate::model::ts)
                .as_deref(),
            Some("2026-11-27T05:00:00Z")
        );
        assert!(p.page().is_err());
    }
}
