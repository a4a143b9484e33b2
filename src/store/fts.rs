//! The search index over analysed text: what SQLite indexes, how a query is
//! translated, how a snippet is cut.
//!
//! SQLite's own tokenizers cannot split Chinese into words nor stem Russian,
//! so `items_fts` (migration 008) indexes text analysed in Rust by
//! [`crate::stories::analyse`]: the SQL function `newswire_terms(text,
//! language, sample)` that `register` adds to every connection is called by
//! the triggers that keep the index in step. A query goes through the same
//! analyser ([`translate`]): each word becomes the OR of the forms it can
//! have in the index (unstemmed, and stemmed by every stemmer of its script,
//! or only the reader's language), a Chinese word a phrase of its bigrams.
//! The documented syntax is kept: words (all must match), `AND`, `OR`,
//! `NOT`, parentheses, `"a phrase"`, `prefix*`.
//!
//! The index is contentless, so [`snippet`] cuts the passage from the stored
//! text, with the words that matched in `[brackets]`.
//!
//! newswire's own writer does not go through the insert trigger (migration
//! 011): the terms of a new item are made off the writer thread
//! ([`item_terms`], on the CPU workers beside the story fingerprint) and a
//! write inserts the index rows of all its items together just before it
//! commits. A row inserted into `items_fts` between two other statements
//! makes FTS5 flush its pending terms into a new segment at the next
//! statement (its savepoint hook), so a row per item cost a segment per item
//! and the merges that follow, a third of the writer's time. While such a
//! write runs, `newswire_fts_deferred()` is true on the writer's thread and
//! the trigger's `WHEN` skips the row; anywhere else (the article text that
//! arrives later, a re-index) the triggers work as before, and a program
//! that writes `items` without newswire's functions still fails with "no
//! such function" instead of leaving items out of the index.

use std::cell::Cell;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

use crate::model::NewItem;
use crate::stories::analyse::{self, Lang, Word};

thread_local! {
    /// True while a newswire write on this thread indexes its new items
    /// itself ([`PendingSearch`]).
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

pub use crate::model::SearchTerms;

/// The search-index terms of `item`: the same analysis the triggers run,
/// for a caller to make off the store's writer thread.
pub fn item_terms(item: &NewItem) -> SearchTerms {
    terms_of(
        item.title.as_deref(),
        item.content_text.as_deref(),
        item.language.as_deref(),
    )
}

/// The search-index terms of a title and text in `language` (detected
/// from the text when it names none), as `newswire_terms` makes them.
pub fn terms_of(title: Option<&str>, text: Option<&str>, language: Option<&str>) -> SearchTerms {
    let lang = item_language(language, || text.map(str::to_owned));
    SearchTerms {
        title: title.map(|t| analyse::index_text(t, lang)),
        text: text.map(|t| analyse::index_text(t, lang)),
    }
}

/// The search-index rows of the items one write inserts, written together
/// by [`PendingSearch::write`] before the write commits. While one exists,
/// the insert trigger skips the items this thread inserts (module notes).
pub(super) struct PendingSearch {
    rows: Vec<(i64, SearchTerms)>,
    /// The flag as it was before, restored on drop.
    was: bool,
}

impl PendingSearch {
    /// Starts deferring the index rows of items inserted on this thread.
    pub(super) fn begin() -> PendingSearch {
        PendingSearch {
            rows: Vec::new(),
            was: DEFERRED.replace(true),
        }
    }

    /// Queues the index row of item `id`.
    pub(super) fn push(&mut self, id: i64, terms: SearchTerms) {
        self.rows.push((id, terms));
    }

    /// Inserts every queued row (in the caller's transaction) and stops
    /// deferring.
    pub(super) fn write(self, conn: &Connection) -> rusqlite::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        // One statement for every row: FTS5 flushes its pending terms to a
        // new segment at the start of each write statement after its first
        // (its savepoint hook), so a statement per row was a segment per row.
        let rows: Vec<(i64, Option<&str>, Option<&str>)> = self
            .rows
            .iter()
            .map(|(id, t)| (*id, t.title.as_deref(), t.text.as_deref()))
            .collect();
        let json = serde_json::to_string(&rows)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        conn.prepare_cached(
            "INSERT INTO items_fts (rowid, title, content_text)
             SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1)",
        )?
        .execute([json])?;
        Ok(())
    }
}

impl Drop for PendingSearch {
    fn drop(&mut self) {
        DEFERRED.set(self.was);
    }
}

/// Registers `newswire_terms(text, language, sample)`: the analysed terms of
/// `text`, stemmed for the language tag `language`, or, when it is NULL or
/// unknown, for the language detected in `sample` (the item's article text);
/// and `newswire_fts_deferred()`, true while this thread's write indexes its
/// new items itself.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "newswire_terms",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            let tag: Option<String> = ctx.get(1)?;
            let Some(text) = text else {
                return Ok(None);
            };
            let lang = item_language(tag.as_deref(), || {
                ctx.get::<Option<String>>(2).ok().flatten()
            });
            Ok(Some(analyse::index_text(&text, lang)))
        },
    )?;
    // The insert trigger's guard (migration 011, module notes).
    conn.create_scalar_function(
        "newswire_fts_deferred",
        0,
        FunctionFlags::SQLITE_UTF8,
        |_| Ok(DEFERRED.get()),
    )
}

/// The language an item's text is analysed in: its tag when the analyser
/// knows it, else the language detected in `sample()`.
pub fn item_language(tag: Option<&str>, sample: impl FnOnce() -> Option<String>) -> Option<Lang> {
    match tag.and_then(Lang::from_tag) {
        Some(lang) => Some(lang),
        None => sample().and_then(|s| analyse::detect(&s)),
    }
}

/// One piece of a user's query.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// `AND`, `OR`, `NOT`, `(` or `)`, passed through.
    Operator(&'static str),
    /// A bare word, `prefix` when it ended with `*`.
    Word { text: String, prefix: bool },
    /// A quoted phrase.
    Phrase { text: String, prefix: bool },
}

/// Splits a query into operators, words and phrases.
fn pieces(query: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = query.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Piece::Operator("(")),
            ')' => out.push(Piece::Operator(")")),
            '"' => {
                let mut text = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    text.push(c);
                }
                if !closed {
                    // An unterminated quote is not a phrase: its words are
                    // searched as plain words.
                    for w in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
                        if !w.is_empty() {
                            out.push(Piece::Word {
                                text: w.trim_end_matches('*').to_owned(),
                                prefix: w.ends_with('*'),
                            });
                        }
                    }
                    continue;
                }
                let prefix = chars.peek().is_some_and(|(_, c)| *c == '*');
                if prefix {
                    chars.next();
                }
                out.push(Piece::Phrase { text, prefix });
            }
            _ => {
                let mut end = i + c.len_utf8();
                while let Some((j, c)) = chars.peek().copied() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    end = j + c.len_utf8();
                    chars.next();
                }
                let word = &query[i..end];
                match word {
                    "AND" => out.push(Piece::Operator("AND")),
                    "OR" => out.push(Piece::Operator("OR")),
                    "NOT" => out.push(Piece::Operator("NOT")),
                    _ => {
                        let prefix = word.ends_with('*');
                        out.push(Piece::Word {
                            text: word.trim_end_matches('*').to_owned(),
                            prefix,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The distinct analysed forms of one word or phrase (terms one space
/// apart), `None` when it has no words at all.
fn phrases(text: &str, prefix: bool, lang: Option<Lang>) -> Option<Vec<String>> {
    let words = analyse::words(text);
    if words.is_empty() {
        return None;
    }
    // Unstemmed first (items in languages without a stemmer), then each
    // stemmer that applies; a prefix is matched unstemmed only.
    let mut variants: Vec<Option<Lang>> = vec![None];
    if !prefix {
        match lang {
            Some(l) => variants.push(Some(l)),
            None => variants.extend(Lang::ALL.into_iter().map(Some)),
        }
    }
    let mut phrases: Vec<String> = Vec::new();
    for variant in variants {
        if variant.is_some_and(|l| !l.has_stemmer()) {
            continue;
        }
        let terms: Vec<String> = words.iter().map(|w| form(w, variant)).collect();
        let phrase = terms.join(" ");
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    Some(phrases)
}

/// The FTS5 expression for one word or phrase: the OR of the phrases its
/// analysed forms make, `None` when it has no words at all.
fn expand(text: &str, prefix: bool, lang: Option<Lang>) -> Option<String> {
    let phrases = phrases(text, prefix, lang)?;
    let star = if prefix { "*" } else { "" };
    let quoted: Vec<String> = phrases.iter().map(|p| format!("\"{p}\"{star}")).collect();
    Some(if quoted.len() == 1 {
        quoted.concat()
    } else {
        format!("({})", quoted.join(" OR "))
    })
}

/// The indexed form of one word under one stemming variant.
fn form(w: &Word, lang: Option<Lang>) -> String {
    let stemmed = match lang {
        Some(l) if l.script() == w.script => l.stem(&w.text),
        _ => None,
    };
    analyse::fold_diacritics(stemmed.as_deref().unwrap_or(&w.text)).into_owned()
}

/// The FTS5 `MATCH` expression over analysed terms for a user's query
/// (module notes); `lang` narrows stemming to the reader's language filter.
/// `None` when the query has no words.
pub fn translate(query: &str, lang: Option<Lang>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in pieces(query) {
        match piece {
            Piece::Operator(op) => out.push(op.to_owned()),
            Piece::Word { text, prefix } | Piece::Phrase { text, prefix } => {
                if let Some(e) = expand(&text, prefix, lang) {
                    out.push(e);
                }
            }
        }
    }
    let has_terms = out
        .iter()
        .any(|p| !matches!(p.as_str(), "AND" | "OR" | "NOT" | "(" | ")"));
    has_terms.then(|| out.join(" "))
}

/// Every word of the query, ANDed: the fallback when the translated query is
/// not valid FTS5 (a dangling `AND`, unbalanced parentheses).
pub fn translate_plain(query: &str, lang: Option<Lang>) -> Option<String> {
    let parts: Vec<String> = query
        .split_whitespace()
        .filter(|w| !matches!(*w, "AND" | "OR" | "NOT"))
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| c == '(' || c == ')' || c == '"');
            expand(w.trim_end_matches('*'), w.ends_with('*'), lang)
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// Terms of a query, for highlighting: `(term, prefix)` pairs of every form.
pub fn highlight_terms(query: &str, lang: Option<Lang>) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for piece in pieces(query) {
        let (Piece::Word { text, prefix } | Piece::Phrase { text, prefix }) = piece else {
            continue;
        };
        let Some(expr) = expand(&text, prefix, lang) else {
            continue;
        };
        for phrase in expr.split('"').skip(1).step_by(2) {
            for term in phrase.split(' ') {
                let entry = (term.to_owned(), prefix);
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
    }
    out
}

/// The PostgreSQL `to_tsquery('simple', …)` text for a user's query: the
/// same syntax and the same analysed forms as [`translate`] (a phrase is
/// `<->`, a prefix `:*`, `NOT` is `& !`, adjacent words are ANDed). `None`
/// when the query has no words or is not well formed (a dangling operator,
/// unbalanced parentheses): [`tsquery_plain`] is the fallback then.
pub fn tsquery(query: &str, lang: Option<Lang>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in pieces(query) {
        match piece {
            Piece::Operator(op) => out.push(op.to_owned()),
            Piece::Word { text, prefix } | Piece::Phrase { text, prefix } => {
                if let Some(e) = ts_operand(&text, prefix, lang) {
                    out.push(e);
                }
            }
        }
    }
    ts_join(&out)
}

/// Every word of the query ANDed, as [`translate_plain`].
pub fn tsquery_plain(query: &str, lang: Option<Lang>) -> Option<String> {
    let parts: Vec<String> = query
        .split_whitespace()
        .filter(|w| !matches!(*w, "AND" | "OR" | "NOT"))
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| c == '(' || c == ')' || c == '"');
            ts_operand(w.trim_end_matches('*'), w.ends_with('*'), lang)
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// One word or phrase: the OR of its forms, each a `<->` chain of quoted
/// terms (the server's parser reads a quoted term back as one lexeme, or as
/// a phrase of the pieces it splits into, as it did when indexing).
fn ts_operand(text: &str, prefix: bool, lang: Option<Lang>) -> Option<String> {
    let phrases = phrases(text, prefix, lang)?;
    let star = if prefix { ":*" } else { "" };
    let chains: Vec<String> = phrases
        .iter()
        .map(|p| {
            let terms: Vec<String> = p
                .split(' ')
                .map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''")))
                .collect();
            format!("{}{star}", terms.join(" <-> "))
        })
        .collect();
    Some(if chains.len() == 1 && !chains[0].contains("<->") {
        chains.concat()
    } else {
        format!("({})", chains.join(" | "))
    })
}

/// Joins operands and operators into tsquery text when they form a valid
/// expression (operand (op operand)*, parentheses balanced).
fn ts_join(tokens: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut depth = 0usize;
    // Whether the last token ended an operand (a term or a `)`).
    let mut after_operand = false;
    let mut has_terms = false;
    for t in tokens {
        match t.as_str() {
            "AND" | "OR" | "NOT" => {
                if !after_operand {
                    return None;
                }
                out.push_str(match t.as_str() {
                    "AND" => " & ",
                    "OR" => " | ",
                    _ => " & !",
                });
                after_operand = false;
            }
            "(" => {
                if after_operand {
                    out.push_str(" & ");
                }
                out.push('(');
                depth += 1;
                after_operand = false;
            }
            ")" => {
                if !after_operand || depth == 0 {
                    return None;
                }
                out.push(')');
                depth -= 1;
            }
            term => {
                if after_operand {
                    out.push_str(" & ");
                }
                out.push_str(term);
                after_operand = true;
                has_terms = true;
            }
        }
    }
    (after_operand && depth == 0 && has_terms).then_some(out)
}

/// Words a snippet shows.
pub const SNIPPET_WORDS: usize = 16;

/// The passage of `text` (in language `lang`) with the most query terms, at
/// most [`SNIPPET_WORDS`] words, matches in `[brackets]`, `…` where the text
/// goes on; `None` for an empty text.
pub fn snippet(text: &str, lang: Option<Lang>, query: &[(String, bool)]) -> Option<String> {
    let terms = analyse::terms(text, lang);
    if terms.is_empty() {
        return None;
    }
    let hit: Vec<bool> = terms
        .iter()
        .map(|t| {
            query.iter().any(|(q, prefix)| {
                if *prefix {
                    t.text.starts_with(q.as_str())
                } else {
                    t.text == *q
                }
            })
        })
        .collect();
    let width = SNIPPET_WORDS.min(terms.len());
    let mut best = (0usize, 0usize);
    let mut count = hit[..width].iter().filter(|h| **h).count();
    best.1 = count;
    for start in 1..=terms.len() - width {
        count += usize::from(hit[start + width - 1]);
        count -= usize::from(hit[start - 1]);
        if count > best.1 {
            best = (start, count);
        }
    }
    let window = &terms[best.0..best.0 + width];
    let from = window[0].start;
    let at_end = best.0 + width == terms.len();
    // The closing punctuation of a passage that ends the text is shown too.
    let to = if at_end {
        text.len()
    } else {
        window[width - 1].end
    };
    // Matched byte ranges, merged (overlapping bigrams make one bracket).
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (t, h) in window.iter().zip(&hit[best.0..best.0 + width]) {
        if !*h {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if t.start <= last.1 => last.1 = last.1.max(t.end),
            _ => ranges.push((t.start, t.end)),
        }
    }
    let mut out = String::new();
    if best.0 > 0 {
        out.push('…');
    }
    let mut at = from;
    for (s, e) in ranges {
        out.push_str(&text[at..s]);
        out.push('[');
        out.push_str(&text[s..e]);
        out.push(']');
        at = e;
    }
    out.push_str(&text[at..to]);
    if !at_end {
        out.push('…');
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_their_syntax_over_analysed_forms() {
        assert_eq!(translate("航天", None).unwrap(), "\"航天\"");
        assert_eq!(translate("宇航员", None).unwrap(), "\"宇航 航员\"");
        let ru = translate("Малайзия", None).unwrap();
        assert!(ru.contains("\"малайз\"") && ru.contains(" OR "), "{ru}");
        assert_eq!(
            translate("grain AND port*", Some(Lang::En)).unwrap(),
            "\"grain\" AND \"port\"*"
        );
        assert_eq!(
            translate("\"black sea\" OR (ports NOT storm)", Some(Lang::En)).unwrap(),
            "\"black sea\" OR ( (\"ports\" OR \"port\") NOT \"storm\" )"
        );
        assert_eq!(translate("-- , ", None), None);
        assert_eq!(translate("AND", None), None);
        assert_eq!(
            translate_plain("(grain AND", Some(Lang::En)).unwrap(),
            "\"grain\""
        );
    }

    #[test]
    fn tsqueries_keep_the_same_syntax() {
        assert_eq!(
            tsquery("grain AND port*", Some(Lang::En)).unwrap(),
            "'grain' & 'port':*"
        );
        assert_eq!(
            tsquery("\"black sea\" OR (ports NOT storm)", Some(Lang::En)).unwrap(),
            "('black' <-> 'sea') | (('ports' | 'port') & !'storm')"
        );
        assert_eq!(tsquery("宇航员", None).unwrap(), "('宇航' <-> '航员')");
        assert_eq!(
            tsquery("grain wheat", Some(Lang::En)).unwrap(),
            "'grain' & 'wheat'"
        );
        assert_eq!(tsquery("(grain AND", Some(Lang::En)), None);
        assert_eq!(tsquery("NOT grain", Some(Lang::En)), None);
        assert_eq!(
            tsquery_plain("(grain AND", Some(Lang::En)).unwrap(),
            "'grain'"
        );
    }

    #[test]
    fn snippet_brackets_matches_in_the_stored_text() {
        let text = "Власти Малайзии заявили во вторник, что переговоры продолжатся.";
        let terms = highlight_terms("Малайзия", None);
        assert_eq!(
            snippet(text, Some(Lang::Ru), &terms).unwrap(),
            "Власти [Малайзии] заявили во вторник, что переговоры продолжатся."
        );
        let zh = "新华社消息，中国航天员今天完成出舱活动，这是航天事业的新进展。";
        let terms = highlight_terms("航天员", None);
        let s = snippet(zh, Some(Lang::Zh), &terms).unwrap();
        assert!(s.contains("[航天员]"), "{s}");
        assert_eq!(snippet("", None, &terms), None);
    }

    #[test]
    fn item_language_prefers_the_tag_then_detects() {
        assert_eq!(item_language(Some("ru-RU"), || None), Some(Lang::Ru));
        assert_eq!(
            item_language(Some("xx"), || Some("中国航天员完成出舱".into())),
            Some(Lang::Zh)
        );
        assert_eq!(item_language(None, || None), None);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
#[path = "fts_write_tests.rs"]
mod write_tests;
