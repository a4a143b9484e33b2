//! Class, id and attribute hints: is an element named like article content,
//! like boilerplate, or hidden?
//!
//! In: one element's attributes. Out: a weight (+25 per article-like name,
//! −25 per boilerplate-like name, +50 for `itemprop=articleBody`), whether the
//! element is "unlikely" content (a boilerplate name with no veto word, or a
//! navigation/dialog ARIA role), and whether it is hidden. Word lists follow
//! the same idea as Mozilla Readability's, tuned on news pages.

/// Words in class/id/role that mark boilerplate.
const NEGATIVE: &[&str] = &[
    "comment",
    "disqus",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "promo",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "sign-up",
    "sidebar",
    "widget",
    "footer",
    "masthead",
    "menu",
    "navbar",
    "nav-",
    "-nav",
    "breadcrumb",
    "pagination",
    "pager",
    "popup",
    "modal",
    "cookie",
    "gdpr",
    "consent",
    "banner",
    "sponsor",
    "advert",
    "-ad-",
    "ad-slot",
    "adslot",
    "ad-container",
    "ad-wrapper",
    "ads-",
    "outbrain",
    "taboola",
    "teaser",
    "read-more",
    "readmore",
    "more-stories",
    "most-popular",
    "mostpopular",
    "trending",
    "tags",
    "tag-list",
    "byline",
    "author-bio",
    "bio-",
    "toolbar",
    "skip",
    "login",
    "rss",
    "shoutbox",
    "skyscraper",
    "supplemental",
    "sponsored",
    "agegate",
    "overlay",
    "caption",
    "credit",
    "dateline",
    "timestamp",
    "headline",
    "topics",
    "follow",
    "donate",
    "paywall",
    "subnav",
    "feedback",
    "playlist",
    "gallery",
    "slideshow",
    "next-article",
    "prev-article",
    "header",
    "masthead",
    "combx",
    "remark",
    "replies",
    "community",
    "extra",
];
/// Words in class/id that mark article content.
const POSITIVE: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "text",
    "blog",
    "story",
    "prose",
    "hentry",
    "rich-text",
    "richtext",
];

/// Words that keep a boilerplate-looking name from being dropped outright.
const MAYBE: &[&str] = &["article", "body", "column", "content", "main", "shadow"];

pub(crate) fn class_hints(class: &str, id: &str) -> (i32, bool) {
    let mut weight = 0;
    let mut unlikely = false;
    let t = word_table();
    for s in [class, id] {
        if s.is_empty() {
            continue;
        }
        let lower = s.to_ascii_lowercase();
        let (mut neg, mut pos, mut maybe) = (false, false, false);
        let b = lower.as_bytes();
        for i in 0..b.len() {
            for &(w, kind) in &t[b[i] as usize] {
                if b[i..].starts_with(w.as_bytes()) {
                    match kind {
                        Word::Negative => neg = true,
                        Word::Positive => pos = true,
                        Word::Maybe => maybe = true,
                    }
                }
            }
        }
        neg |= is_ad_token(&lower);
        if neg {
            weight -= 25;
        }
        if pos {
            weight += 25;
        }
        if neg && !maybe {
            unlikely = true;
        }
    }
    (weight, unlikely)
}

/// Which list a hint word comes from.
#[derive(Clone, Copy)]
enum Word {
    Negative,
    Positive,
    Maybe,
}

/// The hint words bucketed by first byte, so one scan of a class string finds them all.
fn word_table() -> &'static [Vec<(&'static str, Word)>] {
    static TABLE: std::sync::OnceLock<Vec<Vec<(&'static str, Word)>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<Vec<(&'static str, Word)>> = vec![Vec::new(); 256];
        for (list, kind) in [
            (NEGATIVE, Word::Negative),
            (POSITIVE, Word::Positive),
            (MAYBE, Word::Maybe),
        ] {
            for w in list {
                if let Some(&first) = w.as_bytes().first() {
                    t[first as usize].push((w, kind));
                }
            }
        }
        t
    })
}

/// The attributes extraction reads, gathered in one pass over the element's list.
#[derive(Default)]
pub(crate) struct Attrs<'a> {
    pub class: &'a str,
    pub id: &'a str,
    role: Option<&'a str>,
    itemprop: Option<&'a str>,
    hidden: bool,
    aria_hidden: bool,
    style: Option<&'a str>,
}

impl<'a> Attrs<'a> {
    pub fn of(el: &'a scraper::node::Element) -> Attrs<'a> {
        let mut a = Attrs::default();
        for (name, value) in el.attrs() {
            match name {
                "class" => a.class = value,
                "id" => a.id = value,
                "role" => a.role = Some(value),
                "itemprop" => a.itemprop = Some(value),
                "hidden" => a.hidden = true,
                "aria-hidden" => a.aria_hidden = value == "true",
                "style" => a.style = Some(value),
                _ => {}
            }
        }
        a
    }

    /// Hints from `role` and `itemprop`.
    pub fn hints(&self, weight: &mut i32, unlikely: &mut bool) {
        if let Some(role) = self.role {
            let role = role.to_ascii_lowercase();
            if matches!(
                role.as_str(),
                "menu"
                    | "menubar"
                    | "complementary"
                    | "navigation"
                    | "alert"
                    | "alertdialog"
                    | "dialog"
                    | "banner"
                    | "contentinfo"
                    | "search"
            ) {
                *unlikely = true;
            }
        }
        if self.itemprop.is_some_and(|p| p.contains("articleBody")) {
            *weight += 50;
            *unlikely = false;
        }
    }

    /// Hidden by attribute or inline style.
    pub fn hidden(&self, tag: &str) -> bool {
        if self.hidden || (self.aria_hidden && !matches!(tag, "img" | "picture")) {
            return true;
        }
        if let Some(style) = self.style {
            let s = style.to_ascii_lowercase().replace(' ', "");
            if s.contains("display:none") || s.contains("visibility:hidden") {
                return true;
            }
        }
        false
    }
}

/// `ad`, `ads`, `advert` as whole class tokens.
fn is_ad_token(lower: &str) -> bool {
    lower
        .split(|c: char| c.is_ascii_whitespace() || c == '_' || c == '-')
        .any(|t| matches!(t, "ad" | "ads" | "advertisement" | "adv"))
}
