//! A compact ordered set of story-index postings `(key, seen_at, item_id)`:
//! what the writer keeps in memory of the pending keys
//! ([`super::stories::PendingKeys`]).
//!
//! A `BTreeSet` of three `i64`s took about 38 bytes a posting (24 of data,
//! the rest node overhead at two-thirds full), so the pending keys of 8,192
//! items held about 19 MB. Here most postings live in one sorted vector of
//! 16-byte entries (`seen_at` and `item_id` as `u32`, which every Unix time
//! until 2106 and every id below 2^32 fit); new postings go to a small
//! `BTreeSet` first, sorted into the vector once it holds [`TAIL_POSTINGS`].
//! Removing an item marks it, and its entries in the vector are skipped
//! until the next such sort drops them. A posting that does not fit 16
//! bytes stays in the `BTreeSet`. Lookups read both, newest first.

use std::collections::{BTreeSet, HashSet};

/// Postings added before they are sorted into the vector (about 1,200
/// items' keys; a few MB).
pub const TAIL_POSTINGS: usize = 1 << 16;

/// Entries of the vector per fence key (four cache lines).
const BLOCK: usize = 16;

/// One posting in 16 bytes; ordered as `(key, seen_at, item_id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Packed {
    key: i64,
    seen: u32,
    id: u32,
}

impl Packed {
    fn new((key, seen, id): (i64, i64, i64)) -> Option<Self> {
        Some(Self {
            key,
            seen: u32::try_from(seen).ok()?,
            id: u32::try_from(id).ok()?,
        })
    }

    fn unpack(self) -> (i64, i64, i64) {
        (self.key, i64::from(self.seen), i64::from(self.id))
    }
}

/// Postings `(key, seen_at, item_id)`, added and removed an item at a time.
#[derive(Debug, Default)]
pub struct KeySet {
    /// Sorted; entries of items in `dead` no longer count.
    run: Vec<Packed>,
    /// The key of every [`BLOCK`]th entry of `run`: a lookup searches this
    /// (small enough to stay in the CPU's cache) and then one or two
    /// blocks, instead of a binary search of `run` that misses the cache
    /// at nearly every step.
    fence: Vec<i64>,
    /// Postings not yet in `run`, and those too wide for it.
    tail: BTreeSet<(i64, i64, i64)>,
    /// Items removed since `run` was last sorted.
    dead: HashSet<u32>,
    /// `tail` is sorted into `run` once it holds this many postings.
    next_sort: usize,
}

impl KeySet {
    /// Adds the postings of `item_id`, seen at `seen`, under `keys`.
    pub fn add(&mut self, item_id: i64, seen: i64, keys: &[i64]) {
        self.tail.extend(keys.iter().map(|&k| (k, seen, item_id)));
        if self.tail.len() >= self.next_sort.max(TAIL_POSTINGS) {
            self.sort_tail();
        }
    }

    /// Removes every posting of `item_id` (added at `seen` under `keys`).
    pub fn remove(&mut self, item_id: i64, seen: i64, keys: &[i64]) {
        for &k in keys {
            self.tail.remove(&(k, seen, item_id));
        }
        if let Ok(id) = u32::try_from(item_id) {
            self.dead.insert(id);
        }
    }

    /// Up to `limit` postings of `key` seen at or after `since`, newest
    /// first (latest `seen_at`, then highest id), as `(seen_at, item_id)`.
    pub fn postings(&self, key: i64, since: i64, limit: usize) -> Vec<(i64, i64)> {
        // The first block whose first key is `key` or more; the key's
        // entries may begin in the block before it.
        let block = self.fence.partition_point(|k| *k < key).saturating_sub(1);
        let first = self.run[block * BLOCK..]
            .iter()
            .position(|p| p.key >= key)
            .map_or(self.run.len(), |i| block * BLOCK + i);
        // Its last entry by galloping: a key carried by thousands of items
        // costs a few steps near `first`, not a scan.
        let rest = &self.run[first..];
        let mut past = 1;
        while past < rest.len() && rest[past].key == key {
            past *= 2;
        }
        let known = past / 2;
        let end =
            first + known + rest[known..past.min(rest.len())].partition_point(|p| p.key == key);
        let run = self.run[first..end]
            .iter()
            .rev()
            .take_while(|p| i64::from(p.seen) >= since)
            .filter(|p| !self.dead.contains(&p.id))
            .map(|p| (i64::from(p.seen), i64::from(p.id)));
        let tail = self
            .tail
            .range((key, since, i64::MIN)..=(key, i64::MAX, i64::MAX))
            .rev()
            .map(|&(_, seen, id)| (seen, id));
        let mut out: Vec<(i64, i64)> = run.take(limit).chain(tail.take(limit)).collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.truncate(limit);
        out
    }

    /// Every posting, in order except for the few too wide to pack (last).
    pub fn iter(&mut self) -> impl Iterator<Item = (i64, i64, i64)> + '_ {
        self.sort_tail();
        self.run
            .iter()
            .map(|p| p.unpack())
            .chain(self.tail.iter().copied())
    }

    /// Removes every posting (the vector keeps its memory for the next
    /// items).
    pub fn clear(&mut self) {
        self.run.clear();
        self.fence.clear();
        self.tail.clear();
        self.dead.clear();
        self.next_sort = 0;
    }

    /// Moves the tail into the sorted vector, dropping removed items'
    /// entries on the way.
    fn sort_tail(&mut self) {
        if !self.dead.is_empty() {
            let dead = std::mem::take(&mut self.dead);
            self.run.retain(|p| !dead.contains(&p.id));
        }
        let before = self.run.len();
        let tail = std::mem::take(&mut self.tail);
        for posting in tail {
            match Packed::new(posting) {
                Some(p) => self.run.push(p),
                None => {
                    self.tail.insert(posting);
                }
            }
        }
        if self.run.len() != before {
            self.run.sort_unstable();
            self.run.dedup();
        }
        self.fence.clear();
        self.fence
            .extend(self.run.iter().step_by(BLOCK).map(|p| p.key));
        self.next_sort = self.tail.len() + TAIL_POSTINGS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same postings in a plain `BTreeSet`, read the way
    /// [`KeySet::postings`] reads.
    fn expected(
        set: &BTreeSet<(i64, i64, i64)>,
        key: i64,
        since: i64,
        limit: usize,
    ) -> Vec<(i64, i64)> {
        set.range((key, since, i64::MIN)..=(key, i64::MAX, i64::MAX))
            .rev()
            .take(limit)
            .map(|&(_, s, id)| (s, id))
            .collect()
    }

    #[test]
    fn agrees_with_a_btree_set_through_adds_removals_and_sorts() {
        let mut keys = KeySet::default();
        let mut plain = BTreeSet::new();
        // Items with overlapping keys, some removed and added again with
        // new keys, one with an id and one with a time too wide to pack;
        // enough postings for several sorts of the tail.
        let keys_of = |item: i64, round: i64| -> Vec<i64> {
            (0..40).map(|k| (item * 7 + k * 13 + round) % 997).collect()
        };
        let wide = [(1 << 40, 1_800_000_000), (77, -5), (78, 1 << 33)];
        let mut added = Vec::new();
        for item in 1..=4000i64 {
            let seen = 1_700_000_000 + item / 3;
            let k = keys_of(item, 0);
            keys.add(item, seen, &k);
            plain.extend(k.iter().map(|&x| (x, seen, item)));
            added.push((item, seen, k));
            if item % 7 == 0 {
                let (old, old_seen, old_keys) = added.swap_remove(added.len() / 2);
                keys.remove(old, old_seen, &old_keys);
                for x in &old_keys {
                    plain.remove(&(*x, old_seen, old));
                }
                if old % 2 == 0 {
                    let k = keys_of(old, 1);
                    keys.add(old, old_seen, &k);
                    plain.extend(k.iter().map(|&x| (x, old_seen, old)));
                    added.push((old, old_seen, k));
                }
            }
        }
        for (item, seen) in wide {
            let k = keys_of(item, 2);
            keys.add(item, seen, &k);
            plain.extend(k.iter().map(|&x| (x, seen, item)));
        }
        assert!(!keys.run.is_empty(), "the tail was sorted in");
        for key in 0..997 {
            for since in [i64::MIN, -10, 1_700_000_500, 1_700_001_000, 1 << 34] {
                for limit in [1, 5, 64, 10_000] {
                    assert_eq!(
                        keys.postings(key, since, limit),
                        expected(&plain, key, since, limit),
                        "key {key} since {since} limit {limit}"
                    );
                }
            }
        }
        let mut all: Vec<_> = keys.iter().collect();
        let in_order = all.len();
        all.sort_unstable();
        assert_eq!(in_order, plain.len());
        assert_eq!(all, plain.iter().copied().collect::<Vec<_>>());
        keys.clear();
        assert!(keys.iter().next().is_none());
        assert!(keys.postings(5, i64::MIN, 10).is_empty());
    }
}
