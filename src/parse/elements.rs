//! Element-level repairs and side reads on a decoded feed.
//!
//! In: the document as UTF-8 text. Out: the text with element contents feed-rs
//! mishandles rewritten (e-mail addresses in person elements it would panic
//! on, Russian month names in RSS dates), and facts feed-rs does not report
//! (a lone `media:thumbnail` per entry, the Syndication module's update period).

use std::borrow::Cow;

use super::scan::{
    attribute, element_text, map_element_text, start_tag_len, tag_name, unescape_attribute,
};

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

#[cfg(test)]
mod tests {
    use super::*;

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
