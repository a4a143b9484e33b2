//! A Bloom filter of the keys merged into one story-index table
//! (`story_bands` or `story_samples`): what lets a candidate lookup skip
//! the b-tree for a key the index does not hold
//! ([`super::stories::PendingKeys`]).
//!
//! Most band keys are found nowhere: at 300,000 items of the 100,000-feed
//! benchmark, 11.45 million of 12.39 million band rows had a key of their
//! own, and each lookup of such a key still descended the 290 MB b-tree to
//! a leaf page that was seldom in the page cache (a `pread` each). Here a
//! key is hashed to one 32-byte block and sets one bit in each of its eight
//! 32-bit words (a split-block Bloom filter): a lookup reads one cache line,
//! and with the filter at most full ([`BITS_PER_KEY`] bits a key) about
//! 3 % of absent keys are still looked up.
//!
//! The filter only answers "maybe" or "no", and only grows: keys deleted
//! from the table stay in it (a wasted lookup, never a missed one). It is
//! sized for a number of keys, at most [`MAX_KEYS`]; past that it reports
//! itself full and the owner builds a new one from the table. At the
//! largest size it takes twice its capacity before it is full: an index
//! larger than that costs more lookups (about 10 % of absent keys pass at
//! 11.45 million keys), not more memory.

/// Bits of filter per key at capacity.
pub const BITS_PER_KEY: usize = 8;

/// The smallest capacity, in keys (64 KB of filter).
pub const MIN_KEYS: usize = 1 << 16;

/// The largest capacity, in keys (8 MB of filter).
pub const MAX_KEYS: usize = 1 << 23;

/// Multipliers that pick a bit in each of a block's eight words (odd, so
/// each maps the 32-bit hash onto all 32 bit positions).
const SALT: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];

/// Keys of one story-index table, as a Bloom filter.
#[derive(Debug, Clone)]
pub struct KeyFilter {
    blocks: Box<[[u32; 8]]>,
    /// Distinct keys added (as far as the filter can tell).
    keys: usize,
    /// Keys the filter was sized for.
    capacity: usize,
}

/// The key mixed into 64 well-spread bits (the finaliser of SplitMix64):
/// keys are hashes already, but the filter must not depend on that.
fn mix(key: i64) -> u64 {
    let mut z = key as u64;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// True when every bit of `bits` is set in its word of `words`.
fn holds(words: &[u32; 8], bits: [u32; 8]) -> bool {
    words.iter().zip(bits).all(|(w, b)| w & b != 0)
}

impl KeyFilter {
    /// An empty filter for `keys` keys (at least [`MIN_KEYS`], at most
    /// [`MAX_KEYS`]).
    ///
    /// The capacity is rounded up to a power of two (so the filter can be
    /// folded, [`Self::shrink_to_fit`]).
    pub fn with_capacity(keys: usize) -> Self {
        let capacity = keys.clamp(MIN_KEYS, MAX_KEYS).next_power_of_two();
        let blocks = capacity * BITS_PER_KEY / 256;
        Self {
            blocks: vec![[0u32; 8]; blocks].into_boxed_slice(),
            keys: 0,
            capacity,
        }
    }

    /// Halves the filter while it would still be at most half full, by
    /// merging each pair of neighbouring blocks: the keys of a table whose
    /// distinct count is not known until they have all been added (sample
    /// keys repeat, band keys seldom do) go into the largest filter, which
    /// then shrinks to their number. What it answered before for a key it
    /// still answers, with a few more false positives.
    pub fn shrink_to_fit(&mut self) {
        let mut capacity = self.capacity;
        let mut blocks = std::mem::take(&mut self.blocks).into_vec();
        while capacity / 2 >= MIN_KEYS && capacity / 2 >= 2 * self.keys {
            // A key's block is the top bits of its hash's high half (see
            // `locate`): with half the blocks, block `b` becomes `b / 2`.
            // In place (block `i` is written after blocks `2i` and `2i + 1`
            // are read): no second, half-size filter beside the first.
            let half = blocks.len() / 2;
            for i in 0..half {
                let (a, b) = (blocks[2 * i], blocks[2 * i + 1]);
                blocks[i] = std::array::from_fn(|w| a[w] | b[w]);
            }
            blocks.truncate(half);
            capacity /= 2;
        }
        self.blocks = blocks.into_boxed_slice();
        self.capacity = capacity;
    }

    /// The block of `hash` and the bit of each of its words.
    fn locate(&self, hash: u64) -> (usize, [u32; 8]) {
        // The high half picks the block (a multiply-shift: no division;
        // with a power-of-two count of blocks, its top bits), the low half
        // the bits.
        let block = ((hash >> 32) * self.blocks.len() as u64) >> 32;
        let low = hash as u32;
        let mut bits = [0u32; 8];
        for (bit, salt) in bits.iter_mut().zip(SALT) {
            *bit = 1 << (low.wrapping_mul(salt) >> 27);
        }
        (block as usize, bits)
    }

    /// Adds `key`.
    pub fn insert(&mut self, key: i64) {
        let (block, bits) = self.locate(mix(key));
        let words = &mut self.blocks[block];
        if holds(words, bits) {
            // There already (or a false positive, which it now is anyway).
            return;
        }
        for (word, bit) in words.iter_mut().zip(bits) {
            *word |= bit;
        }
        self.keys += 1;
    }

    /// False when `key` was never added; true when it was, and for a few
    /// percent of the keys that were not.
    pub fn may_contain(&self, key: i64) -> bool {
        let (block, bits) = self.locate(mix(key));
        holds(&self.blocks[block], bits)
    }

    /// True once it holds the keys it was sized for (twice that at the
    /// largest size): from here each key added raises the share of false
    /// positives, and a new filter built from the table would be larger or
    /// would leave out the keys the table no longer holds.
    pub fn is_full(&self) -> bool {
        let limit = if self.capacity < MAX_KEYS {
            self.capacity
        } else {
            2 * self.capacity
        };
        self.keys >= limit
    }

    /// Distinct keys added.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// The filter's size in bytes.
    pub fn bytes(&self) -> usize {
        self.blocks.len() * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of a fixed pseudo-random sequence (SplitMix64 of `seed..`).
    fn keys(seed: i64, n: usize) -> impl Iterator<Item = i64> {
        (0..n as i64).map(move |i| mix(seed.wrapping_add(i)) as i64 >> 2)
    }

    #[test]
    fn never_forgets_a_key_and_rarely_claims_one_at_capacity() {
        let n = 1 << 18;
        let mut filter = KeyFilter::with_capacity(n - 1000);
        assert_eq!(filter.keys(), 0);
        for key in keys(1, n) {
            filter.insert(key);
        }
        // Every added key is found, including the sequence's small neighbours.
        assert!(keys(1, n).all(|k| filter.may_contain(k)));
        for k in [0, 1, -1, i64::MAX, i64::MIN] {
            filter.insert(k);
            assert!(filter.may_contain(k));
        }
        // Keys that collide with earlier ones count once: a few short.
        assert!(filter.keys() > n - n / 50 && filter.keys() <= n + 5);
        assert_eq!(filter.bytes(), n * BITS_PER_KEY / 8, "a power of two");
        // Of as many keys never added, few pass: at 8 bits a key the design
        // share is about 3 %.
        let passed = keys(1 << 40, n).filter(|&k| filter.may_contain(k)).count();
        let share = passed as f64 / n as f64;
        assert!(share < 0.05, "false positives {share}");
        assert!(
            share > 0.001,
            "a filter that passes nothing cannot be at capacity"
        );
    }

    #[test]
    fn counts_distinct_keys_and_fills_at_capacity() {
        let mut filter = KeyFilter::with_capacity(10);
        assert_eq!(
            filter.bytes(),
            MIN_KEYS * BITS_PER_KEY / 8,
            "at least MIN_KEYS"
        );
        for _ in 0..3 {
            for key in keys(7, 1000) {
                filter.insert(key);
            }
        }
        // A thousand keys in 65,536 keys' room: hardly any collide.
        assert!((990..=1000).contains(&filter.keys()), "{}", filter.keys());
        assert!(!filter.is_full());
        for key in keys(9, MIN_KEYS + MIN_KEYS / 8) {
            filter.insert(key);
        }
        assert!(filter.is_full(), "{}", filter.keys());
    }

    #[test]
    fn a_folded_filter_still_holds_every_key() {
        let n = 30_000;
        let mut filter = KeyFilter::with_capacity(MAX_KEYS);
        for key in keys(5, n) {
            filter.insert(key);
        }
        let before: Vec<bool> = keys(1 << 45, 100_000)
            .map(|k| filter.may_contain(k))
            .collect();
        filter.shrink_to_fit();
        // 30,000 keys: the smallest filter (65,536 keys) is under half full.
        assert_eq!(filter.bytes(), MIN_KEYS * BITS_PER_KEY / 8);
        assert_eq!(filter.keys(), n);
        assert!(keys(5, n).all(|k| filter.may_contain(k)));
        // A key that passed before still passes; few of the others do.
        let after: Vec<bool> = keys(1 << 45, 100_000)
            .map(|k| filter.may_contain(k))
            .collect();
        assert!(before.iter().zip(&after).all(|(b, a)| !b || *a));
        let passed = after.iter().filter(|p| **p).count();
        assert!(passed < 1_000, "{passed} of 100,000 absent keys pass");
        // Half full stays: folding again would make it full.
        let mut half = KeyFilter::with_capacity(MIN_KEYS * 4);
        for key in keys(6, MIN_KEYS) {
            half.insert(key);
        }
        half.shrink_to_fit();
        assert_eq!(half.bytes(), 2 * MIN_KEYS * BITS_PER_KEY / 8);
    }

    #[test]
    fn the_largest_filter_takes_twice_its_capacity_before_it_is_full() {
        let mut filter = KeyFilter::with_capacity(usize::MAX);
        assert_eq!(filter.bytes(), MAX_KEYS * BITS_PER_KEY / 8);
        // (Sixteen million inserts take too long for a unit test: the count
        // is set as they would leave it.)
        filter.keys = MAX_KEYS + MAX_KEYS / 2;
        assert!(!filter.is_full());
        filter.keys = 2 * MAX_KEYS;
        assert!(filter.is_full());
        let mut smaller = KeyFilter::with_capacity(MAX_KEYS / 2);
        smaller.keys = MAX_KEYS / 2;
        assert!(smaller.is_full());
    }
}
