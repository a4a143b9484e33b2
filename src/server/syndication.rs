//! Aggregated full-text feeds: Atom 1.0 (RFC 4287) and JSON Feed 1.1, built
//! from stored items. Pure: items and links in, document text out.
//!
//! The Atom is written by hand. Every text and attribute goes through
//! [`xml_escape`], which also drops the characters XML 1.0 forbids (C0 control
//! characters other than tab, line feed and carriage return, and U+FFFE/U+FFFF),
//! so a stray control character in a title cannot make the document
//! ill-formed. `content_html` is stored sanitised and is carried as escaped
//! text (`type="html"`). The JSON Feed is serialised by serde_json.
//!
//! Ids are stable: an entry's id is its canonical URL (the item's identity in
//! the store), or a `tag:` URI on the item id when that is not an absolute
//! URL; the feed's id is its own self URL.

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use super::sql::ItemBody;
use crate::model::{ItemRow, parse_ts, ts};

/// Content type of the Atom feed.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// Content type of the JSON Feed.
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json";
/// The JSON Feed version this module writes.
pub const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// What a feed document says about itself.
#[derive(Debug, Clone)]
pub struct FeedHead {
    /// Feed title.
    pub title: String,
    /// Where the API lives (ends with `/`).
    pub base: Url,
    /// This document's own URL, query included.
    pub self_url: Url,
    /// The same selection in the other format.
    pub alternate_url: Url,
    /// Used as the feed's `updated` when it has no entries.
    pub now: DateTime<Utc>,
}

/// One entry: the listed item and its body.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The item as [`crate::store::Store::items`] lists it.
    pub row: ItemRow,
    /// Its HTML body and extra dates.
    pub body: ItemBody,
}

impl FeedItem {
    /// The stable id: the canonical URL, else a `tag:` URI on the row id.
    fn id(&self, base: &Url) -> String {
        match Url::parse(&self.row.canonical_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u.to_string(),
            _ => format!(
                "tag:{},2026:newswire:item:{}",
                base.host_str().unwrap_or("localhost"),
                self.row.id
            ),
        }
    }

    fn published(&self) -> Option<DateTime<Utc>> {
        self.row.published_at.as_deref().and_then(parse_ts)
    }

    /// Last modification, else publication, else first-seen time.
    fn updated(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.body
            .updated_at
            .as_deref()
            .and_then(parse_ts)
            .or_else(|| self.published())
            .or_else(|| parse_ts(&self.row.first_seen_at))
            .unwrap_or(now)
    }
}

/// Escapes `text` for XML character data and attribute values, dropping the
/// characters XML 1.0 does not allow at all.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The Atom 1.0 document for `items` (newest first).
pub fn atom(head: &FeedHead, items: &[FeedItem]) -> String {
    let updated = items
        .iter()
        .map(|i| i.updated(head.now))
        .max()
        .unwrap_or(head.now);
    let mut out = String::with_capacity(4096 + items.len() * 4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(&mut out, 1, "id", head.self_url.as_str());
    element(&mut out, 1, "title", &head.title);
    element(&mut out, 1, "updated", &ts(updated));
    link(
        &mut out,
        1,
        "self",
        ATOM_CONTENT_TYPE_BARE,
        head.self_url.as_str(),
    );
    link(
        &mut out,
        1,
        "alternate",
        JSON_FEED_CONTENT_TYPE,
        head.alternate_url.as_str(),
    );
    out.push_str("  <author><name>newswire</name></author>\n");
    out.push_str(&format!(
        "  <generator version=\"{}\">newswire</generator>\n",
        xml_escape(env!("CARGO_PKG_VERSION"))
    ));
    let feeds_scheme = head
        .base
        .join("feeds")
        .map(|u| u.to_string())
        .unwrap_or_default();
    for item in items {
        out.push_str("  <entry>\n");
        element(&mut out, 2, "id", &item.id(&head.base));
        element(
            &mut out,
            2,
            "title",
            item.row.title.as_deref().unwrap_or(""),
        );
        // Empty when the stored link was not a web link (never emitted).
        if !item.row.url.is_empty() {
            link(&mut out, 2, "alternate", "text/html", &item.row.url);
        }
        if let Some(published) = item.published() {
            element(&mut out, 2, "published", &ts(published));
        }
        element(&mut out, 2, "updated", &ts(item.updated(head.now)));
        if let Some(author) = item.row.author.as_deref().filter(|a| !a.trim().is_empty()) {
            out.push_str(&format!(
                "    <author><name>{}</name></author>\n",
                xml_escape(author)
            ));
        }
        for feed in &item.row.feeds {
            out.push_str(&format!(
                "    <category term=\"{}\" scheme=\"{}\"/>\n",
                xml_escape(feed),
                xml_escape(&feeds_scheme)
            ));
        }
        if let Some(summary) = item.row.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            element(&mut out, 2, "summary", summary);
        }
        match (&item.body.content_html, &item.row.content_text) {
            (Some(html), _) => out.push_str(&format!(
                "    <content type=\"html\">{}</content>\n",
                xml_escape(html)
            )),
            (None, Some(text)) => element(&mut out, 2, "content", text),
            (None, None) => {}
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// The Atom media type without parameters, for `<link type=…>`.
const ATOM_CONTENT_TYPE_BARE: &str = "application/atom+xml";

fn element(out: &mut String, depth: usize, name: &str, text: &str) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(&format!("<{name}>{}</{name}>\n", xml_escape(text)));
}

fn link(out: &mut String, depth: usize, rel: &str, media_type: &str, href: &str) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(&format!(
        "<link rel=\"{rel}\" type=\"{}\" href=\"{}\"/>\n",
        xml_escape(media_type),
        xml_escape(href)
    ));
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    authors: [JsonAuthor<'a>; 1],
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    authors: Option<[JsonAuthor<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    /// Extension (JSON Feed allows `_`-prefixed keys): where the item came from.
    _newswire: JsonExtension<'a>,
}

#[derive(Serialize)]
struct JsonExtension<'a> {
    item_id: i64,
    story_id: Option<i64>,
    feeds: &'a [String],
}

/// The JSON Feed 1.1 document for `items` (newest first).
pub fn json_feed(head: &FeedHead, items: &[FeedItem]) -> Result<String, serde_json::Error> {
    let items = items
        .iter()
        .map(|item| {
            let html = item.body.content_html.as_deref();
            // JSON Feed requires content_html or content_text on every item.
            let text = match html {
                Some(_) => None,
                None => Some(
                    item.row
                        .content_text
                        .as_deref()
                        .or(item.row.summary.as_deref())
                        .unwrap_or(""),
                ),
            };
            JsonItem {
                id: item.id(&head.base),
                url: &item.row.url,
                title: item.row.title.as_deref(),
                content_html: html,
                content_text: text,
                summary: item.row.summary.as_deref().filter(|s| !s.trim().is_empty()),
                image: item.body.image.as_deref(),
                date_published: item.published().map(ts),
                date_modified: ts(item.updated(head.now)),
                authors: item
                    .row
                    .author
                    .as_deref()
                    .filter(|a| !a.trim().is_empty())
                    .map(|name| [JsonAuthor { name }]),
                language: item.row.language.as_deref(),
                _newswire: JsonExtension {
                    item_id: item.row.id,
                    story_id: item.row.story_id,
                    feeds: &item.row.feeds,
                },
            }
        })
        .collect();
    let feed = JsonFeed {
        version: JSON_FEED_VERSION,
        title: &head.title,
        home_page_url: head.base.as_str(),
        feed_url: head.self_url.as_str(),
        authors: [JsonAuthor { name: "newswire" }],
        items,
    };
    serde_json::to_string(&feed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_drops_characters_xml_forbids() {
        assert_eq!(
            xml_escape("A & B <c> \"d\" 'e'\u{1}\u{8}\tf\u{FFFF}ж"),
            "A &amp; B &lt;c&gt; &quot;d&quot; &apos;e&apos;\tfж"
        );
    }
}
