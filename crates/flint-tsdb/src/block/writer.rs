//! [`BlockWriter`]: writes a whole block directory atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use flint_model::Labels;

use super::builder::BlockBuilder;
use super::meta::{BlockMeta, BlockMetaCompaction};
use super::ulid::Ulid;
use crate::chunkenc::{Encoding, SAMPLES_PER_CHUNK, XorAppender, XorChunk};
use crate::chunks::{ChunkMeta, DEFAULT_SEGMENT_SIZE};
use crate::error::{Error, Result};
use crate::index::IndexWriter;

/// Suffix of the directory a block is written in before it is renamed into place.
pub const TMP_SUFFIX: &str = ".tmp-for-creation";

/// An encoded chunk with its time range, ready to be written into a block.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedChunk {
    /// The chunk's encoding.
    pub encoding: Encoding,
    /// Timestamp of its first sample.
    pub min_time: i64,
    /// Timestamp of its last sample.
    pub max_time: i64,
    /// Number of samples.
    pub num_samples: u64,
    /// The encoded bytes.
    pub data: Vec<u8>,
}

impl EncodedChunk {
    /// Wraps an XOR chunk whose samples span `[min_time, max_time]`.
    pub fn xor(chunk: &XorChunk, min_time: i64, max_time: i64) -> Self {
        EncodedChunk {
            encoding: Encoding::Xor,
            min_time,
            max_time,
            num_samples: chunk.num_samples() as u64,
            data: chunk.bytes().to_vec(),
        }
    }
}

/// Collects series and writes them as one block.
///
/// ```no_run
/// # use flint_tsdb::block::BlockWriter;
/// # use flint_model::Labels;
/// let mut w = BlockWriter::new();
/// w.add_samples(Labels::from_pairs([("__name__", "up")]), &[(1000, 1.0), (2000, 1.0)])?;
/// let meta = w.write(std::path::Path::new("data"))?;
/// # Ok::<(), flint_tsdb::Error>(())
/// ```
#[derive(Debug)]
pub struct BlockWriter {
    series: BTreeMap<Labels, Vec<EncodedChunk>>,
    time_range: Option<(i64, i64)>,
    compaction: Option<BlockMetaCompaction>,
    segment_size: u64,
}

impl Default for BlockWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockWriter {
    /// An empty writer.
    pub fn new() -> Self {
        BlockWriter {
            series: BTreeMap::new(),
            time_range: None,
            compaction: None,
            segment_size: DEFAULT_SEGMENT_SIZE,
        }
    }

    /// Sets the block's time range `[mint, maxt)` for `meta.json` (by default: from the first
    /// sample to one past the last).
    pub fn with_time_range(mut self, mint: i64, maxt: i64) -> Self {
        self.time_range = Some((mint, maxt));
        self
    }

    /// Sets the compaction section (by default level 1 with the block itself as source).
    pub fn with_compaction(mut self, compaction: BlockMetaCompaction) -> Self {
        self.compaction = Some(compaction);
        self
    }

    /// Sets the largest chunk segment size.
    pub fn with_segment_size(mut self, bytes: u64) -> Self {
        self.segment_size = bytes;
        self
    }

    /// Adds chunks of a series (sorted by time, after any chunks already added for it).
    pub fn add_chunks(&mut self, labels: Labels, chunks: Vec<EncodedChunk>) -> Result<()> {
        let have = self.series.entry(labels.clone()).or_default();
        let mut last = have.last().map(|c| c.max_time);
        for c in &chunks {
            if c.max_time < c.min_time || last.is_some_and(|l| c.min_time <= l) {
                return Err(Error::corrupt(
                    "block writer",
                    format!("series {labels}: chunks out of order or overlapping"),
                ));
            }
            last = Some(c.max_time);
        }
        have.extend(chunks);
        Ok(())
    }

    /// Adds float samples of a series (sorted by timestamp), cut into XOR chunks of at most
    /// 120 samples.
    pub fn add_samples(&mut self, labels: Labels, samples: &[(i64, f64)]) -> Result<()> {
        let chunks = xor_chunks(samples)?;
        self.add_chunks(labels, chunks)
    }

    /// Writes the block into `<parent>/<ULID>/` (through `<ULID>.tmp-for-creation`, fsynced and
    /// renamed) and returns its meta. Series without chunks are left out.
    pub fn write(self, parent: &Path) -> Result<BlockMeta> {
        let mut symbols = BTreeSet::new();
        for l in self.series.keys().flat_map(|labels| labels.iter()) {
            symbols.insert(&*l.name);
            symbols.insert(&*l.value);
        }
        let mut b = BlockBuilder::create_with(parent, symbols, self.segment_size)?;
        for (labels, chunks) in &self.series {
            b.add_series(labels, chunks)?;
        }
        let (min_time, max_time) = self.time_range.unwrap_or(match b.data_range() {
            Some((min, max)) => (min, max.saturating_add(1)),
            None => (0, 0),
        });
        b.finish(min_time, max_time, self.compaction.unwrap_or_default())
    }
}

/// Cuts time-ordered float samples into XOR chunks of at most 120 samples.
pub fn xor_chunks(samples: &[(i64, f64)]) -> Result<Vec<EncodedChunk>> {
    let mut chunks = Vec::with_capacity(samples.len().div_ceil(SAMPLES_PER_CHUNK));
    for part in samples.chunks(SAMPLES_PER_CHUNK) {
        let mut app = XorAppender::new();
        for (t, v) in part {
            app.append(*t, *v)?;
        }
        let (Some(first), Some(last)) = (part.first(), part.last()) else {
            continue;
        };
        chunks.push(EncodedChunk::xor(&app.into_chunk(), first.0, last.0));
    }
    Ok(chunks)
}

/// Writes the index of `series` (sorted by labels) to `path`.
pub fn write_index(path: &Path, series: &[(&Labels, Vec<ChunkMeta>)]) -> Result<()> {
    let mut symbols = BTreeSet::new();
    for l in series.iter().flat_map(|(labels, _)| labels.iter()) {
        symbols.insert(&*l.name);
        symbols.insert(&*l.value);
    }
    let mut w = IndexWriter::create(path)?;
    for s in symbols {
        w.add_symbol(s)?;
    }
    for (labels, metas) in series {
        w.add_series(labels, metas)?;
    }
    w.finish()
}

/// Fsyncs a directory so renames and new entries in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let f =
        std::fs::File::open(dir).map_err(|e| Error::io(format!("opening {}", dir.display()), e))?;
    f.sync_all()
        .map_err(|e| Error::io(format!("syncing {}", dir.display()), e))
}

/// The directory a block with ID `ulid` lives in under `parent`.
pub fn block_dir(parent: &Path, ulid: Ulid) -> PathBuf {
    parent.join(ulid.to_string())
}
