//! Conversion of feed-rs's model into newswire's [`Entry`] and [`ParsedFeed`].
//!
//! In: a `feed_rs::model::Feed` (parsed with an id generator that yields empty
//! ids, so an empty id means "the document gave none"), the feed URL, and
//! per-entry extras feed-rs does not read (JSON Feed item images). Out: plain
//! newswire values: titles as plain text, links absolute, dates UTC, authors
//! as names, one image per entry.

use std::time::Duration;

use feed_rs::model::{Feed, FeedType, Link, LinkTarget, MediaObject, Person};
use url::Url;

use super::ParsedFeed;
use super::discover::plain_text;
use super::mojibake::repair_double_utf8;
use super::normalize::{EntryContext, resolve_html_links};
use crate::model::{Entry, FeedFormat};

/// Facts read beside feed-rs, from the document text itself.
#[derive(Debug, Default)]
pub struct Extras {
    /// Refresh interval from the RSS Syndication module, in seconds.
    pub syndication_secs: Option<u64>,
    /// JSON Feed `home_page_url`.
    pub home_page_url: Option<String>,
    /// Per-entry images feed-rs does not report, by entry index: JSON Feed
    /// `image` / `banner_image`, or a lone `media:thumbnail`. Ignored unless
    /// there is one per entry.
    pub item_images: Vec<Option<String>>,
    /// Per-entry `xml:base` and `xml:lang` from the normalising pass, by
    /// entry index. Ignored unless there is one per entry.
    pub contexts: Vec<EntryContext>,
    /// The feed element's `xml:lang`.
    pub feed_lang: Option<String>,
    /// Salvage mode: the error after which the document was cut.
    pub broken: Option<String>,
}

/// Builds the [`ParsedFeed`] for `feed` fetched from `feed_url`.
pub fn to_parsed_feed(feed: Feed, feed_url: &Url, extras: &Extras) -> ParsedFeed {
    let format = match feed.feed_type {
        FeedType::Atom => FeedFormat::Atom,
        FeedType::JSON => FeedFormat::Json,
        FeedType::RSS0 | FeedType::RSS2 => FeedFormat::Rss,
        FeedType::RSS1 => FeedFormat::Rdf,
    };
    let language = feed
        .language
        .as_deref()
        .and_then(non_empty)
        .or_else(|| extras.feed_lang.clone())
        .map(language_tag);
    let site_url = match format {
        FeedFormat::Json => extras
            .home_page_url
            .as_deref()
            .and_then(|u| absolute(feed_url, u)),
        _ => page_link(&feed.links).and_then(|u| absolute(feed_url, &u)),
    };
    let ttl = feed
        .ttl
        .filter(|minutes| *minutes > 0)
        .map(|minutes| Duration::from_secs(u64::from(minutes) * 60))
        .or_else(|| {
            extras
                .syndication_secs
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        });
    let aligned = extras.item_images.len() == feed.entries.len();
    let contexts_aligned = extras.contexts.len() == feed.entries.len();
    let entries = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let side_image = if aligned {
                extras.item_images.get(index).cloned().flatten()
            } else {
                None
            };
            let context = contexts_aligned
                .then(|| extras.contexts.get(index))
                .flatten();
            to_entry(entry, feed_url, context, language.as_deref(), side_image)
        })
        .collect();
    ParsedFeed {
        format,
        title: feed.title.and_then(|t| text_of(&t.content)),
        site_url,
        language,
        ttl,
        entries,
        broken: extras.broken.clone(),
    }
}

fn to_entry(
    entry: feed_rs::model::Entry,
    feed_url: &Url,
    context: Option<&EntryContext>,
    feed_language: Option<&str>,
    side_image: Option<String>,
) -> Entry {
    // Links resolve against the entry's `xml:base` (itself resolved against
    // the feed URL by the normalising pass), else the feed URL.
    let base = context.map_or(feed_url, |c| &c.base);
    let guid = non_empty(&entry.id);
    let link = page_link(&entry.links)
        .and_then(|href| absolute(base, &href))
        // feed-rs resolves an empty `<link/>` to the base, i.e. the feed URL
        // itself, which is never the entry's page.
        .filter(|href| href != feed_url.as_str())
        .or_else(|| {
            guid.as_deref()
                .filter(|g| looks_like_web_url(g))
                .and_then(|g| absolute(base, g))
        });
    let image = media_image(&entry.media)
        .and_then(|u| absolute(base, &u))
        .or_else(|| side_image.and_then(|u| absolute(base, &u)));
    let mut authors: Vec<String> = Vec::new();
    for name in entry.authors.iter().filter_map(person_name) {
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
    let mut categories: Vec<String> = Vec::new();
    for category in &entry.categories {
        let label = category.label.as_deref().unwrap_or(&category.term);
        if let Some(label) = text_of(label)
            && !categories.contains(&label)
        {
            categories.push(label);
        }
    }
    Entry {
        guid,
        title: entry.title.and_then(|t| text_of(&t.content)),
        link,
        authors,
        published: entry.published,
        updated: entry.updated,
        summary: entry
            .summary
            .and_then(|s| non_empty(&repair_double_utf8(&s.content)))
            .map(|s| resolve_html_links(&s, base).into_owned()),
        content: entry
            .content
            .and_then(|c| c.body)
            .and_then(|b| non_empty(&repair_double_utf8(&b)))
            .map(|b| resolve_html_links(&b, base).into_owned()),
        categories,
        image,
        language: entry
            .language
            .as_deref()
            .and_then(non_empty)
            .or_else(|| match context.and_then(|c| c.lang.as_deref()) {
                // `xml:lang=""` in force: no language, not the feed's.
                Some("") => None,
                Some(lang) => Some(lang.to_string()),
                None => feed_language.map(str::to_string),
            })
            .map(language_tag),
    }
}

/// Display text (a title, a category) as plain text, double-encoded UTF-8
/// repaired.
fn text_of(raw: &str) -> Option<String> {
    plain_text(&repair_double_utf8(raw))
}

/// A language tag as BCP 47 writes it: `en_US` (a POSIX locale, common in
/// feeds) becomes `en-US`.
fn language_tag(tag: String) -> String {
    if tag.contains('_') {
        tag.replace('_', "-")
    } else {
        tag
    }
}

fn non_empty(s: &str) -> Option<String> {
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The link to the web page: the first link that is not a comments link and
/// whose relation is absent or `alternate` (Atom `self`, `enclosure`, `related`
/// and JSON attachments are skipped), preferring one typed as HTML or untyped.
fn page_link(links: &[Link]) -> Option<String> {
    let candidates = || {
        links.iter().filter(|l| {
            l.target.is_none()
                && l.rel
                    .as_deref()
                    .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
                && !l.href.trim().is_empty()
        })
    };
    let is_page_type = |l: &&Link| l.media_type.as_deref().is_none_or(|t| t.contains("html"));
    candidates()
        .find(is_page_type)
        .or_else(|| candidates().next())
        .map(|l| l.href.trim().to_string())
        .or_else(|| {
            // Comments targets aside, any link at all is better than none.
            links
                .iter()
                .find(|l| l.target != Some(LinkTarget::Comments) && l.rel.is_none())
                .map(|l| l.href.trim().to_string())
        })
}

/// `href` resolved against the feed URL; `None` when it cannot be.
fn absolute(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    base.join(href).ok().map(String::from)
}

fn looks_like_web_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A person's name, else their e-mail address. feed-rs leaves the punctuation
/// around an RSS `name@host (Name)` name; it is trimmed here.
fn person_name(person: &Person) -> Option<String> {
    let is_wrapping = |c: char| c.is_whitespace() || "()<>[]\"'—–-,;:".contains(c);
    person
        .name
        .as_deref()
        .map(|n| n.trim_matches(is_wrapping))
        .and_then(text_of)
        .or_else(|| person.email.as_deref().and_then(non_empty))
}

/// The entry's image: an image enclosure / `media:content` first, then a
/// `media:thumbnail`.
fn media_image(media: &[MediaObject]) -> Option<String> {
    let content = media.iter().flat_map(|m| &m.content).find_map(|c| {
        let url = c.url.as_ref()?;
        let typed_image = c
            .content_type
            .as_ref()
            .map(|t| t.ty().as_str().eq_ignore_ascii_case("image"));
        let is_image = typed_image.unwrap_or_else(|| has_image_extension(url));
        is_image.then(|| url.to_string())
    });
    content.or_else(|| {
        media
            .iter()
            .flat_map(|m| &m.thumbnails)
            .map(|t| t.image.uri.trim())
            .find(|u| !u.is_empty())
            .map(str::to_string)
    })
}

fn has_image_extension(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|ext| path.ends_with(ext))
}
