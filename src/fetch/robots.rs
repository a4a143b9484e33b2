//! robots.txt: (placeholder, filled in below).

use url::Url;

use super::Fetcher;

/// Parsed robots.txt rules for one user agent.
#[derive(Debug, Clone, Default)]
pub struct RobotsRules {}

/// Per-host robots.txt cache.
#[derive(Debug, Default)]
pub struct Robots {}

impl Robots {
    /// An empty cache.
    pub fn new() -> Self {
        Robots {}
    }

    /// Whether `url` may be fetched.
    pub async fn allowed(&self, _fetcher: &Fetcher, _url: &Url) -> bool {
        true
    }
}
