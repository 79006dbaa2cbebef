//! What the head holds, by metric name, label name and label pair: the figures of
//! `/api/v1/status/tsdb`.

use super::Head;

/// A name (metric name, label name or `name=value` pair) and a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCount {
    /// The name.
    pub name: String,
    /// Its count (series, values or bytes).
    pub value: u64,
}

/// Head statistics and the largest contributors to its cardinality, as Prometheus reports
/// them (`headStats` and the four top lists of `/api/v1/status/tsdb`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadCardinality {
    /// Series in the head.
    pub num_series: u64,
    /// Distinct label pairs.
    pub num_label_pairs: u64,
    /// Chunks in the head (open and on disk).
    pub chunk_count: u64,
    /// Oldest sample time (milliseconds; `i64::MAX` when empty).
    pub min_time: i64,
    /// Newest sample time (`i64::MIN` when empty).
    pub max_time: i64,
    /// Series per metric name, largest first.
    pub series_count_by_metric_name: Vec<NameCount>,
    /// Distinct values per label name, largest first.
    pub label_value_count_by_label_name: Vec<NameCount>,
    /// Bytes of label values per label name (value length times series), largest first.
    pub memory_in_bytes_by_label_name: Vec<NameCount>,
    /// Series per `name=value` pair, largest first.
    pub series_count_by_label_value_pair: Vec<NameCount>,
}

/// Sorts largest first (then by name) and keeps `limit` entries.
fn top(mut v: Vec<NameCount>, limit: usize) -> Vec<NameCount> {
    v.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    v.truncate(limit);
    v
}

impl Head {
    /// The head's statistics with the `limit` largest entries of each list.
    pub fn cardinality(&self, limit: usize) -> HeadCardinality {
        let strings = self.symbols().snapshot();
        let s = |id: u32| strings.get(id as usize).map_or("", |s| &**s);
        let metric_name = self.symbols().lookup(flint_model::names::METRIC_NAME_LABEL);
        let mut by_metric = Vec::new();
        let mut by_pair = Vec::new();
        let mut memory: std::collections::HashMap<u32, u64> = Default::default();
        let pairs = self.postings().pair_counts();
        for (n, v, count) in &pairs {
            let count = *count as u64;
            if Some(*n) == metric_name {
                by_metric.push(NameCount {
                    name: s(*v).to_owned(),
                    value: count,
                });
            }
            by_pair.push((*n, *v, count));
            *memory.entry(*n).or_default() += s(*v).len() as u64 * count;
        }
        // Only the largest pairs get their names formatted.
        by_pair.sort_by_key(|p| std::cmp::Reverse(p.2));
        let by_pair = by_pair
            .iter()
            .take(limit.saturating_mul(4).max(limit))
            .map(|(n, v, c)| NameCount {
                name: format!("{}={}", s(*n), s(*v)),
                value: *c,
            })
            .collect();
        let by_name = self
            .postings()
            .name_stats()
            .into_iter()
            .map(|(n, values, _)| NameCount {
                name: s(n).to_owned(),
                value: values as u64,
            })
            .collect();
        let memory = memory
            .into_iter()
            .map(|(n, bytes)| NameCount {
                name: s(n).to_owned(),
                value: bytes,
            })
            .collect();
        HeadCardinality {
            num_series: self.num_series() as u64,
            num_label_pairs: pairs.len() as u64,
            chunk_count: self.num_chunks(),
            min_time: self.min_time(),
            max_time: self.max_time(),
            series_count_by_metric_name: top(by_metric, limit),
            label_value_count_by_label_name: top(by_name, limit),
            memory_in_bytes_by_label_name: top(memory, limit),
            series_count_by_label_value_pair: top(by_pair, limit),
        }
    }
}
