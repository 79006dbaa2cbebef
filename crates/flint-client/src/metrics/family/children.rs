//! Insertion-ordered storage of a family's children.
//!
//! Children live in a `Vec` in creation order, indexed by a hash table from the key's 64-bit
//! hash to the first child with that hash (further ones are chained through `next`). A
//! scrape walks the `Vec` front to back, touching keys and metric state in the order they
//! were allocated, which the CPU prefetches well. Output order is creation order, except
//! that removing a child moves the newest one into its place.

use std::borrow::Borrow;
use std::collections::HashMap;

use crate::hash::IdentityBuild;

const NONE: usize = usize::MAX;

/// One child: its key, the key's hash, the chain link and the caller's payload.
pub(crate) struct Child<K, E> {
    pub(crate) key: K,
    hash: u64,
    next: usize,
    pub(crate) entry: E,
}

pub(crate) struct Children<K, E> {
    heads: HashMap<u64, usize, IdentityBuild>,
    entries: Vec<Child<K, E>>,
}

impl<K, E> Default for Children<K, E> {
    fn default() -> Self {
        Children {
            heads: HashMap::default(),
            entries: Vec::new(),
        }
    }
}

impl<K, E> Children<K, E> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Child<K, E>> {
        self.entries.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.heads.clear();
        self.entries.clear();
    }

    /// Index of the child whose key equals `query`.
    #[inline]
    pub(crate) fn find<Q: Eq + ?Sized>(&self, hash: u64, query: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        let mut i = *self.heads.get(&hash)?;
        while let Some(child) = self.entries.get(i) {
            if child.key.borrow() == query {
                return Some(i);
            }
            i = child.next;
        }
        None
    }

    pub(crate) fn get(&self, i: usize) -> Option<&Child<K, E>> {
        self.entries.get(i)
    }

    /// Appends a child (the caller checked the key is absent).
    pub(crate) fn push(&mut self, hash: u64, key: K, entry: E) {
        let idx = self.entries.len();
        let next = self.heads.insert(hash, idx).unwrap_or(NONE);
        self.entries.push(Child {
            key,
            hash,
            next,
            entry,
        });
    }

    /// Removes child `i`; the last child moves into its place.
    pub(crate) fn remove_at(&mut self, i: usize) -> Option<Child<K, E>> {
        let (hash, next) = self.entries.get(i).map(|c| (c.hash, c.next))?;
        self.relink(hash, i, next);
        let last = self.entries.len() - 1;
        if i != last {
            let moved_hash = self.entries.get(last).map(|c| c.hash)?;
            self.relink(moved_hash, last, i);
        }
        Some(self.entries.swap_remove(i))
    }

    /// Makes whatever points at `from` in `hash`'s chain point at `to` instead.
    fn relink(&mut self, hash: u64, from: usize, to: usize) {
        if self.heads.get(&hash) == Some(&from) {
            if to == NONE {
                self.heads.remove(&hash);
            } else {
                self.heads.insert(hash, to);
            }
            return;
        }
        let mut i = self.heads.get(&hash).copied().unwrap_or(NONE);
        while let Some(child) = self.entries.get_mut(i) {
            if child.next == from {
                child.next = to;
                return;
            }
            i = child.next;
        }
    }

    /// Keeps the children for which `keep` is true, preserving order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Child<K, E>) -> bool) {
        let old = std::mem::take(&mut self.entries);
        self.heads.clear();
        for child in old.into_iter().filter(|c| keep(c)) {
            self.push(child.hash, child.key, child.entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_hashes_chain_and_survive_removals() {
        let mut c: Children<String, u32> = Children::default();
        for (i, k) in ["a", "b", "c", "d"].into_iter().enumerate() {
            c.push(7, k.to_owned(), i as u32); // all collide
        }
        c.push(9, "e".to_owned(), 4);
        assert_eq!(c.find(7, "c"), Some(2));
        assert!(c.remove_at(1).is_some_and(|x| x.key == "b"));
        for k in ["a", "c", "d"] {
            let i = c.find(7, k).unwrap_or(NONE);
            assert_eq!(c.get(i).map(|x| x.key.as_str()), Some(k));
        }
        assert_eq!(c.find(7, "b"), None);
        assert!(c.remove_at(0).is_some());
        assert_eq!(
            c.find(9, "e").and_then(|i| c.get(i)).map(|x| x.entry),
            Some(4)
        );
        c.retain(|x| x.key != "d");
        assert_eq!(
            c.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            ["e", "c"]
        );
        assert_eq!(
            c.find(7, "c").and_then(|i| c.get(i)).map(|x| x.entry),
            Some(2)
        );
        assert_eq!(c.find(7, "d"), None);
    }
}
