//! Text analysis for every script: words for story fingerprints, terms for search.
//!
//! Plain text in, normalised words (with their byte ranges in the input) out.
//! Pure and backend-free: the SQLite store feeds [`index_text`] to an FTS5
//! column, and a PostgreSQL store would feed the same string to
//! `to_tsvector('simple', …)`; a query goes through [`query_forms`] so both
//! sides always agree.
//!
//! - **Words** ([`words`]): runs of Unicode letters and digits, lower-cased,
//!   `ё` folded to `е`, combining marks dropped (the dot of Turkish `İ`
//!   lower-cased), and Arabic normalised: the alef forms `أ إ آ ٱ` to `ا`,
//!   `ى` to `ي`, `ة` to `ه`, harakat and tatweel removed, Arabic-Indic digits to
//!   ASCII. Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
//!   Khmer, Myanmar) are cut into overlapping character **bigrams**
//!   (`航天员` → `航天`, `天员`), a one-character run stays one word: a
//!   word inside a Chinese sentence is then a phrase of bigrams, which needs
//!   no dictionary and works for every such script.
//! - **Terms** ([`terms`]): words stemmed with the Snowball stemmer of the
//!   item's language (Arabic: a light stemmer, [`language::arabic_light`])
//!   when the word is in that language's script (Russian `Малайзии` and
//!   `Малайзия` both become `малайз`), then stripped of Latin
//!   diacritics (`São` → `sao`, Turkish `ş ğ ı` → `s g i`) so a reader without
//!   the keyboard still finds them.
//! - **Language** ([`language::detect`]): from the item when it declares one,
//!   else a light script and stop-word heuristic.

pub mod language;

use std::borrow::Cow;

pub use language::{Lang, detect};

/// The writing systems the analyser tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Latin letters (and digits, which belong to every script).
    Latin,
    /// Cyrillic.
    Cyrillic,
    /// Greek.
    Greek,
    /// Arabic (and Persian, Urdu).
    Arabic,
    /// A script written without spaces between words: cut into bigrams.
    Unspaced,
    /// Anything else with letters (Hebrew, Devanagari, Hangul, …).
    Other,
}

/// One analysed word and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The normalised form.
    pub text: String,
    /// Byte offset of its first character in the analysed text.
    pub start: usize,
    /// Byte offset just after its last character.
    pub end: usize,
    /// The script of its letters.
    pub script: Script,
}

/// The script of one character, `None` for a character that is not part of
/// a word.
pub fn script_of(c: char) -> Option<Script> {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric().then_some(Script::Latin);
    }
    let cp = u32::from(c);
    let script = match cp {
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility
        | 0x20000..=0x3134F => Script::Unspaced,
        0x00C0..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        _ => Script::Other,
    };
    (c.is_alphanumeric() || is_joiner(c)).then_some(script)
}

/// Marks that belong inside a word but are dropped from its normalised form:
/// combining diacritics, Arabic harakat and tatweel, zero-width joiners.
fn is_joiner(c: char) -> bool {
    matches!(u32::from(c),
        0x0300..=0x036F | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED
        | 0x0640 | 0x200C | 0x200D)
}

/// Normalised lower-case form of one word character, appended to `out`.
fn push_normalised(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if is_joiner(c) {
        return;
    }
    match c {
        'ё' | 'Ё' => out.push('е'),
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ى' => out.push('ي'),
        'ة' => out.push('ه'),
        '٠'..='٩' => out.push(char::from(b'0' + (u32::from(c) - 0x0660) as u8)),
        '۰'..='۹' => out.push(char::from(b'0' + (u32::from(c) - 0x06F0) as u8)),
        _ => {
            for lc in c.to_lowercase() {
                if !is_joiner(lc) {
                    out.push(lc);
                }
            }
        }
    }
}

/// The words of `text` (see the module notes), in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut run: Vec<(usize, char)> = Vec::new();
    let mut run_script = Script::Latin;
    let flush = |run: &mut Vec<(usize, char)>, script: Script, end: usize, out: &mut Vec<Word>| {
        if run.is_empty() {
            return;
        }
        if script == Script::Unspaced {
            push_bigrams(run, end, out);
        } else {
            let mut word = String::with_capacity(run.len() * 2);
            for (_, c) in run.iter() {
                push_normalised(*c, &mut word);
            }
            if !word.is_empty() {
                out.push(Word {
                    text: word,
                    start: run[0].0,
                    end,
                    script,
                });
            }
        }
        run.clear();
    };
    let mut last_end = 0;
    let mut has_letter = false;
    for (i, c) in text.char_indices() {
        let Some(s) = script_of(c) else {
            flush(&mut run, run_script, last_end, &mut out);
            has_letter = false;
            continue;
        };
        // Digits and joiners belong to whatever word they are in; a letter
        // of an unspaced script next to one of a spaced script starts a new
        // word, and a word takes the script of its first letter.
        if !(c.is_numeric() || is_joiner(c)) {
            if !has_letter {
                run_script = s;
                has_letter = true;
            } else if (s == Script::Unspaced) != (run_script == Script::Unspaced) {
                flush(&mut run, run_script, i, &mut out);
                run_script = s;
            }
        } else if run.is_empty() {
            run_script = Script::Latin;
        }
        run.push((i, c));
        last_end = i + c.len_utf8();
    }
    flush(&mut run, run_script, last_end, &mut out);
    out
}

/// Overlapping bigrams of a run of an unspaced script; digits inside the run
/// are kept whole as their own word.
fn push_bigrams(run: &[(usize, char)], end: usize, out: &mut Vec<Word>) {
    let end_of = |k: usize| run.get(k + 1).map_or(end, |(i, _)| *i);
    let mut letters: Vec<(usize, usize, char)> = Vec::new();
    let emit = |letters: &mut Vec<(usize, usize, char)>, out: &mut Vec<Word>| {
        if letters.len() == 1 {
            let (s, e, c) = letters[0];
            let mut text = String::new();
            push_normalised(c, &mut text);
            out.push(Word {
                text,
                start: s,
                end: e,
                script: Script::Unspaced,
            });
        }
        for pair in letters.windows(2) {
            let mut text = String::new();
            push_normalised(pair[0].2, &mut text);
            push_normalised(pair[1].2, &mut text);
            out.push(Word {
                text,
                start: pair[0].0,
                end: pair[1].1,
                script: Script::Unspaced,
            });
        }
        letters.clear();
    };
    let mut k = 0;
    while k < run.len() {
        let (i, c) = run[k];
        if c.is_numeric() {
            emit(&mut letters, out);
            let mut text = String::new();
            let mut j = k;
            while j < run.len() && run[j].1.is_numeric() {
                push_normalised(run[j].1, &mut text);
                j += 1;
            }
            out.push(Word {
                text,
                start: i,
                end: end_of(j - 1),
                script: Script::Latin,
            });
            k = j;
            continue;
        }
        if !is_joiner(c) {
            letters.push((i, end_of(k), c));
        }
        k += 1;
    }
    emit(&mut letters, out);
}

/// Latin letters with their diacritics removed (`é` → `e`, `ş` → `s`,
/// `ı` → `i`, `ß` → `ss`); other characters unchanged.
pub fn fold_diacritics(word: &str) -> Cow<'_, str> {
    if word.is_ascii() {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let base = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(base);
    }
    Cow::Owned(out)
}

/// The search terms of `text` written in `lang` (module notes), each with
/// the byte range of the word it came from.
pub fn terms(text: &str, lang: Option<Lang>) -> Vec<Word> {
    let mut out = words(text);
    for w in &mut out {
        let stemmed = match lang {
            Some(l) if l.script() == w.script => l.stem(&w.text),
            _ => None,
        };
        let folded = fold_diacritics(stemmed.as_deref().unwrap_or(&w.text)).into_owned();
        w.text = folded;
    }
    out
}

/// The indexed form of `text`: its [`terms`] joined by single spaces (what
/// the FTS column holds; any tokenizer that splits on spaces reads it back).
pub fn index_text(text: &str, lang: Option<Lang>) -> String {
    let mut out = String::with_capacity(text.len());
    for t in terms(text, lang) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// Every indexed form one query word can have, for each word of `word`
/// (a CJK word gives several bigrams, to be searched as a phrase).
///
/// A query carries no language, so a word is stemmed by every stemmer of its
/// script (`lang` narrows that to one language when the reader filters by
/// it) and also kept unstemmed (items in languages without a stemmer).
pub fn query_forms(word: &str, lang: Option<Lang>) -> Vec<Vec<String>> {
    words(word)
        .into_iter()
        .map(|w| {
            let mut forms = vec![fold_diacritics(&w.text).into_owned()];
            let langs: Vec<Lang> = match lang {
                Some(l) => vec![l],
                None => Lang::ALL.to_vec(),
            };
            for l in langs.into_iter().filter(|l| l.script() == w.script) {
                if let Some(stem) = l.stem(&w.text) {
                    forms.push(fold_diacritics(&stem).into_owned());
                }
            }
            forms.sort();
            forms.dedup();
            forms
        })
        .collect()
}

/// The normalised (unstemmed) [`words`] of `text` as strings: the tokens of
/// story fingerprints.
pub fn word_texts(text: &str) -> Vec<String> {
    words(text).into_iter().map(|w| w.text).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests;
