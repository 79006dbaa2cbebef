//! A small per-thread cache of recent family lookups.
//!
//! A hit returns the child without touching the family's lock: one hash, one key
//! comparison and the handle's `Arc` clone. Entries are tagged with the family's id and its
//! *removal generation*, which every removal (`remove`, `remove_matching`, `clear`,
//! `replace_all`, idle expiry) bumps, so a cached child is never served after it left the
//! family. The cache is 2-way set associative with [`SETS`] sets per thread; it holds
//! handles (not families), so its memory is bounded by `2 * SETS` children per thread.

use std::any::Any;
use std::cell::{Cell, RefCell};

/// Number of sets (each holds two entries).
const SETS: usize = 64;

struct Slot {
    family: u64,
    generation: u64,
    hash: u64,
    /// `(K, M)`: the key and the child handle.
    entry: Box<dyn Any>,
}

thread_local! {
    static CACHE: RefCell<Vec<[Option<Slot>; 2]>> = const { RefCell::new(Vec::new()) };
    static MISSES: Cell<u32> = const { Cell::new(0) };
}

/// Only every [`ADMIT_EVERY`]-th miss is cached: hot keys get in after a few lookups, while
/// a stream of distinct keys (which would only evict each other) rarely pays for the key
/// clone and allocation that caching costs.
const ADMIT_EVERY: u32 = 4;

fn set_of(hash: u64) -> usize {
    (hash >> 58) as usize % SETS
}

/// The cached child of `family` for a key satisfying `eq`, if any.
#[inline]
pub(crate) fn get<K: 'static, M: Clone + 'static>(
    family: u64,
    generation: u64,
    hash: u64,
    eq: impl Fn(&K) -> bool,
) -> Option<M> {
    CACHE.with(|cache| {
        let cache = cache.try_borrow().ok()?;
        let set = cache.get(set_of(hash))?;
        set.iter().flatten().find_map(|slot| {
            if slot.family != family || slot.hash != hash || slot.generation != generation {
                return None;
            }
            let (k, m) = slot.entry.downcast_ref::<(K, M)>()?;
            eq(k).then(|| m.clone())
        })
    })
}

/// Remembers `key -> child` for `family` at `generation` (on admitted misses only).
pub(crate) fn put<K: 'static, M: 'static>(
    family: u64,
    generation: u64,
    hash: u64,
    make: impl FnOnce() -> (K, M),
) {
    let admit = MISSES.with(|m| {
        let n = m.get().wrapping_add(1);
        m.set(n);
        n % ADMIT_EVERY == 0
    });
    if !admit {
        return;
    }
    let slot = Slot {
        family,
        generation,
        hash,
        entry: Box::new(make()),
    };
    let evicted = CACHE.with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        if cache.is_empty() {
            cache.resize_with(SETS, || [None, None]);
        }
        let set = cache.get_mut(set_of(hash))?;
        // Most recent entry first; the older one is evicted.
        set.swap(0, 1);
        set[0].replace(slot)
    });
    // Dropped outside the borrow: a key's or handle's drop can never re-enter the cache.
    drop(evicted);
}
