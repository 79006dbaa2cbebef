//! Block directories: `<ULID>/` with `meta.json`, `index`, `chunks/` and `tombstones`.
//!
//! - [`BlockWriter`] writes a block from series (encoded chunks or raw samples).
//! - [`Block::open`] maps a block and implements [`flint_storage::Queryable`]: its querier
//!   selects series through the index postings, decodes only chunks overlapping the queried
//!   range, trims samples outside it and hides deleted intervals (tombstones).

mod analyze;
mod builder;
mod iterator;
mod meta;
mod querier;
mod tombstones;
mod ulid;
mod writer;

pub use analyze::{BlockAnalysis, Ranked};
pub use builder::BlockBuilder;
pub use meta::{BlockDesc, BlockMeta, BlockMetaCompaction, BlockStats, META_FILENAME};
pub use querier::BlockQuerier;
pub use tombstones::{Interval, TOMBSTONES_FILENAME, Tombstones};
pub use ulid::{ParseUlidError, Ulid};
pub use writer::{BlockWriter, EncodedChunk, TMP_SUFFIX, block_dir, write_index, xor_chunks};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flint_storage::{Querier, Queryable};

use crate::chunks::ChunkReader;
use crate::error::Result;
use crate::index::IndexReader;

/// An open, immutable block. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Block {
    inner: Arc<BlockInner>,
}

#[derive(Debug)]
pub(crate) struct BlockInner {
    pub(crate) dir: PathBuf,
    pub(crate) meta: BlockMeta,
    pub(crate) index: IndexReader,
    pub(crate) chunks: ChunkReader,
    pub(crate) tombstones: Tombstones,
    pub(crate) size: u64,
    /// A read found the block corrupt; it is quarantined at the next reload.
    pub(crate) corrupt: std::sync::atomic::AtomicBool,
}

impl Block {
    /// Opens the block in `dir`: reads `meta.json` and `tombstones`, maps `index` and
    /// `chunks/`.
    pub fn open(dir: &Path) -> Result<Block> {
        let meta = BlockMeta::read(dir)?;
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = ChunkReader::open(&dir.join("chunks"))?;
        let tombstones = Tombstones::read(dir)?;
        Ok(Block {
            inner: Arc::new(BlockInner {
                dir: dir.to_owned(),
                meta,
                index,
                chunks,
                tombstones,
                size: dir_size(dir),
                corrupt: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// Bytes of the block's files.
    pub fn size_bytes(&self) -> u64 {
        self.inner.size
    }

    /// Whether a query found one of the block's chunks or series corrupt.
    pub fn is_corrupt(&self) -> bool {
        self.inner
            .corrupt
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Flags the block as corrupt (it is quarantined at the next reload).
    pub fn mark_corrupt(&self) {
        self.inner
            .corrupt
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Reads every series entry and every chunk, checking their checksums: finds corruption
    /// that opening the block (which checks only headers and tables) does not.
    pub fn verify(&self) -> Result<()> {
        let index = &self.inner.index;
        let mut postings = index.all_postings()?;
        let (mut labels, mut metas) = (Vec::new(), Vec::new());
        while let Some(id) = postings.next() {
            index.series_into(id, &mut labels, &mut metas)?;
            for m in &metas {
                self.inner.chunks.chunk(m.chunk_ref)?;
            }
        }
        Ok(())
    }

    /// The block's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The block's `meta.json`.
    pub fn meta(&self) -> &BlockMeta {
        &self.inner.meta
    }

    /// The block's index.
    pub fn index(&self) -> &IndexReader {
        &self.inner.index
    }

    /// The block's chunks.
    pub fn chunks(&self) -> &ChunkReader {
        &self.inner.chunks
    }

    /// The block's deleted intervals.
    pub fn tombstones(&self) -> &Tombstones {
        &self.inner.tombstones
    }

    /// Whether the block's range `[minTime, maxTime)` overlaps `[mint, maxt]`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.inner.meta.min_time <= maxt && mint < self.inner.meta.max_time
    }

    /// A querier over `[mint, maxt]` (inclusive) that keeps the block alive.
    pub fn block_querier(&self, mint: i64, maxt: i64) -> BlockQuerier {
        BlockQuerier::new(self.inner.clone(), mint, maxt)
    }
}

impl Queryable for Block {
    fn querier(&self, mint: i64, maxt: i64) -> flint_storage::Result<Box<dyn Querier + '_>> {
        Ok(Box::new(self.block_querier(mint, maxt)))
    }
}

impl BlockInner {
    /// Flags the block for quarantine when `e` reports corrupt data.
    pub(crate) fn mark_if_corrupt(&self, e: &flint_storage::StorageError) {
        if matches!(e, flint_storage::StorageError::Corrupt { .. }) {
            self.corrupt
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Total size of the files under `dir` (errors count as 0).
pub(crate) fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests;
