//! The one error type of the HTTP layer, [`FetchError`].
//!
//! Every variant names the URL (or host) it is about, so a log line or a
//! `fetches` row can be read on its own. Helpers tell the caller what to do
//! next: [`FetchError::retry_after`] for the scheduler, and
//! [`FetchError::is_permanent`] for errors that will not go away by waiting,
//! [`FetchError::is_transient`] for those worth retrying later, and
//! [`FetchError::is_host_backoff`] for a request never sent because its host
//! asked us to wait (a deferral, not a failure).

use std::time::{Duration, SystemTime};

/// Why a fetch failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched at all (unparseable, not http/https, no host,
    /// or a redirect to such a URL).
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The offending URL, as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The address guard refused to connect: the host is, or resolves only
    /// to, a loopback, private, link-local or otherwise non-public address.
    /// No request was sent.
    #[error("refused to fetch {url}: address {addr} is not public")]
    Blocked {
        /// The URL that was refused.
        url: String,
        /// The forbidden address(es), as text.
        addr: String,
    },
    /// The overall deadline (or the connect timeout) passed.
    #[error("timed out fetching {url}")]
    Timeout {
        /// The URL that was requested.
        url: String,
    },
    /// The body grew past the size limit (counted after decompression).
    #[error("body of {url} is larger than {limit} bytes")]
    TooLarge {
        /// The URL whose body was too large.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// More redirects than allowed (or a redirect loop).
    #[error("too many redirects fetching {url}")]
    TooManyRedirects {
        /// The URL first requested.
        url: String,
    },
    /// The server answered with a status other than 2xx or 304.
    #[error("HTTP {status} from {url}")]
    Status {
        /// The URL that answered (after redirects).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// How long the server asked us to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// The host asked us to back off (429/503 with `Retry-After`) and that
    /// time has not passed yet. No request was sent.
    #[error("host {host} asked to back off until {}", fmt_time(*until))]
    HostBackoff {
        /// The host that is backing off.
        host: String,
        /// When requests to the host may start again.
        until: SystemTime,
    },
    /// The connection could not be made (DNS, refused, TLS, reset before the
    /// response head).
    #[error("cannot connect to {url}: {detail}")]
    Connect {
        /// The URL that was requested.
        url: String,
        /// What went wrong, with its causes.
        detail: String,
    },
    /// The response head arrived but reading or decoding the body failed.
    #[error("error reading body of {url}: {detail}")]
    Body {
        /// The URL whose body failed.
        url: String,
        /// What went wrong, with its causes.
        detail: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {detail}")]
    Client {
        /// What went wrong.
        detail: String,
    },
}

impl FetchError {
    /// How long to wait before trying again, when the server said so
    /// (`Retry-After` on the status, or the remaining host backoff).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            FetchError::HostBackoff { until, .. } => Some(
                until
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            ),
            _ => None,
        }
    }

    /// True for errors that waiting will not fix: 404 and 410, an invalid
    /// URL, an address the guard refuses.
    pub fn is_permanent(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => matches!(status, 404 | 410),
            FetchError::InvalidUrl { .. } | FetchError::Blocked { .. } => true,
            _ => false,
        }
    }

    /// True for failures that may well go away by waiting: timeouts,
    /// connection and DNS errors, a body cut off, 408, 425, 429 and 5xx
    /// (RFC 9110 §15.5.9, §15.6; RFC 8470 §5.2 for 425; RFC 6585 §4 for 429).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => {
                matches!(status, 408 | 425 | 429) || (500..600).contains(status)
            }
            FetchError::Timeout { .. } | FetchError::Connect { .. } | FetchError::Body { .. } => {
                true
            }
            FetchError::HostBackoff { .. } => true,
            _ => false,
        }
    }

    /// True when no request was sent because the host asked us to back off:
    /// the caller should do the same work again when the back-off ends
    /// ([`FetchError::retry_after`]), recording no error.
    pub fn is_host_backoff(&self) -> bool {
        matches!(self, FetchError::HostBackoff { .. })
    }

    /// The HTTP status, for [`FetchError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// RFC 3339 text of a wall-clock time, for messages.
fn fmt_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
