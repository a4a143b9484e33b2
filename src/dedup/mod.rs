//! Story matching: which earlier item, if any, carries the same story.
//!
//! Article text in, a [`Fingerprint`] out ([`Fingerprint::from_parts`]); a
//! fingerprint and a [`StoryIndex`] in, a [`StoryDecision`] out
//! ([`assign_story`]). Copies are linked to one story, never dropped.
//!
//! How two texts are judged ([`same_story`]):
//!
//! - credits, calls to action and copyright lines are stripped first
//!   ([`text`]), so "Reuters contributed to this report" or a different page
//!   footer neither makes nor breaks a match;
//! - identical normalised text (`text_hash`) is the same story;
//! - an empty text matches nothing; a short text (teaser, fewer than
//!   [`fingerprint::SHORT_SHINGLES`] shingles) matches only a near-exact copy
//!   (estimated Jaccard ≥ [`SHORT_MIN_JACCARD`]);
//! - otherwise texts match when their 3-word-shingle sets are similar
//!   (Jaccard ≥ [`MIN_JACCARD`]: reprints with light edits or new chrome), or
//!   when the smaller is mostly contained in the larger **and** they are still
//!   reasonably similar overall (containment ≥ [`MIN_CONTAINMENT`] and Jaccard
//!   ≥ [`MIN_JACCARD_CONTAINED`]: a reprint with the ending trimmed). The second
//!   Jaccard floor is what keeps apart two different stories that share a
//!   background paragraph: there the shared part is a small fraction of both;
//! - texts that both carry at least [`MIN_NUMBERS`] figures must share at
//!   least [`MIN_NUMBER_CONTAINMENT`] of the smaller set of them: daily market
//!   or weather reports written on one template share nearly every word but
//!   not their figures, while a reprint keeps them.
//!
//! Matching is one index lookup per item: the LSH band keys of the new
//! fingerprint fetch the candidates seen within the time window
//! ([`DEFAULT_WINDOW_DAYS`] days by default), each is compared, and the most
//! similar matching candidate gives the story. The thresholds and their
//! measured precision and recall are in `BENCHMARKS.md` ("Story matching").

pub mod fingerprint;
pub mod hash;
pub mod index;
pub mod text;

use chrono::{DateTime, TimeDelta, Utc};

pub use fingerprint::{Fingerprint, FingerprintError, band_keys};
pub use index::{Candidate, MemoryIndex, StoryIndex};

/// Jaccard estimate above which two (non-short) texts are the same story.
pub const MIN_JACCARD: f64 = 0.45;
/// Containment estimate above which a text counts as contained in the other.
pub const MIN_CONTAINMENT: f64 = 0.70;
/// Jaccard floor that still applies to a contained text.
pub const MIN_JACCARD_CONTAINED: f64 = 0.30;
/// Jaccard estimate two short texts need to be the same story.
pub const SHORT_MIN_JACCARD: f64 = 0.90;
/// Texts that both carry at least this many numeric tokens (bits of
/// `Fingerprint::numbers`) must agree on their figures.
pub const MIN_NUMBERS: u32 = 4;
/// Share of the smaller numeric-token set that must appear in the other:
/// below it, two texts are different reports built on one template.
pub const MIN_NUMBER_CONTAINMENT: f64 = 0.5;
/// Default matching window in days: items first seen further apart are never
/// joined.
pub const DEFAULT_WINDOW_DAYS: i64 = 7;

/// The default matching window.
pub fn default_window() -> TimeDelta {
    TimeDelta::days(DEFAULT_WINDOW_DAYS)
}

/// How similar two fingerprints are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Estimated Jaccard similarity of the shingle sets (share of equal
    /// MinHash slots), 0 to 1.
    pub jaccard_estimate: f64,
    /// Estimated share of the smaller shingle set found in the larger, 0 to 1.
    pub containment_estimate: f64,
    /// Identical normalised text.
    pub exact: bool,
    /// Hamming distance of the SimHashes (0 to 64), for diagnostics.
    pub simhash_distance: u32,
    /// Share of the smaller set of numeric tokens found in the other; `None`
    /// when either text has fewer than [`MIN_NUMBERS`].
    pub number_containment: Option<f64>,
}

/// Compares two fingerprints.
pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    let slots = a.minhash.len().min(b.minhash.len());
    let agree = a
        .minhash
        .iter()
        .zip(&b.minhash)
        .filter(|(x, y)| x == y && **x != fingerprint::EMPTY_SLOT)
        .count();
    let jaccard = if slots == 0 {
        0.0
    } else {
        agree as f64 / slots as f64
    };
    let (na, nb) = (f64::from(a.tokens), f64::from(b.tokens));
    let smaller = na.min(nb);
    let containment = if smaller == 0.0 {
        0.0
    } else {
        // |A∩B| = J·(|A|+|B|)/(1+J)
        (jaccard * (na + nb) / (1.0 + jaccard) / smaller).min(1.0)
    };
    Similarity {
        jaccard_estimate: jaccard,
        containment_estimate: containment,
        exact: a.text_hash == b.text_hash && !a.is_empty(),
        simhash_distance: (a.simhash ^ b.simhash).count_ones(),
        number_containment: number_containment(a.numbers, b.numbers),
    }
}

/// Containment of numeric-token bit sets, when both are large enough to judge.
fn number_containment(a: u64, b: u64) -> Option<f64> {
    let smaller = a.count_ones().min(b.count_ones());
    (smaller >= MIN_NUMBERS).then(|| f64::from((a & b).count_ones()) / f64::from(smaller))
}

/// The decision rule of the module notes applied to a computed similarity.
pub fn same_story_given(a: &Fingerprint, b: &Fingerprint, sim: &Similarity) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if sim.exact {
        return true;
    }
    if a.is_short() || b.is_short() {
        return sim.jaccard_estimate >= SHORT_MIN_JACCARD;
    }
    if sim
        .number_containment
        .is_some_and(|c| c < MIN_NUMBER_CONTAINMENT)
    {
        return false;
    }
    sim.jaccard_estimate >= MIN_JACCARD
        || (sim.containment_estimate >= MIN_CONTAINMENT
            && sim.jaccard_estimate >= MIN_JACCARD_CONTAINED)
}

/// True when two fingerprints are judged to be the same story.
pub fn same_story(a: &Fingerprint, b: &Fingerprint) -> bool {
    same_story_given(a, b, &compare(a, b))
}

/// The outcome of matching one new item.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryDecision {
    /// The existing story the item joins; `None` when it starts its own.
    pub story_id: Option<i64>,
    /// The indexed item it matched best.
    pub matched_item: Option<i64>,
    /// Jaccard estimate against the matched item (1 for an exact copy, 0 when
    /// nothing matched).
    pub score: f64,
}

impl StoryDecision {
    /// The story id to store for `item_id`: the matched story, else its own id.
    pub fn story_for(&self, item_id: i64) -> i64 {
        self.story_id.unwrap_or(item_id)
    }
}

/// Finds the story of a new item and records it in the index.
///
/// Looks up candidates sharing a band key and first seen within `window`
/// before `seen_at` (one index lookup), keeps those [`same_story`] accepts,
/// and joins the most similar (exact copies first, then highest Jaccard, then
/// the earliest item). The item is then inserted with the chosen story id
/// (its own id when nothing matched).
pub fn assign_story<I: StoryIndex + ?Sized>(
    index: &mut I,
    item_id: i64,
    fingerprint: &Fingerprint,
    seen_at: DateTime<Utc>,
    window: TimeDelta,
) -> Result<StoryDecision, I::Error> {
    let bands = band_keys(fingerprint);
    let since = seen_at
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let candidates = if bands.is_empty() {
        Vec::new()
    } else {
        index.candidates(&bands, since)?
    };

    let mut best: Option<(f64, &Candidate)> = None;
    for cand in candidates.iter().filter(|c| c.item_id != item_id) {
        let sim = compare(fingerprint, &cand.fingerprint);
        if !same_story_given(fingerprint, &cand.fingerprint, &sim) {
            continue;
        }
        let score = if sim.exact {
            1.0 + f64::EPSILON
        } else {
            sim.jaccard_estimate
        };
        let better = match best {
            None => true,
            Some((s, b)) => {
                score > s || (score == s && (cand.seen_at, cand.item_id) < (b.seen_at, b.item_id))
            }
        };
        if better {
            best = Some((score, cand));
        }
    }

    let decision = match best {
        Some((score, cand)) => StoryDecision {
            story_id: Some(cand.story_id),
            matched_item: Some(cand.item_id),
            score: score.min(1.0),
        },
        None => StoryDecision {
            story_id: None,
            matched_item: None,
            score: 0.0,
        },
    };
    index.insert(
        item_id,
        decision.story_for(item_id),
        seen_at,
        fingerprint,
        &bands,
    )?;
    Ok(decision)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests;
