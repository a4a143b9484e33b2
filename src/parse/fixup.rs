//! Text-level repairs applied to a decoded feed before feed-rs sees it.
//!
//! In: the document as UTF-8 text. Out: the same document with the quirks
//! feed-rs trips on removed. Each repair is a small pure function:
//! leading junk before the XML (PHP warnings, stray whitespace, a BOM decoded
//! as U+FEFF), the XML declaration's `encoding` (the text is UTF-8 by now), a
//! bare `<rss>` with no or an unknown `version`, Atom 0.3 (old namespace and
//! element names), and a document truncated mid-entry (cut after the last
//! complete entry and close what was open). A light tag scanner
//! ([`first_element`], [`open_elements`]) serves them; it is not an XML parser
//! and only has to be right on the first few tags and on tag nesting.

use std::borrow::Cow;

/// The Atom 0.3 namespace (<http://purl.org/atom/ns#>), which feed-rs does not know.
const ATOM03_NS: &str = "http://purl.org/atom/ns#";
/// The Atom 1.0 namespace (RFC 4287).
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// Removes anything before the document proper: whitespace, a decoded BOM,
/// and junk text or markup printed ahead of `<?xml` (a server-side warning).
pub fn strip_leading_junk(text: &str) -> &str {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.starts_with("<?xml") || trimmed.starts_with('{') {
        return trimmed;
    }
    // `<?xml` further in: everything before it is junk (a declaration is only
    // legal at the very start).
    let head_end = floor_char_boundary(trimmed, 8192);
    if let Some(at) = trimmed[..head_end].find("<?xml") {
        return &trimmed[at..];
    }
    if trimmed.starts_with('<') {
        return trimmed;
    }
    // Text before the first tag, e.g. "Warning: ..." then `<rss>`.
    match trimmed.find('<') {
        Some(at) => &trimmed[at..],
        None => trimmed,
    }
}

fn floor_char_boundary(s: &str, index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    (0..=index)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Rewrites the XML declaration (if any) to say UTF-8: the text has been
/// decoded already and quick-xml would otherwise decode it a second time.
pub fn declare_utf8(text: &str) -> Cow<'_, str> {
    if !text.starts_with("<?xml") {
        return Cow::Borrowed(text);
    }
    match text.find("?>") {
        Some(end) => {
            let mut out = String::with_capacity(text.len());
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            out.push_str(&text[end + 2..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// The first start tag of the document: byte offset of its `<` and its name.
/// Skips processing instructions, comments and a DOCTYPE (with an internal subset).
pub fn first_element(text: &str) -> Option<(usize, &str)> {
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let skip = rest.len() - rest.trim_start().len();
        pos += skip;
        let rest = &text[pos..];
        if rest.starts_with("<?") {
            pos += rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            pos += rest.find("-->")? + 3;
        } else if rest.starts_with("<!") {
            pos += end_of_declaration(rest)?;
        } else if let Some(after) = rest.strip_prefix('<') {
            let name = tag_name(after);
            return (!name.is_empty()).then_some((pos, name));
        } else {
            // Text before any element: step to the next tag.
            pos += rest.find('<')?;
        }
    }
}

/// Length of a `<!...>` declaration, honouring a `[...]` internal subset.
fn end_of_declaration(rest: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn tag_name(after_lt: &str) -> &str {
    let end = after_lt
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(after_lt.len());
    &after_lt[..end]
}

/// The local part of a possibly prefixed element name (`rdf:RDF` → `RDF`).
pub fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Gives a root `<rss>` a version feed-rs dispatches on: none, empty or an
/// unknown one (`0.93`, `0.94`, `2.01`) becomes `2.0`; `0.91`/`0.92` stay.
pub fn fix_rss_version(text: &str) -> Cow<'_, str> {
    let Some((start, name)) = first_element(text) else {
        return Cow::Borrowed(text);
    };
    if !name.eq_ignore_ascii_case("rss") {
        return Cow::Borrowed(text);
    }
    let Some(tag_len) = start_tag_len(&text[start..]) else {
        return Cow::Borrowed(text);
    };
    let tag = &text[start..start + tag_len];
    let version = attribute(tag, "version");
    if matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92")) && name == "rss" {
        return Cow::Borrowed(text);
    }
    let mut rebuilt = String::from("<rss version=\"2.0\"");
    let attrs_start = 1 + name.len();
    let attrs = &tag[attrs_start..tag.len() - 1];
    rebuilt.push_str(&remove_attribute(attrs, "version"));
    rebuilt.push('>');
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    out.push_str(&rebuilt);
    out.push_str(&text[start + tag_len..]);
    // A lower-case-insensitive `<RSS>` root needs a matching end tag.
    if name != "rss" {
        out = out.replace(&format!("</{name}>"), "</rss>");
    }
    Cow::Owned(out)
}

/// Length of the start tag at the beginning of `s` (through its `>`),
/// skipping `>` inside quoted attribute values.
fn start_tag_len(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a start tag, if present.
fn attribute(tag: &str, name: &str) -> Option<String> {
    attribute_span(tag, name).map(|(_, _, value)| value)
}

/// Where attribute `name` sits in `tag`: (start, end, value).
fn attribute_span(tag: &str, name: &str) -> Option<(usize, usize, String)> {
    let bytes = tag.as_bytes();
    let mut search = 0;
    while let Some(found) = tag[search..].find(name) {
        let at = search + found;
        search = at + name.len();
        let before_ok = at > 0 && bytes[at - 1].is_ascii_whitespace();
        if !before_ok {
            continue;
        }
        let rest = tag[search..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value_start = tag.len() - rest.len() + 1;
        let close = tag[value_start..].find(quote)?;
        let end = value_start + close + 1;
        return Some((
            at,
            end,
            tag[value_start..value_start + close].trim().to_string(),
        ));
    }
    None
}

fn remove_attribute(attrs: &str, name: &str) -> String {
    match attribute_span(attrs, name) {
        Some((start, end, _)) => format!("{}{}", &attrs[..start], &attrs[end..]),
        None => attrs.to_string(),
    }
}

/// True when the document is Atom 0.3 (old namespace or `version="0.3"` on `<feed>`).
pub fn is_atom03(text: &str) -> bool {
    let Some((start, name)) = first_element(text) else {
        return false;
    };
    if local_name(name) != "feed" {
        return false;
    }
    let tag = start_tag_len(&text[start..]).map_or("", |len| &text[start..start + len]);
    tag.contains(ATOM03_NS) || attribute(tag, "version").as_deref() == Some("0.3")
}

/// Rewrites Atom 0.3 into the Atom 1.0 feed-rs reads: the namespace, and the
/// renamed elements (`issued` → `published`, `modified` → `updated`,
/// `tagline` → `subtitle`). `created` is dropped in favour of `issued`.
pub fn atom03_to_atom10(text: &str) -> String {
    let mut out = if text.contains(ATOM03_NS) {
        text.replace(ATOM03_NS, ATOM10_NS)
    } else {
        // `version="0.3"` with no namespace: feed-rs defaults to Atom 1.0.
        text.to_string()
    };
    for (old, new) in [
        ("issued", "published"),
        ("modified", "updated"),
        ("tagline", "subtitle"),
    ] {
        out = rename_element(&out, old, new);
    }
    out
}

/// Renames unprefixed element `old` to `new` (start, end and empty tags).
fn rename_element(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let (slash, name_part) = match tail.strip_prefix('/') {
            Some(t) => ("/", t),
            None => ("", tail),
        };
        if tag_name(name_part) == old {
            out.push('<');
            out.push_str(slash);
            out.push_str(new);
            rest = &name_part[old.len()..];
        } else {
            out.push('<');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Repairs a document truncated mid-entry: cuts it after the last complete
/// `</item>` or `</entry>` and closes the elements still open there. `None`
/// when there is no complete entry or nothing needs closing.
pub fn close_truncated(text: &str) -> Option<String> {
    let cut = ["</item>", "</entry>"]
        .iter()
        .filter_map(|end| text.rfind(end).map(|at| at + end.len()))
        .max()?;
    let prefix = &text[..cut];
    let open = open_elements(prefix)?;
    if open.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(cut + 64);
    out.push_str(prefix);
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some(out)
}

/// The elements still open at the end of `text`, outermost first. `None` when
/// the markup cannot be followed (an unterminated comment or tag).
pub fn open_elements(text: &str) -> Option<Vec<&str>> {
    let mut stack: Vec<&str> = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find('<') {
        pos += found;
        let rest = &text[pos..];
        if rest.starts_with("<!--") {
            pos += rest.find("-->")? + 3;
        } else if rest.starts_with("<![CDATA[") {
            pos += rest.find("]]>")? + 3;
        } else if rest.starts_with("<?") {
            pos += rest.find("?>")? + 2;
        } else if rest.starts_with("<!") {
            pos += end_of_declaration(rest)?;
        } else if let Some(after) = rest.strip_prefix("</") {
            let name = tag_name(after);
            // Pop to the matching element; tolerate a stray end tag.
            if let Some(depth) = stack.iter().rposition(|open| *open == name) {
                stack.truncate(depth);
            }
            pos += rest.find('>')? + 1;
        } else {
            let len = start_tag_len(rest)?;
            let name = tag_name(&rest[1..]);
            if !rest[..len].ends_with("/>") && !name.is_empty() {
                stack.push(name);
            }
            pos += len;
        }
    }
    Some(stack)
}

/// Elements whose text feed-rs splits into a name and an e-mail address.
const PERSON_ELEMENTS: &[&str] = &["author", "managingEditor", "webMaster", "dc:creator"];

/// Puts spaces around e-mail addresses inside person elements.
///
/// feed-rs 3.0 slices the text one byte before or after the address it finds,
/// which panics when that byte is inside a multi-byte character
/// (`Пётр—editor@rt.com`). With a space on each side the slice is safe and the
/// name is unchanged once trimmed.
pub fn pad_person_emails(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for name in PERSON_ELEMENTS {
        out = map_element_text(&out, name, pad_emails);
    }
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Applies `f` to the content of every `<name ...>...</name>` in `text`.
fn map_element_text(text: &str, name: &str, f: fn(&str) -> String) -> String {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let after_name = &rest[at + open.len()..];
        let is_whole_name = after_name.starts_with(|c: char| c == '>' || c.is_whitespace());
        let Some(tag_len) = start_tag_len(&rest[at..]).filter(|_| is_whole_name) else {
            out.push_str(&rest[..at + open.len()]);
            rest = after_name;
            continue;
        };
        let content_start = at + tag_len;
        let Some(content_len) = rest[content_start..].find(&close) else {
            break;
        };
        out.push_str(&rest[..content_start]);
        out.push_str(&f(&rest[content_start..content_start + content_len]));
        rest = &rest[content_start + content_len..];
    }
    out.push_str(rest);
    out
}

/// Surrounds each e-mail-like token (a run of address characters holding an
/// `@`) with spaces where it touches other characters.
pub fn pad_emails(s: &str) -> String {
    let is_address_char = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    let mut out = String::with_capacity(s.len() + 2);
    let mut chars = s.char_indices().peekable();
    let mut previous: Option<char> = None;
    while let Some((start, c)) = chars.next() {
        if !is_address_char(c) {
            out.push(c);
            previous = Some(c);
            continue;
        }
        let mut end = start + c.len_utf8();
        let mut last = c;
        while let Some(&(i, next)) = chars.peek() {
            if !is_address_char(next) {
                break;
            }
            end = i + next.len_utf8();
            last = next;
            chars.next();
        }
        let token = &s[start..end];
        if token.contains('@') {
            if previous.is_some_and(|p| !p.is_whitespace()) {
                out.push(' ');
            }
            out.push_str(token);
            if chars.peek().is_some_and(|&(_, n)| !n.is_whitespace()) {
                out.push(' ');
            }
        } else {
            out.push_str(token);
        }
        previous = Some(last);
    }
    out
}

/// Date elements that may carry a localised RFC 822 date.
const DATE_ELEMENTS: &[&str] = &["pubDate", "lastBuildDate", "dc:date"];

/// Rewrites Russian month names in RSS date elements to English and drops
/// Russian weekday names (`пт, 14 мар 2025 10:00:00 +0300` →
/// `14 Mar 2025 10:00:00 +0300`), which some Russian CMSs emit and the
/// RFC 822 parser cannot read.
pub fn english_month_names(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    for name in DATE_ELEMENTS {
        let current = out.as_deref().unwrap_or(text);
        if !current.contains(&format!("<{name}")) {
            continue;
        }
        let mapped = map_element_text(current, name, translate_russian_date);
        if mapped != current {
            out = Some(mapped);
        }
    }
    out.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// One date string with Russian month and weekday words translated or dropped.
fn translate_russian_date(date: &str) -> String {
    if !date.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
        return date.to_string();
    }
    const MONTHS: [(&str, &str); 12] = [
        ("янв", "Jan"),
        ("фев", "Feb"),
        ("мар", "Mar"),
        ("апр", "Apr"),
        ("ма", "May"), // май, мая
        ("июн", "Jun"),
        ("июл", "Jul"),
        ("авг", "Aug"),
        ("сен", "Sep"),
        ("окт", "Oct"),
        ("ноя", "Nov"),
        ("дек", "Dec"),
    ];
    let mut words: Vec<String> = Vec::new();
    for word in date.split_whitespace() {
        let letters: String = word
            .chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect();
        let is_cyrillic = letters
            .chars()
            .next()
            .is_some_and(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        if !is_cyrillic {
            words.push(word.to_string());
            continue;
        }
        let month = MONTHS
            .iter()
            .find(|(prefix, _)| {
                letters.starts_with(prefix) && !(*prefix == "ма" && letters.starts_with("мар"))
            })
            .map(|(_, english)| *english);
        // Anything else Cyrillic is a weekday (пн, вторник): optional in
        // RFC 822, so it is dropped.
        if let Some(english) = month {
            words.push(english.to_string());
        }
    }
    words.join(" ")
}

/// The `media:thumbnail` URL of each `<item>` / `<entry>`, in document order.
///
/// feed-rs drops a thumbnail that has no `media:content` beside it, which is
/// how many news feeds attach their picture. The caller uses this only when
/// the count matches the entries feed-rs returned.
pub fn entry_thumbnails(text: &str) -> Vec<Option<String>> {
    let mut starts = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find('<') {
        let at = pos + found;
        let name = tag_name(&text[at + 1..]);
        if name == "item" || name == "entry" {
            starts.push(at);
        }
        pos = at + 1;
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let scope = &text[start..end];
            let at = scope.find("<media:thumbnail")?;
            let len = start_tag_len(&scope[at..])?;
            attribute(&scope[at..at + len], "url")
                .map(|u| unescape_attribute(&u))
                .filter(|u| !u.is_empty())
        })
        .collect()
}

/// Resolves XML's predefined entities in an attribute value (`&amp;` in URLs).
fn unescape_attribute(value: &str) -> String {
    value
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Reads the `sy:updatePeriod` / `sy:updateFrequency` pair (RSS Syndication
/// module) and returns the implied refresh interval in seconds.
pub fn syndication_interval_secs(text: &str) -> Option<u64> {
    let period = element_text(text, "updatePeriod")?;
    let period_secs: u64 = match period.to_ascii_lowercase().as_str() {
        "hourly" => 3_600,
        "daily" => 86_400,
        "weekly" => 7 * 86_400,
        "monthly" => 30 * 86_400,
        "yearly" => 365 * 86_400,
        _ => return None,
    };
    let frequency = element_text(text, "updateFrequency")
        .and_then(|f| f.parse::<u64>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some(period_secs / frequency)
}

/// Text of the first element whose (possibly prefixed) local name is `local`.
fn element_text<'a>(text: &'a str, local: &str) -> Option<&'a str> {
    let needle = format!(":{local}>");
    let at = text.find(&needle)? + needle.len();
    let end = at + text[at..].find('<')?;
    Some(text[at..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_junk_before_declaration() {
        let doc = "\n\n<br />\n<b>Warning</b>: headers sent\n<?xml version=\"1.0\"?><rss/>";
        assert!(strip_leading_junk(doc).starts_with("<?xml"));
        assert_eq!(strip_leading_junk("  \u{feff}<rss/>"), "<rss/>");
        assert_eq!(strip_leading_junk("garbage<rss/>"), "<rss/>");
    }

    #[test]
    fn declaration_rewritten_to_utf8() {
        let doc = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss/>";
        assert_eq!(
            declare_utf8(doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>"
        );
    }

    #[test]
    fn finds_root_past_prolog() {
        let doc = "<?xml version=\"1.0\"?><!-- c --><!DOCTYPE rss [<!ENTITY x \"y\">]>\n<rss version=\"2.0\">";
        assert_eq!(first_element(doc).map(|(_, n)| n), Some("rss"));
        assert_eq!(
            first_element("<rdf:RDF xmlns:rdf=\"x\">").map(|(_, n)| n),
            Some("rdf:RDF")
        );
        assert_eq!(first_element("no markup"), None);
    }

    #[test]
    fn bare_and_odd_rss_versions() {
        assert_eq!(
            fix_rss_version("<rss><channel/></rss>"),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        let odd = "<rss xmlns:dc=\"d\" version='0.94'><channel/></rss>";
        assert_eq!(
            fix_rss_version(odd),
            "<rss version=\"2.0\" xmlns:dc=\"d\" ><channel/></rss>"
        );
        let fine = "<rss version=\"0.91\"><channel/></rss>";
        assert!(matches!(fix_rss_version(fine), Cow::Borrowed(_)));
    }

    #[test]
    fn atom03_rewrite() {
        let doc = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline>t</tagline><entry><issued>2024-01-01T00:00:00Z</issued><modified>x</modified></entry></feed>";
        assert!(is_atom03(doc));
        let out = atom03_to_atom10(doc);
        assert!(out.contains(ATOM10_NS));
        assert!(out.contains("<published>2024-01-01T00:00:00Z</published>"));
        assert!(out.contains("<updated>x</updated>"));
        assert!(out.contains("<subtitle>t</subtitle>"));
        assert!(!is_atom03("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    }

    #[test]
    fn truncated_document_closed_after_last_entry() {
        let doc = "<rss version=\"2.0\"><channel><title>a > b</title><item><title>1</title></item><item><title>2</ti";
        assert_eq!(
            close_truncated(doc).as_deref(),
            Some(
                "<rss version=\"2.0\"><channel><title>a > b</title><item><title>1</title></item></channel></rss>"
            )
        );
        let rdf = "<rdf:RDF><channel></channel><item><![CDATA[<x>]]></item><item>";
        assert_eq!(
            close_truncated(rdf).as_deref(),
            Some("<rdf:RDF><channel></channel><item><![CDATA[<x>]]></item></rdf:RDF>")
        );
        assert_eq!(close_truncated("<rss><channel><item>"), None);
    }

    #[test]
    fn emails_in_person_elements_are_padded() {
        assert_eq!(pad_emails("Пётр—editor@rt.com"), "Пётр— editor@rt.com");
        assert_eq!(pad_emails("editor@rt.com (Ivan)"), "editor@rt.com (Ivan)");
        assert_eq!(pad_emails("<desk@tass.ru>"), "< desk@tass.ru >");
        assert_eq!(pad_emails("no address"), "no address");
        let doc = "<item><author>Пётр—editor@rt.com</author><authority>a@b.c—x</authority></item>";
        assert_eq!(
            pad_person_emails(doc),
            "<item><author>Пётр— editor@rt.com</author><authority>a@b.c—x</authority></item>"
        );
    }

    #[test]
    fn russian_dates_become_english() {
        let doc = "<item><pubDate>Пт, 14 мар 2025 10:00:00 +0300</pubDate><dc:date>3 мая 2025 08:00:00 +0300</dc:date><title>мар</title></item>";
        assert_eq!(
            english_month_names(doc),
            "<item><pubDate>14 Mar 2025 10:00:00 +0300</pubDate><dc:date>3 May 2025 08:00:00 +0300</dc:date><title>мар</title></item>"
        );
        let english = "<pubDate>Fri, 14 Mar 2025 10:00:00 +0300</pubDate>";
        assert!(matches!(english_month_names(english), Cow::Borrowed(_)));
    }

    #[test]
    fn thumbnails_per_entry() {
        let doc = "<rss><channel><items/><item><media:thumbnail url=\"a.jpg?w=1&amp;h=2\"/></item><item></item></channel></rss>";
        assert_eq!(
            entry_thumbnails(doc),
            vec![Some("a.jpg?w=1&h=2".to_string()), None]
        );
    }

    #[test]
    fn syndication_module_interval() {
        let doc =
            "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>";
        assert_eq!(syndication_interval_secs(doc), Some(900));
        assert_eq!(
            syndication_interval_secs("<sy:updatePeriod>daily</sy:updatePeriod>"),
            Some(86_400)
        );
        assert_eq!(syndication_interval_secs("<rss/>"), None);
    }
}
