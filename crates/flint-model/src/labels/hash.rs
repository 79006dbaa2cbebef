//! Stable 64-bit hashes of label sets.

use xxhash_rust::xxh3::Xxh3Default;

use super::{Label, Labels};
use crate::names::METRIC_NAME_LABEL;

/// Separator between names and values in the hashed byte stream. `0xFF` never occurs in UTF-8,
/// so `{a="bc"}` and `{ab="c"}` hash different byte streams.
const SEP: u8 = 0xff;

fn feed(h: &mut Xxh3Default, l: &Label) {
    h.update(l.name.as_bytes());
    h.update(&[SEP]);
    h.update(l.value.as_bytes());
    h.update(&[SEP]);
}

impl Labels {
    /// A 64-bit hash of the whole set.
    ///
    /// XXH3-64 with seed 0 over `name 0xFF value 0xFF` for each label in name order. The value
    /// depends only on the label bytes: it is identical across runs, processes, machines and
    /// Flint versions, so it may be persisted (unlike `std::hash`). It is *not* the same number
    /// as Prometheus's `labels.Hash()`, which nobody may rely on across implementations.
    pub fn stable_hash(&self) -> u64 {
        let mut h = Xxh3Default::new();
        self.iter().for_each(|l| feed(&mut h, l));
        h.digest()
    }

    /// Hash of only the labels whose names are in `names` (PromQL `by (...)`). `names` may be
    /// in any order; names absent from the set are ignored.
    pub fn hash_for_labels(&self, names: &[&str]) -> u64 {
        let mut h = Xxh3Default::new();
        self.iter()
            .filter(|l| names.contains(&&*l.name))
            .for_each(|l| feed(&mut h, l));
        h.digest()
    }

    /// Hash of the labels whose names are *not* in `names`, always leaving out `__name__`
    /// (PromQL `without (...)`, like Prometheus's `HashWithoutLabels`).
    pub fn hash_without_labels(&self, names: &[&str]) -> u64 {
        let mut h = Xxh3Default::new();
        self.iter()
            .filter(|l| &*l.name != METRIC_NAME_LABEL && !names.contains(&&*l.name))
            .for_each(|l| feed(&mut h, l));
        h.digest()
    }
}
