//! Persisting and compacting: the head cut into blocks, blocks merged into larger ones
//! (overlapping blocks included), deletions applied; and the database-level cycle that runs
//! them in order.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use flint_model::Labels;
use tracing::{info, warn};

use super::DbInner;
use super::plan::plan_compaction;
use crate::block::{
    Block, BlockBuilder, BlockDesc, BlockMeta, BlockMetaCompaction, EncodedChunk, Interval,
    xor_chunks,
};
use crate::chunkenc::{Encoding, XorChunk};
use crate::chunks::ChunkMeta;
use crate::error::{Error, Result};
use crate::head::Head;
use crate::head::series::range_end;
use crate::index::Postings;

/// Writes the head's samples in `[mint, maxt)` as a level-1 block under `parent`. `None` when
/// the range holds no samples.
pub(crate) fn write_head_block(
    parent: &Path,
    head: &Head,
    mint: i64,
    maxt: i64,
    stop: &dyn Fn() -> Result<()>,
) -> Result<Option<BlockMeta>> {
    let (series, symbols) = head.series_in_range(mint, maxt);
    if series.is_empty() {
        return Ok(None);
    }
    let mut b = BlockBuilder::create(parent, symbols.iter().map(|s| &**s))?;
    for (i, s) in series.iter().enumerate() {
        if i.is_multiple_of(1024) {
            stop()?;
        }
        let chunks = head.series_chunks(s, mint, maxt)?;
        b.add_series(&head.labels_of(s), &chunks)?;
    }
    if b.num_series() == 0 {
        return Ok(None);
    }
    b.finish(mint, maxt, BlockMetaCompaction::default())
        .map(Some)
}

/// One block's view of the series being merged.
struct Cursor<'a> {
    block: &'a Block,
    postings: Box<dyn Postings + 'a>,
    current: Option<(u64, Labels, Vec<ChunkMeta>)>,
}

impl Cursor<'_> {
    fn advance(&mut self) -> Result<()> {
        self.current = match self.postings.next() {
            Some(id) => {
                let (labels, chunks) = self.block.index().series(id)?;
                Some((id, labels, chunks))
            }
            None => None,
        };
        Ok(())
    }
}

/// Merges `blocks` into one new block under `parent` (series merged by labels, overlapping
/// chunks merged sample by sample, deleted data dropped). `None` when nothing remains.
pub(crate) fn merge_blocks(
    parent: &Path,
    blocks: &[Block],
    stop: &dyn Fn() -> Result<()>,
) -> Result<Option<BlockMeta>> {
    let mut symbols = BTreeSet::new();
    for b in blocks {
        for s in b.index().symbols() {
            symbols.insert(s?);
        }
    }
    let mut builder = BlockBuilder::create(parent, symbols.iter().copied())?;
    let mut cursors = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut c = Cursor {
            block,
            postings: block.index().all_postings()?,
            current: None,
        };
        c.advance()?;
        cursors.push(c);
    }
    let mut n = 0usize;
    loop {
        n += 1;
        if n.is_multiple_of(1024) {
            stop()?;
        }
        let Some(min) = cursors
            .iter()
            .filter_map(|c| c.current.as_ref().map(|(_, l, _)| l))
            .min()
            .cloned()
        else {
            break;
        };
        let mut parts = Vec::new();
        for c in cursors.iter_mut() {
            if c.current.as_ref().is_some_and(|(_, l, _)| *l == min) {
                if let Some((id, _, metas)) = c.current.take() {
                    parts.push(series_chunks(c.block, id, &metas)?);
                }
                c.advance()?;
            }
        }
        let chunks = combine(parts)?;
        builder.add_series(&min, &chunks)?;
    }
    if builder.num_series() == 0 {
        return Ok(None);
    }
    let min_time = blocks.iter().map(|b| b.meta().min_time).min().unwrap_or(0);
    let max_time = blocks.iter().map(|b| b.meta().max_time).max().unwrap_or(0);
    builder
        .finish(min_time, max_time, merged_compaction(blocks))
        .map(Some)
}

/// The compaction section of a block made from `blocks`: one level up, all their sources.
fn merged_compaction(blocks: &[Block]) -> BlockMetaCompaction {
    let mut sources = BTreeSet::new();
    for b in blocks {
        sources.extend(b.meta().compaction.sources.iter().copied());
        if b.meta().compaction.sources.is_empty() {
            sources.insert(b.meta().ulid);
        }
    }
    let level = blocks
        .iter()
        .map(|b| b.meta().compaction.level)
        .max()
        .unwrap_or(0);
    let level = if blocks.len() > 1 { level + 1 } else { level };
    BlockMetaCompaction {
        level,
        sources: sources.into_iter().collect(),
        parents: blocks
            .iter()
            .map(|b| BlockDesc {
                ulid: b.meta().ulid,
                min_time: b.meta().min_time,
                max_time: b.meta().max_time,
            })
            .collect(),
        ..BlockMetaCompaction::default()
    }
}

/// The chunks of series `id` of `block`, deleted data removed.
fn series_chunks(block: &Block, id: u64, metas: &[ChunkMeta]) -> Result<Vec<EncodedChunk>> {
    let deleted = block.tombstones().get(id);
    let mut out = Vec::with_capacity(metas.len());
    for m in metas {
        let (encoding, data) = block.chunks().chunk(m.chunk_ref)?;
        let touched = deleted
            .iter()
            .any(|iv| iv.mint <= m.max_time && m.min_time <= iv.maxt);
        if !touched {
            out.push(EncodedChunk {
                encoding,
                min_time: m.min_time,
                max_time: m.max_time,
                num_samples: u64::from(u16::from_be_bytes([
                    data.first().copied().unwrap_or(0),
                    data.get(1).copied().unwrap_or(0),
                ])),
                data: data.to_vec(),
            });
            continue;
        }
        let samples = decode(block, encoding, data)?;
        let kept: Vec<(i64, f64)> = samples
            .into_iter()
            .filter(|(t, _)| !deleted.iter().any(|iv: &Interval| iv.contains(*t)))
            .collect();
        out.extend(xor_chunks(&kept)?);
    }
    Ok(out)
}

fn decode(block: &Block, encoding: Encoding, data: &[u8]) -> Result<Vec<(i64, f64)>> {
    if encoding != Encoding::Xor {
        return Err(Error::corrupt(
            block.dir().join("chunks"),
            format!(
                "{} chunks cannot be rewritten by this version",
                encoding.name()
            ),
        ));
    }
    let chunk = XorChunk::from_bytes(data.to_vec())?;
    chunk.iter().map(|s| s.map(|s| (s.t, s.v))).collect()
}

/// Puts the chunks of one series from several blocks together: concatenated when they do not
/// overlap in time, else decoded, merged (the first block wins equal timestamps) and
/// re-encoded.
fn combine(parts: Vec<Vec<EncodedChunk>>) -> Result<Vec<EncodedChunk>> {
    let mut all: Vec<EncodedChunk> = parts.into_iter().flatten().collect();
    all.sort_by_key(|c| c.min_time);
    let overlapping = all.windows(2).any(|w| w[1].min_time <= w[0].max_time);
    if !overlapping {
        return Ok(all);
    }
    let mut samples = Vec::new();
    for c in &all {
        if c.encoding != Encoding::Xor {
            return Err(Error::corrupt(
                "compaction",
                format!("overlapping {} chunks cannot be merged", c.encoding.name()),
            ));
        }
        let chunk = XorChunk::from_bytes(c.data.clone())?;
        for s in chunk.iter() {
            let s = s?;
            samples.push((s.t, s.v));
        }
    }
    samples.sort_by_key(|s| s.0);
    samples.dedup_by(|a, b| a.0.cmp(&b.0) == CmpOrdering::Equal);
    xor_chunks(&samples)
}

impl DbInner {
    /// One compaction cycle: head into blocks, WAL truncation, block compaction, retention.
    pub(crate) fn compact(&self) -> Result<()> {
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        self.check_stop()?;
        let range = self.opts.block_range_ms();
        let mut truncated = None;
        while self.head.compactable() {
            self.check_stop()?;
            let mint = self.head.min_time();
            let maxt = range_end(mint, range);
            self.persist_head(mint, maxt)?;
            truncated = Some(maxt);
        }
        if let Some(maxt) = truncated {
            self.truncate_wal(maxt);
        }
        self.compact_blocks()
    }

    /// Cuts the whole head into blocks (every range up to its newest sample).
    pub(crate) fn flush_head(&self) -> Result<()> {
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        self.check_stop()?;
        let range = self.opts.block_range_ms();
        let mut truncated = None;
        while self.head.min_time() != i64::MAX && self.head.min_time() <= self.head.max_time() {
            self.check_stop()?;
            let mint = self.head.min_time();
            let maxt = range_end(mint, range);
            self.persist_head(mint, maxt)?;
            truncated = Some(maxt);
        }
        if let Some(maxt) = truncated {
            self.truncate_wal(maxt);
        }
        Ok(())
    }

    /// Writes `[mint, maxt)` of the head as a block, makes it visible, then drops it from the
    /// head.
    fn persist_head(&self, mint: i64, maxt: i64) -> Result<()> {
        let start = Instant::now();
        let stop = || self.check_stop();
        let written = write_head_block(&self.dir, &self.head, mint, maxt, &stop);
        self.metrics
            .observe_compaction(start.elapsed(), written.is_ok());
        match written {
            Ok(Some(meta)) => info!(
                block = %meta.ulid,
                mint,
                maxt,
                series = meta.stats.num_series,
                samples = meta.stats.num_samples,
                duration = ?start.elapsed(),
                "Head block written."
            ),
            Ok(None) => {}
            Err(e) => {
                warn!(error = %e, mint, maxt, "Writing the head block failed.");
                return Err(e);
            }
        }
        self.reload_locked()?;
        let _epoch = self.epoch.write().unwrap_or_else(|p| p.into_inner());
        self.head.truncate(maxt)
    }

    /// Checkpoints the older two thirds of the WAL (records of series still in the head and
    /// samples at or after `mint`) and deletes the segments and checkpoints it replaces.
    /// Failures are logged and counted; the next cycle tries again.
    pub(crate) fn truncate_wal(&self, mint: i64) {
        let start = Instant::now();
        let m = &self.metrics;
        let res = self.checkpoint_wal(mint);
        m.wal_truncate_micros
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        let counter = match &res {
            Ok(_) => &m.wal_truncations,
            Err(_) => &m.wal_truncations_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = res {
            warn!(error = %e, "WAL truncation failed.");
        }
    }

    fn checkpoint_wal(&self, mint: i64) -> Result<()> {
        let dir = self.wal.dir().to_owned();
        let segments = crate::wlog::list_segments(&dir)?;
        let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
            return Ok(());
        };
        let (first, last) = (first.index, last.index);
        // A new segment, so a quiet database does not keep more WAL than needed.
        self.wal.with(|w| w.next_segment().map(|_| ()))?;
        // Never the last segment; the lower two thirds hold mostly obsolete samples.
        let Some(last) = last.checked_sub(1) else {
            return Ok(());
        };
        let last = first + (last - first) * 2 / 3;
        if last <= first {
            return Ok(());
        }
        let m = &self.metrics;
        m.checkpoint_creations.fetch_add(1, Ordering::Relaxed);
        let keep = |r: u64| self.head.series(r).is_some();
        let stats =
            crate::wlog::checkpoint(&dir, first, last, keep, mint, self.opts.wal_compression)
                .inspect_err(|_| {
                    m.checkpoint_creations_failed
                        .fetch_add(1, Ordering::Relaxed);
                })?;
        self.wal.with(|w| w.truncate(last + 1))?;
        m.checkpoint_deletions.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = crate::wlog::delete_checkpoints(&dir, last) {
            m.checkpoint_deletions_failed
                .fetch_add(1, Ordering::Relaxed);
            warn!(error = %e, "Deleting old WAL checkpoints failed.");
        }
        info!(
            first,
            last,
            series = stats.total_series,
            samples = stats.total_samples,
            "WAL checkpoint complete."
        );
        Ok(())
    }

    /// Compacts blocks as long as the planner finds something to do.
    fn compact_blocks(&self) -> Result<()> {
        let ranges = self.opts.compaction_ranges();
        loop {
            self.check_stop()?;
            let blocks = self.blocks();
            let metas: Vec<BlockMeta> = blocks.iter().map(|b| b.meta().clone()).collect();
            let plan = plan_compaction(&metas, &ranges);
            if plan.is_empty() {
                return Ok(());
            }
            let chosen: Vec<Block> = blocks
                .iter()
                .filter(|b| plan.contains(&b.meta().ulid))
                .cloned()
                .collect();
            self.compact_these(&chosen)?;
        }
    }

    /// Merges `chosen` into one block and drops them.
    pub(crate) fn compact_these(&self, chosen: &[Block]) -> Result<()> {
        let start = Instant::now();
        let stop = || self.check_stop();
        let overlapping = chosen
            .windows(2)
            .any(|w| w[1].meta().min_time < w[0].meta().max_time);
        let res = merge_blocks(&self.dir, chosen, &stop);
        self.metrics
            .observe_compaction(start.elapsed(), res.is_ok());
        let meta = res.inspect_err(|e| warn!(error = %e, "Compaction failed."))?;
        if overlapping {
            self.metrics
                .vertical_compactions
                .fetch_add(1, Ordering::Relaxed);
        }
        match &meta {
            Some(m) => info!(
                block = %m.ulid,
                sources = chosen.len(),
                mint = m.min_time,
                maxt = m.max_time,
                duration = ?start.elapsed(),
                "Blocks compacted."
            ),
            None => info!(
                sources = chosen.len(),
                "Compaction left no data; deleting the blocks."
            ),
        }
        let doomed: Vec<_> = chosen.iter().map(|b| b.meta().ulid).collect();
        self.reload_dropping(&doomed)
    }
}
