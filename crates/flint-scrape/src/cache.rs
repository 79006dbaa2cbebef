//! The per-target series cache: raw series text → storage reference, so a steady scrape
//! neither re-parses labels nor re-hashes them.
//!
//! Entries are keyed by the 128-bit xxh3 hash of the raw series text (name, `0xff`, label
//! text as exposed); at 10k series per target a collision is about as likely as 1 in
//! 10^30, and the cache holds no text. Entries live in a vector in the order the last
//! scrape saw them: a target exposes its series in the same order every time, so a lookup
//! first compares with the next entry in that order (a sequential read) and only falls
//! back to the hash index when the body changed shape.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use flint_model::Labels;
use flint_storage::SeriesRef;

/// One cached series.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The storage reference, once appended.
    pub series: Option<SeriesRef>,
    /// Whether the series is kept (false: metric relabeling drops it).
    pub kept: bool,
    /// Final labels, held only while the series has no reference yet (its appends failed);
    /// with a reference the storage needs nothing else, and the labels are rebuilt from the
    /// sample if it forgets the series.
    pub labels: Option<Labels>,
    /// The scrape attempt that last saw it.
    pub seen: u64,
    /// The last successful scrape that saw it.
    pub ok_seen: u64,
    /// Whether the last sample had an explicit timestamp.
    pub explicit_ts: bool,
}

impl Entry {
    /// A new entry.
    pub fn new(labels: Option<Labels>, explicit_ts: bool) -> Self {
        Entry {
            series: None,
            kept: labels.is_some(),
            labels,
            seen: 0,
            ok_seen: 0,
            explicit_ts,
        }
    }
}

/// The key's own bits are the hash.
#[derive(Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

/// The hash a series is cached under.
pub fn key(raw: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(raw)
}

/// Series by the hash of their raw text.
#[derive(Debug, Default)]
pub struct Cache {
    index: HashMap<u128, usize, BuildHasherDefault<KeyHasher>>,
    entries: Vec<(u128, Entry)>,
    /// The current scrape attempt (increases on every attempt, never reused).
    pub iter: u64,
    /// The last successful scrape.
    last_ok: u64,
    /// Position of the next expected entry.
    cursor: usize,
}

impl Cache {
    /// Starts a scrape attempt.
    pub fn begin(&mut self) -> u64 {
        self.iter += 1;
        self.cursor = 0;
        self.iter
    }

    /// The entry for `key`.
    pub fn get_mut(&mut self, key: u128) -> Option<&mut Entry> {
        let i = match self.entries.get(self.cursor) {
            Some((k, _)) if *k == key => self.cursor,
            _ => *self.index.get(&key)?,
        };
        self.cursor = i + 1;
        self.entries.get_mut(i).map(|(_, e)| e)
    }

    /// Adds an entry for a key that [`Cache::get_mut`] did not find.
    pub fn insert(&mut self, key: u128, e: Entry) -> &mut Entry {
        let i = self.entries.len();
        self.index.insert(key, i);
        self.entries.push((key, e));
        self.cursor = i + 1;
        &mut self.entries[i].1
    }

    /// Kept series of the last successful scrape not seen in this attempt (to mark stale).
    pub fn stale(&self) -> impl Iterator<Item = &Entry> {
        let (iter, ok) = (self.iter, self.last_ok);
        self.entries
            .iter()
            .map(|(_, e)| e)
            .filter(move |e| e.kept && e.ok_seen == ok && ok != 0 && e.seen != iter)
    }

    /// Kept series of the last successful scrape (all of them become stale on stop).
    pub fn current(&self) -> impl Iterator<Item = &Entry> {
        let ok = self.last_ok;
        self.entries
            .iter()
            .map(|(_, e)| e)
            .filter(move |e| e.kept && e.ok_seen == ok && ok != 0)
    }

    /// Ends a successful scrape (its batch committed): drops series it did not see (their
    /// staleness markers are written) and remembers the order of the others.
    pub fn finish(&mut self) {
        let iter = self.iter;
        self.last_ok = iter;
        let before = self.entries.len();
        self.entries.retain(|(_, e)| e.seen == iter);
        for (_, e) in &mut self.entries {
            e.ok_seen = iter;
        }
        if self.entries.len() != before {
            self.index.clear();
            self.index
                .extend(self.entries.iter().enumerate().map(|(i, (k, _))| (*k, i)));
        }
    }

    /// Number of cached series.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
