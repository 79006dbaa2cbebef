//! The `tombstones` file of a block: deleted time intervals per series
//! (`tsdb/docs/format/tombstones.md` upstream).
//!
//! Layout: magic `0x0130BA30` (4 bytes), version `1` (1 byte), then per deleted interval the
//! series ID (uvarint), `mint` and `maxt` (varints), then a CRC32-Castagnoli of the entries.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::index::buf::{Decbuf, Encbuf, crc32};

/// File name of the tombstones file inside a block directory.
pub const TOMBSTONES_FILENAME: &str = "tombstones";
/// Magic number at the start of a tombstones file.
pub const MAGIC_TOMBSTONES: u32 = 0x0130_BA30;
const VERSION: u8 = 1;
const HEADER_LEN: usize = 5;

/// A closed time interval `[mint, maxt]` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// First deleted timestamp.
    pub mint: i64,
    /// Last deleted timestamp.
    pub maxt: i64,
}

impl Interval {
    /// Whether `t` lies in the interval.
    pub fn contains(&self, t: i64) -> bool {
        self.mint <= t && t <= self.maxt
    }
}

/// Deleted intervals by series ID, kept sorted and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones {
    series: BTreeMap<u64, Vec<Interval>>,
}

impl Tombstones {
    /// No deletions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `interval` of series `id` deleted, merging with overlapping or adjacent intervals.
    pub fn add(&mut self, id: u64, interval: Interval) {
        let ivs = self.series.entry(id).or_default();
        ivs.push(interval);
        ivs.sort_unstable();
        let mut merged: Vec<Interval> = Vec::with_capacity(ivs.len());
        for iv in ivs.drain(..) {
            match merged.last_mut() {
                Some(last) if iv.mint <= last.maxt.saturating_add(1) => {
                    last.maxt = last.maxt.max(iv.maxt);
                }
                _ => merged.push(iv),
            }
        }
        *ivs = merged;
    }

    /// The deleted intervals of series `id` (sorted, disjoint).
    pub fn get(&self, id: u64) -> &[Interval] {
        self.series.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Whether nothing is deleted.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Number of intervals over all series.
    pub fn num_intervals(&self) -> usize {
        self.series.values().map(Vec::len).sum()
    }

    /// Iterates `(series ID, intervals)` in ID order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[Interval])> {
        self.series.iter().map(|(id, ivs)| (*id, ivs.as_slice()))
    }

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encbuf::default();
        e.put_be32(MAGIC_TOMBSTONES);
        e.put_byte(VERSION);
        for (id, ivs) in &self.series {
            for iv in ivs {
                e.put_uvarint(*id);
                e.put_varint(iv.mint);
                e.put_varint(iv.maxt);
            }
        }
        e.put_crc_from(HEADER_LEN);
        e.b
    }

    /// Parses a tombstones file's bytes; `file` names it in errors.
    pub fn decode(b: &[u8], file: &Path) -> Result<Tombstones> {
        let bad = |r: &str| Error::corrupt(file, r.to_owned());
        if b.len() < HEADER_LEN + 4 {
            return Err(bad("shorter than header and checksum"));
        }
        if b[..4] != MAGIC_TOMBSTONES.to_be_bytes() {
            return Err(bad("bad magic"));
        }
        if b[4] != VERSION {
            return Err(bad(&format!("unsupported version {}", b[4])));
        }
        let (body, sum) = b[HEADER_LEN..].split_at(b.len() - HEADER_LEN - 4);
        if crc32(body).to_be_bytes() != sum {
            return Err(bad("checksum mismatch"));
        }
        let mut d = Decbuf::new(body);
        let mut t = Tombstones::new();
        while !d.is_empty() {
            let entry = (|| Some((d.uvarint()?, d.varint()?, d.varint()?)))();
            let (id, mint, maxt) = entry.ok_or_else(|| bad("truncated entry"))?;
            t.add(id, Interval { mint, maxt });
        }
        Ok(t)
    }

    /// Reads `<dir>/tombstones`; a missing file means no deletions.
    pub fn read(dir: &Path) -> Result<Tombstones> {
        let path = dir.join(TOMBSTONES_FILENAME);
        match std::fs::read(&path) {
            Ok(b) => Self::decode(&b, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tombstones::new()),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    /// Writes `<dir>/tombstones` through a temporary file, fsynced and renamed into place.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(TOMBSTONES_FILENAME);
        let tmp = dir.join(format!("{TOMBSTONES_FILENAME}.tmp"));
        let io = |what: &str, e| Error::io(format!("{what} {}", tmp.display()), e);
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("creating", e))?;
        f.write_all(&self.encode()).map_err(|e| io("writing", e))?;
        f.sync_all().map_err(|e| io("syncing", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("renaming", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_merge() {
        let mut t = Tombstones::new();
        t.add(16, Interval { mint: 10, maxt: 20 });
        t.add(16, Interval { mint: 15, maxt: 30 });
        t.add(16, Interval { mint: 40, maxt: 50 });
        t.add(3, Interval { mint: -5, maxt: 5 });
        assert_eq!(t.get(16).len(), 2);
        assert_eq!(t.get(16)[0], Interval { mint: 10, maxt: 30 });
        let dir = tempfile::tempdir().unwrap();
        t.write(dir.path()).unwrap();
        assert_eq!(Tombstones::read(dir.path()).unwrap(), t);
        assert_eq!(t.num_intervals(), 3);
    }

    #[test]
    fn empty_file_and_corruption() {
        let empty = Tombstones::new().encode();
        assert_eq!(empty.len(), 9);
        let p = Path::new("tombstones");
        assert!(Tombstones::decode(&empty, p).unwrap().is_empty());
        let mut t = Tombstones::new();
        t.add(1, Interval { mint: 1, maxt: 2 });
        let good = t.encode();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            assert!(Tombstones::decode(&bad, p).is_err(), "flip at {i}");
        }
        assert!(Tombstones::decode(&good[..6], p).is_err());
    }
}
