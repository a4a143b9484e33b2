//! Cleaning inside the chosen article: which blocks to leave out.
//!
//! In: the flattened page, its stats and one node inside the article. Out:
//! whether to skip it when rendering. Containers go when they are mostly links,
//! tiny, or boilerplate-named and short (Readability's "clean conditionally");
//! paragraphs go when they are mostly links, captions, bylines, or short
//! furniture lines ("Advertisement", "Read more", …).

use super::content::{Stat, link_density};
use super::dom::{Dom, Role};

/// A paragraph this much link text is a pointer elsewhere ("Read more: …").
const LINK_PARA: f32 = 0.6;

/// Openings of short blocks that are site furniture rather than article text.
const BOILERPLATE: &[&str] = &[
    "advertisement",
    "advertising",
    "sponsored",
    "read more",
    "see more",
    "see also",
    "more:",
    "related:",
    "related articles",
    "related stories",
    "don't miss",
    "dont miss",
    "click here",
    "share this",
    "share on",
    "follow us",
    "sign up",
    "subscribe",
    "newsletter",
    "comments",
    "leave a comment",
    "tell us what you think",
    "recommended",
    "most read",
    "popular",
    "trending",
    "you may also like",
    "you might also like",
    "also read",
    "watch:",
    "listen:",
    "photo:",
    "image:",
    "getty images",
    "loading",
];

fn boilerplate_phrase(dom: &Dom<'_>, i: usize) -> bool {
    let mut t = String::new();
    for j in i..dom.nodes[i].end as usize {
        if let Some(x) = dom.nodes[j].text {
            t.push_str(x);
        }
    }
    let raw = t.trim();
    if is_byline(raw) {
        return true;
    }
    let t = raw.to_lowercase().replace('’', "'");
    !t.is_empty() && BOILERPLATE.iter().any(|b| t.starts_with(b))
}

/// "By Jane Doe", "By JANE DOE and John Roe - 11/18/19": a byline line.
fn is_byline(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("By ").or_else(|| t.strip_prefix("by ")) else {
        return false;
    };
    let mut words = rest.split_whitespace();
    let first_two_capitalised = words
        .by_ref()
        .take(2)
        .all(|w| w.chars().next().is_some_and(char::is_uppercase));
    first_two_capitalised && rest.split_whitespace().count() <= 12
}

/// Whether a container inside the article should be left out (readability's
/// "clean conditionally": link lists, image strips, empty shells). Without
/// `trust_names` (the rescue pass, taken because names misled the scorer),
/// a boilerplate-sounding class or id alone removes nothing.
pub(crate) fn drop_conditionally(dom: &Dom<'_>, st: &[Stat], i: usize, trust_names: bool) -> bool {
    let node = &dom.nodes[i];
    let s = &st[i];
    match node.role {
        Role::Container => {}
        Role::Para => {
            if matches!(node.tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
                return (trust_names && node.weight < 0) || link_density(s) > 0.5;
            }
            if node.tag == "figcaption" || node.tag == "caption" {
                return true;
            }
            if node.tag == "p" && s.text > 0 && link_density(s) >= LINK_PARA {
                return true;
            }
            return s.text < 60 && boilerplate_phrase(dom, i);
        }
        _ => return false,
    }
    if matches!(node.tag, "body" | "html") {
        return false;
    }
    if s.text < 60 && boilerplate_phrase(dom, i) {
        return true;
    }
    if s.commas >= 10 {
        return false;
    }
    let ld = link_density(s);
    if trust_names && node.weight < 0 && s.text < 200 {
        return true;
    }
    if node.weight < 25 && ld > 0.33 {
        return true;
    }
    if node.weight >= 25 && ld > 0.5 {
        return true;
    }
    // A short row is a table's normal grain (a date and a figure), not an
    // empty shell: the table as a whole is judged.
    if s.text < 25
        && s.imgs == 0
        && !matches!(node.tag, "tr" | "tbody" | "thead" | "tfoot")
        && !holds_heading(dom, i)
    {
        return true;
    }
    false
}

/// Whether a (small) subtree holds a section heading: a box around a short
/// heading is a page builder's way to write one, not an empty shell.
fn holds_heading(dom: &Dom<'_>, i: usize) -> bool {
    (i + 1..dom.nodes[i].end as usize)
        .any(|j| matches!(dom.nodes[j].tag, "h2" | "h3" | "h4" | "h5" | "h6"))
}
