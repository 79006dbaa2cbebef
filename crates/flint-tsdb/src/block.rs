//! Block directories: `<ULID>/` with `meta.json`, `index`, `chunks/` and `tombstones`.
//!
//! - [`BlockWriter`] writes a block from series (encoded chunks or raw samples).
//! - [`Block::open`] maps a block and implements [`flint_storage::Queryable`]: its querier
//!   selects series through the index postings, decodes only chunks overlapping the queried
//!   range, trims samples outside it and hides deleted intervals (tombstones).

mod iterator;
mod meta;
mod querier;
mod tombstones;
mod ulid;
mod writer;

pub use meta::{BlockDesc, BlockMeta, BlockMetaCompaction, BlockStats, META_FILENAME};
pub use querier::BlockQuerier;
pub use tombstones::{Interval, TOMBSTONES_FILENAME, Tombstones};
pub use ulid::{ParseUlidError, Ulid};
pub use writer::{BlockWriter, EncodedChunk, TMP_SUFFIX, block_dir, write_index};

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
            }),
        })
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

#[cfg(test)]
mod tests;
