//! String interning so 100k alerts share their label names and common values.

use crate::hashing::FastSet;
use std::sync::{Arc, Mutex};

/// A set of shared strings. Entries nobody else holds are dropped by [`Interner::gc`].
#[derive(Debug, Default)]
pub struct Interner {
    set: Mutex<FastSet<Arc<str>>>,
}

impl Interner {
    /// The shared copy of `s`.
    pub fn intern(&self, s: &str) -> Arc<str> {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = set.get(s) {
            return found.clone();
        }
        let a: Arc<str> = Arc::from(s);
        set.insert(a.clone());
        a
    }

    /// Interns many strings under one lock acquisition.
    pub fn with<R>(&self, f: impl FnOnce(&mut dyn FnMut(&str) -> Arc<str>) -> R) -> R {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        let mut intern = |s: &str| -> Arc<str> {
            if let Some(found) = set.get(s) {
                return found.clone();
            }
            let a: Arc<str> = Arc::from(s);
            set.insert(a.clone());
            a
        };
        f(&mut intern)
    }

    /// Drops strings only the interner still holds.
    pub fn gc(&self) {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        set.retain(|s| Arc::strong_count(s) > 1);
    }

    /// Number of distinct strings held.
    pub fn len(&self) -> usize {
        self.set.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no strings are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_frees() {
        let i = Interner::default();
        let a = i.intern("x");
        let b = i.intern("x");
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        i.intern("y");
        i.gc();
        assert_eq!(i.len(), 0);
    }
}
