//! HTML sanitising for stored article and feed content.
//!
//! In: untrusted HTML and the URL it came from. Out: HTML that keeps text
//! structure, links and images, and nothing that runs or phones home: no
//! scripts, styles, event handlers, `javascript:` or non-image `data:` URLs,
//! iframes, forms, or 1×1 tracking pixels. Relative URLs become absolute.

use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

/// Sanitise `html` (see the module docs); relative URLs resolve against `base`.
pub fn sanitize_html(html: &str, base: &Url) -> String {
    let mut b = Builder::default();
    b.url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer nofollow"))
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
    let cleaned = b.clean(html).to_string();
    drop_pixels(&cleaned)
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
        let lower = tag.to_ascii_lowercase();
        let tracker = [
            "pixel",
            "beacon",
            "/track",
            "doubleclick",
            "1x1",
            "spacer.gif",
            "analytics",
        ]
        .iter()
        .any(|t| lower.contains(t));
        if !tracker {
            out.push_str(tag);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
