//! Reading the head for persistence: its series in label order, and each series' chunks
//! within a block's time range.

use std::cmp::Ordering;
use std::sync::Arc;

use super::Head;
use super::series::MemSeries;
use super::symbols::SymbolId;
use crate::block::{EncodedChunk, Interval, xor_chunks};
use crate::chunkenc::{Encoding, XorChunk};
use crate::error::Result;

/// Compares interned label sets the way [`flint_model::Labels`] orders them (label by label,
/// name then value; a prefix first).
pub fn cmp_interned(strings: &[Arc<str>], a: &[SymbolId], b: &[SymbolId]) -> Ordering {
    let s = |id: &SymbolId| strings.get(*id as usize).map_or("", |s| &**s);
    for (x, y) in a.iter().zip(b) {
        match s(x).cmp(s(y)) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

impl Head {
    /// The series holding samples in `[mint, maxt)`, sorted by labels, and the sorted
    /// strings of their labels (the block's symbol table).
    pub fn series_in_range(&self, mint: i64, maxt: i64) -> (Vec<Arc<MemSeries>>, Vec<Arc<str>>) {
        let mut out = Vec::new();
        self.for_each_series(|s| {
            let st = s.lock();
            let overlaps = st
                .mmapped
                .iter()
                .any(|c| c.min_t < maxt && c.max_t() >= mint)
                || st
                    .open
                    .as_ref()
                    .is_some_and(|c| c.min_t < maxt && c.max_t >= mint);
            if overlaps {
                out.push(s.clone());
            }
        });
        let strings = self.symbols().snapshot();
        out.sort_by(|a, b| cmp_interned(&strings, &a.labels, &b.labels));
        let mut used = vec![false; strings.len()];
        for s in &out {
            for id in s.labels.iter() {
                if let Some(u) = used.get_mut(*id as usize) {
                    *u = true;
                }
            }
        }
        let mut symbols: Vec<Arc<str>> = strings
            .iter()
            .zip(used)
            .filter(|(_, u)| *u)
            .map(|(s, _)| s.clone())
            .collect();
        symbols.sort();
        symbols.dedup();
        (out, symbols)
    }

    /// The chunks of `series` with samples in `[mint, maxt)`, oldest first. Chunks reaching
    /// outside the range or touched by deletions are re-encoded with only the samples that
    /// remain; the others are copied as they are.
    pub fn series_chunks(
        &self,
        series: &MemSeries,
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<EncodedChunk>> {
        let overlaps = |min_t: i64, max_t: i64| min_t < maxt && max_t >= mint;
        let (mmapped, open) = {
            let st = series.lock();
            let mmapped: Vec<_> = st
                .mmapped
                .iter()
                .filter(|c| overlaps(c.min_t, c.max_t()))
                .copied()
                .collect();
            let open = st
                .open
                .as_ref()
                .filter(|c| overlaps(c.min_t, c.max_t))
                .map(|c| (c.app.chunk(), c.min_t, c.max_t));
            (mmapped, open)
        };
        let deleted = self.tombstones_of(series.r);
        let mut out = Vec::with_capacity(mmapped.len() + 1);
        for c in mmapped {
            let stored = self.head_chunks().read(c.r)?;
            let chunk = XorChunk::from_bytes(stored.data)?;
            push_trimmed(&mut out, chunk, c.min_t, c.max_t(), mint, maxt, &deleted)?;
        }
        if let Some((chunk, min_t, max_t)) = open {
            push_trimmed(&mut out, chunk, min_t, max_t, mint, maxt, &deleted)?;
        }
        Ok(out)
    }
}

/// Adds `chunk` as it is when it lies inside `[mint, maxt)` untouched by `deleted`, else the
/// samples that remain, re-encoded.
fn push_trimmed(
    out: &mut Vec<EncodedChunk>,
    chunk: XorChunk,
    min_t: i64,
    max_t: i64,
    mint: i64,
    maxt: i64,
    deleted: &[Interval],
) -> Result<()> {
    let inside = min_t >= mint && max_t < maxt;
    let touched = deleted
        .iter()
        .any(|iv| iv.mint <= max_t && min_t <= iv.maxt);
    if inside && !touched {
        out.push(EncodedChunk {
            encoding: Encoding::Xor,
            min_time: min_t,
            max_time: max_t,
            num_samples: chunk.num_samples() as u64,
            data: chunk.bytes().to_vec(),
        });
        return Ok(());
    }
    let mut samples = Vec::with_capacity(chunk.num_samples());
    for s in chunk.iter() {
        let s = s?;
        if s.t >= mint && s.t < maxt && !deleted.iter().any(|iv| iv.contains(s.t)) {
            samples.push((s.t, s.v));
        }
    }
    out.extend(xor_chunks(&samples)?);
    Ok(())
}
