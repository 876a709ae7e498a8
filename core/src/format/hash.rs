//! The stable string hash behind hashed features: specified here, pinned by test vectors.
//!
//! The hash must never change for a given input: a model trained with one hash and served
//! with another silently scores garbage. The function is FNV-1a 64 over the salt's 8
//! little-endian bytes followed by the UTF-8 bytes of the string, finished by the
//! SplitMix64 mixer so that `hash % buckets` is well spread for any bucket count.
//! `docs/model-format.md` states the same algorithm, and `tests/vectors/hash.json`
//! pins outputs that dram-core's suite checks (`core/tests/vectors.rs`). The bindings expose no
//! hash of their own: they reach this one through dram-core, and the ranker vectors they all
//! run check it end to end through the models' hashed features.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes `bytes` with a per-feature `salt`.
///
/// ```
/// assert_eq!(dram_core::hash::hash64(0, b""), dram_core::hash::hash64(0, b""));
/// assert_ne!(dram_core::hash::hash64(0, b"shoes"), dram_core::hash::hash64(1, b"shoes"));
/// ```
pub fn hash64(salt: u64, bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for &b in salt.to_le_bytes().iter().chain(bytes) {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    mix64(h)
}

/// The SplitMix64 finaliser: a bijection on `u64` that spreads every input bit.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The bucket in `0..buckets` of a string; `buckets` must be non-zero.
///
/// ```
/// let b = dram_core::hash::bucket(7, "red dress", 1000);
/// assert!(b < 1000);
/// ```
pub fn bucket(salt: u64, s: &str, buckets: u64) -> u64 {
    debug_assert!(buckets > 0);
    hash64(salt, s.as_bytes()) % buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_part_matches_the_reference_constants() {
        // FNV-1a 64 of the empty input is the offset basis; mix64 is a bijection, so two
        // different salts can only collide if FNV collides on 8 bytes.
        assert_eq!(hash64(0, b""), mix64(fnv_reference(&[0; 8])));
        assert_eq!(hash64(1, b"a"), mix64(fnv_reference(&[1, 0, 0, 0, 0, 0, 0, 0, b'a'])));
    }

    const PINNED_EMPTY: u64 = 0x813f_0174_a236_7c13;
    const PINNED_UTF8: u64 = 0xfdb2_7e30_5b46_d217;

    fn fnv_reference(bytes: &[u8]) -> u64 {
        bytes.iter().fold(FNV_OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
    }

    #[test]
    fn pinned_values_never_change() {
        // Values computed by an independent Python implementation of the documented
        // algorithm. Changing any of these breaks every model ever exported; tests/vectors/hash.json
        // holds more, checked by core/tests/vectors.rs.
        assert_eq!(hash64(0, b""), PINNED_EMPTY);
        assert_eq!(hash64(42, "Robe d'été rouge".as_bytes()), PINNED_UTF8);
    }

    #[test]
    fn buckets_are_spread() {
        let mut counts = [0u32; 16];
        for i in 0..16_000 {
            counts[bucket(3, &format!("item-{i}"), 16) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
    }
}
