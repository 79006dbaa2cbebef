//! What `promtool tsdb analyze` reports about a block: label churn, the most common pairs,
//! the highest-cardinality names, and (extended) how full its chunks are.

use std::collections::HashMap;

use super::Block;
use crate::chunkenc::SAMPLES_PER_CHUNK;
use crate::error::Result;

/// A count and what it counts (`name=value` or `name`), as analyze prints them.
pub type Ranked = Vec<(u64, String)>;

/// A block's analysis, each list sorted largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockAnalysis {
    /// Series in the block (from `meta.json`).
    pub series: u64,
    /// Distinct label names.
    pub label_names: usize,
    /// Distinct label pairs.
    pub postings: usize,
    /// Label pairs over all series.
    pub postings_entries: u64,
    /// Pairs by how much of the block's range their series leave uncovered, in block ranges.
    pub churning_pairs: Ranked,
    /// Names by the same measure.
    pub churning_names: Ranked,
    /// Pairs by number of series.
    pub common_pairs: Ranked,
    /// Names by the summed length of their values.
    pub value_lengths: Ranked,
    /// Names by number of values.
    pub cardinality: Ranked,
    /// Metric names by number of series.
    pub metric_names: Ranked,
    /// Chunks by fullness, in tenths of 120 samples (index 0: up to 10 %).
    pub fullness: [u64; 10],
}

fn ranked(map: impl IntoIterator<Item = (String, u64)>) -> Ranked {
    let mut v: Ranked = map.into_iter().map(|(k, n)| (n, k)).collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    v
}

impl Block {
    /// Analyses the block (reads every series; with `extended`, every chunk too).
    pub fn analyze(&self, extended: bool) -> Result<BlockAnalysis> {
        let meta = self.meta();
        let range = (meta.max_time - meta.min_time).max(1) as u64;
        let ir = self.index();
        let mut a = BlockAnalysis {
            series: meta.stats.num_series,
            label_names: ir.label_names().len(),
            ..BlockAnalysis::default()
        };
        let mut names_uncovered: HashMap<String, u64> = HashMap::new();
        let mut pairs_uncovered: HashMap<String, u64> = HashMap::new();
        let mut pairs_count: HashMap<String, u64> = HashMap::new();
        let mut postings = ir.all_postings()?;
        let (mut labels, mut chunks) = (Vec::new(), Vec::new());
        while let Some(id) = postings.next() {
            ir.series_into(id, &mut labels, &mut chunks)?;
            let covered = match (chunks.first(), chunks.last()) {
                (Some(f), Some(l)) => (l.max_time - f.min_time) as u64,
                _ => 0,
            };
            let uncovered = range.saturating_sub(covered);
            for (n, v) in &labels {
                let key = format!("{n}={v}");
                *names_uncovered.entry((*n).to_owned()).or_default() += uncovered;
                *pairs_uncovered.entry(key.clone()).or_default() += uncovered;
                *pairs_count.entry(key).or_default() += 1;
                a.postings_entries += 1;
            }
            if extended {
                for c in &chunks {
                    let (_, data) = self.chunks().chunk(c.chunk_ref)?;
                    let n = usize::from(u16::from_be_bytes([
                        data.first().copied().unwrap_or(0),
                        data.get(1).copied().unwrap_or(0),
                    ]))
                    .min(SAMPLES_PER_CHUNK);
                    let bucket = (10 * n).div_ceil(SAMPLES_PER_CHUNK).clamp(1, 10) - 1;
                    a.fullness[bucket] += 1;
                }
            }
        }
        a.postings = pairs_uncovered.len();
        let per_range = |m: HashMap<String, u64>| {
            ranked(
                m.into_iter()
                    .map(|(k, v)| (k, (v as f64 / range as f64) as u64)),
            )
        };
        a.churning_pairs = per_range(pairs_uncovered);
        a.churning_names = per_range(names_uncovered);
        a.common_pairs = ranked(pairs_count);
        let names = ir.label_names();
        a.value_lengths = ranked(names.iter().map(|n| {
            let len: usize = ir.label_values(n).iter().map(|v| v.len()).sum();
            ((*n).to_owned(), len as u64)
        }));
        a.cardinality = ranked(
            names
                .iter()
                .map(|n| ((*n).to_owned(), ir.label_values(n).len() as u64)),
        );
        let mut metrics = Vec::new();
        for v in ir.label_values(flint_model::names::METRIC_NAME_LABEL) {
            let mut p = ir.postings(flint_model::names::METRIC_NAME_LABEL, v)?;
            let mut n = 0u64;
            while p.next().is_some() {
                n += 1;
            }
            metrics.push((v.to_owned(), n));
        }
        a.metric_names = ranked(metrics);
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use crate::block::{Block, BlockWriter};
    use flint_model::Labels;

    #[test]
    fn counts_like_promtool() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlockWriter::new().with_time_range(0, 1000);
        for (i, job) in ["a", "a", "b"].iter().enumerate() {
            let l = Labels::from_pairs([("__name__", "up"), ("job", job), ("i", &i.to_string())]);
            // Series 0 covers the whole block, the others half of it.
            let end = if i == 0 { 1000 } else { 500 };
            w.add_samples(l, &[(0, 1.0), (end, 1.0)]).unwrap();
        }
        let meta = w.write(dir.path()).unwrap();
        let b = Block::open(&dir.path().join(meta.ulid.to_string())).unwrap();
        let a = b.analyze(true).unwrap();
        assert_eq!(
            (a.series, a.label_names, a.postings, a.postings_entries),
            (3, 3, 6, 9)
        );
        assert_eq!(a.common_pairs[0], (3, "__name__=up".to_owned()));
        assert_eq!(a.common_pairs[1], (2, "job=a".to_owned()));
        assert_eq!(a.cardinality[0], (3, "i".to_owned()));
        assert_eq!(a.metric_names, vec![(3, "up".to_owned())]);
        assert_eq!(
            a.churning_names[0],
            (1, "__name__".to_owned()),
            "1000 of 1000 ms uncovered"
        );
        assert_eq!(a.fullness[0], 3, "three chunks of 2 samples");
    }
}
