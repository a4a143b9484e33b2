//! robots.txt (RFC 9309): a hand-written parser and a per-origin cache.
//!
//! [`RobotsRules::parse`] takes the bytes of a robots.txt and our user agent
//! and keeps the rules that apply to us: the groups naming our product token
//! (the user agent up to the first `/` or space), else the `*` groups, else
//! none. [`RobotsRules::allowed`] matches a path against them: `*` matches
//! any run of characters, a trailing `$` anchors at the end, the longest
//! matching pattern wins and `Allow` wins a tie.
//!
//! [`Robots`] (from [`Fetcher::robots`]) fetches `/robots.txt` through the
//! same guarded, polite client and caches the rules per origin for 24 hours
//! (less when the response's `Cache-Control: max-age` says so, RFC 9309 §2.4).
//! A 4xx (other than 429) means no rules; a 5xx, 429, timeout or connection
//! failure also allows everything but is cached for a few minutes only, so
//! a flaky robots.txt neither blocks a feed nor is fetched before every page.
//! Pages of one origin that start at once share one robots.txt request
//! (single-flight, [`super::flight`]). A host that asked us to back off is
//! not asked for its robots.txt either: [`Robots::check`] returns the
//! back-off so the caller defers the page, and nothing is cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::flight::SingleFlight;
use super::{FetchError, Fetcher, Request};

/// How long good rules (or a 4xx "no rules") are cached.
const CACHE_OK: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt is taken as "allow all".
const CACHE_ERROR: Duration = Duration::from_secs(10 * 60);
/// The shortest time rules are cached for, whatever `max-age` says.
const CACHE_MIN: Duration = Duration::from_secs(60);
/// RFC 9309 §2.5: parse at least 500 KiB; we parse exactly that much.
const MAX_PARSE: usize = 500 * 1024;
/// Past this many origins, expired entries are dropped from the cache.
const PRUNE_ABOVE: usize = 4096;

/// The origins cached, and the size at which expired ones are next dropped:
/// twice what survived the last pruning, so pruning costs O(1) per insert
/// however many origins are fresh (a scan at every insert past
/// [`PRUNE_ABOVE`] made a pass over 100,000 hosts quadratic).
#[derive(Debug)]
struct Entries {
    map: HashMap<String, Cached>,
    prune_above: usize,
}

impl Default for Entries {
    fn default() -> Self {
        Entries {
            map: HashMap::new(),
            prune_above: PRUNE_ABOVE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// The robots.txt rules that apply to one user agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RobotsRules {
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

/// The product token of a `User-Agent`: `"newswire/0.1 (+https://…)"` → `"newswire"`.
fn product_token(user_agent: &str) -> String {
    user_agent
        .trim()
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl RobotsRules {
    /// No rules: everything is allowed.
    pub fn allow_all() -> RobotsRules {
        RobotsRules::default()
    }

    /// Parse `txt` (at most its first 500 KiB) for `user_agent`.
    pub fn parse(txt: &[u8], user_agent: &str) -> RobotsRules {
        let txt = String::from_utf8_lossy(&txt[..txt.len().min(MAX_PARSE)]);
        let txt = txt.trim_start_matches('\u{feff}');
        let ours = product_token(user_agent);
        // Per group: the agents it names, its rules, its crawl delay.
        struct Group {
            agents: Vec<String>,
            rules: Vec<Rule>,
            delay: Option<Duration>,
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in txt.split(['\n', '\r']) {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" | "useragent" | "user agent" => {
                    if !in_agents {
                        groups.push(Group {
                            agents: Vec::new(),
                            rules: Vec::new(),
                            delay: None,
                        });
                        in_agents = true;
                    }
                    if let Some(g) = groups.last_mut() {
                        g.agents.push(product_token(value));
                    }
                }
                "allow" | "disallow" | "dissallow" | "disalow" | "crawl-delay" => {
                    in_agents = false;
                    // Rules before the first user-agent line belong to no group.
                    let Some(g) = groups.last_mut() else { continue };
                    if key == "crawl-delay" {
                        g.delay = value
                            .parse::<f64>()
                            .ok()
                            .filter(|d| d.is_finite() && *d >= 0.0 && *d < 86_400.0)
                            .map(Duration::from_secs_f64);
                    } else if !value.is_empty() {
                        // An empty Disallow allows everything: no rule.
                        g.rules.push(Rule {
                            allow: key == "allow",
                            pattern: value.to_owned(),
                        });
                    }
                }
                _ => {
                    // Sitemap and unknown keys neither start nor end a group.
                }
            }
        }
        let pick = |name: &str| -> Option<RobotsRules> {
            let chosen: Vec<&Group> = groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == name))
                .collect();
            if chosen.is_empty() {
                return None;
            }
            Some(RobotsRules {
                rules: chosen
                    .iter()
                    .flat_map(|g| g.rules.iter().cloned())
                    .collect(),
                crawl_delay: chosen.iter().find_map(|g| g.delay),
            })
        };
        let named = if ours.is_empty() || ours == "*" {
            None
        } else {
            pick(&ours)
        };
        named.or_else(|| pick("*")).unwrap_or_default()
    }

    /// Whether `path` (path and query, as in a request line) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !pattern_matches(rule.pattern.as_bytes(), path.as_bytes()) {
                continue;
            }
            let len = rule.pattern.len();
            best = match best {
                Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                _ => Some((len, rule.allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// Whether the full URL may be fetched (its path and query).
    pub fn allowed_url(&self, url: &Url) -> bool {
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        self.allowed(&path)
    }

    /// The `Crawl-delay` of the chosen group, if any (not part of RFC 9309,
    /// but widely sent).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}

/// Whether a robots.txt pattern matches the start of `text`: `*` matches any
/// run of bytes, a final `$` requires the match to reach the end.
fn pattern_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (pattern, anchored) = match pattern.split_last() {
        Some((b'$', rest)) => (rest, true),
        _ => (pattern, false),
    };
    // Glob matching with backtracking to the last `*` (linear in practice,
    // at worst pattern × text, both short).
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() && (!anchored || t == text.len()) {
            return true;
        }
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
            continue;
        }
        if p < pattern.len() && t < text.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
            continue;
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

#[derive(Debug)]
struct Cached {
    rules: Arc<RobotsRules>,
    expires: Instant,
}

/// The per-origin cache of robots.txt rules, kept inside the fetcher, and
/// the robots.txt requests in flight.
#[derive(Debug, Default)]
pub(crate) struct RobotsCache {
    entries: Mutex<Entries>,
    flight: SingleFlight<String, Result<Arc<RobotsRules>, FetchError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RobotsCache {
    fn get(&self, origin: &str) -> Option<Arc<RobotsRules>> {
        let entries = lock(&self.entries);
        entries
            .map
            .get(origin)
            .filter(|c| c.expires > Instant::now())
            .map(|c| c.rules.clone())
    }

    fn put(&self, origin: String, rules: Arc<RobotsRules>, ttl: Duration) {
        let mut entries = lock(&self.entries);
        let now = Instant::now();
        if entries.map.len() > entries.prune_above {
            entries.map.retain(|_, c| c.expires > now);
            entries.prune_above = PRUNE_ABOVE.max(2 * entries.map.len());
        }
        entries.map.insert(
            origin,
            Cached {
                rules,
                expires: now + ttl,
            },
        );
    }
}

/// robots.txt checks through a [`Fetcher`], sharing its cache.
#[derive(Debug, Clone)]
pub struct Robots {
    fetcher: Fetcher,
}

impl Robots {
    pub(crate) fn new(fetcher: Fetcher) -> Robots {
        Robots { fetcher }
    }

    /// Whether robots.txt of `url`'s origin lets our user agent fetch `url`.
    /// Fetches and caches robots.txt on first use; never fails (an
    /// unreachable robots.txt allows, and so does a host backing off).
    pub async fn allowed(&self, url: &Url) -> bool {
        self.check(url).await.unwrap_or(true)
    }

    /// Like [`Robots::allowed`], but a host that asked us to back off is an
    /// `Err(FetchError::HostBackoff)`: the caller should try the page later.
    pub async fn check(&self, url: &Url) -> Result<bool, FetchError> {
        Ok(self.try_rules(url).await?.allowed_url(url))
    }

    /// The rules for `url`'s origin (fetched or cached); allow-all while the
    /// host is backing off.
    pub async fn rules(&self, url: &Url) -> Arc<RobotsRules> {
        self.try_rules(url)
            .await
            .unwrap_or_else(|_| Arc::new(RobotsRules::allow_all()))
    }

    async fn try_rules(&self, url: &Url) -> Result<Arc<RobotsRules>, FetchError> {
        let origin = url.origin().ascii_serialization();
        let cache = &self.fetcher.inner.robots;
        if let Some(rules) = cache.get(&origin) {
            return Ok(rules);
        }
        let Ok(robots_url) = url.join("/robots.txt") else {
            return Ok(Arc::new(RobotsRules::allow_all()));
        };
        cache
            .flight
            .run(origin.clone(), || async {
                // A run that finished between our look-up and this one has
                // filled the cache: no second request.
                if let Some(rules) = cache.get(&origin) {
                    return Ok(rules);
                }
                let (rules, ttl) = self.fetch(&robots_url).await?;
                let rules = Arc::new(rules);
                cache.put(origin.clone(), rules.clone(), ttl);
                Ok(rules)
            })
            .await
    }

    /// One robots.txt request: the rules and how long to keep them, or the
    /// host's back-off (not cached: the page waits, the rules are asked for
    /// when it ends).
    async fn fetch(&self, robots_url: &Url) -> Result<(RobotsRules, Duration), FetchError> {
        let req = Request {
            accept: Some("text/plain, */*;q=0.5".into()),
            ..Request::default()
        };
        let agent = &self.fetcher.inner.opts.user_agent;
        Ok(match self.fetcher.get(robots_url, &req).await {
            Ok(resp) => {
                let ttl = resp
                    .max_age
                    .map_or(CACHE_OK, |age| age.clamp(CACHE_MIN, CACHE_OK));
                (RobotsRules::parse(&resp.body, agent), ttl)
            }
            Err(FetchError::Status { status, .. })
                if (400..500).contains(&status) && status != 429 =>
            {
                (RobotsRules::allow_all(), CACHE_OK)
            }
            Err(e @ FetchError::HostBackoff { .. }) => return Err(e),
            Err(e) => {
                tracing::debug!(url = %robots_url, error = %e, "robots.txt unavailable, allowing");
                (RobotsRules::allow_all(), CACHE_ERROR)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_and_anchor() {
        assert!(pattern_matches(b"/news", b"/news/2026/story"));
        assert!(!pattern_matches(b"/news", b"/archive/news"));
        assert!(pattern_matches(b"/*.pdf$", b"/files/report.pdf"));
        assert!(!pattern_matches(b"/*.pdf$", b"/files/report.pdf?x=1"));
        assert!(pattern_matches(b"/*?print=", b"/story/1?print=1"));
        assert!(pattern_matches(b"*", b""));
        assert!(pattern_matches(b"/a*b*c", b"/axxbyyc/zz"));
        assert!(!pattern_matches(b"/a*b*c", b"/axxbyy"));
        assert!(pattern_matches(b"/$", b"/"));
        assert!(!pattern_matches(b"/$", b"/x"));
    }

    #[test]
    fn the_cache_drops_expired_origins_and_scans_rarely_when_all_are_fresh() {
        let cache = RobotsCache::default();
        let rules = Arc::new(RobotsRules::default());
        // Expired as soon as stored.
        for i in 0..=PRUNE_ABOVE {
            cache.put(
                format!("http://h{i}.example"),
                rules.clone(),
                Duration::ZERO,
            );
        }
        // Past the bound with every entry expired: the next insert keeps
        // only itself.
        cache.put("http://fresh.example".into(), rules.clone(), CACHE_OK);
        assert_eq!(lock(&cache.entries).map.len(), 1);
        assert!(cache.get("http://fresh.example").is_some());
        assert!(cache.get("http://h0.example").is_none());
        // Fresh origins past the bound: one scan, then none until the
        // table has doubled (every insert scanned the whole table before).
        for i in 0..3 * PRUNE_ABOVE {
            cache.put(format!("http://f{i}.example"), rules.clone(), CACHE_OK);
        }
        let entries = lock(&cache.entries);
        assert_eq!(entries.map.len(), 3 * PRUNE_ABOVE + 1);
        // Scans at PRUNE_ABOVE + 1 entries and at twice that plus one.
        assert_eq!(entries.prune_above, 2 * (2 * (PRUNE_ABOVE + 1) + 1));
    }

    #[test]
    fn product_tokens() {
        assert_eq!(
            product_token("newswire/0.1 (+https://example.org)"),
            "newswire"
        );
        assert_eq!(product_token("  NewsWire "), "newswire");
        assert_eq!(product_token("*"), "*");
    }
}
