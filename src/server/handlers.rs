//! The JSON endpoints: `/items`, `/items/{id}`, `/stories`, `/feeds`, `/search`.
//!
//! Each handler parses its parameters ([`Params`], a 400 naming the bad one),
//! runs its queries through the [`Reader`](super::reader::Reader) and answers
//! with a JSON object: lists as `{"<things>": [...], "limit", "offset",
//! "next_offset"}`, where `next_offset` is null on the last page; `/items`
//! adds `next_cursor`, the keyset cursor of its last row, which pages to any
//! depth at the cost of the first page (`offset` is bounded by
//! [`super::params::MAX_OFFSET`]).

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, json};
use super::params::{Page, Params, parse_id};
use super::reader::store_error;
use super::sql;
use crate::model::SearchHit;
use crate::model::{ItemCursor, ItemQuery, ItemRow, StoryQuery, StoryRow};
use crate::store::Store;

/// Filters shared by `/items` and `/search`.
pub const ITEM_FILTERS: [&str; 8] = [
    "feed",
    "tag",
    "language",
    "since",
    "until",
    "story",
    "after_id",
    "updated_since",
];

/// A stored link as served: an `http`/`https` URL, or nothing. Feeds are
/// untrusted and older stores may hold a `javascript:` or `data:` link the
/// pipeline now refuses; it is never emitted.
pub fn web_link(url: &str) -> Option<&str> {
    url::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        .then_some(url)
}

/// An item's link as served: its URL when that is a web link, else its
/// canonical URL when that is, else empty.
pub fn shown_url(url: &str, canonical_url: &str) -> String {
    web_link(url)
        .or_else(|| web_link(canonical_url))
        .unwrap_or("")
        .to_string()
}

/// A page of a list, as answered.
#[derive(Serialize)]
struct Listing<T: Serialize> {
    #[serde(flatten)]
    rows: T,
    limit: usize,
    offset: usize,
    next_offset: Option<usize>,
}

fn listing<T: Serialize>(rows: T, len: usize, page: Page) -> Listing<T> {
    Listing {
        rows,
        limit: page.limit,
        offset: page.offset,
        next_offset: (len >= page.limit).then_some(page.offset + page.limit),
    }
}

/// One item in a list: [`ItemRow`] without the article text (see `/items/{id}`).
#[derive(Serialize)]
struct ListedItem {
    id: i64,
    title: Option<String>,
    url: String,
    canonical_url: String,
    author: Option<String>,
    published_at: Option<String>,
    first_seen_at: String,
    changed_at: Option<String>,
    feeds: Vec<String>,
    story_id: Option<i64>,
    extraction: String,
    language: Option<String>,
    summary: Option<String>,
}

impl From<ItemRow> for ListedItem {
    fn from(r: ItemRow) -> ListedItem {
        ListedItem {
            id: r.id,
            title: r.title,
            url: shown_url(&r.url, &r.canonical_url),
            canonical_url: web_link(&r.canonical_url).unwrap_or("").to_string(),
            author: r.author,
            published_at: r.published_at,
            first_seen_at: r.first_seen_at,
            changed_at: r.changed_at,
            feeds: r.feeds,
            story_id: r.story_id,
            extraction: r.extraction,
            language: r.language,
            summary: r.summary,
        }
    }
}

/// The item filters of `p` as an [`ItemQuery`] (its `limit` is set by the caller).
pub fn item_query(p: &Params) -> Result<ItemQuery, ApiError> {
    Ok(ItemQuery {
        feed: p.text("feed"),
        tag: p.text("tag"),
        language: p.text("language"),
        since: p.since("since")?,
        until: p.until("until")?,
        story: p.id("story")?,
        // 0 is allowed: everything from the first item on.
        after_id: p
            .uint("after_id")?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        // Items whose row changed since then (late full text), in that order.
        updated_since: p.since("updated_since")?,
        before: p
            .text("cursor")
            .map(|c| {
                c.parse::<ItemCursor>()
                    .map_err(|e| ApiError::bad_param("cursor", e))
            })
            .transpose()?,
        offset: 0,
        omit_text: false,
        limit: 0,
    })
}

/// Runs [`Store::items`] for one page: the store skips `offset` rows reading
/// only their ids (issue 15: deep pages loaded every skipped article).
pub fn items_page(store: &Store, mut q: ItemQuery, page: Page) -> Result<Vec<ItemRow>, ApiError> {
    q.limit = page.limit;
    q.offset = page.offset;
    store.items(&q).map_err(store_error)
}

/// `GET /items`: the newest items, filtered.
pub async fn items(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut allowed = ITEM_FILTERS.to_vec();
    allowed.extend(["limit", "offset", "cursor"]);
    let p = Params::parse(raw.as_deref(), &allowed)?;
    let (mut q, page) = (item_query(&p)?, p.page()?);
    if q.before.is_some() && q.after_id.is_some() {
        return Err(ApiError::bad_param(
            "cursor",
            "pages the newest-first list; `after_id` lists oldest first: use one",
        ));
    }
    // Lists show no article text: never read it.
    q.omit_text = true;
    let newest_first = q.after_id.is_none();
    let rows = st
        .reader()
        .run(move |store| items_page(store, q, page))
        .await?;
    let len = rows.len();
    #[derive(Serialize)]
    struct Items {
        items: Vec<ListedItem>,
        next_cursor: Option<String>,
    }
    let next_cursor = rows
        .last()
        .filter(|_| newest_first && len >= page.limit)
        .map(|r| r.cursor().to_string());
    let items = rows.into_iter().map(ListedItem::from).collect();
    Ok(json(&listing(Items { items, next_cursor }, len, page)))
}

/// `GET /items/{id}`: one item in full, with its sources and story.
pub async fn item(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let id = parse_id("id", &id)?;
    let item = st
        .reader()
        .run(move |store| sql::item_detail(store, id))
        .await?;
    match item {
        Some(item) => Ok(json(&item)),
        None => Err(ApiError::NotFound(format!("item {id}"))),
    }
}

/// `GET /stories`: stories, newest first.
pub async fn stories(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["since", "min_items", "limit", "offset"])?;
    let page = p.page()?;
    let q = StoryQuery {
        since: p.since("since")?,
        min_items: p.uint("min_items")?.unwrap_or(1),
        limit: page.limit,
        offset: page.offset,
    };
    let rows = st
        .reader()
        .run(move |store| store.stories(&q).map_err(store_error))
        .await?;
    let len = rows.len();
    #[derive(Serialize)]
    struct Stories {
        stories: Vec<StoryRow>,
    }
    Ok(json(&listing(Stories { stories: rows }, len, page)))
}

/// `GET /feeds`: every feed with its health.
pub async fn feeds(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["limit", "offset"])?;
    let page = p.page()?;
    let rows = st.reader().run(sql::feeds).await?;
    let feeds: Vec<sql::FeedRow> = rows
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect();
    let len = feeds.len();
    #[derive(Serialize)]
    struct Feeds {
        feeds: Vec<sql::FeedRow>,
    }
    Ok(json(&listing(Feeds { feeds }, len, page)))
}

/// `GET /search`: full-text search, best first, with snippets.
pub async fn search(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut allowed = ITEM_FILTERS.to_vec();
    allowed.extend(["q", "limit", "offset"]);
    let p = Params::parse(raw.as_deref(), &allowed)?;
    let text = search_text(&p)?;
    let (mut q, page) = (item_query(&p)?, p.page()?);
    if page.offset > MAX_SEARCH_OFFSET {
        // Every skipped hit is ranked and snippeted: deep pages of a ranked
        // list cost the most and are read the least.
        return Err(ApiError::bad_param(
            "offset",
            format!(
                "at most {MAX_SEARCH_OFFSET} for a search; narrow it with more words or a filter"
            ),
        ));
    }
    q.limit = page.offset + page.limit;
    let needle = text.clone();
    let mut hits = st
        .reader()
        .run(move |store| store.search(&needle, &q).map_err(search_error))
        .await?;
    hits.drain(..page.offset.min(hits.len()));
    let len = hits.len();
    #[derive(Serialize)]
    struct Hits {
        query: String,
        hits: Vec<SearchHit>,
    }
    Ok(json(&listing(Hits { query: text, hits }, len, page)))
}

/// Deepest `offset` of a search.
pub const MAX_SEARCH_OFFSET: usize = 1_000;

/// Longest search text accepted (characters).
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words in one search (operators `AND`, `OR`, `NOT`, `NEAR` aside):
/// the full-text engine's time grows with the square of the terms (100 OR'd
/// terms took 3 s, 400 took 45 s).
pub const MAX_QUERY_TERMS: usize = 20;

/// `q`, checked: present, at most [`MAX_QUERY_CHARS`] long, with at least
/// one word and at most [`MAX_QUERY_TERMS`].
pub fn search_text(p: &Params) -> Result<String, ApiError> {
    let text = p
        .text("q")
        .ok_or_else(|| ApiError::bad_param("q", "required: the words to search for"))?;
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ApiError::bad_param(
            "q",
            format!("{chars} characters; at most {MAX_QUERY_CHARS} are searched"),
        ));
    }
    let words = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR"))
        .count();
    if words == 0 {
        return Err(ApiError::bad_param(
            "q",
            "no words to search for (only punctuation or operators)",
        ));
    }
    if words > MAX_QUERY_TERMS {
        return Err(ApiError::bad_param(
            "q",
            format!("{words} words; at most {MAX_QUERY_TERMS} are searched at once"),
        ));
    }
    Ok(text)
}

/// A failed search: text the full-text engine cannot take is the client's
/// fault (400), anything else as for every query.
fn search_error(e: crate::store::StoreError) -> ApiError {
    let message = e.to_string();
    if message.contains("fts5") || message.contains("unterminated string") {
        return ApiError::bad_param("q", "not a search the full-text index can run");
    }
    store_error(e)
}
