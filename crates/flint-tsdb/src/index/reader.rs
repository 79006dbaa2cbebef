//! [`IndexReader`]: reads an index file in format v2 from a memory map.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flint_model::Labels;

use super::buf::{Decbuf, crc32};
use super::postings::{BigEndianPostings, Postings, empty, merge};
use super::{ALL_POSTINGS_KEY, FORMAT_V2, HEADER_LEN, MAGIC_INDEX, SERIES_ALIGN, Toc};
use crate::chunks::{ChunkMeta, ChunkRef};
use crate::error::{Error, Result};
use crate::mmap::Mmap;

/// One value of a label name in the postings offset table: where its bytes sit in the file and
/// where its postings list starts.
#[derive(Debug, Clone, Copy)]
struct ValueEntry {
    start: usize,
    end: usize,
    offset: u64,
}

/// Reads an index. Everything is checked against its CRC before use; corrupt data gives
/// errors, never panics.
#[derive(Debug)]
pub struct IndexReader {
    path: PathBuf,
    map: Mmap,
    toc: Toc,
    /// Byte offset of every symbol entry, by symbol index.
    symbols: Vec<usize>,
    /// Label name → its values (sorted) with postings offsets. `""` holds all postings.
    postings: BTreeMap<String, Vec<ValueEntry>>,
}

impl IndexReader {
    /// Maps and parses the index file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let map = Mmap::open(path)?;
        Self::from_mmap(path, map)
    }

    fn from_mmap(path: &Path, map: Mmap) -> Result<Self> {
        let bad = |r: &str| Error::corrupt(path, r.to_owned());
        if map.len() < HEADER_LEN {
            return Err(bad("shorter than the header"));
        }
        let magic = u32::from_be_bytes([map[0], map[1], map[2], map[3]]);
        if magic != MAGIC_INDEX {
            return Err(bad(&format!("bad magic {magic:#x}")));
        }
        if map[4] != FORMAT_V2 {
            return Err(bad(&format!("unsupported index version {}", map[4])));
        }
        let toc = Toc::decode(&map).ok_or_else(|| bad("bad table of contents"))?;
        let mut r = IndexReader {
            path: path.to_owned(),
            map,
            toc,
            symbols: Vec::new(),
            postings: BTreeMap::new(),
        };
        r.symbols = r.read_symbols()?;
        r.postings = r.read_postings_table()?;
        Ok(r)
    }

    fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(&self.path, reason)
    }

    /// The body of the section at `off`: `len <4b> | body | CRC32(body)`, CRC checked.
    fn section(&self, off: u64, what: &str) -> Result<&[u8]> {
        let bad = || {
            self.corrupt(format!(
                "{what} at offset {off}: truncated or out of bounds"
            ))
        };
        let start = usize::try_from(off).map_err(|_| bad())?;
        let mut d = Decbuf::new(self.map.get(start..).ok_or_else(bad)?);
        let len = d.be32().ok_or_else(bad)? as usize;
        let body = d.bytes(len).ok_or_else(bad)?;
        let want = d.be32().ok_or_else(bad)?;
        if crc32(body) != want {
            return Err(self.corrupt(format!("{what} at offset {off}: checksum mismatch")));
        }
        Ok(body)
    }

    fn read_symbols(&self) -> Result<Vec<usize>> {
        let body = self.section(self.toc.symbols, "symbol table")?;
        let base = self.toc.symbols as usize + 4;
        let mut d = Decbuf::new(body);
        let bad = || self.corrupt("symbol table: malformed entry");
        let count = d.be32().ok_or_else(bad)? as usize;
        let mut offsets = Vec::with_capacity(count.min(body.len()));
        for _ in 0..count {
            offsets.push(base + body.len() - d.len());
            d.uvarint_str().ok_or_else(bad)?;
        }
        Ok(offsets)
    }

    fn read_postings_table(&self) -> Result<BTreeMap<String, Vec<ValueEntry>>> {
        let mut out: BTreeMap<String, Vec<ValueEntry>> = BTreeMap::new();
        if self.toc.postings_table == 0 {
            return Ok(out);
        }
        let body = self.section(self.toc.postings_table, "postings offset table")?;
        let base = self.toc.postings_table as usize + 4;
        let mut d = Decbuf::new(body);
        let bad = || self.corrupt("postings offset table: malformed entry");
        let count = d.be32().ok_or_else(bad)?;
        for _ in 0..count {
            if d.uvarint().ok_or_else(bad)? != 2 {
                return Err(self.corrupt("postings offset table: key count is not 2"));
            }
            let name = d.uvarint_str().ok_or_else(bad)?;
            let value = d.uvarint_str().ok_or_else(bad)?;
            let end = base + body.len() - d.len();
            let offset = d.uvarint().ok_or_else(bad)?;
            let entry = ValueEntry {
                start: end - value.len(),
                end,
                offset,
            };
            let values = out.entry(name.to_owned()).or_default();
            if values
                .last()
                .is_some_and(|last| self.value_bytes(last) >= value.as_bytes())
            {
                return Err(self.corrupt("postings offset table: values not sorted"));
            }
            values.push(entry);
        }
        Ok(out)
    }

    fn value_bytes(&self, e: &ValueEntry) -> &[u8] {
        self.map.get(e.start..e.end).unwrap_or_default()
    }

    fn value_str(&self, e: &ValueEntry) -> &str {
        // Validated as UTF-8 when the table was read.
        std::str::from_utf8(self.value_bytes(e)).unwrap_or_default()
    }

    /// The table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// Number of symbols.
    pub fn num_symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The symbol with index `idx`.
    pub fn symbol(&self, idx: u32) -> Result<&str> {
        let off = *self
            .symbols
            .get(idx as usize)
            .ok_or_else(|| self.corrupt(format!("unknown symbol {idx}")))?;
        let mut d = Decbuf::new(self.map.get(off..).unwrap_or_default());
        d.uvarint_str()
            .ok_or_else(|| self.corrupt(format!("bad symbol {idx}")))
    }

    /// All symbols, in order.
    pub fn symbols(&self) -> impl Iterator<Item = Result<&str>> + '_ {
        (0..self.symbols.len() as u32).map(|i| self.symbol(i))
    }

    /// Sorted label names of all series.
    pub fn label_names(&self) -> Vec<&str> {
        self.postings
            .keys()
            .filter(|n| !n.is_empty())
            .map(String::as_str)
            .collect()
    }

    /// Sorted values of label `name` (empty if no series has it).
    pub fn label_values(&self, name: &str) -> Vec<&str> {
        if name.is_empty() {
            return Vec::new();
        }
        self.postings
            .get(name)
            .map(|vs| vs.iter().map(|e| self.value_str(e)).collect())
            .unwrap_or_default()
    }

    /// The postings list of `name="value"`; empty if the pair does not occur.
    pub fn postings(&self, name: &str, value: &str) -> Result<Box<dyn Postings + '_>> {
        let Some(values) = self.postings.get(name) else {
            return Ok(empty());
        };
        let found = values.binary_search_by(|e| self.value_bytes(e).cmp(value.as_bytes()));
        match found {
            Ok(i) => Ok(Box::new(self.postings_at(values[i].offset)?)),
            Err(_) => Ok(empty()),
        }
    }

    /// The union of the postings lists of `name` with each of `values`.
    pub fn postings_for_values(
        &self,
        name: &str,
        values: &[&str],
    ) -> Result<Box<dyn Postings + '_>> {
        let lists = values
            .iter()
            .map(|v| self.postings(name, v))
            .collect::<Result<Vec<_>>>()?;
        Ok(merge(lists))
    }

    /// Every series ID of the index.
    pub fn all_postings(&self) -> Result<Box<dyn Postings + '_>> {
        self.postings(ALL_POSTINGS_KEY.0, ALL_POSTINGS_KEY.1)
    }

    fn postings_at(&self, off: u64) -> Result<BigEndianPostings<'_>> {
        let body = self.section(off, "postings list")?;
        let mut d = Decbuf::new(body);
        let count = d.be32().map(|c| c as usize);
        if count.is_none_or(|c| c.checked_mul(4) != Some(d.len())) {
            return Err(self.corrupt(format!("postings list at {off}: bad entry count")));
        }
        Ok(BigEndianPostings::new(d.b))
    }

    /// The labels and chunk metas of series `id`.
    pub fn series(&self, id: u64) -> Result<(Labels, Vec<ChunkMeta>)> {
        let mut labels = Vec::new();
        let mut chunks = Vec::new();
        self.series_into(id, &mut labels, &mut chunks)?;
        Ok((Labels::from_pairs(labels), chunks))
    }

    /// Like [`series`](Self::series), filling the caller's buffers (cleared first).
    pub fn series_into<'a>(
        &'a self,
        id: u64,
        labels: &mut Vec<(&'a str, &'a str)>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        labels.clear();
        chunks.clear();
        let bad = || self.corrupt(format!("series {id}: truncated or out of bounds"));
        let off = id
            .checked_mul(SERIES_ALIGN)
            .and_then(|o| usize::try_from(o).ok())
            .ok_or_else(bad)?;
        let mut d = Decbuf::new(self.map.get(off..).ok_or_else(bad)?);
        let len = usize::try_from(d.uvarint().ok_or_else(bad)?).map_err(|_| bad())?;
        let body = d.bytes(len).ok_or_else(bad)?;
        if d.be32() != Some(crc32(body)) {
            return Err(self.corrupt(format!("series {id}: checksum mismatch")));
        }
        let mut d = Decbuf::new(body);
        let n = d.uvarint().ok_or_else(bad)?;
        for _ in 0..n {
            let name = self.symbol(d.uvarint32().ok_or_else(bad)?)?;
            let value = self.symbol(d.uvarint32().ok_or_else(bad)?)?;
            labels.push((name, value));
        }
        decode_chunk_metas(&mut d, chunks).ok_or_else(bad)
    }

    /// Labels of series `id`.
    pub fn series_labels(&self, id: u64) -> Result<Labels> {
        self.series(id).map(|(labels, _)| labels)
    }
}

fn decode_chunk_metas(d: &mut Decbuf<'_>, out: &mut Vec<ChunkMeta>) -> Option<()> {
    let n = d.uvarint()?;
    if n == 0 {
        return Some(());
    }
    let mint = d.varint()?;
    let maxt = mint.wrapping_add(d.uvarint()? as i64);
    let mut r = d.uvarint()?;
    out.push(ChunkMeta {
        min_time: mint,
        max_time: maxt,
        chunk_ref: ChunkRef(r),
    });
    let mut t0 = maxt;
    for _ in 1..n {
        let mint = t0.wrapping_add(d.uvarint()? as i64);
        let maxt = mint.wrapping_add(d.uvarint()? as i64);
        r = (r as i64).wrapping_add(d.varint()?) as u64;
        out.push(ChunkMeta {
            min_time: mint,
            max_time: maxt,
            chunk_ref: ChunkRef(r),
        });
        t0 = maxt;
    }
    Some(())
}
