//! Microsoft's Channel Definition Format (CDF, 1997), read as RSS 2.0.
//!
//! In: a CDF element's local name, depth and attributes. Out: the RSS element
//! it becomes and the child elements its attributes turn into. A CDF
//! `<CHANNEL HREF=… LASTMOD=…>` holds `<TITLE>`, `<ABSTRACT>` and `<ITEM HREF=…
//! LASTMOD=…>`s; `BASE` is its `xml:base` (read by the caller).

use url::Url;

/// The RSS form of one CDF element.
pub struct Mapped {
    /// The RSS element name; `None` for an element RSS has no place for.
    pub name: Option<&'static str>,
    /// Written before the start tag (`<rss version="2.0">` for the root).
    pub open_prefix: &'static str,
    /// Written after the end tag (`</rss>` for the root).
    pub close_suffix: &'static str,
}

/// Maps CDF element `local` at `depth` (0 for the root).
pub fn map(local: &str, depth: usize) -> Mapped {
    let plain = |name| Mapped {
        name: Some(name),
        open_prefix: "",
        close_suffix: "",
    };
    match local.to_ascii_uppercase().as_str() {
        "CHANNEL" if depth == 0 => Mapped {
            name: Some("channel"),
            open_prefix: "<rss version=\"2.0\">",
            close_suffix: "</rss>",
        },
        "ITEM" => plain("item"),
        "TITLE" => plain("title"),
        "ABSTRACT" => plain("description"),
        _ => Mapped {
            name: None,
            open_prefix: "",
            close_suffix: "",
        },
    }
}

/// The RSS children a CDF channel's or item's attributes become: `HREF` is
/// the `<link>` (resolved against `base`), `LASTMOD` the date.
pub fn attribute_children(
    local: &str,
    attributes: &[(String, String)],
    base: &Url,
) -> Vec<(&'static str, String)> {
    let upper = local.to_ascii_uppercase();
    if upper != "CHANNEL" && upper != "ITEM" {
        return Vec::new();
    }
    let value = |name: &str| {
        attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut children = Vec::new();
    if let Some(href) = value("HREF") {
        let href = base.join(&href).map_or(href, String::from);
        children.push(("link", href));
    }
    if let Some(date) = value("LASTMOD") {
        let name = if upper == "ITEM" {
            "pubDate"
        } else {
            "lastBuildDate"
        };
        children.push((name, date));
    }
    children
}
