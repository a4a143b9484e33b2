//! The hash functions behind stored fingerprints, written here on purpose.
//!
//! Fingerprints are persisted, so the functions that make them must never
//! change meaning between versions of newswire or of Rust: std's
//! `DefaultHasher` is explicitly unstable and `RandomState` is seeded per
//! process, so neither is used. Everything here is fixed arithmetic:
//!
//! - [`mix64`] is the SplitMix64 finaliser (Steele, Lea, Flood, "Fast
//!   splittable pseudorandom number generators", OOPSLA 2014; the constants of
//!   Vigna's `splitmix64.c`): a bijection on `u64` with full avalanche.
//! - [`hash64`] reads bytes as little-endian 64-bit words (the last one
//!   zero-padded), folds each word into the state with `mix64`, and mixes the
//!   length in first, so inputs differing only in trailing zero bytes differ.
//! - [`MINHASH_A`]/[`MINHASH_B`] are the per-permutation multipliers and offsets
//!   of MinHash, drawn from a SplitMix64 sequence with a fixed seed at compile
//!   time; slot `i` of a MinHash is `min((A[i]·h + B[i]) >> 32)` over shingle
//!   hashes `h` (multiply-shift hashing, Dietzfelbinger et al. 1997).
//!
//! Golden-value tests pin all of this: if one fails, stored fingerprints would
//! silently change meaning, so bump the fingerprint format version instead.

/// The golden-ratio increment of SplitMix64.
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Number of MinHash permutations (slots) in a fingerprint.
pub const MINHASH_LEN: usize = 128;

/// Seed of word hashes.
pub const SEED_WORD: u64 = 0x6E65_7773_7769_7265; // "newswire"
/// Seed of the first half of the exact-text hash.
pub const SEED_TEXT_A: u64 = 0x7465_7874_5F68_6131; // "text_ha1"
/// Seed of the second half of the exact-text hash.
pub const SEED_TEXT_B: u64 = 0x7465_7874_5F68_6132; // "text_ha2"
/// Seed of shingle hashes.
pub const SEED_SHINGLE: u64 = 0x7368_696E_676C_6533; // "shingle3"
/// Seed of the numeric-token bit set.
pub const SEED_NUMBER: u64 = 0x6E75_6D62_6572_7331; // "numbers1"
/// Seed of LSH band keys.
pub const SEED_BAND: u64 = 0x6C73_685F_6261_6E64; // "lsh_band"
/// Seed of the shingle sampling hash (fingerprint samples).
pub const SEED_SAMPLE: u64 = 0x7361_6D70_6C65_7331; // "samples1"
/// Seed of the MinHash permutation parameters.
const SEED_PERMUTATIONS: u64 = 0x6D69_6E68_6173_6831; // "minhash1"

/// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded 64-bit hash of a byte string (see the module notes).
pub fn hash64(bytes: &[u8], seed: u64) -> u64 {
    let mut h = mix64(seed.wrapping_add(GOLDEN) ^ (bytes.len() as u64).rotate_left(32));
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix64(h ^ u64::from_le_bytes(word)).wrapping_add(GOLDEN);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix64(h ^ u64::from_le_bytes(word)).wrapping_add(GOLDEN);
    }
    mix64(h)
}

/// Combines an ordered pair of hashes into one (order matters).
pub const fn combine(a: u64, b: u64) -> u64 {
    mix64(a.wrapping_mul(GOLDEN) ^ b.rotate_left(29))
}

/// Draws `MINHASH_LEN` values of a SplitMix64 sequence started at `seed`.
const fn splitmix_table(seed: u64, odd: bool) -> [u64; MINHASH_LEN] {
    let mut out = [0u64; MINHASH_LEN];
    let mut state = seed;
    let mut i = 0;
    while i < MINHASH_LEN {
        state = state.wrapping_add(GOLDEN);
        let v = mix64(state);
        out[i] = if odd { v | 1 } else { v };
        i += 1;
    }
    out
}

/// MinHash permutation multipliers (odd).
pub const MINHASH_A: [u64; MINHASH_LEN] = splitmix_table(SEED_PERMUTATIONS, true);
/// MinHash permutation offsets.
pub const MINHASH_B: [u64; MINHASH_LEN] = splitmix_table(!SEED_PERMUTATIONS, false);

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;

    // Golden values: these pin the stored fingerprint format. Never update them
    // to make a test pass; change the format version instead.
    #[test]
    fn golden_mix_and_hash() {
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0x5692_161D_100B_05E5);
        assert_eq!(hash64(b"", 0), 0x4821_8226_FF3C_D4BF);
        assert_eq!(hash64(b"moscow", SEED_WORD), 0xE9CD_14DB_AD1C_09C7);
        assert_eq!(
            hash64("москва".as_bytes(), SEED_WORD),
            0x0DBA_118A_4F83_61BC
        );
        assert_eq!(combine(1, 2), 0x7829_8987_8B0B_191B);
        assert_eq!(MINHASH_A[0], 0x9597_103D_73C8_35B1);
        assert_eq!(MINHASH_B[127], 0x9059_2ED9_54F9_F1A3);
    }

    #[test]
    fn hash_depends_on_every_byte_length_and_seed() {
        assert_ne!(hash64(b"abc", 1), hash64(b"abc", 2));
        assert_ne!(hash64(b"abc", 1), hash64(b"abc\0", 1));
        assert_ne!(hash64(b"abcdefgh1", 1), hash64(b"abcdefgh2", 1));
        assert_ne!(combine(1, 2), combine(2, 1));
    }
}
