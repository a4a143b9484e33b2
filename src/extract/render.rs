//! Turning chosen subtrees into plain text and into (unsanitised) HTML.
//!
//! In: a [`Dom`], the subtree roots to render and a predicate saying which
//! nodes to skip. Out: text with one blank line between blocks (headings, list
//! items and paragraphs each their own block, `<br>` a line break, whitespace
//! collapsed, no link URLs), and, given the page's base URL, a compact and
//! already safe HTML rendition: only structural tags, text escaped, and no
//! attributes but link `href`s and image `src`/`alt` that pass the
//! sanitiser's URL policy (`sanitize::safe_url`), made absolute. The output
//! therefore needs no second pass through the sanitiser.

use url::Url;

use super::dom::{Dom, Role};
use super::sanitize::{is_tracker, safe_url};

/// Accumulates text with collapsed whitespace and pending breaks.
#[derive(Default)]
pub(crate) struct TextOut {
    out: String,
    /// Newlines owed before the next text: 0, 1 or 2.
    pending: u8,
    space: bool,
}

impl TextOut {
    fn text(&mut self, s: &str) {
        let mut first = true;
        for word in s.split(char::is_whitespace) {
            if !first {
                self.space = true;
            }
            first = false;
            if word.is_empty() {
                continue;
            }
            if !self.out.is_empty() {
                match self.pending {
                    0 => {
                        if self.space {
                            self.out.push(' ');
                        }
                    }
                    1 => self.out.push('\n'),
                    _ => self.out.push_str("\n\n"),
                }
            }
            self.pending = 0;
            self.space = false;
            self.out.push_str(word);
        }
    }
    fn block(&mut self) {
        self.pending = 2;
        self.space = false;
    }
    fn line(&mut self) {
        self.pending = self.pending.max(1);
        self.space = false;
    }
    /// The text so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Tags kept in the HTML rendition; everything else is unwrapped.
fn keep_tag(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "code"
            | "a"
            | "em"
            | "strong"
            | "b"
            | "i"
            | "u"
            | "s"
            | "sub"
            | "sup"
            | "br"
            | "img"
            | "figure"
            | "figcaption"
            | "table"
            | "thead"
            | "tbody"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "q"
            | "cite"
            | "abbr"
            | "time"
            | "mark"
            | "small"
            | "del"
            | "ins"
            | "hr"
    )
}

fn escape(out: &mut String, s: &str, attr: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// Render `roots` to (text, html), skipping nodes for which `skip` is true;
/// the HTML (empty without a base URL) has its URLs resolved against `base`.
pub(crate) fn render<'a>(
    dom: &Dom<'a>,
    roots: &[usize],
    base: Option<&Url>,
    skip: &mut dyn FnMut(usize) -> bool,
) -> (String, String) {
    let want_html = base.is_some();
    let mut text = TextOut::default();
    let mut html = String::new();
    // Stack of (index, closing?, tag to close) events for an iterative walk.
    let mut stack: Vec<(usize, bool, Option<&'a str>)> = Vec::new();
    let mut kids: Vec<usize> = Vec::new();
    for &r in roots {
        stack.push((r, false, None));
        while let Some((i, closing, close_tag)) = stack.pop() {
            let node = &dom.nodes[i];
            if closing {
                if node.role != Role::Inline {
                    text.block();
                }
                if let Some(tag) = close_tag {
                    html.push_str("</");
                    html.push_str(tag);
                    html.push('>');
                    if node.role != Role::Inline {
                        html.push('\n');
                    }
                }
                continue;
            }
            if let Some(t) = node.text {
                text.text(t);
                if want_html {
                    escape(&mut html, t, false);
                }
                continue;
            }
            if skip(i) {
                continue;
            }
            match node.role {
                Role::Drop => continue,
                Role::Break => {
                    text.line();
                    if want_html {
                        html.push_str("<br>");
                    }
                    continue;
                }
                Role::Image => {
                    if let Some(base) = base {
                        image(dom, i, base, &mut html);
                    }
                    continue;
                }
                Role::Inline => {}
                // Reached only when the caller's `skip` lets furniture boxes through.
                Role::Para | Role::Container | Role::Aside => text.block(),
            }
            // Kept tags are copied; a container of running text becomes a paragraph.
            let out_tag = if !want_html {
                None
            } else if keep_tag(node.tag) {
                Some(node.tag)
            } else if node.role == Role::Container
                && !dom
                    .children(i)
                    .any(|c| matches!(dom.nodes[c].role, Role::Para | Role::Container))
            {
                Some("p")
            } else {
                None
            };
            if let Some(tag) = out_tag {
                html.push('<');
                html.push_str(tag);
                if node.tag == "a" {
                    if let Some(href) = base
                        .zip(dom.attr(i, "href"))
                        .and_then(|(b, h)| safe_url(h, b, false))
                    {
                        html.push_str(" href=\"");
                        escape(&mut html, &href, true);
                        html.push_str("\" rel=\"noopener noreferrer nofollow\"");
                    }
                } else if node.tag == "time"
                    && let Some(dt) = dom.attr(i, "datetime")
                {
                    html.push_str(" datetime=\"");
                    escape(&mut html, dt, true);
                    html.push('"');
                }
                html.push('>');
            }
            stack.push((i, true, out_tag));
            // Push children last-first so the first child pops first.
            kids.clear();
            kids.extend(dom.children(i));
            stack.extend(kids.iter().rev().map(|&c| (c, false, None)));
        }
        text.block();
    }
    (text.finish(), html)
}

fn image(dom: &Dom<'_>, i: usize, base: &Url, html: &mut String) {
    let src = if dom.nodes[i].tag == "picture" {
        (i + 1..dom.nodes[i].end as usize)
            .find(|&j| dom.nodes[j].tag == "img")
            .and_then(|j| img_src(dom, j))
    } else {
        img_src(dom, i)
    };
    let Some(src) = src.and_then(|s| safe_url(s, base, true)) else {
        return;
    };
    if is_tracker(&src) {
        return;
    }
    html.push_str("<img src=\"");
    escape(html, &src, true);
    html.push('"');
    if let Some(alt) = dom.attr(i, "alt") {
        html.push_str(" alt=\"");
        escape(html, alt, true);
        html.push('"');
    }
    html.push_str(">\n");
}

fn img_src<'a>(dom: &Dom<'a>, i: usize) -> Option<&'a str> {
    for a in ["src", "data-src", "data-lazy-src", "data-original"] {
        if let Some(v) = dom.attr(i, a) {
            let v = v.trim();
            if !v.is_empty() && !v.starts_with("data:image/gif") {
                return Some(v);
            }
        }
    }
    None
}
