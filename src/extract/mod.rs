//! Article extraction: a fetched page's HTML in, the article out (pure, no I/O).
//!
//! [`decode_html`] turns response bytes into text (BOM, HTTP charset, `<meta>`,
//! then a guess). [`extract`] parses the page once with `scraper`, reads the
//! metadata (JSON-LD, OpenGraph, `<meta>`, canonical link, `<time>`, `lang`),
//! and finds the article body either with a per-site CSS [`SiteRule`] or with
//! the generic scorer in `content` (text density, link density, paragraph
//! counts, class/id hints, sibling merging, boilerplate removal). The result is
//! plain text with blank lines between blocks and HTML that `render` writes
//! already sanitised (allow-listed tags, URLs vetted by the same policy as
//! [`sanitize_html`], which feed content goes through, as through
//! [`html_to_text`]). Before parsing, `prescan` empties script, style and SVG
//! bodies, which extraction never reads.
//!
//! A choice that holds a small share of the page's prose, or falls far short
//! of the page's own JSON-LD `articleBody`, gets a second look (`rescue`):
//! the block holding most of the prose, found with furniture boxes and
//! hidden nodes kept and no trust in class names, replaces it when far
//! longer. [`Article::path`] says which pass chose the text; the pipeline
//! stores it in `items.extraction_path`.
//!
//! Submodules: `prescan` (pre-parse cut), `dom` (flat pre-order copy of the
//! page), `hints` (class/id words), `content` (scoring and selection), `clean`
//! (leaving out furniture inside the article), `rescue` (the second look),
//! `render` (text and HTML output), `meta` (metadata), `decode`, `sanitize`,
//! `rules` (site rules and the built-in table in `rules.toml`).

mod clean;
mod content;
mod dom;
mod hints;
mod meta;
mod prescan;
mod render;
mod rescue;
mod rules;
mod sanitize;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use scraper::Html;
use url::Url;

pub use crate::charset::decode_html;
pub use rules::{SiteRule, builtin_rule, validate_rule};
pub use sanitize::{MAX_DEPTH, MAX_HTML_BYTES, bound_markup, bound_nesting, sanitize_html};

use content::Mode;
use dom::{Dom, Role};

/// An article extracted from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Headline (JSON-LD, OpenGraph, first `<h1>`, or `<title>`).
    pub title: Option<String>,
    /// Byline, several authors joined by ", ".
    pub author: Option<String>,
    /// When the article was first published.
    pub published: Option<DateTime<Utc>>,
    /// When the article was last modified.
    pub modified: Option<DateTime<Utc>>,
    /// Language tag (`en`, `ru-RU`, …).
    pub language: Option<String>,
    /// The outlet's name.
    pub site_name: Option<String>,
    /// The page's declared canonical URL, absolute.
    pub canonical_url: Option<String>,
    /// Lead image URL, absolute.
    pub image: Option<String>,
    /// The article body as plain text; blocks separated by a blank line.
    pub text: String,
    /// The article body as sanitised HTML.
    pub html: String,
    /// How the body was found.
    pub method: Method,
    /// Which pass of the extractor chose the body (finer than `method`).
    pub path: BodyPath,
}

/// Which pass chose an article's body, recorded on the item
/// (`items.extraction_path`) so weak choices can be found and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPath {
    /// A site rule's selector.
    SiteRule,
    /// The generic scorer, boilerplate-named blocks left out.
    Strict,
    /// The generic scorer with only never-content left out (the strict pass found too little).
    Relaxed,
    /// The second look: the block holding most of the page's prose, taken
    /// because the scorer's choice held little of it.
    Rescue,
    /// No body found: the page's own description stands in.
    Description,
}

impl BodyPath {
    /// The value stored in `items.extraction_path`.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyPath::SiteRule => "site_rule",
            BodyPath::Strict => "strict",
            BodyPath::Relaxed => "relaxed",
            BodyPath::Rescue => "rescue",
            BodyPath::Description => "description",
        }
    }
}

/// How an article body was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The generic scorer.
    Generic,
    /// A site rule's selector.
    SiteRule,
}

impl From<Method> for crate::model::Extraction {
    fn from(m: Method) -> Self {
        match m {
            Method::Generic => crate::model::Extraction::Extracted,
            Method::SiteRule => crate::model::Extraction::SiteRule,
        }
    }
}

/// Below this many characters a strict pass is retried relaxed.
const SHORT_TEXT: usize = 250;

/// Extract the article from a page. Never panics; a rule whose selector
/// matches nothing (or only empty elements) falls back to the generic scorer.
pub fn extract(html: &str, page_url: &Url, rule: Option<&SiteRule>) -> Article {
    // Script, style and SVG bodies are never read: the parser need not tokenise them.
    // Nesting past `MAX_DEPTH` is flattened first: the parser's time grows
    // with depth × tags (see `sanitize::bound`).
    let doc = Html::parse_document(&prescan::strip_inert(&bound_nesting(html)));
    let dom = Dom::build(&doc);
    let meta = meta::collect(&dom, page_url);
    let base = base_url(&dom, page_url);

    let removed = rule.map(|r| removed_mask(&doc, &dom, r));
    let mut found = None;
    if let Some(rule) = rule
        && let Some(sel) = &rule.selector
    {
        match by_rule(&doc, &dom, sel, removed.as_deref(), &base) {
            Some(r) => found = Some(r),
            None => tracing::warn!(
                url = %page_url,
                selector = %sel,
                "site rule matched no article text; using the generic extractor"
            ),
        }
    }
    let method = if found.is_some() {
        Method::SiteRule
    } else {
        Method::Generic
    };
    let (mut text, mut raw_html, mut path) = match found {
        Some((t, h)) => (t, h, BodyPath::SiteRule),
        None => generic(
            &dom,
            removed.as_deref(),
            meta.title.as_deref(),
            &base,
            meta.body_chars,
        ),
    };
    // Nothing found at all: the page's own summary beats an empty article.
    if text.trim().is_empty()
        && let Some(d) = meta.description.as_deref()
    {
        text = d.to_string();
        path = BodyPath::Description;
        raw_html = format!(
            "<p>{}</p>",
            d.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        );
    }
    Article {
        title: meta.title,
        author: meta.author,
        published: meta.published,
        modified: meta.modified,
        language: meta.language,
        site_name: meta.site_name,
        canonical_url: meta.canonical_url,
        image: meta.image,
        text,
        // `render` writes only allow-listed tags and vetted URLs: already sanitised.
        html: raw_html,
        method,
        path,
    }
}

/// Plain text of an HTML fragment (feed content): blocks separated by a blank
/// line, no link URLs, scripts and styles dropped.
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_fragment(html);
    let dom = Dom::build(&doc);
    if dom.nodes.is_empty() {
        return String::new();
    }
    let (text, _) = render::render(&dom, &[0], None, &mut |i| {
        dom.nodes[i].hidden
            || dom.nodes[i].role == Role::Aside
            || matches!(
                dom.nodes[i].tag,
                "script" | "style" | "noscript" | "template"
            )
    });
    text
}

/// `<base href>` resolved against the page URL, else the page URL.
fn base_url(dom: &Dom<'_>, page_url: &Url) -> Url {
    dom.nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.tag == "base")
        .and_then(|(i, _)| dom.attr(i, "href"))
        .and_then(|h| page_url.join(h).ok())
        .unwrap_or_else(|| page_url.clone())
}

/// Nodes (with their subtrees) a rule's `remove` selectors leave out.
fn removed_mask(doc: &Html, dom: &Dom<'_>, rule: &SiteRule) -> Vec<bool> {
    let mut mask = vec![false; dom.nodes.len()];
    if rule.remove.is_empty() {
        return mask;
    }
    let index = node_index(dom);
    for r in &rule.remove {
        let Ok(sel) = rules::compile(r) else { continue };
        for el in doc.select(&sel) {
            if let Some(&i) = index.get(&key(el)) {
                let end = dom.nodes[i].end as usize;
                mask[i..end].fill(true);
            }
        }
    }
    mask
}

/// Map from an element's address in the parsed tree to its index in `dom`.
fn node_index(dom: &Dom<'_>) -> HashMap<usize, usize> {
    dom.nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.el.map(|e| (key(e), i)))
        .collect()
}

/// An element's identity: the address of its node data, unique within one parsed document.
fn key(e: scraper::ElementRef<'_>) -> usize {
    std::ptr::from_ref(e.value()) as usize
}

/// Text and HTML of the elements a rule selects, or None when they hold no text.
fn by_rule(
    doc: &Html,
    dom: &Dom<'_>,
    selector: &str,
    removed: Option<&[bool]>,
    base: &Url,
) -> Option<(String, String)> {
    let sel = rules::compile(selector).ok()?;
    let index = node_index(dom);
    let mut roots: Vec<usize> = doc
        .select(&sel)
        .filter_map(|e| index.get(&key(e)).copied())
        .collect();
    roots.sort_unstable();
    // Drop matches nested in an earlier match.
    let mut outer: Vec<usize> = Vec::new();
    for r in roots {
        if outer.last().is_some_and(|&o| r < dom.nodes[o].end as usize) {
            continue;
        }
        outer.push(r);
    }
    let (text, html) = render::render(dom, &outer, Some(base), &mut |i| {
        dom.nodes[i].hidden || dom.nodes[i].role == Role::Aside || removed.is_some_and(|m| m[i])
    });
    (!text.trim().is_empty()).then_some((text, html))
}

/// Letters and digits only, lower case: for comparing headings with the title.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The generic scorer: strict pass, then a relaxed one if that found too
/// little, then (when the choice holds a small share of the page's prose or
/// falls far short of the declared `articleBody`) the rescue block if it is
/// far longer.
fn generic(
    dom: &Dom<'_>,
    removed: Option<&[bool]>,
    title: Option<&str>,
    base: &Url,
    promised: usize,
) -> (String, String, BodyPath) {
    let title = title.map(norm).unwrap_or_default();
    let mut best = (String::new(), String::new(), BodyPath::Strict);
    let mut best_len = 0;
    let relaxed = content::stats(dom, Mode::Relaxed, removed, None);
    for mode in [Mode::Strict, Mode::Relaxed] {
        let strict;
        let st: &[content::Stat] = if mode == Mode::Strict {
            strict = content::stats(dom, mode, removed, Some(&relaxed));
            &strict
        } else {
            &relaxed
        };
        let Some(sel) = content::select(dom, st) else {
            continue;
        };
        let (text, html) = render_clean(dom, st, &sel.roots, base, &title, true);
        let len = text.chars().count();
        if len > best_len {
            let path = if mode == Mode::Strict {
                BodyPath::Strict
            } else {
                BodyPath::Relaxed
            };
            best = (text, html, path);
            best_len = len;
        }
        if len >= SHORT_TEXT {
            break;
        }
    }
    let Some(body) = dom.nodes.iter().position(|n| n.tag == "body") else {
        return best;
    };
    let page_prose = relaxed[body].prose;
    if !rescue::doubtful(best_len, page_prose, promised) {
        return best;
    }
    let st = content::stats(dom, Mode::Rescue, removed, Some(&relaxed));
    if let Some(root) = rescue::largest_block(dom, &st, body) {
        let (text, html) = render_clean(dom, &st, &[root], base, &title, false);
        if text.chars().count() >= rescue::FAR_LONGER * best_len.max(1) {
            return (text, html, BodyPath::Rescue);
        }
    }
    best
}

/// Render chosen roots, leaving out excluded nodes, furniture and the title heading.
fn render_clean(
    dom: &Dom<'_>,
    st: &[content::Stat],
    roots: &[usize],
    base: &Url,
    title: &str,
    trust_names: bool,
) -> (String, String) {
    render::render(dom, roots, Some(base), &mut |i| {
        st[i].excluded
            || clean::drop_conditionally(dom, st, i, trust_names)
            || is_title_heading(dom, i, title)
    })
}

/// An `<h1>`, or a heading repeating the title.
fn is_title_heading(dom: &Dom<'_>, i: usize, title: &str) -> bool {
    let tag = dom.nodes[i].tag;
    if tag == "h1" {
        return true;
    }
    if dom.nodes[i].role != Role::Para || !tag.starts_with('h') || title.is_empty() {
        return false;
    }
    let mut s = String::new();
    for j in i..dom.nodes[i].end as usize {
        if let Some(t) = dom.nodes[j].text {
            s.push_str(t);
        }
    }
    norm(&s) == title
}
