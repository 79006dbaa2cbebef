//! What the server's status pages show about the database (`/api/v1/status/tsdb`, the
//! runtime information, the blocks list).

use super::Db;
use crate::block::{BlockMeta, Ulid};
use crate::head::HeadCardinality;

/// One loaded block, for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockInfo {
    /// The block's ID.
    pub ulid: Ulid,
    /// Its `meta.json`.
    pub meta: BlockMeta,
    /// Bytes on disk.
    pub size_bytes: u64,
}

/// Everything `/api/v1/status/tsdb` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TsdbStatus {
    /// Head statistics and the top-N lists.
    pub head: HeadCardinality,
    /// The loaded blocks, oldest first.
    pub blocks: Vec<BlockInfo>,
    /// Bytes used by blocks.
    pub blocks_bytes: u64,
    /// Bytes of the WAL directory.
    pub wal_bytes: u64,
    /// Bytes of the head-chunk files.
    pub head_chunks_bytes: u64,
}

impl Db {
    /// The status with the `limit` largest entries of each cardinality list (Prometheus's
    /// `limit` parameter, 10 by default).
    pub fn status(&self, limit: usize) -> TsdbStatus {
        let blocks: Vec<BlockInfo> = self
            .blocks()
            .iter()
            .map(|b| BlockInfo {
                ulid: b.meta().ulid,
                meta: b.meta().clone(),
                size_bytes: b.size_bytes(),
            })
            .collect();
        TsdbStatus {
            head: self.head().cardinality(limit),
            blocks_bytes: blocks.iter().map(|b| b.size_bytes).sum(),
            blocks,
            wal_bytes: crate::block::dir_size(&self.wal_dir()),
            head_chunks_bytes: self.head().head_chunks().size_bytes(),
        }
    }
}
