//! The per-target series cache: raw series text → storage reference and final labels, so a
//! steady scrape neither re-parses labels nor re-hashes them.

use std::collections::HashMap;

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use flint_model::Labels;
use flint_storage::SeriesRef;

/// One cached series.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The storage reference, once appended.
    pub series: Option<SeriesRef>,
    /// Whether the series is kept (false: metric relabeling drops it).
    pub kept: bool,
    /// Final labels, kept only until a reference from a committed batch has been used once;
    /// after that the storage needs only the reference (and the labels can be rebuilt from
    /// the key if it forgets the series). This keeps the cache to the raw text per series.
    pub labels: Option<Labels>,
    /// The scrape iteration that last saw it.
    pub seen: u64,
    /// Whether the last sample had an explicit timestamp.
    pub explicit_ts: bool,
}

/// Series by raw text (name, `0xff`, label text as exposed).
#[derive(Debug, Default)]
pub struct Cache {
    /// Keyed with xxh3: the default SipHash costs more than the rest of a cache hit.
    entries: HashMap<Box<[u8]>, Entry, Xxh3DefaultBuilder>,
    /// The current iteration (incremented per scrape).
    pub iter: u64,
}

impl Cache {
    /// Starts a scrape.
    pub fn begin(&mut self) -> u64 {
        self.iter += 1;
        self.iter
    }

    /// The entry for `key`.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    /// Adds an entry.
    pub fn insert(&mut self, key: &[u8], e: Entry) -> &mut Entry {
        self.entries.entry(key.into()).or_insert(e)
    }

    /// Kept series seen in the previous scrape but not in this one (to mark stale).
    pub fn stale(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        let iter = self.iter;
        self.entries
            .iter()
            .filter(move |(_, e)| e.seen + 1 == iter && e.kept)
            .map(|(k, e)| (&**k, e))
    }

    /// Kept series seen in the last scrape (all of them become stale on stop).
    pub fn current(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        let iter = self.iter;
        self.entries
            .iter()
            .filter(move |(_, e)| e.seen == iter && e.kept)
            .map(|(k, e)| (&**k, e))
    }

    /// Drops entries not seen in this scrape (after their staleness markers were written).
    pub fn sweep(&mut self) {
        let iter = self.iter;
        self.entries.retain(|_, e| e.seen == iter);
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
