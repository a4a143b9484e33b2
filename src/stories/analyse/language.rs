//! Item languages: read from a language tag, or guessed from the text.
//!
//! A tag (`ru`, `en-GB`, `tr_TR`) in, a [`Lang`] out ([`Lang::from_tag`]);
//! text in, a guess out ([`detect`]). The guess is deliberately light: the
//! script of most letters decides Russian, Arabic, Greek, Chinese, Japanese
//! and Korean; among Latin-script languages the most frequent stop words
//! decide (a few dozen per language), which is reliable on article-length
//! text and harmless when wrong: a wrong stemmer only costs some inflected
//! matches, because a query is expanded by every stemmer of its script.

use rust_stemmers::{Algorithm, Stemmer};

use super::{Script, script_of};

/// A language the analyser knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Turkish.
    Tr,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
    /// Portuguese.
    Pt,
    /// Dutch.
    Nl,
    /// Russian.
    Ru,
    /// Ukrainian (no stemmer: indexed unstemmed).
    Uk,
    /// Arabic.
    Ar,
    /// Persian (no stemmer).
    Fa,
    /// Greek.
    El,
    /// Chinese.
    Zh,
    /// Japanese.
    Ja,
    /// Korean (no stemmer).
    Ko,
}

impl Lang {
    /// Every language, in the order query expansion tries them.
    pub const ALL: [Lang; 16] = [
        Lang::En,
        Lang::Tr,
        Lang::Fr,
        Lang::De,
        Lang::Es,
        Lang::It,
        Lang::Pt,
        Lang::Nl,
        Lang::Ru,
        Lang::Uk,
        Lang::Ar,
        Lang::Fa,
        Lang::El,
        Lang::Zh,
        Lang::Ja,
        Lang::Ko,
    ];

    /// The language of a BCP 47-ish tag: its primary subtag, case-insensitive.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Tr => "tr",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
            Lang::Ru => "ru",
            Lang::Uk => "uk",
            Lang::Ar => "ar",
            Lang::Fa => "fa",
            Lang::El => "el",
            Lang::Zh => "zh",
            Lang::Ja => "ja",
            Lang::Ko => "ko",
        }
    }

    /// The script its words are written in.
    pub fn script(self) -> Script {
        match self {
            Lang::Ru | Lang::Uk => Script::Cyrillic,
            Lang::Ar | Lang::Fa => Script::Arabic,
            Lang::El => Script::Greek,
            Lang::Zh | Lang::Ja => Script::Unspaced,
            Lang::Ko => Script::Other,
            _ => Script::Latin,
        }
    }

    /// The stem of a normalised word of this language, `None` when the
    /// language has no stemmer. Arabic uses the light stemmer [`arabic_light`]
    /// (Snowball's Arabic stems `مفاوضات` and `المفاوضات` differently).
    pub fn stem(self, word: &str) -> Option<String> {
        if self == Lang::Ar {
            return Some(arabic_light(word));
        }
        self.stemmer().map(|s| s.stem(word).into_owned())
    }

    /// True when [`Lang::stem`] does something for this language.
    pub fn has_stemmer(self) -> bool {
        self == Lang::Ar || self.stemmer().is_some()
    }

    /// Its Snowball stemmer, when there is one.
    fn stemmer(self) -> Option<Stemmer> {
        let algorithm = match self {
            Lang::En => Algorithm::English,
            Lang::Tr => Algorithm::Turkish,
            Lang::Fr => Algorithm::French,
            Lang::De => Algorithm::German,
            Lang::Es => Algorithm::Spanish,
            Lang::It => Algorithm::Italian,
            Lang::Pt => Algorithm::Portuguese,
            Lang::Nl => Algorithm::Dutch,
            Lang::Ru => Algorithm::Russian,
            Lang::Ar => Algorithm::Arabic,
            Lang::El => Algorithm::Greek,
            Lang::Uk | Lang::Fa | Lang::Zh | Lang::Ja | Lang::Ko => return None,
        };
        Some(Stemmer::create(algorithm))
    }
}

/// Light stemming of a normalised Arabic word (alef forms, `ة`, `ى` already
/// folded): the "light10" rules of Larkey, Ballesteros and Connell (SIGIR
/// 2002), which IR evaluations found better than root extraction: drop a
/// leading `و` when four or more letters stay, one definite-article prefix
/// (`ال وال بال كال فال لل`) when two or more stay, then suffixes (`ها ان ات ون
/// ين يه ه ي`) while two or more letters stay.
pub fn arabic_light(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    if w.len() >= 4 && w[0] == 'و' {
        w.remove(0);
    }
    for prefix in ["وال", "بال", "كال", "فال", "ال", "لل"] {
        let p: Vec<char> = prefix.chars().collect();
        if w.len() >= p.len() + 2 && w.starts_with(&p) {
            w.drain(..p.len());
            break;
        }
    }
    let suffixes: [&[char]; 8] = [
        &['ه', 'ا'],
        &['ا', 'ن'],
        &['ا', 'ت'],
        &['و', 'ن'],
        &['ي', 'ن'],
        &['ي', 'ه'],
        &['ه'],
        &['ي'],
    ];
    loop {
        let before = w.len();
        for s in suffixes {
            if w.len() >= s.len() + 2 && w.ends_with(s) {
                w.truncate(w.len() - s.len());
                break;
            }
        }
        if w.len() == before {
            break;
        }
    }
    w.into_iter().collect()
}

/// Stop words of the Latin-script languages, the most frequent first.
const STOP_WORDS: &[(Lang, &[&str])] = &[
    (
        Lang::En,
        &[
            "the", "of", "and", "to", "in", "is", "that", "for", "on", "was", "with", "said", "by",
            "it", "from", "at", "as", "has", "have", "are", "will", "be", "which",
        ],
    ),
    (
        Lang::Tr,
        &[
            "ve",
            "bir",
            "bu",
            "da",
            "de",
            "için",
            "ile",
            "olarak",
            "olan",
            "en",
            "çok",
            "gibi",
            "daha",
            "ancak",
            "sonra",
            "kadar",
            "ise",
            "değil",
            "ne",
            "mi",
            "göre",
            "yılında",
        ],
    ),
    (
        Lang::Fr,
        &[
            "le", "la", "les", "de", "des", "et", "est", "un", "une", "du", "dans", "qui", "pour",
            "que", "pas", "sur", "au", "par", "avec", "ont", "été", "sont",
        ],
    ),
    (
        Lang::De,
        &[
            "der", "die", "und", "das", "ist", "nicht", "mit", "den", "von", "zu", "sich", "auf",
            "ein", "eine", "dem", "des", "im", "für", "auch", "wurde", "sind",
        ],
    ),
    (
        Lang::Es,
        &[
            "el", "los", "las", "del", "que", "y", "en", "por", "con", "una", "para", "es", "se",
            "su", "al", "lo", "como", "más", "pero", "fue", "sus",
        ],
    ),
    (
        Lang::It,
        &[
            "il", "di", "che", "della", "per", "non", "sono", "gli", "una", "con", "del", "nel",
            "alla", "anche", "è", "dei", "le", "più", "ha", "stato",
        ],
    ),
    (
        Lang::Pt,
        &[
            "o", "os", "as", "do", "da", "dos", "das", "não", "uma", "em", "com", "para", "que",
            "no", "na", "foi", "ao", "mais", "pelo", "pela", "são",
        ],
    ),
    (
        Lang::Nl,
        &[
            "de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "zijn", "voor",
            "met", "die", "ook", "aan", "wordt", "bij", "werd", "naar",
        ],
    ),
];

/// Letters examined by [`detect`]: enough for a reliable vote, bounded cost.
const SAMPLE_CHARS: usize = 4000;

/// The language of `text`, guessed (module notes); `None` when it has no
/// letters or no guess is clear.
pub fn detect(text: &str) -> Option<Lang> {
    let mut counts = [0usize; 6];
    let mut kana = 0usize;
    let mut hangul = 0usize;
    let mut ukrainian = 0usize;
    let mut persian = 0usize;
    for c in text.chars().take(SAMPLE_CHARS) {
        let Some(script) = script_of(c) else { continue };
        if c.is_numeric() {
            continue;
        }
        counts[script as usize] += 1;
        match c {
            '\u{3040}'..='\u{30FF}' => kana += 1,
            '\u{AC00}'..='\u{D7AF}' => hangul += 1,
            'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => ukrainian += 1,
            'پ' | 'چ' | 'ژ' | 'گ' | 'ی' | 'ک' => persian += 1,
            _ => {}
        }
    }
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map(|(i, n)| (i, *n))?;
    if n == 0 {
        return None;
    }
    let script = [
        Script::Latin,
        Script::Cyrillic,
        Script::Greek,
        Script::Arabic,
        Script::Unspaced,
        Script::Other,
    ][best];
    match script {
        Script::Cyrillic => Some(if ukrainian * 50 > n {
            Lang::Uk
        } else {
            Lang::Ru
        }),
        Script::Arabic => Some(if persian * 30 > n { Lang::Fa } else { Lang::Ar }),
        Script::Greek => Some(Lang::El),
        Script::Unspaced if kana * 10 > n => Some(Lang::Ja),
        Script::Unspaced => Some(Lang::Zh),
        Script::Other if hangul * 2 > n => Some(Lang::Ko),
        Script::Other => None,
        Script::Latin => detect_latin(text),
    }
}

/// The Latin-script language whose stop words are most frequent in `text`.
fn detect_latin(text: &str) -> Option<Lang> {
    let mut scores = [0usize; STOP_WORDS.len()];
    let mut words = 0usize;
    let sample = text
        .char_indices()
        .nth(SAMPLE_CHARS)
        .map_or(text, |(i, _)| &text[..i]);
    for word in sample
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words += 1;
        let lower = word.to_lowercase();
        for (score, (_, stops)) in scores.iter_mut().zip(STOP_WORDS) {
            if stops.contains(&lower.as_str()) {
                *score += 1;
            }
        }
    }
    let (best, score) = scores.iter().enumerate().max_by_key(|(_, s)| **s)?;
    // Too few stop words to tell (a headline, a list of names).
    if *score < 2 || *score * 20 < words {
        return None;
    }
    Some(STOP_WORDS[best].0)
}
