//! A light tag scanner for the text-level repairs in `fixup` and `elements`.
//!
//! In: document text. Out: positions, names and attribute values of tags, the
//! elements open at a point, and element contents rewritten in place. It is not
//! an XML parser: it only has to be right on the first few tags of a document,
//! on tag nesting (comments, CDATA, processing instructions and quoted `>` in
//! attributes are skipped), and on simple `<name>text</name>` elements.

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
pub fn end_of_declaration(rest: &str) -> Option<usize> {
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

pub fn tag_name(after_lt: &str) -> &str {
    let end = after_lt
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(after_lt.len());
    &after_lt[..end]
}

/// The local part of a possibly prefixed element name (`rdf:RDF` → `RDF`).
pub fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Length of the start tag at the beginning of `s` (through its `>`),
/// skipping `>` inside quoted attribute values.
pub fn start_tag_len(s: &str) -> Option<usize> {
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
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    attribute_span(tag, name).map(|(_, _, value)| value)
}

/// Where attribute `name` sits in `tag`: (start, end, value).
pub fn attribute_span(tag: &str, name: &str) -> Option<(usize, usize, String)> {
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

pub fn remove_attribute(attrs: &str, name: &str) -> String {
    match attribute_span(attrs, name) {
        Some((start, end, _)) => format!("{}{}", &attrs[..start], &attrs[end..]),
        None => attrs.to_string(),
    }
}

/// Renames unprefixed element `old` to `new` (start, end and empty tags).
pub fn rename_element(text: &str, old: &str, new: &str) -> String {
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

/// Applies `f` to the content of every `<name ...>...</name>` in `text`.
pub fn map_element_text(text: &str, name: &str, f: fn(&str) -> String) -> String {
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

/// Resolves XML's predefined entities in an attribute value (`&amp;` in URLs).
pub fn unescape_attribute(value: &str) -> String {
    value
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text of the first element whose (possibly prefixed) local name is `local`.
pub fn element_text<'a>(text: &'a str, local: &str) -> Option<&'a str> {
    let needle = format!(":{local}>");
    let at = text.find(&needle)? + needle.len();
    let end = at + text[at..].find('<')?;
    Some(text[at..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
