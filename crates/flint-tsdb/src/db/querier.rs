//! [`DbQuerier`]: head and blocks read as one storage.

use flint_model::Matcher;
use flint_storage::merge::MergeSeriesSet;
use flint_storage::{Querier, Queryable, SelectHints, SeriesSet, Warnings};

use super::DbInner;
use crate::block::Block;

/// Reads `[mint, maxt]` from the blocks overlapping it and the head, merged series by series
/// (the head wins on equal timestamps, which only happen while a block is being cut).
pub struct DbQuerier<'a> {
    db: &'a DbInner,
    mint: i64,
    maxt: i64,
}

impl<'a> DbQuerier<'a> {
    pub(crate) fn new(db: &'a DbInner, mint: i64, maxt: i64) -> Self {
        DbQuerier { db, mint, maxt }
    }

    fn blocks(&self) -> Vec<Block> {
        self.db
            .blocks()
            .iter()
            .filter(|b| b.overlaps(self.mint, self.maxt))
            .cloned()
            .collect()
    }

    fn head_in_range(&self) -> bool {
        let h = &self.db.head;
        h.num_series() > 0 && h.min_time() <= self.maxt && self.mint <= h.max_time()
    }

    /// Runs `f` on every source and unions the sorted results.
    fn union(
        &self,
        limit: usize,
        f: impl Fn(&dyn Querier) -> flint_storage::Result<(Vec<String>, Warnings)>,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        let mut all = Vec::new();
        let mut warnings = Warnings::new();
        let mut add = |res: flint_storage::Result<(Vec<String>, Warnings)>| {
            res.map(|(v, w)| {
                all.extend(v);
                warnings.extend(w);
            })
        };
        for b in self.blocks() {
            add(f(&b.block_querier(self.mint, self.maxt)))?;
        }
        if self.head_in_range() {
            let q = self.db.head.querier(self.mint, self.maxt)?;
            add(f(q.as_ref()))?;
        }
        all.sort();
        all.dedup();
        if limit > 0 {
            all.truncate(limit);
        }
        Ok((all, warnings))
    }
}

impl Querier for DbQuerier<'_> {
    fn select(
        &self,
        sorted: bool,
        _hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        // The view of head and blocks is taken under the epoch lock: head truncation waits.
        let epoch = self.db.epoch.read().unwrap_or_else(|p| p.into_inner());
        let blocks = self.blocks();
        let mut sets: Vec<Box<dyn SeriesSet>> = Vec::with_capacity(blocks.len() + 1);
        let several = blocks.len() + usize::from(self.head_in_range()) > 1;
        if self.head_in_range() {
            let q = crate::head::HeadQuerier::new(&self.db.head, self.mint, self.maxt);
            sets.push(Box::new(q.select_owned(sorted || several, matchers)));
        }
        drop(epoch);
        for b in &blocks {
            sets.push(b.block_querier(self.mint, self.maxt).select_owned(matchers));
        }
        match sets.len() {
            0 => Box::new(flint_storage::VecSeriesSet::new(Vec::new())),
            1 => sets
                .pop()
                .unwrap_or_else(|| Box::new(flint_storage::VecSeriesSet::new(Vec::new()))),
            _ => Box::new(MergeSeriesSet::new(sets)),
        }
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        self.union(limit, |q| q.label_values(name, matchers, 0))
    }

    fn label_names(
        &self,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        self.union(limit, |q| q.label_names(matchers, 0))
    }
}
