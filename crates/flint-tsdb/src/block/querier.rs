//! [`BlockQuerier`]: the `flint_storage::Querier` of a block.

use std::collections::BTreeSet;
use std::sync::Arc;

use flint_model::{Labels, Matcher};
use flint_storage::{
    Querier, SampleIterator, SelectHints, Series, SeriesSet, StorageError, VecSeriesSet, Warnings,
};

use super::BlockInner;
use super::iterator::BlockSeriesIterator;
use super::tombstones::Interval;
use crate::chunks::ChunkMeta;
use crate::index::postings_for_matchers;

/// Reads a block within `[mint, maxt]`. Holds the block open while alive.
#[derive(Debug, Clone)]
pub struct BlockQuerier {
    block: Arc<BlockInner>,
    mint: i64,
    maxt: i64,
}

impl BlockQuerier {
    pub(crate) fn new(block: Arc<BlockInner>, mint: i64, maxt: i64) -> Self {
        BlockQuerier { block, mint, maxt }
    }

    /// IDs of the series matching `matchers`, collected.
    pub(crate) fn matching_ids(&self, matchers: &[Matcher]) -> flint_storage::Result<Vec<u64>> {
        let mut p = postings_for_matchers(&self.block.index, matchers)?;
        Ok(crate::index::postings::collect(&mut *p))
    }

    fn collect_labels(
        &self,
        matchers: &[Matcher],
        mut f: impl FnMut(&str, &str),
    ) -> flint_storage::Result<()> {
        let (mut labels, mut chunks) = (Vec::new(), Vec::new());
        for id in self.matching_ids(matchers)? {
            self.block.index.series_into(id, &mut labels, &mut chunks)?;
            for (n, v) in &labels {
                f(n, v);
            }
        }
        Ok(())
    }
}

fn truncate(mut v: Vec<String>, limit: usize) -> Vec<String> {
    if limit > 0 {
        v.truncate(limit);
    }
    v
}

impl BlockQuerier {
    /// Like [`Querier::select`], returning a set that keeps the block alive by itself (the
    /// matching series IDs are collected up front; series and chunks are read lazily).
    pub fn select_owned(&self, matchers: &[Matcher]) -> Box<dyn SeriesSet> {
        match self.matching_ids(matchers) {
            Ok(ids) => Box::new(BlockSeriesSet {
                block: self.block.clone(),
                ids: ids.into_iter(),
                mint: self.mint,
                maxt: self.maxt,
                failed: false,
            }),
            Err(e) => {
                self.block.mark_if_corrupt(&e);
                Box::new(VecSeriesSet::failed(e))
            }
        }
    }
}

impl Querier for BlockQuerier {
    fn select(
        &self,
        _sorted: bool,
        _hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        self.select_owned(matchers)
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        if matchers.is_empty() {
            let values = self.block.index.label_values(name);
            let values = values.into_iter().map(str::to_owned).collect();
            return Ok((truncate(values, limit), Warnings::new()));
        }
        let mut values = BTreeSet::new();
        self.collect_labels(matchers, |n, v| {
            if n == name && !values.contains(v) {
                values.insert(v.to_owned());
            }
        })?;
        Ok((
            truncate(values.into_iter().collect(), limit),
            Warnings::new(),
        ))
    }

    fn label_names(
        &self,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        if matchers.is_empty() {
            let names = self.block.index.label_names();
            let names = names.into_iter().map(str::to_owned).collect();
            return Ok((truncate(names, limit), Warnings::new()));
        }
        let mut names = BTreeSet::new();
        self.collect_labels(matchers, |n, _| {
            if !names.contains(n) {
                names.insert(n.to_owned());
            }
        })?;
        Ok((
            truncate(names.into_iter().collect(), limit),
            Warnings::new(),
        ))
    }
}

/// Series of a block, read lazily in ID (hence label) order.
struct BlockSeriesSet {
    block: Arc<BlockInner>,
    ids: std::vec::IntoIter<u64>,
    mint: i64,
    maxt: i64,
    failed: bool,
}

impl BlockSeriesSet {
    /// The series `id` if it has chunks in range that are not wholly deleted.
    fn load(&self, id: u64) -> Result<Option<BlockSeries>, StorageError> {
        let (labels, mut chunks) = self.block.index.series(id)?;
        let deleted = self.block.tombstones.get(id);
        chunks.retain(|c| {
            c.overlaps(self.mint, self.maxt)
                && !deleted
                    .iter()
                    .any(|iv| iv.mint <= c.min_time && c.max_time <= iv.maxt)
        });
        if chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(BlockSeries {
            block: self.block.clone(),
            labels,
            chunks,
            mint: self.mint,
            maxt: self.maxt,
            deleted: deleted.to_vec(),
        }))
    }
}

impl SeriesSet for BlockSeriesSet {
    fn next_series(&mut self) -> Option<flint_storage::Result<Box<dyn Series>>> {
        if self.failed {
            return None;
        }
        while let Some(id) = self.ids.next() {
            match self.load(id) {
                Ok(Some(s)) => return Some(Ok(Box::new(s))),
                Ok(None) => {}
                Err(e) => {
                    self.block.mark_if_corrupt(&e);
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// One series of a block: its labels and the chunks overlapping the queried range.
pub(crate) struct BlockSeries {
    pub(crate) block: Arc<BlockInner>,
    pub(crate) labels: Labels,
    pub(crate) chunks: Vec<ChunkMeta>,
    pub(crate) mint: i64,
    pub(crate) maxt: i64,
    pub(crate) deleted: Vec<Interval>,
}

impl Series for BlockSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(BlockSeriesIterator::new(self))
    }
}
