//! Feed discovery in HTML pages, and HTML-to-plain-text for titles.
//!
//! In: an HTML page (bytes) and the URL it came from. Out: the absolute URLs
//! of the feeds it advertises with `<link rel="alternate">` and a feed media
//! type (RSS, Atom, RDF, JSON Feed), in document order without repeats. Used
//! when a feed URL serves a web page instead of a feed, so the user can be
//! told which URL to configure.

use scraper::{Html, Selector};
use url::Url;

/// Media types that mark a `<link rel="alternate">` as a feed. Not plain
/// `application/json`: WordPress advertises its REST API that way.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "text/xml",
    "application/xml",
];

/// The feed URLs an HTML page advertises via `<link rel="alternate" type=…>`,
/// resolved against `base` (or the page's own `<base href>`).
pub fn discover_feed_links(html: &[u8], base: &Url) -> Vec<String> {
    let document = Html::parse_document(&crate::charset::decode_html(html, None));
    let base = page_base(&document, base);
    let Ok(selector) = Selector::parse("link[rel][href]") else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    for link in document.select(&selector) {
        let element = link.value();
        let rel = element.attr("rel").unwrap_or_default();
        if !rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("alternate"))
        {
            continue;
        }
        let media_type = element
            .attr("type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let media_type = media_type.split(';').next().unwrap_or_default().trim();
        if !FEED_TYPES.contains(&media_type) {
            continue;
        }
        let Some(href) = element
            .attr("href")
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            continue;
        };
        let Ok(url) = base.join(href) else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let url = url.to_string();
        if !found.contains(&url) {
            found.push(url);
        }
    }
    found
}

/// The page's `<base href>` resolved against the URL it was fetched from.
fn page_base(document: &Html, fetched_from: &Url) -> Url {
    Selector::parse("base[href]")
        .ok()
        .and_then(|selector| {
            let href = document.select(&selector).next()?.value().attr("href")?;
            fetched_from.join(href.trim()).ok()
        })
        .unwrap_or_else(|| fetched_from.clone())
}

/// Plain text of a title-like string: markup stripped, entities decoded,
/// whitespace collapsed. `None` when nothing is left.
pub fn plain_text(raw: &str) -> Option<String> {
    let text = if raw.contains('<') || raw.contains('&') {
        let fragment = Html::parse_fragment(raw);
        // A script or style inside a title is code, not words to show.
        let hidden = ["script", "style", "noscript", "template"];
        let mut text = String::new();
        for node in fragment.root_element().descendants() {
            let Some(t) = node.value().as_text() else {
                continue;
            };
            let in_code = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| hidden.contains(&e.name()))
            });
            if !in_code {
                text.push_str(t);
            }
        }
        text
    } else {
        raw.to_string()
    };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rss_atom_and_json_alternates() {
        let page = br#"<!doctype html><html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss/">
            <link rel="alternate" type="application/atom+xml" href="https://cdn.example.org/atom.xml">
            <link rel="alternate" type="application/feed+json" href="feed.json">
            <link rel="alternate" hreflang="fr" href="/fr/">
            <link rel="alternate" type="application/rss+xml" href="/rss/">
            </head><body></body></html>"#;
        let base = Url::parse("https://www.example.org/news/index.html").expect("valid URL");
        assert_eq!(
            discover_feed_links(page, &base),
            vec![
                "https://www.example.org/rss/",
                "https://cdn.example.org/atom.xml",
                "https://www.example.org/news/feed.json",
            ]
        );
    }

    #[test]
    fn plain_text_leaves_scripts_out() {
        assert_eq!(
            plain_text("safe<script>location.href='x';</script> <style>p{}</style>title")
                .as_deref(),
            Some("safe title")
        );
    }

    #[test]
    fn plain_text_strips_markup_and_entities() {
        assert_eq!(
            plain_text("  <b>UN</b> &amp; AU\n talks ").as_deref(),
            Some("UN & AU talks")
        );
        assert_eq!(
            plain_text("x &lt; y &quot;q&quot;").as_deref(),
            Some("x < y \"q\"")
        );
        assert_eq!(plain_text(" <br/> "), None);
    }
}
