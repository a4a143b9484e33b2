//! One fixture per class of feed that newswire used to refuse or misread
//! (measured against feedparser's test suite and real news feeds), each
//! through `parse_feed`. The fixtures (`fixtures/feeds/`) are invented
//! stories in the shape of the real feeds; every test here failed before the
//! normalising pass, the one decoder and the double-encoding repair.

use std::path::Path;

use newswire::parse::{ParseError, ParsedFeed, parse_feed};
use url::Url;

fn read(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feeds")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn parse(file: &str, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    let url = Url::parse(feed_url).expect("valid test URL");
    parse_feed(&read(file), Some("application/xml"), &url)
}

fn parse_ok(file: &str, feed_url: &str) -> ParsedFeed {
    parse(file, feed_url).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Atom 0.3 `type="application/xhtml+xml" mode="xml"`, `text/plain` and
/// base64 text constructs: refused before as "unsupported content type".
#[test]
fn atom_text_constructs_of_every_type() {
    let feed = parse_ok("atom-text-types.xml", "https://desk.example.org/atom.xml");
    assert_eq!(feed.title.as_deref(), Some("Global Desk"));
    assert_eq!(feed.entries.len(), 2);
    let port = &feed.entries[0];
    assert_eq!(port.title.as_deref(), Some("Port reopens after storm"));
    let content = port.content.as_deref().expect("xhtml content kept");
    assert!(
        content.contains("<a href=\"https://desk.example.org/ports\">main port</a>"),
        "{content}"
    );
    assert!(
        port.summary
            .as_deref()
            .is_some_and(|s| s.contains("<b>back</b>"))
    );
    // base64 title, decoded and shown as plain text.
    assert_eq!(feed.entries[1].title.as_deref(), Some("Farm output rises"));
    assert_eq!(port.language.as_deref(), Some("en"));
}

/// `<rss>` without `<channel>`, and a channel without items: feeds with no
/// entries, not "not a feed".
#[test]
fn empty_feeds_are_feeds() {
    let bare = parse_ok("rss-no-channel.xml", "https://bulletin.example.ru/rss");
    assert!(bare.entries.is_empty());
    let empty = parse_ok("empty-channel.rss", "https://bulletin.example.ru/rss");
    assert!(empty.entries.is_empty());
    assert_eq!(empty.title.as_deref(), Some("Regional bulletin"));
    assert_eq!(
        empty.site_url.as_deref(),
        Some("https://bulletin.example.ru/")
    );
}

/// `xml:base` on feed, entry and content, resolved in turn against the feed
/// URL; `xml:lang` inherited and reset by `xml:lang=""`.
#[test]
fn xml_base_and_lang_inheritance() {
    let feed = parse_ok("xml-base.atom", "https://feeds.example.com/world.atom");
    assert_eq!(
        feed.site_url.as_deref(),
        Some("https://wire.example.com/en/world/")
    );
    let links: Vec<_> = feed.entries.iter().map(|e| e.link.as_deref()).collect();
    assert_eq!(
        links,
        vec![
            Some("https://wire.example.com/en/world/2025/03/talks-resume.html"),
            Some("https://wire.example.com/fr/monde/sommet.html"),
            Some("https://wire.example.com/markets/close.html"),
        ]
    );
    let content = feed.entries[0].content.as_deref().expect("content");
    assert!(
        content.contains("src=\"https://wire.example.com/media/talks.jpg\""),
        "{content}"
    );
    let summary = feed.entries[1].summary.as_deref().expect("summary");
    assert!(
        summary.contains("href=\"https://wire.example.com/en/dossier/sommet\""),
        "{summary}"
    );
    let langs: Vec<_> = feed.entries.iter().map(|e| e.language.as_deref()).collect();
    assert_eq!(langs, vec![Some("en-GB"), Some("fr"), None]);
}

/// RSS 2.0 in UserLand's `http://backend.userland.com/rss2` default
/// namespace (Russian regional and Yandex-style feeds): 0 entries before.
#[test]
fn userland_default_namespace() {
    let feed = parse_ok("userland-rss2.rss", "https://region.example.ru/rss");
    assert_eq!(feed.entries.len(), 10);
    assert_eq!(feed.title.as_deref(), Some("Региональные новости"));
    assert_eq!(
        feed.entries[0].title.as_deref(),
        Some("Вологда: новости дня №1")
    );
    assert_eq!(feed.entries[9].guid.as_deref(), Some("region-10"));
    assert!(feed.entries[0].published.is_some());
}

/// Empty `<media:credit/>` and `<media:description/>` (the New York Times
/// home page feed): refused before as "missing text".
#[test]
fn empty_media_elements() {
    let feed = parse_ok("media-empty.rss", "https://www.dailyexample.com/rss");
    assert_eq!(feed.entries.len(), 2);
    assert_eq!(
        feed.entries[0].image.as_deref(),
        Some("https://static.dailyexample.com/images/budget.jpg")
    );
    assert_eq!(
        feed.entries[1].title.as_deref(),
        Some("Rail line to reopen in May")
    );
}

/// An unescaped `<` in the third item: the two complete items before it are
/// kept and the break is reported, as feedparser does; refused before.
#[test]
fn salvage_after_an_unescaped_character() {
    let feed = parse_ok("salvage-unescaped.rss", "https://biz.example.net/rss");
    let guids: Vec<_> = feed.entries.iter().map(|e| e.guid.as_deref()).collect();
    assert_eq!(guids, vec![Some("biz-1"), Some("biz-2")]);
    let broken = feed.broken.as_deref().expect("the break is recorded");
    // Where, and the text where the break begins, for a user to find it.
    assert!(broken.contains("at byte"), "{broken}");
    assert!(broken.contains("costs < forecast"), "{broken}");
    // A feed that breaks before any item is complete is still an error.
    let url = Url::parse("https://biz.example.net/rss").expect("valid");
    let body = b"<rss version=\"2.0\"><channel><title>x</title><item><title>a < b</title></item></channel></rss>";
    assert!(matches!(
        parse_feed(body, None, &url),
        Err(ParseError::Malformed(_))
    ));
    // A whole feed has no break.
    assert_eq!(
        parse_ok("media-empty.rss", "https://www.dailyexample.com/rss").broken,
        None
    );
}

/// Microsoft's CDF, which feedparser reads: "not RSS, Atom or RDF" before.
#[test]
fn cdf_channels() {
    let feed = parse_ok("cdf.xml", "https://archive.example.org/channel.cdf");
    assert_eq!(feed.title.as_deref(), Some("Archive news channel"));
    assert_eq!(
        feed.site_url.as_deref(),
        Some("https://archive.example.org/")
    );
    let links: Vec<_> = feed.entries.iter().map(|e| e.link.as_deref()).collect();
    assert_eq!(
        links,
        vec![
            Some("https://archive.example.org/news/item/1.html"),
            Some("https://archive.example.org/news/item/2.html"),
        ]
    );
    assert!(feed.entries[0].published.is_some());
}

/// Titles and text double-encoded by a CMS ("CafÃ©" for "Café") are repaired;
/// correct text beside them is not touched.
#[test]
fn double_encoded_utf8_is_repaired() {
    let feed = parse_ok("double-encoded.rss", "https://echos.example.fr/rss");
    assert_eq!(feed.title.as_deref(), Some("Les Échos du Jour"));
    let first = &feed.entries[0];
    assert_eq!(
        first.title.as_deref(),
        Some("Café owners protest at the mayor’s plan")
    );
    assert_eq!(
        first.summary.as_deref(),
        Some("Prices in Zürich rose — again")
    );
    assert_eq!(first.categories, vec!["Économie".to_string()]);
    assert_eq!(
        feed.entries[1].title.as_deref(),
        Some("Президент провёл совещание")
    );
    assert_eq!(
        feed.entries[1].summary.as_deref(),
        Some("Correct text stays: São Paulo, Øresund, NESCAFÉ® Classic.")
    );
}
