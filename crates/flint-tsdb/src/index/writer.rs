//! [`IndexWriter`]: writes an index file in format v2.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flint_model::Labels;

use super::buf::{Encbuf, padding};
use super::{ALL_POSTINGS_KEY, FORMAT_V2, MAGIC_INDEX, SERIES_ALIGN, Toc};
use crate::chunks::ChunkMeta;
use crate::error::{Error, Result};

/// Writes an index: call [`add_symbol`](Self::add_symbol) for every string of every label
/// (sorted, each once), then [`add_series`](Self::add_series) for every series in label order,
/// then [`finish`](Self::finish).
#[derive(Debug)]
pub struct IndexWriter {
    path: PathBuf,
    w: BufWriter<File>,
    pos: u64,
    toc: Toc,
    symbols_done: bool,
    symbol_table: Encbuf,
    symbols: Vec<Arc<str>>,
    symbol_ids: HashMap<Arc<str>, u32>,
    last_series: Option<Labels>,
    /// Label name symbol → value symbol → series IDs.
    postings: BTreeMap<u32, BTreeMap<u32, Vec<u32>>>,
    all: Vec<u32>,
    buf: Encbuf,
}

impl IndexWriter {
    /// Creates (or truncates) the index file at `path` and writes its header.
    pub fn create(path: &Path) -> Result<Self> {
        let file =
            File::create(path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut w = IndexWriter {
            path: path.to_owned(),
            w: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            toc: Toc::default(),
            symbols_done: false,
            symbol_table: Encbuf::default(),
            symbols: Vec::new(),
            symbol_ids: HashMap::new(),
            last_series: None,
            postings: BTreeMap::new(),
            all: Vec::new(),
            buf: Encbuf::default(),
        };
        let mut header = MAGIC_INDEX.to_be_bytes().to_vec();
        header.push(FORMAT_V2);
        w.write(&header)?;
        Ok(w)
    }

    fn misuse(&self, reason: String) -> Error {
        Error::corrupt(&self.path, format!("index writer: {reason}"))
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.w
            .write_all(b)
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self, align: u64) -> Result<()> {
        let n = padding(self.pos, align);
        self.write(&vec![0u8; n])
    }

    /// Adds the next symbol; symbols must come sorted and without duplicates, before any series.
    pub fn add_symbol(&mut self, sym: &str) -> Result<()> {
        if self.symbols_done {
            return Err(self.misuse(format!("symbol {sym:?} added after series")));
        }
        if let Some(last) = self.symbols.last()
            && **last >= *sym
        {
            return Err(self.misuse(format!("symbol {sym:?} out of order after {last:?}")));
        }
        let id = u32::try_from(self.symbols.len())
            .map_err(|_| self.misuse("too many symbols".to_owned()))?;
        let sym: Arc<str> = sym.into();
        self.symbol_table.put_uvarint_str(&sym);
        self.symbols.push(sym.clone());
        self.symbol_ids.insert(sym, id);
        Ok(())
    }

    fn finish_symbols(&mut self) -> Result<()> {
        if self.symbols_done {
            return Ok(());
        }
        self.symbols_done = true;
        self.toc.symbols = self.pos;
        let mut body = Encbuf::default();
        body.put_be32(self.symbols.len() as u32);
        body.b.extend_from_slice(&self.symbol_table.b);
        self.symbol_table = Encbuf::default();
        let section = with_len_and_crc(&body.b)?;
        self.write(&section)?;
        // Like Prometheus, the TOC points at the end of the symbols, before the padding that
        // aligns the first series.
        self.toc.series = self.pos;
        self.pad(SERIES_ALIGN)?;
        Ok(())
    }

    fn symbol(&self, s: &str) -> Result<u32> {
        self.symbol_ids
            .get(s)
            .copied()
            .ok_or_else(|| self.misuse(format!("symbol {s:?} was not added")))
    }

    /// Adds a series with its chunks (sorted by time, not overlapping). Series must come in
    /// strictly increasing label order. Returns the series ID (offset / 16).
    pub fn add_series(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<u64> {
        self.finish_symbols()?;
        if self.last_series.as_ref().is_some_and(|last| last >= labels) {
            return Err(self.misuse(format!("series {labels} out of order")));
        }
        check_chunks(chunks).map_err(|r| self.misuse(format!("series {labels}: {r}")))?;
        self.pad(SERIES_ALIGN)?;
        let id = u32::try_from(self.pos / SERIES_ALIGN)
            .map_err(|_| self.misuse("series section exceeds 64 GiB".to_owned()))?;
        let mut body = Encbuf::default();
        body.put_uvarint(labels.len() as u64);
        for l in labels {
            let (name, value) = (self.symbol(&l.name)?, self.symbol(&l.value)?);
            body.put_uvarint(u64::from(name));
            body.put_uvarint(u64::from(value));
            let lists = self.postings.entry(name).or_default();
            lists.entry(value).or_default().push(id);
        }
        encode_chunk_metas(&mut body, chunks);
        self.buf.reset();
        self.buf.put_uvarint(body.len() as u64);
        self.buf.b.extend_from_slice(&body.b);
        let crc = super::buf::crc32(&body.b);
        self.buf.put_be32(crc);
        let entry = std::mem::take(&mut self.buf);
        self.write(&entry.b)?;
        self.buf = entry;
        self.all.push(id);
        self.last_series = Some(labels.clone());
        Ok(u64::from(id))
    }

    /// Writes label indices, postings, offset tables and the TOC, then flushes and fsyncs.
    pub fn finish(mut self) -> Result<()> {
        self.finish_symbols()?;
        let postings = std::mem::take(&mut self.postings);
        self.toc.label_indices = self.pos;
        let mut label_offsets = Vec::with_capacity(postings.len());
        for (name, values) in &postings {
            self.pad(4)?;
            label_offsets.push((self.symbols[*name as usize].clone(), self.pos));
            let mut body = Encbuf::default();
            body.put_be32(1);
            body.put_be32(values.len() as u32);
            for value in values.keys() {
                body.put_be32(*value);
            }
            self.write(&with_len_and_crc(&body.b)?)?;
        }
        self.pad(4)?;
        self.toc.postings = self.pos;
        let mut postings_offsets = Vec::new();
        let all = std::mem::take(&mut self.all);
        self.write_postings(
            ALL_POSTINGS_KEY.0,
            ALL_POSTINGS_KEY.1,
            &all,
            &mut postings_offsets,
        )?;
        for (name, values) in &postings {
            let name = self.symbols[*name as usize].clone();
            for (value, ids) in values {
                let value = self.symbols[*value as usize].clone();
                self.write_postings(&name, &value, ids, &mut postings_offsets)?;
            }
        }
        self.toc.label_indices_table = self.pos;
        let table = offset_table(label_offsets.iter().map(|(n, o)| (vec![&**n], *o)))?;
        self.write(&table)?;
        self.toc.postings_table = self.pos;
        let entries = postings_offsets
            .iter()
            .map(|(n, v, o)| (vec![&**n, &**v], *o));
        self.write(&offset_table(entries)?)?;
        self.write(&self.toc.encode())?;
        self.close()
    }

    fn write_postings(
        &mut self,
        name: &str,
        value: &str,
        ids: &[u32],
        offsets: &mut Vec<(Arc<str>, Arc<str>, u64)>,
    ) -> Result<()> {
        self.pad(4)?;
        offsets.push((name.into(), value.into(), self.pos));
        let mut body = Encbuf::default();
        body.put_be32(ids.len() as u32);
        for id in ids {
            body.put_be32(*id);
        }
        self.write(&with_len_and_crc(&body.b)?)
    }

    fn close(self) -> Result<()> {
        let ctx = format!("flushing {}", self.path.display());
        let file = self
            .w
            .into_inner()
            .map_err(|e| Error::io(ctx.clone(), e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(ctx, e))
    }
}

/// Checks that chunks are in time order, without overlap and with refs not decreasing.
fn check_chunks(chunks: &[ChunkMeta]) -> std::result::Result<(), String> {
    for (i, c) in chunks.iter().enumerate() {
        if c.max_time < c.min_time {
            return Err(format!("chunk maxt {} < mint {}", c.max_time, c.min_time));
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| chunks.get(p)) {
            if c.min_time <= prev.max_time {
                return Err(format!("chunk mint {} <= previous maxt", c.min_time));
            }
            if c.chunk_ref < prev.chunk_ref {
                return Err("chunk references not increasing".to_owned());
            }
        }
    }
    Ok(())
}

/// Chunk metas: first mint, then deltas as `index.md` describes.
fn encode_chunk_metas(e: &mut Encbuf, chunks: &[ChunkMeta]) {
    e.put_uvarint(chunks.len() as u64);
    let Some(first) = chunks.first() else {
        return;
    };
    e.put_varint(first.min_time);
    e.put_uvarint(first.max_time.wrapping_sub(first.min_time) as u64);
    e.put_uvarint(first.chunk_ref.0);
    let (mut t0, mut ref0) = (first.max_time, first.chunk_ref.0 as i64);
    for c in &chunks[1..] {
        e.put_uvarint(c.min_time.wrapping_sub(t0) as u64);
        e.put_uvarint(c.max_time.wrapping_sub(c.min_time) as u64);
        e.put_varint((c.chunk_ref.0 as i64).wrapping_sub(ref0));
        t0 = c.max_time;
        ref0 = c.chunk_ref.0 as i64;
    }
}

/// `len <4b> | body | CRC32(body)`.
fn with_len_and_crc(body: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(body.len())
        .map_err(|_| Error::corrupt("index", "section larger than 4 GiB"))?;
    let mut e = Encbuf::default();
    e.put_be32(len);
    e.b.extend_from_slice(body);
    e.put_crc_from(4);
    Ok(e.b)
}

/// A label or postings offset table: `#entries`, then per entry the key count, the key
/// strings and the offset.
fn offset_table<'a>(entries: impl Iterator<Item = (Vec<&'a str>, u64)>) -> Result<Vec<u8>> {
    let mut body = Encbuf::default();
    body.put_be32(0);
    let mut count = 0u32;
    for (keys, offset) in entries {
        body.put_uvarint(keys.len() as u64);
        for k in keys {
            body.put_uvarint_str(k);
        }
        body.put_uvarint(offset);
        count += 1;
    }
    body.b[..4].copy_from_slice(&count.to_be_bytes());
    with_len_and_crc(&body.b)
}
