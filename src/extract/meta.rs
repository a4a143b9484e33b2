//! Page metadata: title, byline, dates, language, site, canonical URL, image.
//!
//! In: a flattened page and its URL. Out: [`Meta`]. Sources, best first:
//! JSON-LD (`NewsArticle`/`Article`/… objects, also inside `@graph` or arrays),
//! OpenGraph and `article:*` properties, named `<meta>` tags, `<link
//! rel=canonical>`, `<time datetime>`, `<html lang>` and `<title>`; for the
//! author, last, a byline in the page (`rel=author`, `itemprop=author`, a
//! `byline`/`author` class) short enough to be a name.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use url::Url;

use super::dom::Dom;

/// Metadata gathered from a page.
#[derive(Default, Debug)]
pub(crate) struct Meta {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub image: Option<String>,
    pub description: Option<String>,
    /// Characters (whitespace runs as one) of the JSON-LD `articleBody`, 0 when absent:
    /// how long the page itself says its article is.
    pub body_chars: usize,
}

/// Raw candidates, one slot per source so precedence is applied at the end.
#[derive(Default)]
struct Found {
    ld: Meta,
    og_title: Option<String>,
    tw_title: Option<String>,
    doc_title: Option<String>,
    h1: Option<String>,
    meta_author: Option<String>,
    byline: Option<String>,
    art_author: Option<String>,
    art_published: Option<String>,
    art_modified: Option<String>,
    named_date: Option<String>,
    time_datetime: Option<String>,
    html_lang: Option<String>,
    meta_lang: Option<String>,
    og_locale: Option<String>,
    og_site: Option<String>,
    canonical: Option<String>,
    og_url: Option<String>,
    og_image: Option<String>,
    tw_image: Option<String>,
    description: Option<String>,
}

fn set(slot: &mut Option<String>, v: &str) {
    let v = v.trim();
    if slot.is_none() && !v.is_empty() {
        *slot = Some(collapse(v));
    }
}

/// Collapse whitespace runs to single spaces.
/// Collapse whitespace runs to single spaces, after decoding the character
/// references the HTML parser never saw: JSON-LD is script text, so its
/// `&#8211;` and `&amp;` arrive literally, and some sites escape `<meta>`
/// content twice.
pub(crate) fn collapse(s: &str) -> String {
    let decoded;
    let s = if s.contains('&') {
        decoded = unescape(s);
        decoded.as_str()
    } else {
        s
    };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decode numeric character references and the few named ones that appear
/// in metadata; anything else stays as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // Bytes, not chars: the window may end inside a character; `;` is ASCII,
        // so slicing at it is always on a boundary.
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
            } else if let Some(num) = name.strip_prefix('#') {
                num.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    "ndash" => Some('–'),
                    "mdash" => Some('—'),
                    "rsquo" => Some('’'),
                    "lsquo" => Some('‘'),
                    "rdquo" => Some('”'),
                    "ldquo" => Some('“'),
                    "hellip" => Some('…'),
                    _ => None,
                }
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn text_of(dom: &Dom<'_>, i: usize) -> String {
    let mut s = String::new();
    for j in i..dom.nodes[i].end as usize {
        if let Some(t) = dom.nodes[j].text {
            s.push_str(t);
        }
    }
    collapse(&s)
}

/// Collect metadata from the whole page.
pub(crate) fn collect(dom: &Dom<'_>, page_url: &Url) -> Meta {
    let mut f = Found::default();
    let mut i = 0;
    while i < dom.nodes.len() {
        let node = &dom.nodes[i];
        match node.tag {
            "html" => {
                if let Some(l) = dom.attr(i, "lang").or_else(|| dom.attr(i, "xml:lang")) {
                    set(&mut f.html_lang, l);
                }
            }
            "title" if f.doc_title.is_none() => {
                let t = text_of(dom, i);
                set(&mut f.doc_title, &t);
            }
            "h1" if f.h1.is_none() => {
                let t = text_of(dom, i);
                set(&mut f.h1, &t);
            }
            "meta" => meta_tag(dom, i, &mut f),
            "link" => {
                let rel = dom.attr(i, "rel").unwrap_or("");
                if rel
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
                    && let Some(h) = dom.attr(i, "href")
                {
                    set(&mut f.canonical, h);
                }
            }
            "time" => {
                if let Some(d) = dom.attr(i, "datetime") {
                    set(&mut f.time_datetime, d);
                }
            }
            "script" => {
                let ty = dom.attr(i, "type").unwrap_or("");
                if ty.eq_ignore_ascii_case("application/ld+json") {
                    let body = text_of_raw(dom, i);
                    if let Ok(v) = serde_json::from_str::<Value>(body.trim()) {
                        // Articles first, so a generic WebPage only fills gaps.
                        json_ld(&v, &mut f.ld, false, 0);
                        json_ld(&v, &mut f.ld, true, 0);
                    }
                }
                i = dom.nodes[i].end as usize;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // The page's own byline is the last resort: looked for only when no
    // metadata names an author, since it costs a scan of every element.
    let art_author_usable = f
        .art_author
        .as_deref()
        .is_some_and(|a| !a.starts_with("http"));
    if f.ld.author.is_none() && f.meta_author.is_none() && !art_author_usable {
        for i in 0..dom.nodes.len() {
            if dom.nodes[i].text.is_none() && byline(dom, i, &mut f.byline) {
                break;
            }
        }
    }
    let date = |s: &Option<String>| s.as_deref().and_then(parse_date);
    let abs = |s: Option<String>| {
        s.and_then(|u| page_url.join(&u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    };
    let ld = f.ld;
    Meta {
        title: ld
            .title
            .or(f.og_title)
            .or(f.tw_title)
            .or(f.h1)
            .or(f.doc_title),
        author: ld
            .author
            .or(f.meta_author)
            .or(f.art_author.filter(|a| !a.starts_with("http")))
            .or(f.byline),
        published: ld
            .published
            .or_else(|| date(&f.art_published))
            .or_else(|| date(&f.named_date))
            .or_else(|| date(&f.time_datetime)),
        modified: ld.modified.or_else(|| date(&f.art_modified)),
        language: f
            .html_lang
            .or(f.meta_lang)
            .or(ld.language)
            .or(f.og_locale)
            .map(|l| l.replace('_', "-")),
        site_name: f.og_site.or(ld.site_name),
        canonical_url: abs(f.canonical.or(f.og_url).or(ld.canonical_url)),
        image: abs(f.og_image.or(ld.image).or(f.tw_image)),
        description: f.description.or(ld.description),
        body_chars: ld.body_chars,
    }
}

/// A byline in the page itself: a link marked `rel="author"`, an element
/// marked `itemprop="author"`, or one whose class names the author or byline,
/// when its text is short enough to be a name ("By" dropped).
fn byline(dom: &Dom<'_>, i: usize, slot: &mut Option<String>) -> bool {
    let Some(el) = dom.nodes[i].el else {
        return false;
    };
    let marked = el.value().attrs().any(|(name, value)| match name {
        "rel" => value
            .split_whitespace()
            .any(|r| r.eq_ignore_ascii_case("author")),
        "itemprop" => value == "author",
        "class" => value
            .split_whitespace()
            .any(|c| BYLINE_CLASSES.iter().any(|b| c.eq_ignore_ascii_case(b))),
        _ => false,
    });
    if !marked {
        return false;
    }
    let t = text_of(dom, i);
    let t = t
        .strip_prefix("By ")
        .or_else(|| t.strip_prefix("by "))
        .unwrap_or(&t)
        .trim();
    let words = t.split_whitespace().count();
    if (1..=6).contains(&words) && t.chars().count() <= 60 && t.chars().any(char::is_alphabetic) {
        *slot = Some(t.to_string());
        return true;
    }
    false
}

/// Class tokens that mark a byline (compared ignoring ASCII case).
const BYLINE_CLASSES: &[&str] = &[
    "author",
    "byline",
    "author-name",
    "byline-name",
    "authorname",
    "byline__name",
    "author__name",
];

fn text_of_raw(dom: &Dom<'_>, i: usize) -> String {
    let mut s = String::new();
    for j in i..dom.nodes[i].end as usize {
        if let Some(t) = dom.nodes[j].text {
            s.push_str(t);
        }
    }
    s
}

fn meta_tag(dom: &Dom<'_>, i: usize, f: &mut Found) {
    let Some(content) = dom.attr(i, "content") else {
        return;
    };
    let key = dom
        .attr(i, "property")
        .or_else(|| dom.attr(i, "name"))
        .or_else(|| dom.attr(i, "itemprop"))
        .or_else(|| dom.attr(i, "http-equiv"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let slot = match key.as_str() {
        "og:title" => &mut f.og_title,
        "twitter:title" => &mut f.tw_title,
        "author" | "dc.creator" | "byl" | "sailthru.author" | "parsely-author" => {
            &mut f.meta_author
        }
        "article:author" => &mut f.art_author,
        "article:published_time" | "og:published_time" | "datepublished" => &mut f.art_published,
        "article:modified_time" | "og:updated_time" | "datemodified" | "last-modified" => {
            &mut f.art_modified
        }
        "pubdate" | "publishdate" | "publish-date" | "date" | "dc.date" | "dc.date.issued"
        | "sailthru.date" | "parsely-pub-date" | "article.published" => &mut f.named_date,
        "content-language" | "language" | "dc.language" => &mut f.meta_lang,
        "og:locale" => &mut f.og_locale,
        "og:site_name" | "application-name" => &mut f.og_site,
        "og:url" => &mut f.og_url,
        "og:image" | "og:image:url" | "og:image:secure_url" => &mut f.og_image,
        "twitter:image" | "twitter:image:src" => &mut f.tw_image,
        "description" | "og:description" => &mut f.description,
        _ => return,
    };
    set(slot, content);
}

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BlogPosting",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BackgroundNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
    "SocialMediaPosting",
    "WebPage",
];

fn type_matches(v: &Value) -> Option<bool> {
    let is_article = |s: &str| ARTICLE_TYPES.contains(&s);
    match v.get("@type")? {
        Value::String(s) => Some(is_article(s)),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).any(is_article)),
        _ => None,
    }
}

/// Fill `m` from JSON-LD; articles take precedence over a generic WebPage.
fn json_ld(v: &Value, m: &mut Meta, pages: bool, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(a) => {
            for x in a {
                json_ld(x, m, pages, depth + 1);
            }
        }
        Value::Object(o) => {
            if let Some(g) = o.get("@graph") {
                json_ld(g, m, pages, depth + 1);
            }
            if type_matches(v) != Some(true) {
                return;
            }
            let is_page = v.get("@type").and_then(Value::as_str) == Some("WebPage");
            if is_page != pages {
                return;
            }
            let put = |slot: &mut Option<String>, val: Option<String>| {
                if slot.is_none() {
                    *slot = val.filter(|s| !s.is_empty());
                }
            };
            let s = |k: &str| o.get(k).and_then(Value::as_str).map(collapse);
            put(
                &mut m.title,
                s("headline").or_else(|| if is_page { None } else { s("name") }),
            );
            put(&mut m.author, o.get("author").and_then(names));
            put(&mut m.language, s("inLanguage"));
            put(&mut m.description, s("description"));
            put(
                &mut m.canonical_url,
                o.get("mainEntityOfPage")
                    .and_then(url_of)
                    .or_else(|| s("url")),
            );
            put(&mut m.image, o.get("image").and_then(url_of));
            put(
                &mut m.site_name,
                o.get("publisher")
                    .and_then(|p| p.get("name"))
                    .and_then(Value::as_str)
                    .map(collapse),
            );
            if m.body_chars == 0
                && let Some(b) = o.get("articleBody").and_then(Value::as_str)
            {
                m.body_chars = super::content::measure(b).0 as usize;
            }
            if m.published.is_none() {
                m.published = s("datePublished").as_deref().and_then(parse_date);
            }
            if m.modified.is_none() {
                m.modified = s("dateModified").as_deref().and_then(parse_date);
            }
        }
        _ => {}
    }
}

/// Author names from a string, a Person/Organization, or a list of them.
fn names(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(collapse(s)),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(collapse),
        Value::Array(a) => {
            let all: Vec<String> = a
                .iter()
                .filter_map(names)
                .filter(|s| !s.is_empty())
                .collect();
            (!all.is_empty()).then(|| all.join(", "))
        }
        _ => None,
    }
}

/// A URL from a string, an object with `url`/`@id`, or the first of a list.
fn url_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("@id"))
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string()),
        Value::Array(a) => a.iter().find_map(url_of),
        _ => None,
    }
}

/// Parse the date formats pages use; a time without zone is taken as UTC.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    let date_part = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}
