//! Entity references: those a DOCTYPE declares, and how any reference is
//! written out for feed-rs (which knows only XML's five).

use std::collections::HashMap;

use quick_xml::escape::{escape, unescape};

/// `<!ENTITY name "value">` declarations of a DOCTYPE's internal subset
/// (general, internal entities only; a value's own references are kept).
pub(super) fn declared(doctype: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let mut rest = doctype;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + "<!ENTITY".len()..];
        let mut words = rest.trim_start();
        if words.starts_with('%') {
            continue;
        }
        let name_len = words
            .find(|c: char| c.is_whitespace())
            .unwrap_or(words.len());
        let name = &words[..name_len];
        words = words[name_len..].trim_start();
        let Some(quote) = words.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(close) = words[1..].find(quote) else {
            break;
        };
        let value = &words[1..1 + close];
        let value = unescape(value).map_or_else(|_| value.to_string(), |v| v.into_owned());
        found.insert(name.to_string(), value);
    }
    found
}

/// How the reference `&name;` is written for feed-rs: XML's five and valid
/// character references as they are, a declared entity expanded, an HTML one
/// as a character reference, anything else escaped to show as written.
pub(super) fn written(name: &str, declared: &HashMap<String, String>) -> String {
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return format!("&{name};");
    }
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse::<u32>().ok(),
        };
        return match code.and_then(char::from_u32) {
            Some(c) if c != '\0' => format!("&#{};", u32::from(c)),
            _ => format!("&amp;{name};"),
        };
    }
    if let Some(value) = declared.get(name) {
        return escape(value.as_str()).into_owned();
    }
    if let Some(code) = super::super::fixup::html_entity(name) {
        return format!("&#{code};");
    }
    format!("&amp;{name};")
}
