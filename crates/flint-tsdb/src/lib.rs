//! Flint's local time-series database.
//!
//! Built in layers after Prometheus's on-disk format documents (`tsdb/docs/format/*.md`
//! upstream). So far: [`chunkenc`], the chunk encodings (the XOR float chunk, bit for bit).
//! The head, WAL, blocks, compaction and retention follow.
#![deny(missing_docs)]

pub mod chunkenc;
pub mod error;

pub use error::{Error, Result};
