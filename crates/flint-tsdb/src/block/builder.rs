//! [`BlockBuilder`]: writes a block series by series, holding only the index's postings in
//! memory (chunks go straight to the segment files).

use std::path::{Path, PathBuf};

use flint_model::Labels;
use tracing::debug;

use super::meta::{BlockMeta, BlockMetaCompaction, BlockStats, META_VERSION};
use super::tombstones::Tombstones;
use super::ulid::Ulid;
use super::writer::{EncodedChunk, TMP_SUFFIX, sync_dir};
use crate::chunks::{ChunkMeta, ChunkWriter, DEFAULT_SEGMENT_SIZE};
use crate::error::{Error, Result};
use crate::index::IndexWriter;

/// Writes one block into `<parent>/<ULID>.tmp-for-creation` and renames it into place on
/// [`finish`](Self::finish). Dropped unfinished, it removes its temporary directory.
///
/// Give every label string of the block up front (sorted, each once), then the series in
/// label order.
#[derive(Debug)]
pub struct BlockBuilder {
    parent: PathBuf,
    ulid: Ulid,
    tmp: PathBuf,
    chunks: Option<ChunkWriter>,
    index: Option<IndexWriter>,
    stats: BlockStats,
    range: (i64, i64),
    metas: Vec<ChunkMeta>,
}

impl BlockBuilder {
    /// Starts a block under `parent` with the given symbols (sorted, unique; the empty string
    /// is always added).
    pub fn create<'s>(parent: &Path, symbols: impl IntoIterator<Item = &'s str>) -> Result<Self> {
        Self::create_with(parent, symbols, DEFAULT_SEGMENT_SIZE)
    }

    /// Like [`create`](Self::create) with chunk segments of at most `segment_size` bytes.
    pub fn create_with<'s>(
        parent: &Path,
        symbols: impl IntoIterator<Item = &'s str>,
        segment_size: u64,
    ) -> Result<Self> {
        let ulid = Ulid::new();
        let tmp = parent.join(format!("{ulid}{TMP_SUFFIX}"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)
                .map_err(|e| Error::io(format!("removing {}", tmp.display()), e))?;
        }
        std::fs::create_dir_all(&tmp)
            .map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
        let mut b = BlockBuilder {
            parent: parent.to_owned(),
            ulid,
            chunks: None,
            index: None,
            tmp,
            stats: BlockStats::default(),
            range: (i64::MAX, i64::MIN),
            metas: Vec::new(),
        };
        b.chunks =
            Some(ChunkWriter::create(&b.tmp.join("chunks"))?.with_segment_size(segment_size));
        let mut index = IndexWriter::create(&b.tmp.join("index"))?;
        // Prometheus's symbol tables start with the empty string (the name and value of its
        // all-postings key); so do ours, which keeps indexes byte-identical to its.
        index.add_symbol("")?;
        for s in symbols.into_iter().filter(|s| !s.is_empty()) {
            index.add_symbol(s)?;
        }
        b.index = Some(index);
        Ok(b)
    }

    /// The new block's ID.
    pub fn ulid(&self) -> Ulid {
        self.ulid
    }

    /// Series written so far.
    pub fn num_series(&self) -> u64 {
        self.stats.num_series
    }

    /// Adds a series with its chunks (time-ordered, not overlapping). Series without chunks
    /// are skipped.
    pub fn add_series(&mut self, labels: &Labels, chunks: &[EncodedChunk]) -> Result<()> {
        if chunks.is_empty() {
            return Ok(());
        }
        let (Some(cw), Some(iw)) = (self.chunks.as_mut(), self.index.as_mut()) else {
            return Err(Error::corrupt(&self.tmp, "block builder already finished"));
        };
        self.metas.clear();
        for c in chunks {
            let chunk_ref = cw.write_chunk(c.encoding, &c.data)?;
            self.metas.push(ChunkMeta {
                min_time: c.min_time,
                max_time: c.max_time,
                chunk_ref,
            });
            self.stats.num_samples += c.num_samples;
            self.range = (self.range.0.min(c.min_time), self.range.1.max(c.max_time));
        }
        iw.add_series(labels, &self.metas)?;
        self.stats.num_chunks += chunks.len() as u64;
        self.stats.num_series += 1;
        Ok(())
    }

    /// Time range of the chunks written: `(first sample, last sample)`.
    pub fn data_range(&self) -> Option<(i64, i64)> {
        (self.range.0 <= self.range.1).then_some(self.range)
    }

    /// Finishes the files, writes `meta.json` with the range `[min_time, max_time)` and the
    /// compaction section (its `sources` default to the block itself), fsyncs and renames the
    /// directory into place.
    pub fn finish(
        mut self,
        min_time: i64,
        max_time: i64,
        mut compaction: BlockMetaCompaction,
    ) -> Result<BlockMeta> {
        let (Some(cw), Some(iw)) = (self.chunks.take(), self.index.take()) else {
            return Err(Error::corrupt(&self.tmp, "block builder already finished"));
        };
        cw.finish()?;
        iw.finish()?;
        Tombstones::new().write(&self.tmp)?;
        if compaction.sources.is_empty() {
            compaction.sources = vec![self.ulid];
        }
        let meta = BlockMeta {
            ulid: self.ulid,
            min_time,
            max_time,
            stats: self.stats.clone(),
            compaction,
            version: META_VERSION,
        };
        meta.write(&self.tmp)?;
        sync_dir(&self.tmp)?;
        let final_dir = self.parent.join(self.ulid.to_string());
        std::fs::rename(&self.tmp, &final_dir)
            .map_err(|e| Error::io(format!("renaming {}", self.tmp.display()), e))?;
        sync_dir(&self.parent)?;
        debug!(block = %self.ulid, series = meta.stats.num_series, "Block written.");
        Ok(meta)
    }
}

impl Drop for BlockBuilder {
    fn drop(&mut self) {
        if self.index.is_some() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}
