//! Delayed removal of the metric name, and merging series that end up with equal labels.

use std::collections::HashMap;

use flint_model::Labels;

use super::{RangeSeries, Series, Value};
use crate::error::{Error, Result};

/// Labels removed together with the metric name.
const METADATA_LABELS: [&str; 3] = ["__name__", "__type__", "__unit__"];

/// `labels` without `__name__`, `__type__` and `__unit__`.
pub(crate) fn drop_metric_labels(labels: &Labels) -> Labels {
    if !labels.iter().any(|l| METADATA_LABELS.contains(&&*l.name)) {
        return labels.clone();
    }
    let mut b = labels.builder();
    for n in METADATA_LABELS {
        b.del(n);
    }
    b.build()
}

const DUPLICATE: &str = "vector cannot contain metrics with the same labelset";

/// Merges series with equal labels whose points do not collide; fails when two have a
/// point at the same step.
pub(crate) fn merge_same_labels(series: Vec<Series>) -> Result<Vec<Series>> {
    if series.len() < 2 {
        return Ok(series);
    }
    let mut index: HashMap<Labels, usize> = HashMap::with_capacity(series.len());
    let mut out: Vec<Series> = Vec::with_capacity(series.len());
    for s in series {
        match index.get(&s.labels) {
            None => {
                index.insert(s.labels.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                let target = &mut out[i];
                target.drop_name |= s.drop_name;
                merge_into(target, s)?;
            }
        }
    }
    Ok(out)
}

fn merge_into(target: &mut Series, s: Series) -> Result<()> {
    let mut steps: Vec<u32> = target
        .floats
        .iter()
        .map(|p| p.0)
        .chain(target.hists.iter().map(|p| p.0))
        .chain(s.floats.iter().map(|p| p.0))
        .chain(s.hists.iter().map(|p| p.0))
        .collect();
    steps.sort_unstable();
    if steps.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::exec(DUPLICATE));
    }
    target.floats.extend(s.floats);
    target.floats.sort_by_key(|p| p.0);
    target.hists.extend(s.hists);
    target.hists.sort_by_key(|p| p.0);
    Ok(())
}

/// The final step of evaluation: removes the metric name where it was dropped and merges
/// (or rejects) series that became equal.
pub(crate) fn finish(v: Value) -> Result<Value> {
    match v {
        Value::Vector(mut series) => {
            for s in &mut series {
                if s.drop_name {
                    s.labels = drop_metric_labels(&s.labels);
                    s.drop_name = false;
                }
            }
            merge_same_labels(series).map(Value::Vector)
        }
        Value::Matrix(mut m) => {
            for s in &mut m {
                if s.drop_name {
                    s.labels = drop_metric_labels(&s.labels);
                    s.drop_name = false;
                }
            }
            check_matrix(&m)?;
            Ok(Value::Matrix(m))
        }
        other => Ok(other),
    }
}

fn check_matrix(m: &[RangeSeries]) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(m.len());
    for s in m {
        if !seen.insert(&s.labels) {
            return Err(Error::exec(DUPLICATE));
        }
    }
    Ok(())
}
