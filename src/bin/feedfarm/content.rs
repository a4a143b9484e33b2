//! What the farm serves: RSS 2.0 feeds generated from the feed and entry
//! numbers, and real article pages loaded once from the extraction benchmark.
//!
//! Everything is deterministic: feed `i` has the same entries, dates and
//! validators in every run, so a config written by one farm process matches
//! the documents another one serves. Article `(i, j)` is page number
//! [`page_for`]`(i, j)` of the page set. Pages are kept both plain and
//! gzip-compressed so serving one costs a copy, not a compression.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::words::{DESKS, PLACE, TOPIC, WHAT, WHO, pick, prose};

/// One article page, ready to send.
pub struct Page {
    /// The HTML, UTF-8, with the page's own canonical URL removed.
    pub raw: Vec<u8>,
    /// `raw`, gzip-compressed.
    pub gz: Vec<u8>,
    /// Its validator.
    pub etag: String,
}

/// Why the page set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PagesError {
    /// The directory is missing or holds no `*.html.gz`.
    #[error(
        "no article pages in {dir}: the farm serves the real pages of the extraction \
         benchmark (`shared/extraction-bench/pages/*.html.gz` beside the project); \
         pass --pages DIR"
    )]
    Missing {
        /// Where we looked.
        dir: String,
    },
    /// A page could not be read or decompressed.
    #[error("page {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Loads every `*.html.gz` of `dir`, in name order.
pub fn load_pages(dir: &Path) -> Result<Vec<Page>, PagesError> {
    let missing = || PagesError::Missing {
        dir: dir.display().to_string(),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|_| missing())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".html.gz"))
        .collect();
    if paths.is_empty() {
        return Err(missing());
    }
    paths.sort();
    let mut pages = Vec::with_capacity(paths.len());
    for (n, path) in paths.iter().enumerate() {
        let read = |source| PagesError::Read {
            path: path.display().to_string(),
            source,
        };
        let gz = std::fs::read(path).map_err(read)?;
        let mut html = Vec::new();
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_end(&mut html)
            .map_err(read)?;
        let raw = strip_own_url(&html);
        pages.push(Page {
            gz: gzip(&raw, flate2::Compression::default()),
            raw,
            etag: format!("\"page-{n}\""),
        });
    }
    Ok(pages)
}

/// Removes the places where a page names its own address
/// (`<link rel="canonical">`, `<meta property="og:url">`, and `url`,
/// `mainEntityOfPage` and `@id` in JSON-LD): the farm serves one page under
/// many URLs, and each must stay a distinct article.
fn strip_own_url(html: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.iter().position(|&b| b == b'<') {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        let end = rest
            .iter()
            .position(|&b| b == b'>')
            .map_or(rest.len(), |e| e + 1);
        let tag = rest[..end].to_ascii_lowercase();
        let names_self = (tag.starts_with(b"<link") && contains(&tag, b"canonical"))
            || (tag.starts_with(b"<meta") && contains(&tag, b"og:url"));
        if !names_self {
            out.extend_from_slice(&rest[..end]);
        }
        rest = &rest[end..];
        if tag.starts_with(b"<script") && contains(&tag, b"ld+json") {
            let close = find_ci(rest, b"</script").unwrap_or(rest.len());
            match serde_json::from_slice::<serde_json::Value>(&rest[..close]) {
                Ok(mut v) => {
                    drop_own_url(&mut v);
                    out.extend_from_slice(v.to_string().as_bytes());
                }
                // The extractor cannot read it either: keep it as it is.
                Err(_) => out.extend_from_slice(&rest[..close]),
            }
            rest = &rest[close..];
        }
    }
    out.extend_from_slice(rest);
    out
}

/// Removes the keys through which JSON-LD names a page's address, at any depth.
fn drop_own_url(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|k, _| !matches!(k.as_str(), "url" | "mainEntityOfPage" | "@id"));
            o.values_mut().for_each(drop_own_url);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_own_url),
        _ => {}
    }
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// gzip of `data` at `level`.
pub fn gzip(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), level);
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// The page served for entry `j` of feed `i`, out of `count` pages.
pub fn page_for(i: usize, j: usize, count: usize) -> usize {
    // A multiplicative hash spreads neighbouring articles over the set.
    (i.wrapping_mul(7919).wrapping_add(j.wrapping_mul(104_729))) % count.max(1)
}

/// The moment every feed was last modified (fixed, so validators are stable).
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `Last-Modified` of every feed.
pub fn last_modified() -> String {
    epoch().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `ETag` of feed `i`.
pub fn feed_etag(i: usize, entries: usize) -> String {
    format!("\"feed-{i}-{entries}\"")
}

/// `<`, `>` and `&` escaped for XML text.
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Feed `i` as RSS 2.0, with `entries` items whose links point at `origin`
/// (`http://127.0.0.2:PORT`).
pub fn feed_xml(i: usize, entries: usize, origin: &str) -> String {
    let desk = pick(DESKS, i);
    let mut x = String::with_capacity(600 + entries * 700);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n\
         <channel>\n\
         <title>Farm Wire {i}: {desk}</title>\n\
         <link>{origin}/</link>\n\
         <description>{desk} news from the farm wire service, desk {i}</description>\n\
         <language>en</language>\n\
         <lastBuildDate>{}</lastBuildDate>\n",
        epoch().to_rfc2822()
    );
    for j in 0..entries {
        let n = i.wrapping_mul(31).wrapping_add(j);
        let (who, what, topic, place) = (
            pick(WHO, n),
            pick(WHAT, n / 3),
            pick(TOPIC, n / 7),
            pick(PLACE, n / 11),
        );
        let published = epoch() - Duration::minutes((j * 17 + i % 60) as i64);
        let title = format!("{who} {what} {topic} ({i}-{j})");
        let description = format!(
            "{place}, {} ({desk}) - The {} said on {} that it {what} the {topic}. {} \
             Officials in {place} expect a further statement & a briefing <b>later this week</b>.",
            published.format("%B %-d"),
            who.to_lowercase(),
            published.format("%A"),
            prose(i, j, 45),
        );
        let _ = write!(
            x,
            "<item>\n\
             <title>{}</title>\n\
             <link>{origin}/a/{i}/{j}</link>\n\
             <guid isPermaLink=\"false\">farm-{i}-{j}</guid>\n\
             <pubDate>{}</pubDate>\n\
             <dc:creator>Farm Wire staff</dc:creator>\n\
             <category>{desk}</category>\n\
             <description>{}</description>\n\
             </item>\n",
            xml_text(&title),
            published.to_rfc2822(),
            xml_text(&description),
        );
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_url_tags_are_removed_and_the_rest_kept() {
        let html = b"<html><head><LINK REL=\"canonical\" href=\"https://x.example/a\">\
            <meta property=\"og:url\" content=\"https://x.example/a\"><title>T</title></head>\
            <body><p>canonical text</p></body></html>";
        let out = String::from_utf8(strip_own_url(html)).unwrap_or_default();
        assert_eq!(
            out,
            "<html><head><title>T</title></head><body><p>canonical text</p></body></html>"
        );
    }

    #[test]
    fn json_ld_loses_its_own_url_and_keeps_the_rest() {
        let html = b"<head><script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\
            \"url\":\"https://x.example/a\",\"mainEntityOfPage\":{\"@id\":\"https://x.example/a\"},\
            \"headline\":\"H\",\"publisher\":{\"name\":\"P\",\"url\":\"https://x.example/\"}}\
            </SCRIPT><script type=\"application/ld+json\">{broken</script></head>";
        let out = String::from_utf8(strip_own_url(html)).unwrap_or_default();
        assert_eq!(
            out,
            "<head><script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\
             \"headline\":\"H\",\"publisher\":{\"name\":\"P\"}}</SCRIPT>\
             <script type=\"application/ld+json\">{broken</script></head>"
        );
    }

    #[test]
    fn feeds_are_deterministic_and_escaped() {
        let a = feed_xml(3, 2, "http://127.0.0.5:80");
        assert_eq!(a, feed_xml(3, 2, "http://127.0.0.5:80"));
        assert_eq!(a.matches("<item>").count(), 2);
        assert!(a.contains("<link>http://127.0.0.5:80/a/3/1</link>"));
        assert!(a.contains("&lt;b&gt;later"));
        assert!(!a.contains(" & "));
    }
}
