//! Reading charset labels: the HTTP header's `charset` parameter, the XML
//! declaration's `encoding`, and the HTML `<meta>` prescan.
//!
//! In: a header value or the first bytes of a document. Out: the label as
//! written (unquoted, trimmed), or `None`. Which label wins is `super`'s call.

/// How far into a page to look for a `<meta>` charset declaration. The HTML
/// standard's prescan stops at 1,024 bytes; real news pages put a kilobyte or
/// more of scripts and comments ahead of it, so the search goes further.
const META_PRESCAN: usize = 4096;

/// The `charset` parameter of a `Content-Type` header value, unquoted.
/// Tolerates spaces around `=` (`charset = us-ascii`) and quotes with spaces
/// inside (`charset= "us-ascii"`).
pub fn header_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The `encoding` pseudo-attribute of the XML declaration, if the body starts
/// (after whitespace or stray bytes) with one.
pub fn xml_declared_encoding(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(1024)];
    let start = find(head, b"<?xml")?;
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = find(decl, b"encoding")? + "encoding".len();
    let rest = trim_start(&decl[at..]).strip_prefix(b"=")?;
    let rest = trim_start(rest);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.iter().position(|&b| b == quote)?;
    let label = std::str::from_utf8(&value[..close]).ok()?.trim();
    (!label.is_empty()).then(|| label.to_string())
}

/// The charset of the first `<meta charset=…>` or `<meta http-equiv=…
/// content="…; charset=…">` in the first 4,096 bytes. Comments are
/// skipped, so a commented-out declaration does not count.
pub fn meta_charset_label(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(META_PRESCAN)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while from < lower.len() {
        let rest = &lower[from..];
        let Some(lt) = rest.iter().position(|&b| b == b'<') else {
            break;
        };
        let at = from + lt;
        if lower[at..].starts_with(b"<!--") {
            from = find(&lower[at + 4..], b"-->").map_or(lower.len(), |e| at + 4 + e + 3);
            continue;
        }
        let is_meta = lower[at..].starts_with(b"<meta")
            && lower
                .get(at + 5)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/');
        let end = lower[at..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| at + e);
        if is_meta && let Some(label) = charset_in_tag(&head[at..end], &lower[at..end]) {
            return Some(label);
        }
        from = end.max(at + 1);
    }
    None
}

/// The value after `charset` (followed by `=`) in a tag, from the original
/// bytes (`tag`) at the positions found in their lower-cased copy.
fn charset_in_tag(tag: &[u8], lower: &[u8]) -> Option<String> {
    let mut search = 0;
    while let Some(found) = find(&lower[search..], b"charset") {
        let after = search + found + "charset".len();
        search = after;
        let Some(value) = trim_start(&tag[after..]).strip_prefix(b"=") else {
            continue;
        };
        let value = trim_start(value);
        let value = value
            .strip_prefix(b"\"")
            .or_else(|| value.strip_prefix(b"'"))
            .unwrap_or(value);
        let len = value
            .iter()
            .position(|&b| {
                matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace()
            })
            .unwrap_or(value.len());
        let label = std::str::from_utf8(&value[..len]).ok()?.trim();
        if !label.is_empty() {
            return Some(label.to_string());
        }
    }
    None
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_forms() {
        assert_eq!(
            header_charset("text/xml; charset=UTF-8").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(
            header_charset("text/xml;charset='cp1251'").as_deref(),
            Some("cp1251")
        );
        assert_eq!(
            header_charset("text/xml;charset = us-ascii").as_deref(),
            Some("us-ascii")
        );
        assert_eq!(
            header_charset("text/xml;charset= \"us-ascii\"").as_deref(),
            Some("us-ascii")
        );
        assert_eq!(header_charset("text/xml; charset:iso-8859-1"), None);
        assert_eq!(header_charset("text/xml"), None);
        assert_eq!(header_charset("text/xml; charset="), None);
    }

    #[test]
    fn xml_declaration_forms() {
        let doc = b"<?xml version='1.0' encoding = 'KOI8-R' ?><rss/>";
        assert_eq!(xml_declared_encoding(doc).as_deref(), Some("KOI8-R"));
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\"?><rss/>"),
            None
        );
    }

    #[test]
    fn meta_forms() {
        assert_eq!(
            meta_charset_label(b"<meta charset=windows-1251>").as_deref(),
            Some("windows-1251")
        );
        assert_eq!(
            meta_charset_label(
                b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; Charset=koi8-r\">"
            )
            .as_deref(),
            Some("koi8-r")
        );
        assert_eq!(meta_charset_label(b"<meta name=x content=y>"), None);
        assert_eq!(
            meta_charset_label(b"<!-- <meta charset=big5> --><meta charset=\"gbk\">").as_deref(),
            Some("gbk")
        );
        assert_eq!(meta_charset_label(b"<metadata charset=big5>"), None);
    }
}
