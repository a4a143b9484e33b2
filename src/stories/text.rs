//! Text normalisation before fingerprinting.
//!
//! Plain article text in (paragraphs separated by line breaks), a list of
//! lower-case word tokens out. Two steps:
//!
//! 1. [`strip_boilerplate`] drops lines that are credits, calls to action,
//!    copyright notices or page chrome rather than the story ("Reuters
//!    contributed to this report", "Additional reporting by …", "(Reporting by
//!    …; Editing by …)", "Read more:", "Follow us on …", "© 2026 …", and their
//!    Russian counterparts), and cuts inline wire credits in parentheses. Outlets
//!    add and remove exactly these lines when they republish a story, so they
//!    must not count for or against a match. A "contains" rule only fires on a
//!    line of at most [`MAX_CREDIT_WORDS`] words, so a long paragraph that quotes
//!    such a phrase is kept. Lines of fewer than [`MIN_LINE_WORDS`] words
//!    (navigation, "Most read", subheads, share widgets) are dropped too, unless
//!    no longer line is left.
//! 2. [`tokens`] splits on anything that is not a Unicode letter or digit
//!    (Cyrillic and other scripts included), lower-cases, folds `ё` to `е`
//!    (Russian texts use both spellings of the same word), normalises Arabic
//!    and cuts Chinese and Japanese into character bigrams ([`super::analyse`]).

/// A "contains" boilerplate rule only fires on lines up to this many words.
pub const MAX_CREDIT_WORDS: usize = 30;

/// Lines starting with one of these (lower-cased, after leading punctuation
/// and spaces) are dropped.
const DROP_PREFIXES: &[&str] = &[
    // credits
    "additional reporting by",
    "reporting by",
    "writing by",
    "editing by",
    "compiled by",
    "with reporting from",
    "this story has been",
    "this article has been",
    "this article was",
    "this story was",
    // calls to action and chrome
    "read more",
    "read also",
    "read next",
    "see also",
    "more on this",
    "related:",
    "related stories",
    "related articles",
    "related coverage",
    "follow us on",
    "follow rt on",
    "follow tass on",
    "follow the latest",
    "subscribe to",
    "sign up for",
    "sign up to",
    "share this",
    "share on",
    "advertisement",
    "click here",
    "download our app",
    "download the app",
    "you can share this story",
    "get the latest",
    "want more",
    "photo:",
    "image:",
    "video:",
    "source:",
    "©",
    "(c)",
    "copyright",
    // Russian
    "читайте также",
    "читайте нас",
    "читать также",
    "смотрите также",
    "по теме",
    "ещё по теме",
    "еще по теме",
    "подписывайтесь",
    "подпишитесь",
    "следите за",
    "реклама",
    "источник:",
    "фото:",
    "видео:",
    "поделиться",
    "при использовании материалов",
    "при цитировании",
    "в подготовке материала",
    "материал подготовлен",
    // Chinese, Arabic
    "责任编辑",
    "（责任编辑",
    "(责任编辑",
    "编辑：",
    "来源：",
    "原标题：",
    "اقرأ أيضا",
    "اقرأ ايضا",
    "تابعونا",
    "تابعوا",
];

/// Short lines containing one of these (lower-cased) are dropped.
const DROP_CONTAINS: &[&str] = &[
    "contributed to this report",
    "contributed to this story",
    "contributed reporting",
    "contributed additional reporting",
    "all rights reserved",
    "may not be published, broadcast",
    "все права защищены",
    "ссылка обязательна",
    "ссылка на источник обязательна",
    "版权所有",
    "جميع الحقوق محفوظة",
];

/// Inline wire credits cut from inside a line: `(` + one of these … `)`.
const INLINE_CREDITS: &[&str] = &[
    "(reporting by",
    "(writing by",
    "(editing by",
    "(additional reporting",
];

/// Lines with fewer words than this are page chrome ("Most read", "Home /
/// World", "Listen to this article 3 min") unless nothing longer is left.
pub const MIN_LINE_WORDS: usize = 7;

/// Removes boilerplate lines, inline credits and short chrome lines (see the
/// module notes). When every remaining line is short (a teaser), the short
/// lines are kept.
pub fn strip_boilerplate(text: &str) -> String {
    let kept = strip_credit_lines(text);
    let long: Vec<&str> = kept
        .iter()
        .map(String::as_str)
        .filter(|l| count_tokens(l) >= MIN_LINE_WORDS)
        .collect();
    let chosen: Vec<&str> = if long.is_empty() {
        kept.iter().map(String::as_str).collect()
    } else {
        long
    };
    let mut out = String::with_capacity(text.len());
    for line in chosen {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The lines of `text` that are not credits or calls to action, lower-cased.
fn strip_credit_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let lower = line.to_lowercase();
        let lower = cut_inline_credits(&lower);
        let trimmed =
            lower.trim_start_matches(|c: char| c.is_whitespace() || "-–—•*>|".contains(c));
        if trimmed.trim().is_empty() {
            continue;
        }
        if DROP_PREFIXES.iter().any(|p| trimmed.starts_with(p)) {
            continue;
        }
        if DROP_CONTAINS.iter().any(|p| trimmed.contains(p))
            && trimmed.split_whitespace().count() <= MAX_CREDIT_WORDS
        {
            continue;
        }
        out.push(trimmed.to_owned());
    }
    out
}

/// Cuts `(Reporting by …)`-style parentheticals from a lower-cased line.
fn cut_inline_credits(lower: &str) -> String {
    let mut s = lower.to_owned();
    for marker in INLINE_CREDITS {
        while let Some(start) = s.find(marker) {
            let end = s[start..].find(')').map_or(s.len(), |e| start + e + 1);
            s.replace_range(start..end, " ");
        }
    }
    s
}

/// Normalised word tokens of already stripped text: the words of
/// [`super::analyse::words`] (letters and digits of any script, lower-cased,
/// `ё` folded to `е`, Arabic normalised, unspaced scripts as bigrams).
pub fn tokens(text: &str) -> Vec<String> {
    super::analyse::word_texts(text)
}

/// How many tokens [`tokens`] would return (a line's length in words, for
/// every script: a Chinese line counts its bigrams, not one run).
fn count_tokens(text: &str) -> usize {
    super::analyse::words(text).len()
}

/// Boilerplate stripping followed by tokenisation.
pub fn normalised_tokens(text: &str) -> Vec<String> {
    tokens(&strip_boilerplate(text))
}

/// Boilerplate stripping followed by tokenisation, one token list per
/// paragraph (line) kept.
pub fn normalised_paragraphs(text: &str) -> Vec<Vec<String>> {
    strip_boilerplate(text)
        .lines()
        .map(tokens)
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn counting_tokens_agrees_with_making_them() {
        for text in [
            "",
            "  ",
            "Quake hits Japan",
            "Ёлка, 2026-11-27: talks;resumed...again",
            "日本 地震 M7.1 — İstanbul ΑΘΗΝΑ",
            "trailing word",
        ] {
            assert_eq!(count_tokens(text), tokens(text).len(), "{text}");
        }
        assert_eq!(
            tokens("Ёлка İstanbul ABC-12"),
            ["елка", "istanbul", "abc", "12"]
        );
    }

    #[test]
    fn strips_credit_and_chrome_lines() {
        let text = "MOSCOW, Nov 27 - The talks resumed on Thursday.\n\n\
            Reuters contributed to this report.\n\
            Additional reporting by Anna Petrova for Example News\n\
            (Reporting by John Smith; Editing by Jane Doe)\n\
            Read more: Another story\n\
            Follow us on Telegram\n\
            © 2026 Example News. All rights reserved.\n\
            Читайте также: другая новость\n\
            Подписывайтесь на наш канал\n\
            Officials said more talks were planned (Reporting by A; Editing by B) next week.";
        let kept = strip_boilerplate(text);
        assert_eq!(
            kept,
            "moscow, nov 27 - the talks resumed on thursday.\n\
             officials said more talks were planned   next week.\n"
        );
    }

    #[test]
    fn short_chrome_lines_go_unless_nothing_else_is_left() {
        let page = "Home / World News\nMost read\nListen to this article 3 min\n\
            The council voted on Thursday to extend the mandate for a year.\nTrending now";
        assert_eq!(
            strip_boilerplate(page),
            "the council voted on thursday to extend the mandate for a year.\n"
        );
        assert_eq!(
            strip_boilerplate("Quake hits Japan\n\nNo tsunami"),
            "quake hits japan\nno tsunami\n"
        );
    }

    #[test]
    fn long_paragraph_quoting_a_credit_phrase_is_kept() {
        let para = "The editor said that many people contributed to this report over the \
            months of the inquiry, including investigators, lawyers, accountants, former \
            officials and residents of the three districts who agreed to speak on the record.";
        assert!(strip_boilerplate(para).contains("inquiry"));
    }

    #[test]
    fn tokens_are_unicode_aware() {
        assert_eq!(
            tokens("Ещё 12 человек — в Москве; U.N. talks’ end"),
            vec![
                "еще",
                "12",
                "человек",
                "в",
                "москве",
                "u",
                "n",
                "talks",
                "end"
            ]
        );
        assert!(tokens("  ,.;  ").is_empty());
    }
}
