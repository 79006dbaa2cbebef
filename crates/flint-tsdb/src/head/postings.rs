//! In-memory postings: for each label pair, the sorted references of the series that carry it.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::RwLock;

use super::stripe::U64Hasher;
use super::symbols::SymbolId;

type IdMap<V> = HashMap<SymbolId, V, BuildHasherDefault<U64Hasher>>;

/// name → value → sorted series references, plus the list of all series.
///
/// References are allocated in increasing order, so adding a series appends to each of its
/// lists; removal (head truncation) is rare and done in one pass per affected list.
#[derive(Debug, Default)]
pub struct MemPostings {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_name: IdMap<IdMap<List>>,
    all: Vec<u64>,
}

/// One label pair's references. Most values of high-cardinality labels (pod, instance) belong
/// to one series: those lists are kept inline, without an allocation.
#[derive(Debug, Clone)]
enum List {
    One(u64),
    Many(Vec<u64>),
}

impl List {
    fn as_slice(&self) -> &[u64] {
        match self {
            List::One(r) => std::slice::from_ref(r),
            List::Many(v) => v,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn insert(&mut self, r: u64) {
        match self {
            List::One(x) if *x == r => {}
            List::One(x) => {
                let mut v = vec![*x];
                insert_sorted(&mut v, r);
                *self = List::Many(v);
            }
            List::Many(v) => insert_sorted(v, r),
        }
    }

    /// Removes the references `gone` selects; false when the list became empty.
    fn retain(&mut self, gone: impl Fn(&u64) -> bool) -> bool {
        match self {
            List::One(x) => !gone(x),
            List::Many(v) => {
                v.retain(|r| !gone(r));
                match v.as_slice() {
                    [] => false,
                    [one] => {
                        *self = List::One(*one);
                        true
                    }
                    _ => true,
                }
            }
        }
    }
}

impl MemPostings {
    /// Adds series `r` with interned `name, value` pairs.
    pub fn add(&self, r: u64, pairs: &[SymbolId]) {
        let mut inner = self.write();
        insert_sorted(&mut inner.all, r);
        for p in pairs.chunks_exact(2) {
            let values = inner.by_name.entry(p[0]).or_default();
            match values.get_mut(&p[1]) {
                Some(list) => list.insert(r),
                None => {
                    values.insert(p[1], List::One(r));
                }
            }
        }
    }

    /// Removes the given series (sorted references).
    pub fn remove(&self, removed: &[u64]) {
        if removed.is_empty() {
            return;
        }
        let mut inner = self.write();
        let gone = |r: &u64| removed.binary_search(r).is_ok();
        inner.all.retain(|r| !gone(r));
        inner.by_name.retain(|_, values| {
            values.retain(|_, list| list.retain(gone));
            !values.is_empty()
        });
    }

    /// The postings of one label pair (cloned: the caller works without the lock).
    pub fn get(&self, name: SymbolId, value: SymbolId) -> Vec<u64> {
        self.read()
            .by_name
            .get(&name)
            .and_then(|v| v.get(&value))
            .map(|l| l.as_slice().to_vec())
            .unwrap_or_default()
    }

    /// Every series reference.
    pub fn all(&self) -> Vec<u64> {
        self.read().all.clone()
    }

    /// The values (ids) present for label `name`.
    pub fn values(&self, name: SymbolId) -> Vec<SymbolId> {
        self.read()
            .by_name
            .get(&name)
            .map(|v| v.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The union of the postings of `name` for each value `keep` accepts, sorted.
    pub fn union_where(&self, name: SymbolId, mut keep: impl FnMut(SymbolId) -> bool) -> Vec<u64> {
        let inner = self.read();
        let Some(values) = inner.by_name.get(&name) else {
            return Vec::new();
        };
        let mut out: Vec<u64> = values
            .iter()
            .filter(|(v, _)| keep(**v))
            .flat_map(|(_, list)| list.as_slice().iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The union of the postings of `name` with each of `values`, sorted.
    pub fn union_of(&self, name: SymbolId, values: &[SymbolId]) -> Vec<u64> {
        let inner = self.read();
        let Some(lists) = inner.by_name.get(&name) else {
            return Vec::new();
        };
        let found: Vec<&[u64]> = values
            .iter()
            .filter_map(|v| lists.get(v))
            .map(List::as_slice)
            .collect();
        match found.as_slice() {
            [] => Vec::new(),
            [one] => one.to_vec(),
            many => {
                let mut out: Vec<u64> = many.iter().flat_map(|l| l.iter().copied()).collect();
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    /// For each label name, the number of distinct values and the summed postings length.
    pub fn name_stats(&self) -> Vec<(SymbolId, usize, usize)> {
        self.read()
            .by_name
            .iter()
            .map(|(n, values)| (*n, values.len(), values.values().map(List::len).sum()))
            .collect()
    }

    /// Every `(name, value, series count)` triple.
    pub fn pair_counts(&self) -> Vec<(SymbolId, SymbolId, usize)> {
        let inner = self.read();
        let mut out = Vec::new();
        for (n, values) in &inner.by_name {
            out.extend(values.iter().map(|(v, list)| (*n, *v, list.len())));
        }
        out
    }

    /// Label names present (ids).
    pub fn names(&self) -> Vec<SymbolId> {
        self.read().by_name.keys().copied().collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Appends `r` keeping `list` sorted (references mostly arrive in increasing order).
fn insert_sorted(list: &mut Vec<u64>, r: u64) {
    match list.last() {
        Some(last) if *last >= r => {
            if let Err(pos) = list.binary_search(&r) {
                list.insert(pos, r);
            }
        }
        _ => list.push(r),
    }
}

/// Intersection of two sorted lists.
pub fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Elements of sorted `a` that are not in sorted `b`.
pub fn subtract(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|x| {
            while j < b.len() && b[j] < *x {
                j += 1;
            }
            !(j < b.len() && b[j] == *x)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn add_get_remove() {
        let p = MemPostings::default();
        p.add(1, &[0, 1, 2, 3]);
        p.add(2, &[0, 1, 2, 4]);
        p.add(3, &[0, 5]);
        assert_eq!(p.get(0, 1), vec![1, 2]);
        assert_eq!(p.all(), vec![1, 2, 3]);
        assert_eq!(p.union_where(2, |v| v == 3 || v == 4), vec![1, 2]);
        p.remove(&[2]);
        assert_eq!(p.get(2, 4), Vec::<u64>::new());
        assert_eq!(p.all(), vec![1, 3]);
        assert!(!p.values(2).contains(&4));
    }

    proptest! {
        #[test]
        fn set_operations(a in proptest::collection::btree_set(0u64..100, 0..40),
                          b in proptest::collection::btree_set(0u64..100, 0..40)) {
            let av: Vec<u64> = a.iter().copied().collect();
            let bv: Vec<u64> = b.iter().copied().collect();
            prop_assert_eq!(intersect(&av, &bv), a.intersection(&b).copied().collect::<Vec<_>>());
            prop_assert_eq!(subtract(&av, &bv), a.difference(&b).copied().collect::<Vec<_>>());
        }
    }
}
