//! Text fingerprints: exact hash, SimHash, MinHash, and LSH band keys.
//!
//! Article text in, a [`Fingerprint`] out (about 2-3 KB when stored: 512
//! bytes of MinHash, up to ~140 samples, a head of up to 256 shingles). The
//! text is normalised (see [`super::text`]), cut into overlapping word
//! shingles of [`SHINGLE_WORDS`] words, and summarised three ways:
//!
//! - `text_hash`: 128 bits over the normalised token stream, for exact copies;
//! - `minhash`: [`MINHASH_LEN`] minima of independent hash permutations over
//!   the shingle set, whose agreement rate estimates Jaccard similarity;
//! - `simhash`: a 64-bit Charikar SimHash over word tokens (kept for
//!   diagnostics and downstream use; the decision uses MinHash);
//! - `numbers`: a 64-bit set with one bit per distinct token containing a
//!   digit (figures, dates, scores), which tells apart fill-in-the-numbers
//!   template reports that share almost every word.
//!
//! - `samples`: the shingles whose sampling hash falls in the lowest quarter
//!   (the [`MAX_SAMPLES`] lowest over the text, and every one of the first
//!   [`LEAD_WORDS`] words), each with the paragraph it starts in. Because the choice depends only on the shingle, two texts
//!   keep the same samples of what they share: the shared share of the
//!   smaller set estimates containment directly (a pick-up of two paragraphs
//!   inside a ten-paragraph original), the paragraphs tell where the shared
//!   text sits, and each sample is an index key whose spread over unrelated
//!   stories marks boilerplate (see `super::decide`).
//!
//! - `head`: every shingle of the first [`HEAD_SHINGLES`] positions (a
//!   32-bit hash and its position, with where each paragraph starts): a
//!   pick-up of two or three paragraphs is compared shingle for shingle with
//!   the top of its original, without the sampling's variance.
//!
//! [`band_keys`] cuts the MinHash into [`BANDS`] bands of [`ROWS_PER_BAND`]
//! slots and hashes each band to an `i64`: two texts share at least one key
//! with probability `1 - (1 - J^3)^42` (0.68 at Jaccard 0.30, 0.94 at 0.40,
//! 0.998 at 0.55), which is what lets matching be one index lookup.

use super::hash::{
    MINHASH_A, MINHASH_B, SEED_BAND, SEED_NUMBER, SEED_SHINGLE, SEED_TEXT_A, SEED_TEXT_B,
    SEED_WORD, combine, hash64,
};
use super::hash::{SEED_SAMPLE, mix64};
use super::text::normalised_paragraphs;

pub use super::hash::MINHASH_LEN;

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 3;
/// MinHash slots per LSH band.
pub const ROWS_PER_BAND: usize = 3;
/// Number of LSH bands (`BANDS * ROWS_PER_BAND <= MINHASH_LEN`).
pub const BANDS: usize = MINHASH_LEN / ROWS_PER_BAND;
/// Texts with fewer distinct shingles than this are "short" (teasers): they
/// match only near-exact copies, and their title is folded into the
/// fingerprint by [`Fingerprint::from_parts`].
pub const SHORT_SHINGLES: u32 = 25;
/// Texts of fewer words than this are short (see [`Fingerprint::is_short`]).
pub const SHORT_WORDS: u32 = 27;
/// Version byte of the stored layout written by [`Fingerprint::to_bytes`]
/// (1: no samples, 2: no head; both still read).
pub const FORMAT_VERSION: u8 = 3;
/// Shingle positions at the top of a text kept whole, in text order (the
/// *head*): every shingle, not a sample, so a pick-up of two or three
/// paragraphs is compared shingle for shingle against the top of its
/// original (about 1 KB per fingerprint).
pub const HEAD_SHINGLES: usize = 256;
/// A shingle is sampled when its sampling hash is below this (one in four).
pub const SAMPLE_BELOW: u64 = 1 << 62;
/// Samples kept over the whole text (the lowest sampling hashes); the
/// samples of the lead are kept in addition, all of them.
pub const MAX_SAMPLES: usize = 64;
/// Words at the top of a text whose samples are all kept: the part a pick-up
/// runs, so a two-paragraph pick-up of a 3,000-word feature is compared
/// sample for sample however long the original.
pub const LEAD_WORDS: usize = 300;
/// Largest paragraph number stored (the top bit of the stored field is the
/// lead flag).
pub const MAX_PARAGRAPH: u16 = 0x7FFF;
/// Bytes before the MinHash slots in the stored layout.
pub const HEADER: usize = 1 + 16 + 8 + 8 + 4 + 2;
/// Bytes between the MinHash slots and the samples (format 2).
pub const TAIL: usize = 2 + 4 + 8 + 2;
/// The MinHash slot value of an empty shingle set.
pub const EMPTY_SLOT: u32 = u32::MAX;

/// Why stored fingerprint bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// The first byte names a layout this version does not know.
    #[error("fingerprint: unknown format version {0}")]
    Version(u8),
    /// The byte string is shorter or longer than its header says.
    #[error("fingerprint: expected {expected} bytes, found {found}")]
    Length {
        /// Bytes the header implies.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
}

/// The summary of one article's text used for story matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Exact copy: 128-bit hash of the normalised token stream.
    pub text_hash: [u8; 16],
    /// Charikar SimHash over word tokens.
    pub simhash: u64,
    /// MinHash over word shingles, [`MINHASH_LEN`] slots ([`EMPTY_SLOT`] when
    /// the text has no words).
    pub minhash: Vec<u32>,
    /// Number of distinct shingles (the set size MinHash summarises).
    pub tokens: u32,
    /// Bit set of the tokens that contain a digit (bit = hash mod 64).
    pub numbers: u64,
    /// Sampled shingles, sorted by key (see the module notes); empty for an
    /// empty text and for fingerprints stored before samples existed.
    pub samples: Vec<Sample>,
    /// Every sampled shingle with a key at or below this is in `samples`
    /// (`SAMPLE_BELOW - 1` unless [`MAX_SAMPLES`] cut the list; 0 for a
    /// fingerprint without samples).
    pub sample_limit: u64,
    /// Paragraphs of the normalised text.
    pub paragraphs: u16,
    /// Length in words: tokens of spaced scripts plus half the bigrams of
    /// unspaced ones (a Chinese word is about two characters).
    pub words: u32,
    /// The head: a 32-bit hash of each of the first [`HEAD_SHINGLES`]
    /// shingle positions with its position, repeats included, sorted by
    /// hash then position (so two heads are compared without sorting; empty
    /// for fingerprints stored before format 3).
    pub head: Vec<(u32, u16)>,
    /// Where each paragraph that starts inside the head starts (a position
    /// in `head`), ascending, the first 0.
    pub head_paragraphs: Vec<u16>,
    /// The head covers the whole text (it has at most [`HEAD_SHINGLES`]
    /// shingle positions).
    pub head_complete: bool,
}

/// One sampled shingle: its key (the sampling hash, below [`SAMPLE_BELOW`]),
/// the paragraph of the text it starts in (0-based, capped at
/// [`MAX_PARAGRAPH`]) and whether it starts in the lead (the first
/// [`LEAD_WORDS`] words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sample {
    /// Sampling hash, also the index key.
    pub key: u64,
    /// Paragraph it starts in.
    pub paragraph: u16,
    /// It starts within the first [`LEAD_WORDS`] words.
    pub lead: bool,
}

impl Fingerprint {
    /// Fingerprint of an article's plain text.
    pub fn from_text(text: &str) -> Fingerprint {
        Fingerprint::from_paragraphs(&normalised_paragraphs(text))
    }

    /// Fingerprint of an item: its text, with the title folded in front when
    /// the text alone is short (a teaser), so that short items match only when
    /// title and text agree.
    pub fn from_parts(title: Option<&str>, text: &str) -> Fingerprint {
        let fp = Fingerprint::from_text(text);
        match title {
            Some(title) if fp.is_short() && !title.trim().is_empty() => {
                Fingerprint::from_text(&format!("{title}\n{text}"))
            }
            _ => fp,
        }
    }

    /// Fingerprint of already normalised tokens, taken as one paragraph.
    pub fn from_tokens(tokens: &[String]) -> Fingerprint {
        Fingerprint::from_paragraphs(&[tokens.to_vec()])
    }

    /// Fingerprint of already normalised tokens, paragraph by paragraph.
    /// Shingles run across paragraph breaks (as they did before paragraphs
    /// were tracked, so MinHash values stay comparable with stored ones).
    pub fn from_paragraphs(paragraphs: &[Vec<String>]) -> Fingerprint {
        let tokens: Vec<&String> = paragraphs.iter().flatten().collect();
        let para_of: Vec<u16> = paragraphs
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n(u16::try_from(i).unwrap_or(u16::MAX), p.len()))
            .collect();
        let word_hashes: Vec<u64> = tokens
            .iter()
            .map(|t| hash64(t.as_bytes(), SEED_WORD))
            .collect();

        let joined = tokens
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut text_hash = [0u8; 16];
        text_hash[..8].copy_from_slice(&hash64(joined.as_bytes(), SEED_TEXT_A).to_le_bytes());
        text_hash[8..].copy_from_slice(&hash64(joined.as_bytes(), SEED_TEXT_B).to_le_bytes());

        // (shingle hash, paragraph of its first word, that word's position)
        let mut shingles: Vec<(u64, u16, usize)> = if word_hashes.is_empty() {
            Vec::new()
        } else if word_hashes.len() < SHINGLE_WORDS {
            vec![(
                word_hashes.iter().fold(SEED_SHINGLE, |h, w| combine(h, *w)),
                0,
                0,
            )]
        } else {
            word_hashes
                .windows(SHINGLE_WORDS)
                .zip(&para_of)
                .enumerate()
                .map(|(i, (w, p))| (w.iter().fold(SEED_SHINGLE, |h, x| combine(h, *x)), *p, i))
                .collect()
        };
        let mut head: Vec<(u32, u16)> = shingles
            .iter()
            .take(HEAD_SHINGLES)
            .enumerate()
            // The low half of the shingle's sampling hash; i < 256.
            .map(|(i, (s, _, _))| (mix64(s ^ SEED_SAMPLE) as u32, i as u16))
            .collect();
        head.sort_unstable();
        let mut head_paragraphs: Vec<u16> = Vec::new();
        let mut last_para = None;
        for (i, (_, p, _)) in shingles.iter().take(HEAD_SHINGLES).enumerate() {
            if last_para != Some(*p) {
                last_para = Some(*p);
                // i < HEAD_SHINGLES = 256: fits a u16.
                head_paragraphs.push(i as u16);
            }
        }
        let head_complete = shingles.len() <= HEAD_SHINGLES;
        // Keep each shingle's first occurrence.
        shingles.sort_unstable();
        shingles.dedup_by_key(|s| s.0);

        let mut minhash = vec![EMPTY_SLOT; MINHASH_LEN];
        for (s, _, _) in &shingles {
            for (slot, (a, b)) in minhash
                .iter_mut()
                .zip(MINHASH_A.iter().zip(MINHASH_B.iter()))
            {
                // Top 32 bits of a multiply-shift hash: cannot exceed u32::MAX.
                let v = (a.wrapping_mul(*s).wrapping_add(*b) >> 32) as u32;
                if v < *slot {
                    *slot = v;
                }
            }
        }

        let mut samples: Vec<Sample> = shingles
            .iter()
            .map(|(s, p, i)| Sample {
                key: mix64(s ^ SEED_SAMPLE),
                paragraph: (*p).min(MAX_PARAGRAPH),
                lead: *i < LEAD_WORDS,
            })
            .filter(|s| s.key < SAMPLE_BELOW)
            .collect();
        samples.sort_unstable();
        let sample_limit = if samples.len() > MAX_SAMPLES {
            // The lowest keys, plus every sample of the lead.
            let limit = samples[MAX_SAMPLES - 1].key;
            let mut i = 0;
            samples.retain(|s| {
                i += 1;
                i <= MAX_SAMPLES || s.lead
            });
            limit
        } else if shingles.is_empty() {
            0
        } else {
            SAMPLE_BELOW - 1
        };

        let numbers = tokens
            .iter()
            .filter(|t| t.chars().any(|c| c.is_numeric()))
            .fold(0u64, |bits, t| {
                bits | 1 << (hash64(t.as_bytes(), SEED_NUMBER) % 64)
            });
        let unspaced = tokens
            .iter()
            .filter(|t| t.chars().next().is_some_and(is_unspaced))
            .count();
        let words = tokens.len() - unspaced + unspaced.div_ceil(2);

        Fingerprint {
            text_hash,
            simhash: simhash(&word_hashes),
            minhash,
            tokens: u32::try_from(shingles.len()).unwrap_or(u32::MAX),
            numbers,
            samples,
            sample_limit,
            paragraphs: u16::try_from(paragraphs.len()).unwrap_or(u16::MAX),
            words: u32::try_from(words).unwrap_or(u32::MAX),
            head,
            head_paragraphs,
            head_complete,
        }
    }

    /// True when it carries a head (made by this version from a non-empty
    /// text).
    pub fn has_head(&self) -> bool {
        !self.head.is_empty()
    }

    /// The index keys of its samples.
    pub fn sample_keys(&self) -> Vec<i64> {
        // Keys are below 2^62, so they fit an i64 unchanged.
        self.samples.iter().map(|s| s.key as i64).collect()
    }

    /// True when it carries samples (every fingerprint made by this version
    /// of a non-empty text; not those stored in format 1).
    pub fn has_samples(&self) -> bool {
        self.sample_limit > 0
    }

    /// True when the text had no words at all.
    pub fn is_empty(&self) -> bool {
        self.tokens == 0
    }

    /// True for teaser-length texts: fewer than [`SHORT_SHINGLES`] shingles,
    /// or fewer than [`SHORT_WORDS`] words (a Chinese teaser has as many
    /// shingles as characters).
    pub fn is_short(&self) -> bool {
        self.tokens < SHORT_SHINGLES || self.words < SHORT_WORDS
    }

    /// The stored layout, little-endian: version `u8`, `text_hash` 16 bytes,
    /// `simhash` `u64`, `numbers` `u64`, `tokens` `u32`, slot count `u16`, the
    /// slots as `u32`; then (format 2) `paragraphs` `u16`, `words` `u32`,
    /// `sample_limit` `u64`, sample count `u16` and each sample as key `u64`
    /// and paragraph `u16` (top bit: the lead flag); then (format 3) the head:
    /// `head_complete` `u8`, entry count `u16`, each entry as hash `u32` and
    /// position `u16`, paragraph count `u16`, the paragraph starts as `u16`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            HEADER
                + 4 * self.minhash.len()
                + TAIL
                + 10 * self.samples.len()
                + 5
                + 6 * self.head.len()
                + 2 * self.head_paragraphs.len(),
        );
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.text_hash);
        out.extend_from_slice(&self.simhash.to_le_bytes());
        out.extend_from_slice(&self.numbers.to_le_bytes());
        out.extend_from_slice(&self.tokens.to_le_bytes());
        let n = u16::try_from(self.minhash.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_le_bytes());
        for v in self.minhash.iter().take(usize::from(n)) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.paragraphs.to_le_bytes());
        out.extend_from_slice(&self.words.to_le_bytes());
        out.extend_from_slice(&self.sample_limit.to_le_bytes());
        let k = u16::try_from(self.samples.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&k.to_le_bytes());
        for s in self.samples.iter().take(usize::from(k)) {
            out.extend_from_slice(&s.key.to_le_bytes());
            let flag = if s.lead { 0x8000 } else { 0 };
            out.extend_from_slice(&(s.paragraph.min(MAX_PARAGRAPH) | flag).to_le_bytes());
        }
        out.push(u8::from(self.head_complete));
        let h = u16::try_from(self.head.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&h.to_le_bytes());
        for (v, at) in self.head.iter().take(usize::from(h)) {
            out.extend_from_slice(&v.to_le_bytes());
            out.extend_from_slice(&at.to_le_bytes());
        }
        let p = u16::try_from(self.head_paragraphs.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&p.to_le_bytes());
        for v in self.head_paragraphs.iter().take(usize::from(p)) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads the layout written by [`Fingerprint::to_bytes`], in this format
    /// or in format 2 (then without a head: no pick-up rule) or 1 (then
    /// without samples either: such an item is matched on resemblance
    /// alone).
    pub fn from_bytes(bytes: &[u8]) -> Result<Fingerprint, FingerprintError> {
        let short = |expected| FingerprintError::Length {
            expected,
            found: bytes.len(),
        };
        let version = *bytes.first().ok_or(short(HEADER))?;
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(FingerprintError::Version(version));
        }
        let header = bytes.get(..HEADER).ok_or(short(HEADER))?;
        let mut text_hash = [0u8; 16];
        text_hash.copy_from_slice(&header[1..17]);
        let simhash = u64::from_le_bytes(array(&header[17..25]));
        let numbers = u64::from_le_bytes(array(&header[25..33]));
        let tokens = u32::from_le_bytes(array(&header[33..37]));
        let n = usize::from(u16::from_le_bytes(array(&header[37..39])));
        let slots_end = HEADER + 4 * n;
        let minhash = bytes
            .get(HEADER..slots_end)
            .ok_or(short(slots_end))?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(array(c)))
            .collect();
        let mut fp = Fingerprint {
            text_hash,
            simhash,
            minhash,
            tokens,
            numbers,
            samples: Vec::new(),
            sample_limit: 0,
            paragraphs: 1,
            words: tokens,
            head: Vec::new(),
            head_paragraphs: Vec::new(),
            head_complete: false,
        };
        if version == 1 {
            return if bytes.len() == slots_end {
                Ok(fp)
            } else {
                Err(short(slots_end))
            };
        }
        let tail = bytes
            .get(slots_end..slots_end + TAIL)
            .ok_or(short(slots_end + TAIL))?;
        fp.paragraphs = u16::from_le_bytes(array(&tail[0..2]));
        fp.words = u32::from_le_bytes(array(&tail[2..6]));
        fp.sample_limit = u64::from_le_bytes(array(&tail[6..14]));
        let k = usize::from(u16::from_le_bytes(array(&tail[14..16])));
        let samples_end = slots_end + TAIL + 10 * k;
        if (version == 2 && bytes.len() != samples_end) || bytes.len() < samples_end {
            return Err(short(samples_end));
        }
        fp.samples = bytes[slots_end + TAIL..samples_end]
            .chunks_exact(10)
            .map(|c| {
                let p = u16::from_le_bytes(array(&c[8..]));
                Sample {
                    key: u64::from_le_bytes(array(&c[..8])),
                    paragraph: p & MAX_PARAGRAPH,
                    lead: p & 0x8000 != 0,
                }
            })
            .collect();
        if version == 2 {
            return Ok(fp);
        }
        let rest = &bytes[samples_end..];
        let head_start = 3;
        let h = usize::from(u16::from_le_bytes(array(
            rest.get(1..head_start)
                .ok_or(short(samples_end + head_start))?,
        )));
        let paras_at = head_start + 6 * h;
        let p = usize::from(u16::from_le_bytes(array(
            rest.get(paras_at..paras_at + 2)
                .ok_or(short(samples_end + paras_at + 2))?,
        )));
        let expected = samples_end + paras_at + 2 + 2 * p;
        if bytes.len() != expected {
            return Err(short(expected));
        }
        fp.head_complete = rest[0] != 0;
        fp.head = rest[head_start..paras_at]
            .chunks_exact(6)
            .map(|c| {
                (
                    u32::from_le_bytes(array(&c[..4])),
                    u16::from_le_bytes(array(&c[4..])),
                )
            })
            .collect();
        fp.head_paragraphs = rest[paras_at + 2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes(array(c)))
            .collect();
        Ok(fp)
    }
}

/// True for a character of a script written without spaces.
fn is_unspaced(c: char) -> bool {
    super::analyse::script_of(c) == Some(super::analyse::Script::Unspaced)
}

/// Copies a slice of known length into an array (lengths are checked by the
/// callers' slicing; a shorter slice leaves zeros rather than panicking).
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// Charikar SimHash of word hashes, each occurrence weighted 1.
fn simhash(word_hashes: &[u64]) -> u64 {
    let mut counts = [0i32; 64];
    for h in word_hashes {
        for (bit, c) in counts.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *c += 1;
            } else {
                *c -= 1;
            }
        }
    }
    counts.iter().enumerate().fold(
        0u64,
        |acc, (bit, c)| if *c > 0 { acc | 1 << bit } else { acc },
    )
}

/// The LSH band keys of a fingerprint: [`BANDS`] keys, none for an empty text.
pub fn band_keys(fp: &Fingerprint) -> Vec<i64> {
    if fp.is_empty() || fp.minhash.len() < BANDS * ROWS_PER_BAND {
        return Vec::new();
    }
    fp.minhash
        .chunks_exact(ROWS_PER_BAND)
        .take(BANDS)
        .enumerate()
        .map(|(band, rows)| {
            let h = rows.iter().fold(combine(SEED_BAND, band as u64), |h, v| {
                combine(h, u64::from(*v))
            });
            h as i64
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;

    const TEXT: &str = "The United Nations Security Council met on Thursday to discuss the \
        humanitarian situation in the region, diplomats said, after aid agencies warned \
        that supplies of food and fuel would run out within days.";

    #[test]
    fn golden_fingerprint() {
        let fp = Fingerprint::from_text(TEXT);
        assert_eq!(fp.tokens, 31);
        assert_eq!(
            u64::from_le_bytes(array(&fp.text_hash[..8])),
            0x4D06_F2C3_D187_69E7
        );
        assert_eq!(fp.simhash, 0x34EC_CFFB_85B4_95D8);
        assert_eq!(
            &fp.minhash[..4],
            &[39_260_744, 154_257_914, 52_465_581, 194_620_801]
        );
        assert_eq!(band_keys(&fp)[0], -710_458_997_508_925);
        assert_eq!(fp.numbers, 0);
        let figures = Fingerprint::from_text("Brent rose 96 cents to $73.26 on Nov 24, 2026.");
        assert_eq!(figures.numbers.count_ones(), 5);
        assert_eq!(figures.numbers, 0x0240_0028_4000_0000);
    }

    #[test]
    fn bytes_round_trip_and_reject_garbage() {
        let fp = Fingerprint::from_text(TEXT);
        let bytes = fp.to_bytes();
        assert_eq!(
            bytes.len(),
            HEADER
                + 4 * MINHASH_LEN
                + TAIL
                + 10 * fp.samples.len()
                + 5
                + 6 * fp.head.len()
                + 2 * fp.head_paragraphs.len()
        );
        assert!(fp.head_complete);
        assert_eq!(fp.head.len(), 31);
        // Format 2 (no head) is still read.
        let mut v2 =
            bytes[..bytes.len() - 5 - 6 * fp.head.len() - 2 * fp.head_paragraphs.len()].to_vec();
        v2[0] = 2;
        let old = Fingerprint::from_bytes(&v2).unwrap();
        assert!(!old.has_head());
        assert_eq!(old.samples, fp.samples);
        assert_eq!(Fingerprint::from_bytes(&bytes), Ok(fp));
        assert!(matches!(
            Fingerprint::from_bytes(&bytes[..40]),
            Err(FingerprintError::Length { .. })
        ));
        assert_eq!(
            Fingerprint::from_bytes(&[9, 1, 2]),
            Err(FingerprintError::Version(9))
        );
        assert!(Fingerprint::from_bytes(&[]).is_err());
    }

    #[test]
    fn boilerplate_and_case_do_not_change_the_exact_hash() {
        let a = Fingerprint::from_text(TEXT);
        let b = Fingerprint::from_text(&format!(
            "{}\n\nReuters contributed to this report.",
            TEXT.to_uppercase()
        ));
        assert_eq!(a.text_hash, b.text_hash);
        assert_eq!(band_keys(&a), band_keys(&b));
    }

    #[test]
    fn empty_and_tiny_texts() {
        let empty = Fingerprint::from_text(" -- ");
        assert!(empty.is_empty());
        assert!(band_keys(&empty).is_empty());
        let tiny = Fingerprint::from_text("Breaking news");
        assert_eq!(tiny.tokens, 1);
        assert_eq!(band_keys(&tiny).len(), BANDS);
        let titled = Fingerprint::from_parts(Some("Quake hits coast"), "Breaking news");
        assert_ne!(titled.text_hash, tiny.text_hash);
        let long = Fingerprint::from_parts(Some("Title"), TEXT);
        assert_eq!(long, Fingerprint::from_text(TEXT));
    }
}
