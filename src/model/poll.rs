//! What one poll of one feed produced, and a feed's stored state: what the
//! pipeline hands the store and the scheduler reads back.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{EntryKey, NewItem};

/// What fetching the feed document gave.
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// A document was fetched and parsed.
    Fetched {
        /// HTTP status (200).
        http_status: u16,
        /// Body size after decompression.
        bytes: u64,
        /// New `ETag` (stored; `None` clears).
        etag: Option<String>,
        /// New `Last-Modified`.
        last_modified: Option<String>,
        /// What the document says about itself.
        meta: FeedMeta,
        /// Where a permanent redirect pointed, to poll from now on.
        permanent_redirect: Option<String>,
    },
    /// 304 Not Modified.
    NotModified {
        /// Validators to keep (the server may send fresh ones with a 304).
        etag: Option<String>,
        /// See `etag`.
        last_modified: Option<String>,
    },
    /// The poll failed; nothing else changes.
    Failed {
        /// HTTP status, when the server answered.
        http_status: Option<u16>,
        /// The error, as shown to users.
        error: String,
        /// The feed is gone for good (410): stop polling it until the user
        /// re-enables it or changes its URL.
        gone: bool,
    },
    /// No request was sent: the feed's host asked us to back off
    /// (`Retry-After`) because of another request. The feed is due again
    /// when the back-off ends; nothing is recorded as an error.
    Deferred,
}

/// Feed-level metadata from the document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    /// Feed title.
    pub title: Option<String>,
    /// The site the feed belongs to.
    pub site_url: Option<String>,
    /// `rss`, `rdf`, `atom` or `json`.
    pub format: Option<String>,
    /// Salvage mode: the XML error the document broke at (its complete
    /// entries were kept). Stored as the poll's `last_error` and the fetch's
    /// `error` while the status stays `ok`.
    pub broken: Option<String>,
}

/// An entry not seen before whose article is not stored yet: a new item.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// The entry's key in this feed.
    pub key: EntryKey,
    /// The entry's link as the feed gave it.
    pub entry_url: Option<String>,
    /// The article.
    pub item: NewItem,
    /// The article text's story fingerprint, computed by the caller off the
    /// writer thread; computed at write time when `None`.
    pub fingerprint: Option<crate::stories::Fingerprint>,
    /// The item's search-index terms (`store::fts::item_terms`), computed
    /// by the caller off the writer thread; computed at write time when
    /// `None`.
    pub search_terms: Option<SearchTerms>,
}

/// An entry not seen before in this feed whose article is already stored
/// (another feed carried it, or the same URL under another key).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedEntry {
    /// The entry's key in this feed.
    pub key: EntryKey,
    /// The entry's link as the feed gave it.
    pub entry_url: Option<String>,
    /// The stored item it is another copy of.
    pub item_id: ItemId,
}

/// Everything one poll of one feed produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord {
    /// The feed polled.
    pub feed_id: FeedId,
    /// When the poll started.
    pub started_at: DateTime<Utc>,
    /// How long it took, page fetches included.
    pub elapsed: Duration,
    /// The feed fetch's result.
    pub outcome: PollOutcome,
    /// Entries in the document.
    pub entries: usize,
    /// New items.
    pub new_entries: Vec<StoredEntry>,
    /// New sources of stored items.
    pub linked: Vec<LinkedEntry>,
    /// When the feed is next due.
    pub next_due_at: DateTime<Utc>,
    /// Consecutive failures after this poll (0 on success).
    pub error_count: u32,
    /// The daemon that polled (`[cluster] instance`), written to
    /// `fetches.instance`; `None` for a one-off `newswire poll` on SQLite.
    pub instance: Option<String>,
    /// The lease under which the feed was polled (clustered stores): the
    /// write is fenced by it, and a lease that has passed to another daemon
    /// writes nothing and answers [`LeaseLost`](crate::store::StoreError::LeaseLost).
    pub lease: Option<Lease>,
}

/// What [`Store::record_poll`](crate::store::Store::record_poll) wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Item rows inserted.
    pub new_items: usize,
    /// Source rows that point at items stored before.
    pub linked: usize,
}

/// Row id of a feed.
pub type FeedId = i64;
/// Row id of an item.
pub type ItemId = i64;

/// What the daemon's schedule reads of every feed at start: a narrow row,
/// so that 100,000 feeds cost a few MB, not their whole [`FeedState`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSchedule {
    /// Feed name (the config key).
    pub name: String,
    /// Enabled in the config.
    pub enabled: bool,
    /// Disabled by the server (410 Gone) until re-enabled.
    pub gone: bool,
    /// When it is next due, if it was ever scheduled.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// A feed's stored state, as the scheduler and pipeline need it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    /// Row id.
    pub id: FeedId,
    /// Configured name.
    pub name: String,
    /// Configured URL.
    pub url: String,
    /// URL to poll after a permanent redirect, if one was seen.
    pub effective_url: Option<String>,
    /// Stored `ETag`.
    pub etag: Option<String>,
    /// Stored `Last-Modified`.
    pub last_modified: Option<String>,
    /// Consecutive failed polls.
    pub error_count: u32,
    /// When the feed is next due.
    pub next_due_at: Option<DateTime<Utc>>,
    /// When it was last polled.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// `ok`, `not_modified` or `error`.
    pub last_status: Option<String>,
    /// Last error message.
    pub last_error: Option<String>,
    /// Whether the config enables it.
    pub enabled: bool,
    /// Why newswire stopped polling it by itself (410 Gone), if it did.
    pub disabled_reason: Option<String>,
    /// The daemon holding the feed's poll lease (clustered stores), if any.
    pub lease_owner: Option<String>,
    /// When that lease ends unless its holder extends it.
    pub lease_until: Option<DateTime<Utc>>,
}

/// A daemon's right to poll one feed, on a clustered store: granted by
/// `claim_due`, kept alive by `extend_leases`, ended by the poll's write
/// or `release_leases`. The token grows with every claim of the feed, so
/// a daemon whose lease passed to another one cannot write a late poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The feed leased.
    pub feed_id: FeedId,
    /// The daemon holding it (`[cluster] instance`).
    pub owner: String,
    /// The claim's fencing token.
    pub token: i64,
}

/// The analysed terms of a new item, as the search index stores them: what
/// `newswire_terms(title, language, content_text)` and
/// `newswire_terms(content_text, language, content_text)` return for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// Terms of the title (`None` when it has none).
    pub title: Option<String>,
    /// Terms of the text (`None` when it has none).
    pub text: Option<String>,
}
