//! Relative URLs made absolute: in attributes and element text during the
//! normalising pass, and in the escaped HTML of entry content afterwards.
//!
//! In: a URL as written and the base in force. Out: the absolute URL, or the
//! input unchanged when it is absolute already or cannot be resolved.

use std::borrow::Cow;

use url::Url;

/// `href` resolved against `base` when it is relative; `None` when it is
/// empty, already absolute or not resolvable.
pub fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || Url::parse(href).is_ok() {
        return None;
    }
    base.join(href).ok().map(String::from)
}

/// Resolves the named attributes (values as written, escaped) in place.
pub fn resolve_attributes(attributes: &mut [(String, String)], names: &[&str], base: &Url) {
    for (key, value) in attributes.iter_mut() {
        if !names.iter().any(|n| key.eq_ignore_ascii_case(n)) {
            continue;
        }
        // A value whose references do not decode is left as written: it
        // might hide a scheme.
        let Ok(raw) = quick_xml::escape::unescape(value) else {
            continue;
        };
        if let Some(absolute) = resolve(base, &raw) {
            *value = quick_xml::escape::escape(absolute.as_str()).into_owned();
        }
    }
}

/// `html` with relative `href` and `src` attribute values resolved against
/// `base`. A light scan, not an HTML parser: tags are found by `<` followed
/// by a letter and read up to the `>` outside quotes; anything it cannot
/// follow is left as written.
pub fn resolve_html_links<'a>(html: &'a str, base: &Url) -> Cow<'a, str> {
    if !html.contains("href") && !html.contains("src") && !html.contains("HREF") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    let bytes = html.as_bytes();
    let mut pos = 0;
    while let Some(found) = html[pos..].find('<') {
        let at = pos + found;
        pos = at + 1;
        if !bytes.get(at + 1).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let Some(len) = super::super::scan::start_tag_len(&html[at..]) else {
            break;
        };
        let tag = &html[at..at + len];
        for (start, end) in link_values(tag) {
            let value = &tag[start..end];
            // Decoded as a browser would before it sees a scheme, so that
            // `&#106;avascript:` stays the absolute URL it is (and the
            // sanitiser's to refuse), not a path under the base.
            let Some(decoded) = decode_attribute(value) else {
                continue;
            };
            if let Some(absolute) = resolve(base, &decoded) {
                out.push_str(&html[copied..at + start]);
                out.push_str(&absolute.replace('&', "&amp;").replace('"', "%22"));
                copied = at + end;
            }
        }
        pos = at + len;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// An HTML attribute value with its character references decoded: numeric
/// ones and the named ones a URL may hide behind (`&amp;`, `&colon;`,
/// `&Tab;`, ...). `None` when another named reference is left, whose meaning
/// this scan does not know.
fn decode_attribute(value: &str) -> Option<String> {
    if !value.contains('&') {
        return Some(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';')?;
        let name = &rest[1..end];
        let c = match name {
            "amp" => '&',
            "colon" => ':',
            "Tab" => '\t',
            "NewLine" => '\n',
            "sol" => '/',
            "quot" => '"',
            "apos" => '\'',
            "lt" => '<',
            "gt" => '>',
            _ => {
                let number = name.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse::<u32>().ok()?,
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Byte ranges of the values of `href` and `src` attributes in one tag.
fn link_values(tag: &str) -> Vec<(usize, usize)> {
    let bytes = tag.as_bytes();
    let mut found = Vec::new();
    let mut i = 1;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if b == b'"' || b == b'\'' {
            quote = Some(b);
            i += 1;
            continue;
        }
        let after_space = bytes[i - 1].is_ascii_whitespace();
        let rest = &bytes[i..];
        let name_len = if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case(b"href") {
            4
        } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"src") {
            3
        } else {
            0
        };
        if after_space && name_len > 0 {
            let mut j = i + name_len;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                match bytes.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        if let Some(close) = tag[j + 1..].find(q as char) {
                            found.push((j + 1, j + 1 + close));
                            i = j + 2 + close;
                            continue;
                        }
                    }
                    Some(_) => {
                        let end = tag[j..]
                            .find(|c: char| c.is_ascii_whitespace() || c == '>')
                            .map_or(tag.len(), |e| j + e);
                        found.push((j, end));
                        i = end;
                        continue;
                    }
                    None => {}
                }
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_links_resolved_against_the_base() {
        let base = Url::parse("http://example.com/news/").expect("valid");
        assert_eq!(
            resolve_html_links(
                "<p>See <a href=\"story.html?a=1&amp;b=2\">this</a> <img src='/i.png' alt=\"x src=y\"> <a HREF=http://other.org/>o</a></p>",
                &base
            ),
            "<p>See <a href=\"http://example.com/news/story.html?a=1&amp;b=2\">this</a> <img src='http://example.com/i.png' alt=\"x src=y\"> <a HREF=http://other.org/>o</a></p>"
        );
        assert!(matches!(
            resolve_html_links("<p>no links</p>", &base),
            Cow::Borrowed(_)
        ));
        assert_eq!(resolve(&base, "mailto:a@b.c"), None);
    }
}
