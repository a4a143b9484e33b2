//! Plain data shared by every stage of the pipeline.
//!
//! Nothing here does I/O. [`Entry`] is one entry as a feed carried it (after
//! parsing, before identity); [`EntryKey`] is the stable key identity gives it;
//! [`NewItem`] is what the pipeline hands the store for one article; [`Extraction`]
//! records how an item's text was obtained. Timestamps are UTC throughout.
//!
//! The store's vocabulary lives here too, so that no backend owns it: what
//! one poll produced ([`poll`]: [`PollRecord`], [`PollOutcome`], [`FeedState`],
//! the row ids), what readers get back ([`reads`]: [`ItemRow`], [`StoryRow`],
//! [`SearchHit`], the API's rows, and the queries that ask for them), and
//! the stored time format ([`ts`], [`parse_ts`]), and where a store lives
//! ([`StoreLocation`]: a SQLite file or a PostgreSQL URL). The pipeline, the daemon,
//! the CLI, the API and every store backend import them from here.

pub mod location;
pub mod poll;
pub mod reads;
mod time;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use location::{PgUrl, SslMode, StoreLocation};
pub use poll::{
    FeedId, FeedMeta, FeedSchedule, FeedState, ItemId, Lease, LinkedEntry, PollOutcome, PollRecord,
    PollSummary, SearchTerms, StoredEntry,
};
pub use reads::{
    FeedRow, ItemBody, ItemCursor, ItemDetail, ItemQuery, ItemRow, ItemSource, SearchHit,
    StoreGauges, StoryQuery, StoryRow,
};
pub use time::{parse_ts, ts};

/// Which syndication format a feed document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    /// RSS 0.9x or 2.0 (`<rss>`).
    Rss,
    /// RSS 1.0 / RDF Site Summary (`<rdf:RDF>`).
    Rdf,
    /// Atom 0.3 or 1.0 (`<feed>`).
    Atom,
    /// JSON Feed 1.x.
    Json,
}

impl FeedFormat {
    /// The lower-case name used in logs, JSON output and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedFormat::Rss => "rss",
            FeedFormat::Rdf => "rdf",
            FeedFormat::Atom => "atom",
            FeedFormat::Json => "json",
        }
    }
}

/// One entry as the feed carried it.
///
/// `guid` is the id the document itself gave (RSS `<guid>`, Atom `<id>`, JSON
/// Feed `id`), never one invented by the parser. Links are absolute (resolved
/// against the feed's URL). `summary` and `content` are the feed's markup as
/// given, unsanitised: the pipeline sanitises before storing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entry {
    /// The id the document gave, trimmed; `None` when absent or empty.
    pub guid: Option<String>,
    /// Title as plain text (markup and entities resolved).
    pub title: Option<String>,
    /// The entry's article link, absolute.
    pub link: Option<String>,
    /// Author names, in document order.
    pub authors: Vec<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// Summary / description markup (often a teaser).
    pub summary: Option<String>,
    /// Full content markup when the feed carries it (`content:encoded`, Atom `content`).
    pub content: Option<String>,
    /// Category / tag labels.
    pub categories: Vec<String>,
    /// An image the feed attached (enclosure, media:content, media:thumbnail).
    pub image: Option<String>,
    /// Language tag declared by the entry or the feed (`ru`, `en-US`).
    pub language: Option<String>,
}

/// The stable key of an entry within its feed.
///
/// Stored in `item_sources.entry_key`; the same entry parsed twice yields the
/// same key, which is what makes a second poll add nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EntryKey(pub String);

impl EntryKey {
    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How an item's stored text was obtained (`items.extraction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Extraction {
    /// The feed's own content (full text disabled, or not yet attempted).
    Feed,
    /// The generic extractor on the fetched article page.
    Extracted,
    /// A per-site CSS rule on the fetched article page.
    SiteRule,
    /// The page could not be fetched or yielded nothing; the feed's content is kept.
    Failed,
}

impl Extraction {
    /// The value stored in `items.extraction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Extraction::Feed => "feed",
            Extraction::Extracted => "extracted",
            Extraction::SiteRule => "site_rule",
            Extraction::Failed => "failed",
        }
    }
}

/// One article ready to be stored: what the pipeline built from an entry
/// (and, with full text on, from its page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewItem {
    /// The link as the feed gave it.
    pub url: String,
    /// The canonical URL: the item's identity in the store.
    pub canonical_url: String,
    /// Title, plain text.
    pub title: Option<String>,
    /// Author or byline.
    pub author: Option<String>,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Modification time, when known.
    pub updated_at: Option<DateTime<Utc>>,
    /// The feed's summary as plain text.
    pub summary: Option<String>,
    /// Sanitised HTML of the article (or of the feed's content).
    pub content_html: Option<String>,
    /// Plain text of the article, paragraphs separated by blank lines.
    pub content_text: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// Site name (og:site_name), when the page declares one.
    pub site_name: Option<String>,
    /// How the text was obtained.
    pub extraction: Extraction,
    /// Why extraction failed or fell back, for `extraction = failed` / `feed`.
    pub extraction_error: Option<String>,
    /// Which extractor pass chose the text (`extract::BodyPath::as_str`), when it came from the page.
    pub extraction_path: Option<&'static str>,
}

impl NewItem {
    /// An article at `url` (its own canonical URL) with a title and text
    /// extracted from its page, nothing else known: the base that tests,
    /// benchmarks and programs writing a store fill in further.
    pub fn new(url: &str, title: &str, text: &str) -> NewItem {
        NewItem {
            url: url.into(),
            canonical_url: url.into(),
            title: Some(title.into()),
            author: None,
            published_at: None,
            updated_at: None,
            summary: None,
            content_html: None,
            content_text: Some(text.into()),
            language: None,
            image: None,
            site_name: None,
            extraction: Extraction::Extracted,
            extraction_error: None,
            extraction_path: None,
        }
    }
}
