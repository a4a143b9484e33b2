//! The story index: where fingerprints of recent items are looked up by band key.
//!
//! [`StoryIndex`] is the interface story matching needs, per new item: one
//! [`StoryIndex::sample_spread`] (in how many stories each of its sample keys
//! was seen since a time: boilerplate detection, a document frequency counted
//! in stories so that many copies of one story never make it boilerplate),
//! one [`StoryIndex::candidates`] (items sharing a band key or a sample key,
//! seen since a time) and one [`StoryIndex::insert`]. [`MemoryIndex`] keeps everything in hash maps (tests,
//! benchmarks, one-off runs); the SQLite implementation lives in
//! `crate::store::stories`.

use std::collections::HashMap;
use std::convert::Infallible;

use chrono::{DateTime, Utc};

use super::fingerprint::{Fingerprint, band_keys};

/// Sample keys an item must share with the new one to be a candidate
/// without a shared band key: one shared stock phrase is no lead worth
/// reading a fingerprint for (every copy the rules accept shares at least
/// four samples, or a head of 15 shingles), and the number of items
/// sharing one rare key grows with the window.
pub const MIN_CANDIDATE_SAMPLES: usize = 2;

/// Postings read per key in a candidate lookup: the newest (latest
/// `seen_at`, then highest item id) seen since the window's start. A key
/// carried by more items than this in the window is a template or a story
/// copied that many times; its newest carriers are enough to find the
/// story, and reading every one of them made each new item's lookup grow
/// with the store (a template's band key was carried by 5,296 of 69,204
/// items). Every lookup on the labelled sets reads far fewer.
pub const CANDIDATE_POSTINGS: usize = 64;

/// Candidates compared per new item, at most: those sharing the most keys
/// with it (band and sample keys together; ties go to the newest, the
/// highest id). A story's copies share several keys with each other (a
/// resemblance at Jaccard 0.45 about four band keys and half its samples, a
/// pick-up most of its samples), while a template or a stock phrase links
/// an item to hundreds of unrelated ones by one key each: without the
/// bound every such item's fingerprint was read and compared (551
/// candidates per item in the 20,000-feed farm, 46 % of the writer's time).
pub const MAX_CANDIDATES: usize = 32;

/// The candidate rule, on the postings a lookup read (one list per distinct
/// key, each at most [`CANDIDATE_POSTINGS`] long): every item under a band
/// key, and every item under at least [`MIN_CANDIDATE_SAMPLES`] sample
/// keys; of those, the [`MAX_CANDIDATES`] sharing the most keys (ties: the
/// highest ids). Sorted, each id once.
pub fn candidate_ids<B, S>(bands: B, samples: S) -> Vec<i64>
where
    B: IntoIterator,
    B::Item: AsRef<[i64]>,
    S: IntoIterator,
    S::Item: AsRef<[i64]>,
{
    // (id, 1 for a band posting, 0 for a sample posting), grouped by id.
    let mut postings: Vec<(i64, u32)> = Vec::new();
    for posting in bands {
        postings.extend(posting.as_ref().iter().map(|id| (*id, 1)));
    }
    for posting in samples {
        postings.extend(posting.as_ref().iter().map(|id| (*id, 0)));
    }
    postings.sort_unstable();
    // (keys shared, id) of each item the rule admits.
    let mut ranked: Vec<(usize, i64)> = postings
        .chunk_by(|x, y| x.0 == y.0)
        .filter_map(|run| {
            let bands = run.iter().filter(|p| p.1 == 1).count();
            let samples = run.len() - bands;
            (bands > 0 || samples >= MIN_CANDIDATE_SAMPLES).then_some((run.len(), run[0].0))
        })
        .collect();
    if ranked.len() > MAX_CANDIDATES {
        ranked.select_nth_unstable_by(MAX_CANDIDATES, |a, b| b.cmp(a));
        ranked.truncate(MAX_CANDIDATES);
    }
    let mut ids: Vec<i64> = ranked.into_iter().map(|(_, id)| id).collect();
    ids.sort_unstable();
    ids
}

/// `keys` sorted, each once: a key counts once in the candidate rule.
pub fn distinct_keys(keys: &[i64]) -> Vec<i64> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An indexed item returned by a band-key lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The item's id (`items.id`).
    pub item_id: i64,
    /// The story the item belongs to.
    pub story_id: i64,
    /// When the item was first seen.
    pub seen_at: DateTime<Utc>,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
}

/// Storage of fingerprints and their LSH band keys.
pub trait StoryIndex {
    /// What a lookup or insert can fail with.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The indexed items seen at or after `since` that [`candidate_ids`]
    /// chooses from the newest [`CANDIDATE_POSTINGS`] postings of each
    /// distinct key of `bands` and `samples` (at most [`MAX_CANDIDATES`]),
    /// each once (order unspecified).
    fn candidates(
        &self,
        bands: &[i64],
        samples: &[i64],
        since: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, Self::Error>;

    /// For each of `samples`, the number of distinct stories among the items
    /// seen at or after `since` that carry it, counted up to `cap` (a result
    /// of `cap` means "at least"). The cost of a key is bounded however common
    /// it is.
    fn sample_spread(
        &self,
        samples: &[i64],
        since: DateTime<Utc>,
        cap: u32,
    ) -> Result<Vec<u32>, Self::Error>;

    /// Records an item: its story, first-seen time, fingerprint, band keys and
    /// sample keys (both empty for an item that must not be a candidate).
    /// Inserting an item id again replaces its entry.
    fn insert(
        &mut self,
        item_id: i64,
        story_id: i64,
        seen_at: DateTime<Utc>,
        fingerprint: &Fingerprint,
        bands: &[i64],
        samples: &[i64],
    ) -> Result<(), Self::Error>;
}

/// One item held by [`MemoryIndex`].
#[derive(Debug, Clone)]
struct Stored {
    story_id: i64,
    seen_at: DateTime<Utc>,
    fingerprint: Fingerprint,
    /// Whether its keys are posted (false for a teaser).
    indexed: bool,
}

/// The items under one band key: almost always exactly one, kept inline
/// (16 bytes, so the band map costs about 25 bytes per key).
#[derive(Debug, Clone)]
#[allow(
    clippy::box_collection,
    reason = "a thin pointer keeps Posting at 16 bytes in a map of millions"
)]
enum Posting {
    One(i64),
    Many(Box<Vec<i64>>),
}

impl Posting {
    fn ids(&self) -> &[i64] {
        match self {
            Posting::One(id) => std::slice::from_ref(id),
            Posting::Many(ids) => ids,
        }
    }
}

/// An in-memory [`StoryIndex`]: band key → item ids, item id → entry.
///
/// About 4 KB per item (the fingerprint with its samples, 42 band-map and up
/// to 64 sample-map entries); keys are always derived from the stored
/// fingerprint.
#[derive(Debug, Default, Clone)]
pub struct MemoryIndex {
    items: HashMap<i64, Stored>,
    bands: HashMap<i64, Posting>,
    samples: HashMap<i64, Posting>,
}

/// Adds `item_id` under `key`.
fn post(map: &mut HashMap<i64, Posting>, key: i64, item_id: i64) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, Posting::One(item_id));
        }
        Some(Posting::One(first)) => {
            let first = *first;
            map.insert(key, Posting::Many(Box::new(vec![first, item_id])));
        }
        Some(Posting::Many(ids)) => ids.push(item_id),
    }
}

/// Removes `item_id` from under `key`.
fn unpost(map: &mut HashMap<i64, Posting>, key: i64, item_id: i64) {
    let now_empty = match map.get_mut(&key) {
        Some(Posting::One(id)) => *id == item_id,
        Some(Posting::Many(ids)) => {
            ids.retain(|id| *id != item_id);
            ids.is_empty()
        }
        None => false,
    };
    if now_empty {
        map.remove(&key);
    }
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> MemoryIndex {
        MemoryIndex::default()
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Forgets items seen before `before` (they can no longer match anything
    /// within a window that starts later). Returns how many were removed.
    pub fn prune_before(&mut self, before: DateTime<Utc>) -> usize {
        let old: Vec<i64> = self
            .items
            .iter()
            .filter(|(_, s)| s.seen_at < before)
            .map(|(id, _)| *id)
            .collect();
        for id in &old {
            self.remove(*id);
        }
        old.len()
    }

    fn remove(&mut self, item_id: i64) {
        if let Some(old) = self.items.remove(&item_id)
            && old.indexed
        {
            for key in band_keys(&old.fingerprint) {
                unpost(&mut self.bands, key, item_id);
            }
            for key in old.fingerprint.sample_keys() {
                unpost(&mut self.samples, key, item_id);
            }
        }
    }
}

impl StoryIndex for MemoryIndex {
    type Error = Infallible;

    fn candidates(
        &self,
        bands: &[i64],
        samples: &[i64],
        since: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, Infallible> {
        // Postings hold ids in insertion order, which is time order for
        // every user of this index: the newest are at the end.
        let newest = |map: &HashMap<i64, Posting>, key: &i64| -> Vec<i64> {
            map.get(key)
                .map(Posting::ids)
                .unwrap_or_default()
                .iter()
                .rev()
                .filter(|id| self.items.get(id).is_some_and(|s| s.seen_at >= since))
                .take(CANDIDATE_POSTINGS)
                .copied()
                .collect()
        };
        let ids = candidate_ids(
            distinct_keys(bands).iter().map(|k| newest(&self.bands, k)),
            distinct_keys(samples)
                .iter()
                .map(|k| newest(&self.samples, k)),
        );
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                let s = self.items.get(&id)?;
                (s.seen_at >= since).then(|| Candidate {
                    item_id: id,
                    story_id: s.story_id,
                    seen_at: s.seen_at,
                    fingerprint: s.fingerprint.clone(),
                })
            })
            .collect())
    }

    fn sample_spread(
        &self,
        samples: &[i64],
        since: DateTime<Utc>,
        cap: u32,
    ) -> Result<Vec<u32>, Infallible> {
        Ok(samples
            .iter()
            .map(|k| {
                let mut stories: Vec<i64> = Vec::new();
                for id in self.samples.get(k).map(Posting::ids).unwrap_or_default() {
                    if let Some(s) = self.items.get(id).filter(|s| s.seen_at >= since)
                        && !stories.contains(&s.story_id)
                    {
                        stories.push(s.story_id);
                        if stories.len() >= cap as usize {
                            break;
                        }
                    }
                }
                stories.len() as u32
            })
            .collect())
    }

    fn insert(
        &mut self,
        item_id: i64,
        story_id: i64,
        seen_at: DateTime<Utc>,
        fingerprint: &Fingerprint,
        bands: &[i64],
        samples: &[i64],
    ) -> Result<(), Infallible> {
        // Keys are re-derived from the fingerprint (as `remove` does), so the
        // two can never disagree; only whether to post them is taken from the
        // caller (`assign_story` passes the same keys, or none for a teaser).
        self.remove(item_id);
        let indexed = !bands.is_empty() || !samples.is_empty();
        if indexed {
            for key in band_keys(fingerprint) {
                post(&mut self.bands, key, item_id);
            }
            for key in fingerprint.sample_keys() {
                post(&mut self.samples, key, item_id);
            }
        }
        self.items.insert(
            item_id,
            Stored {
                story_id,
                seen_at,
                fingerprint: fingerprint.clone(),
                indexed,
            },
        );
        Ok(())
    }
}
