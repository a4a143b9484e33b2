//! The extraction benchmark's metric, computed as `extraction-bench/score.py` does.
//!
//! Text is split into word tokens (Python's `\w+`), compared as multisets of
//! 4-token shingles; each page's true/false positives and false negatives are
//! divided by their sum so every page weighs the same. Precision is averaged
//! over the pages that predicted something, recall over the pages whose truth
//! holds something, and F1 is the harmonic mean of the two averages (not the
//! mean of per-page F1s). A page whose truth and prediction are both empty
//! counts nowhere, as in `score.py`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::marks::MARKS;

/// Python's `\w` for `str` patterns: a letter or number (categories L, N) or
/// `_`. Rust's `is_alphanumeric` also counts `Other_Alphabetic` characters:
/// combining marks (Indic vowel signs) and circled/squared letters, which
/// Python does not, so those are subtracted. `main` cross-checks the corpus
/// figure with `score.py` whenever that script is found.
///
/// `marks.rs` was generated with:
/// `[(a, b) for a, b in ranges(u for u in range(0x80, 0x110000) if unicodedata.category(chr(u))[0] == "M")]`.
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let u = c as u32;
    let symbol_letter =
        matches!(u, 0x24B6..=0x24E9 | 0x1F130..=0x1F149 | 0x1F150..=0x1F169 | 0x1F170..=0x1F189);
    !symbol_letter
        && MARKS
            .binary_search_by(|&(a, b)| {
                if b < u {
                    std::cmp::Ordering::Less
                } else if a > u {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_err()
}

/// Multiset of 4-token shingles, each shingle hashed (a 64-bit collision
/// between two shingles of one page is too rare to move a figure).
fn shingles(text: &str) -> HashMap<u64, u32> {
    let tokens: Vec<&str> = text
        .split(|c: char| !is_word(c))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = HashMap::new();
    if tokens.is_empty() {
        return out;
    }
    // As in score.py: fewer than four tokens make one shorter shingle.
    let n = tokens.len().saturating_sub(3).max(1);
    for i in 0..n {
        let mut h = DefaultHasher::new();
        tokens[i..(i + 4).min(tokens.len())].hash(&mut h);
        *out.entry(h.finish()).or_insert(0) += 1;
    }
    out
}

/// One page's normalised counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
}

impl Counts {
    /// Compare a prediction with the truth.
    pub fn of(truth: &str, pred: &str) -> Counts {
        let (t, p) = (shingles(truth), shingles(pred));
        let mut tp = 0u64;
        let mut fp = 0u64;
        for (k, &n) in &p {
            let m = t.get(k).copied().unwrap_or(0);
            tp += u64::from(n.min(m));
            fp += u64::from(n.saturating_sub(m));
        }
        let t_total: u64 = t.values().map(|&n| u64::from(n)).sum();
        let fn_ = t_total - tp;
        let total = (tp + fp + fn_) as f64;
        if total == 0.0 {
            return Counts::default();
        }
        Counts {
            tp: tp as f64 / total,
            fp: fp as f64 / total,
            fn_: fn_ as f64 / total,
        }
    }

    pub fn precision(self) -> f64 {
        if self.fp == 0.0 && self.fn_ == 0.0 {
            1.0
        } else if self.tp == 0.0 && self.fp == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fp)
        }
    }

    pub fn recall(self) -> f64 {
        if self.fp == 0.0 && self.fn_ == 0.0 {
            1.0
        } else if self.tp == 0.0 && self.fn_ == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fn_)
        }
    }

    /// This page's own F1 (for ranking pages; the corpus figure is not their mean).
    pub fn f1(self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Whether a text holds any word token (score.py's "empty" test).
pub fn has_word(text: &str) -> bool {
    text.chars().any(is_word)
}

/// Corpus figures.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
    pub empty: usize,
}

/// Corpus figures from each page's counts and prediction.
pub fn summarise(rows: &[(Counts, bool)]) -> Summary {
    let ps: Vec<f64> = rows
        .iter()
        .filter(|(c, _)| c.tp + c.fp > 0.0)
        .map(|(c, _)| c.precision())
        .collect();
    let rs: Vec<f64> = rows
        .iter()
        .filter(|(c, _)| c.tp + c.fn_ > 0.0)
        .map(|(c, _)| c.recall())
        .collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let (p, r) = (mean(&ps), mean(&rs));
    Summary {
        f1: if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
        precision: p,
        recall: r,
        empty: rows.iter().filter(|(_, nonempty)| !nonempty).count(),
    }
}
