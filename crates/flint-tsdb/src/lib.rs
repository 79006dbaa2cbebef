//! Flint's local time-series database.
//!
//! Built after Prometheus's on-disk format documents (`tsdb/docs/format/*.md` upstream), so
//! Prometheus, promtool, Thanos and Mimir read what Flint writes and the other way round.
//!
//! | module | holds |
//! |---|---|
//! | [`chunkenc`] | chunk encodings (XOR floats, bit for bit) |
//! | [`wlog`] | the write-ahead log: segments, pages, records fragments, repair, checkpoints |
//! | [`record`] | WAL record encoding: series, samples, tombstones, exemplars, metadata |
//! | [`chunks`] | chunk segment files of blocks (`chunks/000001`) |
//! | [`index`] | the block index, format v2 (symbols, series, postings, label indices, TOC) |
//! | [`block`] | block directories: `meta.json`, tombstones, reading and writing whole blocks |
//! | [`backfill`] | blocks from an OpenMetrics file (`create-blocks-from openmetrics`) |
//! | [`db`] | [`Db`]: a data directory as one storage (head, WAL, blocks, compaction, retention) |
//! | [`head`] | the in-memory head: series, postings, appender, querier, WAL replay |
//! | [`head_chunks`] | full head chunks on disk (`chunks_head/`) |
//! | [`mmap`] | the one place that maps files into memory |
#![deny(missing_docs)]

pub mod agent;
pub mod backfill;
pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod db;
pub mod error;
pub mod head;
pub mod head_chunks;
pub mod index;
pub mod mmap;
pub mod record;
pub mod wlog;

pub use db::{Db, DbOptions};
pub use error::{Error, Result};
pub use head::{ReplayProgress, ReplayState, WalReplayStatus};
