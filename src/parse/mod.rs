//! Feed bytes to entries: the pure parsing stage.
//!
//! In: the body of a feed response, its `Content-Type` header and the URL it
//! was fetched from. Out: a [`ParsedFeed`] (format, channel facts and
//! [`Entry`] values) or a [`ParseError`] that says why there is nothing.
//!
//! feed-rs does the parsing, behind a shim that fixes what it trips on:
//! - the body is decoded to UTF-8 first by the crate's one decoder,
//!   [`crate::charset`] (BOM or UTF-16/32 NUL pattern, HTTP charset, XML
//!   declaration, then sniffing), and the declaration rewritten to say UTF-8;
//! - `declaration`: XML declarations inside the document (on which
//!   quick-xml panics) are dropped;
//! - `fixup`: leading junk, a bare `<rss>` without a version, Atom 0.3, and a
//!   document truncated mid-entry (retried cut after the last whole entry);
//! - `elements`: e-mail addresses feed-rs would panic on, Russian month names
//!   in RSS dates (`scan` is the small tag scanner both use);
//! - `normalize`: one XML-aware pass (quick-xml) that rewrites what feed-rs
//!   refuses or misreads (Atom 0.3 and MIME-typed text constructs, empty
//!   elements such as `<media:credit/>`, `<rss>` without a channel, the
//!   UserLand `rss2` namespace, RSS 0.90, CDF, undeclared entities), resolves
//!   relative links against `xml:base` and the feed URL, records each entry's
//!   `xml:base` and `xml:lang`, and salvages a document whose XML breaks after
//!   complete entries ([`ParsedFeed::broken`] says where); when it cannot (the
//!   break comes before any entry), feed-rs reads the text as it is, with the
//!   `fixup` retries;
//! - `mojibake`: double-encoded UTF-8 ("CafÃ©") in titles, text and names is
//!   repaired ([`repair_double_utf8`]);
//! - JSON Feed: numeric item ids and a missing `title` (which feed-rs
//!   rejects) are repaired, and item images read on the side, as are lone
//!   `media:thumbnail`s and the Syndication module's update period;
//! - HTML served instead of a feed is [`ParseError::NotAFeed`] carrying the feed
//!   URLs the page advertises ([`discover_feed_links`]);
//! - a panic inside feed-rs or the shim is caught and becomes
//!   [`ParseError::Panicked`];
//! - feed-rs's generated ids are switched off (its generator may return a
//!   random UUID), so [`Entry::guid`] is only ever an id the document contained;
//!   `convert` turns feed-rs's model into ours.
//!
//! No I/O happens here.

mod convert;
mod declaration;
mod discover;
mod elements;
mod fixup;
mod json;
mod mojibake;
mod normalize;
mod scan;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use url::Url;

pub use discover::{discover_feed_links, plain_text};
pub use mojibake::repair_double_utf8;

use crate::model::{Entry, FeedFormat};

/// One parsed feed document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    /// The syndication format the document was written in.
    pub format: FeedFormat,
    /// The feed's title as plain text.
    pub title: Option<String>,
    /// The site the feed belongs to (RSS channel `<link>`, Atom alternate
    /// link, JSON Feed `home_page_url`), absolute.
    pub site_url: Option<String>,
    /// The feed's declared language (`ru`, `en-us`).
    pub language: Option<String>,
    /// How long the feed asks to be cached: RSS `<ttl>` (minutes), else the
    /// Syndication module's `sy:updatePeriod` / `sy:updateFrequency`.
    pub ttl: Option<Duration>,
    /// The entries, in document order.
    pub entries: Vec<Entry>,
    /// Salvage mode: the XML error after which the document was cut. The
    /// entries complete before it are in [`ParsedFeed::entries`]; the caller
    /// records the error on the feed (feedparser's "bozo" bit).
    pub broken: Option<String>,
}

/// Why a body yielded no feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is a document, but not a feed (typically an HTML page).
    #[error("not a feed: {detail}{}", alternates_note(.alternates))]
    NotAFeed {
        /// What the body was instead.
        detail: String,
        /// Feed URLs the page advertises (`<link rel="alternate">`), absolute.
        alternates: Vec<String>,
    },
    /// The body is empty or only whitespace.
    #[error("empty feed body")]
    Empty,
    /// The body looks like a feed but could not be parsed.
    #[error("malformed feed: {0}")]
    Malformed(String),
    /// The underlying parser panicked on this body (a parser bug); contained.
    #[error("feed parser panicked: {0}")]
    Panicked(String),
}

fn alternates_note(alternates: &[String]) -> String {
    if alternates.is_empty() {
        String::new()
    } else {
        format!(" (it advertises: {})", alternates.join(", "))
    }
}

/// Parses a feed body fetched from `feed_url`.
///
/// `content_type` is the HTTP `Content-Type` header value, used for its
/// charset and to recognise HTML. Relative links are resolved against
/// `feed_url` (and `xml:base` where the document sets one).
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<ParsedFeed, ParseError> {
    // Our own repairs are code too: a panic anywhere in them is contained
    // like one inside feed-rs.
    contain_panic(|| parse_contained(body, content_type, feed_url)).and_then(|result| result)
}

fn parse_contained(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<ParsedFeed, ParseError> {
    let decoded = crate::charset::decode(body, content_type, crate::charset::DocumentKind::Xml);
    let text = fixup::strip_leading_junk(&decoded.text);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    if text.starts_with('{') {
        return json::parse_json(text, feed_url);
    }
    parse_xml(text, body, content_type, feed_url)
}

fn parse_xml(
    text: &str,
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<ParsedFeed, ParseError> {
    let Some((_, root)) = scan::first_element(text) else {
        return Err(ParseError::NotAFeed {
            detail: "the body holds no XML element".to_string(),
            alternates: Vec::new(),
        });
    };
    let root_local = scan::local_name(root).to_ascii_lowercase();
    let declared_html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    if root_local == "html"
        || (declared_html && !matches!(root_local.as_str(), "rss" | "feed" | "rdf"))
    {
        return Err(not_a_feed(
            format!("an HTML page (root element <{root}>)"),
            body,
            feed_url,
        ));
    }

    let text = fixup::declare_utf8(text);
    let text = declaration::drop_inner_declarations(&text);
    let text = fixup::fix_rss_version(&text);
    let text = elements::pad_person_emails(&text);
    let text = elements::english_month_names(&text);
    let text = if fixup::is_atom03(&text) {
        std::borrow::Cow::Owned(fixup::atom03_to_atom10(&text))
    } else {
        text
    };

    // The XML-aware pass. When the document breaks before any entry is
    // complete there is nothing to salvage: feed-rs reads the text as it is,
    // after the text-level repairs.
    let normalized = match normalize::normalize(&text, feed_url) {
        Ok(normalized) => normalized,
        Err(xml_break) => {
            // The text-level retries may still read it; if not, the break
            // as the pass saw it (with where it begins) is the clearer error.
            return match parse_text_level(&text, root, body, feed_url) {
                Err(ParseError::Malformed(_)) => Err(ParseError::Malformed(xml_break.to_string())),
                other => other,
            };
        }
    };
    let extras = convert::Extras {
        syndication_secs: elements::syndication_interval_secs(&normalized.text),
        item_images: elements::entry_thumbnails(&normalized.text),
        contexts: normalized.entries,
        feed_lang: normalized.feed_lang,
        broken: normalized.broken.map(|b| b.to_string()),
        ..convert::Extras::default()
    };
    match run_feed_rs(normalized.text.as_bytes(), feed_url)? {
        Ok(feed) => return Ok(convert::to_parsed_feed(feed, feed_url, &extras)),
        Err(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)) => {
            return Err(not_a_feed(
                format!("root element <{root}> is not RSS, Atom or RDF"),
                body,
                feed_url,
            ));
        }
        // feed-rs refused the rewritten document: the text-level path
        // below gets its chance and reports the error.
        Err(_) => {}
    }
    parse_text_level(&text, root, body, feed_url)
}

/// feed-rs on the document with only text-level repairs: bare ampersands,
/// then a cut after the last complete entry.
fn parse_text_level(
    text: &str,
    root: &str,
    body: &[u8],
    feed_url: &Url,
) -> Result<ParsedFeed, ParseError> {
    let extras = convert::Extras {
        syndication_secs: elements::syndication_interval_secs(text),
        item_images: elements::entry_thumbnails(text),
        ..convert::Extras::default()
    };
    match run_feed_rs(text.as_bytes(), feed_url)? {
        Ok(feed) => Ok(convert::to_parsed_feed(feed, feed_url, &extras)),
        Err(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)) => Err(not_a_feed(
            format!("root element <{root}> is not RSS, Atom or RDF"),
            body,
            feed_url,
        )),
        Err(first_error) => {
            // Bare `&` or HTML entities: repair and try once more.
            if let Some(escaped) = fixup::escape_bare_ampersands(text)
                && let Ok(Ok(feed)) = run_feed_rs(escaped.as_bytes(), feed_url)
            {
                return Ok(convert::to_parsed_feed(feed, feed_url, &extras));
            }
            // Truncated mid-entry: keep the entries that arrived whole.
            if let Some(repaired) = fixup::close_truncated(text)
                && let Ok(Ok(feed)) = run_feed_rs(repaired.as_bytes(), feed_url)
            {
                let extras = convert::Extras {
                    item_images: elements::entry_thumbnails(&repaired),
                    broken: Some(clean_error(&first_error)),
                    ..extras
                };
                return Ok(convert::to_parsed_feed(feed, feed_url, &extras));
            }
            Err(ParseError::Malformed(clean_error(&first_error)))
        }
    }
}

fn not_a_feed(detail: String, body: &[u8], feed_url: &Url) -> ParseError {
    ParseError::NotAFeed {
        detail,
        alternates: discover_feed_links(body, feed_url),
    }
}

/// Runs feed-rs on UTF-8 `bytes` with a panic contained. The outer error is
/// [`ParseError::Panicked`]; the inner result is feed-rs's own.
fn run_feed_rs(
    bytes: &[u8],
    feed_url: &Url,
) -> Result<Result<feed_rs::model::Feed, ParseFeedError>, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        // An empty id means "the document gave none": feed-rs's default
        // generator may return a random UUID, which would make keys unstable.
        .id_generator(|_links, _title, _uri| String::new())
        .sanitize_content(false)
        .build();
    contain_panic(|| parser.parse(bytes))
}

/// Runs `f`, turning a panic into [`ParseError::Panicked`] with its message.
fn contain_panic<T>(f: impl FnOnce() -> T) -> Result<T, ParseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        ParseError::Panicked(message)
    })
}

/// feed-rs's error text on one line, without its generic prefixes.
fn clean_error(error: &ParseFeedError) -> String {
    let text = error.to_string();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text = text
        .trim_start_matches("unable to parse feed: ")
        .to_string();
    if text.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://www.example.org/rss").expect("valid URL")
    }

    #[test]
    fn panics_are_contained() {
        let result: Result<(), ParseError> = contain_panic(|| panic!("boom at {}", 3));
        assert_eq!(result, Err(ParseError::Panicked("boom at 3".to_string())));
        assert_eq!(contain_panic(|| 5), Ok(5));
    }

    #[test]
    fn empty_and_whitespace_bodies() {
        assert_eq!(parse_feed(b"", None, &url()), Err(ParseError::Empty));
        assert_eq!(
            parse_feed(b" \r\n\t ", None, &url()),
            Err(ParseError::Empty)
        );
        assert_eq!(
            parse_feed(b"\xEF\xBB\xBF  \n", None, &url()),
            Err(ParseError::Empty)
        );
    }

    #[test]
    fn non_feed_xml_and_json_are_not_feeds() {
        let svg = parse_feed(
            b"<?xml version=\"1.0\"?><svg/>",
            Some("image/svg+xml"),
            &url(),
        );
        assert!(matches!(svg, Err(ParseError::NotAFeed { .. })), "{svg:?}");
        let json = parse_feed(br#"{"data": []}"#, Some("application/json"), &url());
        assert!(matches!(json, Err(ParseError::NotAFeed { .. })), "{json:?}");
        let text = parse_feed(b"Service Unavailable", Some("text/plain"), &url());
        assert!(matches!(text, Err(ParseError::NotAFeed { .. })), "{text:?}");
    }

    #[test]
    fn mismatched_tags_are_malformed() {
        let result = parse_feed(
            b"<rss version=\"2.0\"><channel><title>x</title><item><title>a</b></item>",
            None,
            &url(),
        );
        match result {
            Err(ParseError::Malformed(detail)) => assert!(detail.contains("</b>"), "{detail}"),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_real_feed_rs_panic_is_contained() {
        // feed-rs 3.0 slices an author string one byte before the e-mail
        // address it found, inside the multi-byte dash here. parse_feed pads
        // such addresses first; run_feed_rs alone shows the panic is caught.
        // If a later feed-rs fixes the slicing, this input stops panicking.
        let body = "<rss version=\"2.0\"><channel><item><title>a</title><author>Пётр—editor@rt.com</author></item></channel></rss>";
        match run_feed_rs(body.as_bytes(), &url()) {
            Err(ParseError::Panicked(message)) => {
                assert!(message.contains("char boundary"), "{message}")
            }
            Err(other) => panic!("expected Panicked, got {other:?}"),
            Ok(result) => panic!(
                "expected a contained panic, got {:?}",
                result.map(|f| f.entries.len())
            ),
        }
        let feed = parse_feed(body.as_bytes(), None, &url()).expect("padded author parses");
        assert_eq!(feed.entries[0].authors, vec!["Пётр".to_string()]);
    }

    #[test]
    fn russian_pub_dates_are_read() {
        let body = "<rss version=\"2.0\"><channel><item><title>a</title><pubDate>Пт, 14 мар 2025 10:00:00 +0300</pubDate></item></channel></rss>";
        let feed = parse_feed(body.as_bytes(), None, &url()).expect("parses");
        let published = feed.entries[0].published.map(|d| d.to_rfc3339());
        assert_eq!(published.as_deref(), Some("2025-03-14T07:00:00+00:00"));
    }

    #[test]
    fn json_author_emails_are_padded_too() {
        let body = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","authors":[{"name":"editor@rt.com—Пётр Иванов"}]},"junk"]}"#;
        let feed = parse_feed(body.as_bytes(), None, &url()).expect("parses");
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(feed.entries[0].authors, vec!["Пётр Иванов".to_string()]);
    }

    #[test]
    fn rss_author_name_and_email_forms() {
        let body = b"<rss version=\"2.0\"><channel><item><title>a</title><link> </link><author>editor@rt.com (Ivan Petrov)</author><author>desk@rt.com</author></item></channel></rss>";
        let feed = parse_feed(body, None, &url()).expect("parses");
        assert_eq!(
            feed.entries[0].authors,
            vec!["Ivan Petrov".to_string(), "desk@rt.com".to_string()]
        );
        // An empty <link> is absent, not the feed URL feed-rs resolves it to.
        assert_eq!(feed.entries[0].link, None);
    }

    #[test]
    fn json_numeric_ids_and_missing_title() {
        let body = br#"{"version":"https://jsonfeed.org/version/1","items":[{"id":42,"url":"/a","title":"A"}]}"#;
        let feed = parse_feed(body, None, &url()).expect("parses");
        assert_eq!(feed.entries[0].guid.as_deref(), Some("42"));
        assert_eq!(
            feed.entries[0].link.as_deref(),
            Some("https://www.example.org/a")
        );
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/parse_feed.rs`): a second XML
    /// declaration with an encoding made quick-xml panic inside feed-rs, and
    /// the whole feed was lost.
    #[test]
    fn a_declaration_inside_the_feed_is_ignored() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
            <title>T</title><item><title>A</title><link>http://x.org/a</link><description>x \
            <?xml version=\"1.0\" encoding=\"windows-1251\"?> y</description></item>\
            <item><title>B</title><link>http://x.org/b</link></item></channel></rss>";
        let feed = parse_feed(body.as_bytes(), None, &url()).expect("parses");
        assert_eq!(feed.entries.len(), 2);
        assert_eq!(feed.entries[1].title.as_deref(), Some("B"));
    }

    #[test]
    fn generated_ids_never_leak() {
        let body = b"<rss version=\"2.0\"><channel><title>t</title><item><title>a</title><link>/x</link></item><item><title>b</title></item></channel></rss>";
        let feed = parse_feed(body, None, &url()).expect("parses");
        assert!(
            feed.entries.iter().all(|e| e.guid.is_none()),
            "{:?}",
            feed.entries
        );
    }
}
