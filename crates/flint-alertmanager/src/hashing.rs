//! The hasher of the hot maps (alerts by fingerprint, interned label strings): xxh3 keyed
//! with a per-process random seed. On the 100k-alert ingest SipHash was 4% of the CPU;
//! the seed still keeps a sender from choosing keys that collide in every process.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// Builds [`SeededHasher`]s from the process's seed.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    seed: u64,
}

impl Default for Seeded {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        Seeded {
            seed: *SEED.get_or_init(|| fastrand::u64(..)),
        }
    }
}

impl BuildHasher for Seeded {
    type Hasher = SeededHasher;

    fn build_hasher(&self) -> SeededHasher {
        SeededHasher { state: self.seed }
    }
}

/// One-shot xxh3 per written slice, chained through the seed; integers are mixed in with a
/// multiply (fingerprints are already hashes).
#[derive(Debug, Clone, Copy)]
pub struct SeededHasher {
    state: u64,
}

impl Hasher for SeededHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.state = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.state);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        let x = (self.state ^ i).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.state = x ^ (x >> 32);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }
}

/// A `HashMap` with the seeded hasher.
pub type FastMap<K, V> = HashMap<K, V, Seeded>;

/// A `HashSet` with the seeded hasher.
pub type FastSet<T> = HashSet<T, Seeded>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_strings_spread() {
        let b = Seeded::default();
        assert_eq!(b.hash_one("job"), b.hash_one(String::from("job")));
        assert_ne!(b.hash_one("job"), b.hash_one("jo"));
        assert_ne!(b.hash_one(1u64), b.hash_one(2u64));
        let mut m: FastMap<u64, u32> = FastMap::default();
        for i in 0..1000 {
            m.insert(i, 0);
        }
        assert_eq!(m.len(), 1000);
    }
}
