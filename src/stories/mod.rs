//! Story matching: which earlier item, if any, carries the same story
//! (deduplication that links copies, never drops them).
//!
//! Article text in, a [`Fingerprint`] out ([`Fingerprint::from_parts`]); a
//! fingerprint, its candidates and the known boilerplate keys in, a
//! [`StoryDecision`] out ([`choose`], pure, in [`decide`] with the rules);
//! [`assign_story`] wraps it in the lookups and the insert of a
//! [`StoryIndex`]. Copies are linked to one story, never dropped.
//!
//! - [`analyse`]: words and search terms for every script (CJK bigrams,
//!   Arabic normalisation, Snowball stems), shared with the search index;
//! - [`text`]: boilerplate lines stripped before fingerprinting;
//! - [`fingerprint`]: MinHash (resemblance), sampled shingles (containment,
//!   boilerplate), exact hash, figures;
//! - [`decide`]: the decision, pure;
//! - [`index`]: the index interface, the candidate rule and an in-memory
//!   implementation (the stores' are `crate::store::stories` for SQLite and
//!   `store::pg`'s for PostgreSQL; the glue that reads and writes an item's
//!   story in a store transaction, the late-text rule included, is
//!   `crate::store::stories_hook`).
//!
//! Matching is a bounded number of index lookups per item: the spread of its
//! sample keys over stories (boilerplate detection), then the items sharing
//! an LSH band key or two uncommon sample keys within the time window
//! ([`DEFAULT_WINDOW_DAYS`] days by default). The thresholds and their
//! measured precision and recall are in `BENCHMARKS.md` ("Story matching").

pub mod analyse;
pub mod decide;
pub mod fingerprint;
pub mod hash;
pub mod index;
pub mod text;

use chrono::{DateTime, TimeDelta, Utc};

pub use decide::{
    BOILERPLATE_STORIES, HeadOverlap, MIN_CONTAINMENT, MIN_JACCARD, MIN_JACCARD_CONTAINED,
    MIN_NUMBER_CONTAINMENT, MIN_NUMBERS, Match, SampleOverlap, Similarity, StoryDecision,
    boilerplate_keys, choose, compare, compare_with, judge, same_story,
};
pub use fingerprint::{Fingerprint, FingerprintError, band_keys};
pub use index::{Candidate, MemoryIndex, StoryIndex};

/// Default matching window in days: items first seen further apart are never
/// joined.
pub const DEFAULT_WINDOW_DAYS: i64 = 7;

/// The default matching window.
pub fn default_window() -> TimeDelta {
    TimeDelta::days(DEFAULT_WINDOW_DAYS)
}

/// Finds the story of a new item and records it in the index.
///
/// Three steps around the pure [`choose`]: the spread of the item's sample
/// keys over stories seen within `window` before `seen_at` (keys in at least
/// [`BOILERPLATE_STORIES`] stories are too common to look up, and those of a
/// paragraph mostly made of them are boilerplate: [`boilerplate_keys`]), the
/// candidates sharing a band key or two of the other sample keys, and the
/// insert of the item with the chosen story id (its own id when nothing
/// matched). A short text (a teaser) is recorded without keys: it neither
/// joins nor is joined until its full text replaces it.
pub fn assign_story<I: StoryIndex + ?Sized>(
    index: &mut I,
    item_id: i64,
    fingerprint: &Fingerprint,
    seen_at: DateTime<Utc>,
    window: TimeDelta,
) -> Result<StoryDecision, I::Error> {
    let since = seen_at
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if fingerprint.is_short() {
        index.insert(item_id, item_id, seen_at, fingerprint, &[], &[])?;
        return Ok(StoryDecision::none());
    }
    let bands = band_keys(fingerprint);
    let keys = fingerprint.sample_keys();
    let spread = index.sample_spread(&keys, since, BOILERPLATE_STORIES)?;
    // Keys too common to look up (their postings would be long) ...
    let useful: Vec<i64> = keys
        .iter()
        .zip(&spread)
        .filter(|(_, n)| **n < BOILERPLATE_STORIES)
        .map(|(k, _)| *k)
        .collect();
    // ... and the boilerplate set aside in the decision: whole paragraphs.
    let boilerplate = boilerplate_keys(fingerprint, &spread);
    let candidates = if bands.is_empty() {
        Vec::new()
    } else {
        index.candidates(&bands, &useful, since)?
    };
    let decision = choose(item_id, fingerprint, &candidates, &boilerplate);
    index.insert(
        item_id,
        decision.story_for(item_id),
        seen_at,
        fingerprint,
        &bands,
        &keys,
    )?;
    Ok(decision)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests;
