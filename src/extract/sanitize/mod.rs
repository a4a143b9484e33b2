//! HTML sanitising for stored article and feed content.
//!
//! In: untrusted HTML and the URL it came from. Out: HTML that keeps text
//! structure, links and images, and nothing that runs or phones home: no
//! scripts, styles, event handlers, `javascript:` or non-image `data:` URLs,
//! iframes, forms, or 1×1 tracking pixels. Relative URLs become absolute.
//!
//! Before the HTML parser sees it, [`bound_markup`] caps the input at
//! [`MAX_HTML_BYTES`] and the nesting at [`MAX_DEPTH`] open elements: the
//! parser's tree building costs time in proportion to the depth for every
//! tag, so 60,000 unclosed `<div>` (300 KB) took minutes. Past the cap,
//! start tags are dropped and their text kept, the way browsers flatten
//! absurdly deep documents.

mod bound;
mod tags;

use std::cell::RefCell;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

pub use bound::{MAX_DEPTH, MAX_HTML_BYTES, bound_markup, bound_nesting};

/// Sanitise `html` (see the module docs); relative URLs resolve against `base`.
/// The input is first bounded by [`bound_markup`].
pub fn sanitize_html(html: &str, base: &Url) -> String {
    let html = bound_markup(html);
    thread_local! {
        // Building the allow-lists costs more than sanitising a short article: build once.
        static BUILDER: RefCell<Builder<'static>> = RefCell::new(builder());
    }
    let cleaned = BUILDER.with(|b| {
        let mut b = b.borrow_mut();
        b.url_relative(UrlRelative::RewriteWithBase(base.clone()));
        b.clean(&html).to_string()
    });
    drop_pixels(&cleaned)
}

/// The sanitiser's fixed settings (everything but the base URL).
fn builder() -> Builder<'static> {
    let mut b = Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(HashSet::from(["http", "https", "mailto", "data"]))
        .add_clean_content_tags(["noscript", "template", "iframe", "object"].iter())
        .rm_tags(["map", "area"].iter())
        .attribute_filter(|element, attribute, value| {
            let v = value.trim_start().as_bytes();
            if starts_with_ci(v, b"data:") {
                let image = element == "img"
                    && attribute == "src"
                    && [
                        &b"data:image/png"[..],
                        b"data:image/jpeg",
                        b"data:image/gif",
                        b"data:image/webp",
                    ]
                    .iter()
                    .any(|p| starts_with_ci(v, p));
                return image.then(|| value.into());
            }
            if element == "img"
                && matches!(attribute, "width" | "height")
                && matches!(value.trim(), "0" | "1" | "0px" | "1px")
            {
                // A tracking pixel: drop its size so `src` below can be dropped too.
                return None;
            }
            Some(value.into())
        });
    b
}

/// ASCII case-insensitive prefix test on bytes (safe on any UTF-8 input).
fn starts_with_ci(v: &[u8], prefix: &[u8]) -> bool {
    v.len() >= prefix.len() && v[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Remove `<img>` tags whose URL looks like a tracker beacon.
fn drop_pixels(html: &str) -> String {
    if !html.contains("<img") {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find("<img") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        let tag = &after[..end];
        if !is_tracker(tag) {
            out.push_str(tag);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// An image URL (or whole `<img>` tag) that looks like a tracker beacon.
pub(crate) fn is_tracker(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [
        "pixel",
        "beacon",
        "/track",
        "doubleclick",
        "1x1",
        "spacer.gif",
        "analytics",
    ]
    .iter()
    .any(|t| lower.contains(t))
}

/// The same URL policy as [`sanitize_html`], for HTML the extractor writes
/// itself: `raw` resolved against `base`; only `http`, `https` and `mailto`
/// (links) or an inline PNG/JPEG/GIF/WebP (`image`); None for anything else.
pub(crate) fn safe_url(raw: &str, base: &Url, image: bool) -> Option<String> {
    let v = raw.trim();
    if starts_with_ci(v.as_bytes(), b"data:") {
        let ok = image
            && [
                &b"data:image/png"[..],
                b"data:image/jpeg",
                b"data:image/gif",
                b"data:image/webp",
            ]
            .iter()
            .any(|p| starts_with_ci(v.as_bytes(), p));
        return ok.then(|| v.to_string());
    }
    let u = base.join(v).ok()?;
    matches!(u.scheme(), "http" | "https" | "mailto").then(|| u.into())
}
