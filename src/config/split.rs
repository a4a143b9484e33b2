//! Reading a long feed list a slice at a time.
//!
//! `toml::from_str` builds the whole document as a tree of spanned values
//! before a field is deserialised: about 2 KB per `[[feeds]]` table, 200 MB
//! for a 100,000-feed config beside the config it becomes (issue 17). Here
//! TOML's own lexer (`toml_parser`, which `toml` uses; strings and arrays
//! spanning lines are single tokens or tracked, so nothing inside a value is
//! taken for a header) finds the top-level `[[feeds]]` tables; the rest of
//! the document is parsed alone, and the feed tables [`BATCH`] at a time, so
//! only one slice's tree exists at once.
//!
//! This is only a faster road to the same result: anything it does not
//! expect (another header naming `feeds`, a `feeds` key outside `[[feeds]]`,
//! any parse error) makes [`parse`] return `None`, and the caller parses the
//! whole document as before, which gives the same values and the same
//! errors.

use std::ops::Range;

use serde::Deserialize;
use toml_parser::lexer::TokenKind;

use super::{RawConfig, RawFeed};

/// Feed tables parsed together.
pub(super) const BATCH: usize = 1024;

/// The config parsed slice by slice, or `None` when the document is not the
/// plain shape this handles (or has any error): parse it whole then.
pub(super) fn parse(source: &str) -> Option<RawConfig> {
    let feeds = feed_tables(source)?;
    if feeds.is_empty() {
        return None;
    }
    // Everything that is not a feed table, in order.
    let mut rest = String::new();
    let mut at = 0;
    for table in &feeds {
        rest.push_str(&source[at..table.start]);
        rest.push('\n');
        at = table.end;
    }
    rest.push_str(&source[at..]);
    let mut raw: RawConfig = toml::from_str(&rest).ok()?;
    if !raw.feeds.is_empty() {
        return None;
    }
    drop(rest);
    raw.feeds.reserve_exact(feeds.len());
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        feeds: Vec<RawFeed>,
    }
    let mut text = String::new();
    for batch in feeds.chunks(BATCH) {
        text.clear();
        for table in batch {
            text.push_str(&source[table.clone()]);
            text.push('\n');
        }
        let parsed: Batch = toml::from_str(&text).ok()?;
        if parsed.feeds.len() != batch.len() {
            return None;
        }
        raw.feeds.extend(parsed.feeds);
    }
    Some(raw)
}

/// The byte ranges of the top-level `[[feeds]]` tables, each from its
/// header to the next header (or the end); `None` when a header other than
/// a plain `[[feeds]]` mentions `feeds`.
fn feed_tables(source: &str) -> Option<Vec<Range<usize>>> {
    let mut tables: Vec<Range<usize>> = Vec::new();
    // The feed table being read, from its header's start.
    let mut open: Option<usize> = None;
    // Brackets and braces open inside a value: a newline there does not
    // start a line where a header may be.
    let mut depth = 0usize;
    let mut line_start = true;
    let mut tokens = toml_parser::Source::new(source).lex().peekable();
    while let Some(token) = tokens.next() {
        let span = token.span();
        match token.kind() {
            TokenKind::Eof => break,
            TokenKind::Whitespace => continue,
            TokenKind::Newline => {
                line_start = depth == 0;
                continue;
            }
            TokenKind::LeftSquareBracket if line_start && depth == 0 => {
                // A header: read it to the end of its line.
                let start = span.start();
                let mut text = String::from("[");
                while let Some(next) = tokens.peek() {
                    if matches!(next.kind(), TokenKind::Newline | TokenKind::Eof) {
                        break;
                    }
                    if !matches!(next.kind(), TokenKind::Whitespace | TokenKind::Comment) {
                        text.push_str(&source[next.span().start()..next.span().end()]);
                    }
                    tokens.next();
                }
                if let Some(from) = open.take() {
                    tables.push(from..start);
                }
                if text == "[[feeds]]" {
                    open = Some(start);
                } else if text.contains("feeds") {
                    return None;
                }
            }
            // A key named `feeds` outside a feed table's header (`feeds =
            // [...]`, `feeds.x = 1`): the whole parse says what it means.
            TokenKind::Atom | TokenKind::BasicString | TokenKind::LiteralString
                if line_start
                    && depth == 0
                    && source[span.start()..span.end()].trim_matches(['"', '\'']) == "feeds" =>
            {
                return None;
            }
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        line_start = false;
    }
    if let Some(from) = open {
        tables.push(from..source.len());
    }
    Some(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_tables_are_found_by_the_lexer_not_by_lines() {
        let source = "[storage]\npath = \"x.db\"\n\n[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\n\
             tags = [\n\"[[feeds]]\",\n]\nselector = '''\n[[feeds]]\n'''\n\n[fetch]\nconcurrency = 2\n\
             [[ feeds ]] # the second\nname = \"b\"\nurl = \"https://b.example/\"\n";
        let tables = feed_tables(source).expect("plain shape");
        assert_eq!(tables.len(), 2);
        assert!(source[tables[0].clone()].starts_with("[[feeds]]\nname = \"a\""));
        assert!(source[tables[0].clone()].ends_with("'''\n\n"));
        assert!(source[tables[1].clone()].starts_with("[[ feeds ]] # the second"));
        let raw = parse(source).expect("parsed in slices");
        assert_eq!(raw.feeds.len(), 2);
        assert_eq!(raw.feeds[0].tags, vec!["[[feeds]]".to_string()]);
        assert_eq!(raw.feeds[1].name, "b");
        assert_eq!(raw.fetch.concurrency, Some(2));
    }

    #[test]
    fn other_shapes_and_errors_are_left_to_the_whole_parse() {
        for source in [
            // No feed tables.
            "[storage]\npath = \"x.db\"\n",
            // A sub-table of a feed.
            "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\n[feeds.extra]\nx = 1\n",
            // Feeds as an inline array beside feed tables.
            "feeds = []\n[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\n",
            // A quoted header.
            "[[\"feeds\"]]\nname = \"a\"\nurl = \"https://a.example/\"\n",
            // An error inside a feed table.
            "[[feeds]]\nname = \"a\"\nurl = \"ftp://a.example/\"\n",
            // A table the feed batch does not know, swallowed by an open array.
            "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\ntags = [\n[fetch]\n",
        ] {
            assert!(parse(source).is_none(), "{source}");
        }
    }
}
