//! Recording rules: evaluate, rename to the record name, apply labels, check limits.

use flint_model::Labels;
use flint_model::names::METRIC_NAME_LABEL;
use flint_promql::engine::Sample;

use crate::error::EvalError;
use crate::query::{QueryFn, RuleExpr};
use crate::rule::SharedStatus;

/// A recording rule.
#[derive(Debug)]
pub struct RecordingRule {
    /// The metric name written.
    pub name: String,
    /// The expression.
    pub expr: RuleExpr,
    /// Labels added to (or replacing those of) every result series.
    pub labels: Labels,
    pub(crate) status: SharedStatus,
}

impl RecordingRule {
    /// A rule recording `expr` as `name` with `labels`.
    pub fn new(name: String, expr: RuleExpr, labels: Labels) -> Self {
        RecordingRule {
            name,
            expr,
            labels,
            status: SharedStatus::default(),
        }
    }

    /// The samples to append for an evaluation at `t` (the query time, offset applied).
    pub fn eval(&self, q: &dyn QueryFn, t: i64, limit: usize) -> Result<Vec<Sample>, EvalError> {
        let mut vector = q.query(&self.expr, t)?;
        for s in &mut vector {
            let mut b = s.labels.builder();
            b.set(METRIC_NAME_LABEL, self.name.as_str());
            for l in self.labels.iter() {
                b.set(l.name.clone(), l.value.clone());
            }
            s.labels = b.build();
        }
        let mut seen: Vec<&Labels> = vector.iter().map(|s| &s.labels).collect();
        seen.sort();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(EvalError::DuplicateRecordLabels);
        }
        if limit > 0 && vector.len() > limit {
            return Err(EvalError::SeriesLimit {
                limit,
                got: vector.len(),
            });
        }
        Ok(vector)
    }
}
