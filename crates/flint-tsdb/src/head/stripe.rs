//! Series maps split into lock stripes, by reference and by label hash.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::series::MemSeries;

/// Hasher for keys that are already well mixed (label hashes) or sequential (references):
/// one multiply spreads sequential keys over the hash table's control bits.
#[derive(Default)]
pub struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

type Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;

/// Hasher for series references, which are allocated sequentially and looked up in scrape
/// order. A stripe holds runs of consecutive references; the hash's low bits are the
/// reference's dense position within its stripe (the stripe-selecting bits removed), so a run
/// fills neighbouring buckets and runs do not collide; the top bits, which the hash table uses
/// as tags, are mixed.
#[derive(Default)]
pub struct RefHasher {
    stripe_bits: u32,
    hash: u64,
}

impl Hasher for RefHasher {
    fn finish(&self) -> u64 {
        self.hash
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(self.hash << 8 | u64::from(*b));
        }
    }
    fn write_u64(&mut self, r: u64) {
        const LOW: u64 = (1 << 57) - 1;
        let run = RUN_BITS;
        let dense = (r >> (run + self.stripe_bits)) << run | (r & ((1 << run) - 1));
        self.hash = (dense & LOW) | (r.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !LOW);
    }
}

/// Builds [`RefHasher`]s for a given number of stripes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefBuild {
    stripe_bits: u32,
}

impl std::hash::BuildHasher for RefBuild {
    type Hasher = RefHasher;
    fn build_hasher(&self) -> RefHasher {
        RefHasher {
            stripe_bits: self.stripe_bits,
            hash: 0,
        }
    }
}

type RefMap<V> = HashMap<u64, V, RefBuild>;

/// Runs of 2^RUN_BITS consecutive references share a stripe of the reference map.
const RUN_BITS: u32 = 6;

#[derive(Default)]
struct HashStripe {
    /// The first series seen for each label hash.
    first: Map<Arc<MemSeries>>,
    /// Further series whose labels hash the same (64-bit collisions: practically never).
    collisions: Map<Vec<Arc<MemSeries>>>,
}

/// Series by reference and by label hash, each split into `n` independently locked stripes.
pub struct StripeSeries {
    by_ref: Box<[RwLock<RefMap<Arc<MemSeries>>>]>,
    by_hash: Box<[RwLock<HashStripe>]>,
    mask: u64,
}

impl std::fmt::Debug for StripeSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSeries")
            .field("stripes", &self.by_ref.len())
            .finish()
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

impl StripeSeries {
    /// `stripes` is rounded up to a power of two.
    pub fn new(stripes: usize) -> Self {
        let n = stripes.max(1).next_power_of_two();
        StripeSeries {
            by_ref: (0..n)
                .map(|_| {
                    RwLock::new(RefMap::with_hasher(RefBuild {
                        stripe_bits: n.trailing_zeros(),
                    }))
                })
                .collect(),
            by_hash: (0..n).map(|_| RwLock::default()).collect(),
            mask: n as u64 - 1,
        }
    }

    fn stripe(&self, key: u64) -> usize {
        // Mix so label hashes spread over stripes.
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40 & self.mask) as usize
    }

    /// Runs of consecutive references share a stripe: a scrape's series (created together)
    /// touch few stripes and neighbouring buckets.
    fn ref_stripe(&self, r: u64) -> usize {
        (r >> RUN_BITS & self.mask) as usize
    }

    /// The series with reference `r`.
    pub fn get_by_ref(&self, r: u64) -> Option<Arc<MemSeries>> {
        read(&self.by_ref[self.ref_stripe(r)]).get(&r).cloned()
    }

    /// The series with label hash `hash` whose interned labels equal `labels`.
    pub fn get_by_hash(&self, hash: u64, labels: &[u32]) -> Option<Arc<MemSeries>> {
        let stripe = read(&self.by_hash[self.stripe(hash)]);
        find(&stripe, hash, labels)
    }

    /// Inserts `series` unless one with the same labels exists; returns the one in the map and
    /// whether it was newly inserted.
    pub fn get_or_insert(&self, series: MemSeries) -> (Arc<MemSeries>, bool) {
        let hash = series.hash;
        let mut stripe = write(&self.by_hash[self.stripe(hash)]);
        if let Some(existing) = find(&stripe, hash, &series.labels) {
            return (existing, false);
        }
        let series = Arc::new(series);
        match stripe.first.get(&hash) {
            None => {
                stripe.first.insert(hash, series.clone());
            }
            Some(_) => stripe
                .collisions
                .entry(hash)
                .or_default()
                .push(series.clone()),
        }
        drop(stripe);
        write(&self.by_ref[self.ref_stripe(series.r)]).insert(series.r, series.clone());
        (series, true)
    }

    /// Removes the series with reference `r`.
    pub fn remove(&self, series: &MemSeries) {
        write(&self.by_ref[self.ref_stripe(series.r)]).remove(&series.r);
        let mut stripe = write(&self.by_hash[self.stripe(series.hash)]);
        let HashStripe { first, collisions } = &mut *stripe;
        if first.get(&series.hash).is_some_and(|s| s.r == series.r) {
            first.remove(&series.hash);
            // Promote a colliding series, if any.
            if let Some(list) = collisions.get_mut(&series.hash)
                && let Some(next) = list.pop()
            {
                first.insert(series.hash, next);
            }
        } else if let Some(list) = collisions.get_mut(&series.hash) {
            list.retain(|s| s.r != series.r);
        }
        if collisions.get(&series.hash).is_some_and(Vec::is_empty) {
            collisions.remove(&series.hash);
        }
    }

    /// Calls `f` on every series (stripe by stripe; series added meanwhile may be missed).
    pub fn for_each(&self, mut f: impl FnMut(&Arc<MemSeries>)) {
        for stripe in self.by_ref.iter() {
            let series: Vec<Arc<MemSeries>> = read(stripe).values().cloned().collect();
            series.iter().for_each(&mut f);
        }
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.by_ref.iter().map(|s| read(s).len()).sum()
    }

    /// Whether there are no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn find(stripe: &HashStripe, hash: u64, labels: &[u32]) -> Option<Arc<MemSeries>> {
    let first = stripe.first.get(&hash)?;
    if *first.labels == *labels {
        return Some(first.clone());
    }
    stripe
        .collisions
        .get(&hash)?
        .iter()
        .find(|s| *s.labels == *labels)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup_collide_remove() {
        let s = StripeSeries::new(4);
        let (a, new) = s.get_or_insert(MemSeries::new(1, 42, vec![1, 2].into()));
        assert!(new);
        let (_, new) = s.get_or_insert(MemSeries::new(2, 42, vec![1, 2].into()));
        assert!(!new, "same labels, same series");
        let (b, new) = s.get_or_insert(MemSeries::new(3, 42, vec![1, 3].into()));
        assert!(new, "hash collision, other labels");
        assert_eq!(s.get_by_hash(42, &[1, 3]).map(|x| x.r), Some(3));
        assert_eq!(s.get_by_ref(1).map(|x| x.r), Some(1));
        s.remove(&a);
        assert!(s.get_by_ref(1).is_none());
        assert_eq!(s.get_by_hash(42, &[1, 3]).map(|x| x.r), Some(3));
        s.remove(&b);
        assert!(s.is_empty());
    }
}
