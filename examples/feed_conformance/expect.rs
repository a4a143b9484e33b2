//! The value checks of the conformance run: `field == 'literal'` clauses of
//! feedparser's `Expect:` lines, read and compared with what newswire parsed.

use newswire::parse::{ParsedFeed, plain_text};

/// One `field == 'literal'` clause of an `Expect:` line.
pub struct ValueCheck {
    /// As written, e.g. `entries[0]['link']`.
    pub field: String,
    /// `None` for the feed, else the entry index.
    entry: Option<usize>,
    /// The key path after `feed` / `entries[n]`, e.g. `["title_detail", "value"]`.
    path: Vec<String>,
    expected: String,
}

impl ValueCheck {
    fn is_title(&self) -> bool {
        self.path.first().is_some_and(|k| k == "title")
    }

    pub fn normalised_expected(&self) -> String {
        if self.is_title() {
            plain_text(&self.expected).unwrap_or_default()
        } else {
            self.expected.clone()
        }
    }

    /// The value newswire has for the field; `None` when it has none.
    pub fn actual(&self, feed: &ParsedFeed) -> Option<String> {
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match self.entry {
            None => match path.as_slice() {
                ["title"] | ["title", "value"] => feed.title.clone(),
                ["link"] => feed.site_url.clone(),
                ["language"] => feed.language.clone(),
                _ => None,
            },
            Some(n) => {
                let entry = feed.entries.get(n)?;
                match path.as_slice() {
                    ["title"] | ["title", "value"] => entry.title.clone(),
                    ["link"] => entry.link.clone(),
                    ["id"] => entry.guid.clone(),
                    [_, "language"] => entry.language.clone(),
                    _ => None,
                }
            }
        }
    }

    /// Whether newswire models this field at all.
    fn supported(&self) -> bool {
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match self.entry {
            None => matches!(
                path.as_slice(),
                ["title"] | ["title", "value"] | ["link"] | ["language"]
            ),
            Some(_) => matches!(
                path.as_slice(),
                ["title"]
                    | ["title", "value"]
                    | ["link"]
                    | ["id"]
                    | ["title", "language"]
                    | ["summary", "language"]
                    | ["content", "language"]
            ),
        }
    }
}

/// The supported `field == literal` clauses of an `Expect:` expression.
pub fn value_checks(expect: &str) -> Vec<ValueCheck> {
    let mut checks = Vec::new();
    let mut rest = expect;
    while let Some(at) = ["feed[", "entries["]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        rest = &rest[at..];
        let (entry, mut tail) = if let Some(t) = rest.strip_prefix("entries[") {
            let close = t.find(']').unwrap_or(0);
            (t[..close].parse::<usize>().ok(), &t[close + 1..])
        } else {
            (None, &rest["feed".len()..])
        };
        let is_entry = rest.starts_with("entries[");
        let mut path = Vec::new();
        // `['key']` segments; `[0]` indexes (content[0]) are skipped.
        while let Some(t) = tail.strip_prefix('[') {
            let close = t.find(']').unwrap_or(t.len());
            let segment = t[..close].trim_matches(['\'', '"']);
            if segment.parse::<usize>().is_err() {
                path.push(segment.to_string());
            }
            tail = &t[(close + 1).min(t.len())..];
        }
        let field = &rest[..rest.len() - tail.len()];
        rest = tail;
        let Some(literal) = tail.trim_start().strip_prefix("==") else {
            continue;
        };
        let Some((expected, after)) = python_string(literal.trim_start()) else {
            continue;
        };
        rest = after;
        let check = ValueCheck {
            field: field.to_string(),
            entry: if is_entry { entry.or(Some(0)) } else { None },
            path,
            expected,
        };
        if check.supported() {
            checks.push(check);
        }
    }
    checks
}

/// A Python string literal (`'…'`, `u"…"`) at the start of `s`, unescaped,
/// and the text after it.
fn python_string(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix(['u', 'b']).unwrap_or(s);
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, &s[1 + i + 1..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, escaped) = chars.next()?;
        let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| {
            let digits: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
        };
        match escaped {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'x' => out.push(hex(&mut chars, 2)?),
            'u' => out.push(hex(&mut chars, 4)?),
            'U' => out.push(hex(&mut chars, 8)?),
            other => out.push(other),
        }
    }
    None
}
