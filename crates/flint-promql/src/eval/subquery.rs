//! Subqueries: the inner expression evaluated over its own grid, turned into raw samples.

use std::sync::Arc;

use flint_model::CounterResetHint;

use super::cleanup::drop_metric_labels;
use super::range::{RangeArg, RangeSource};
use super::{Ctx, Grid, RangeSeries};
use crate::error::Result;
use crate::parser::{Span, SubqueryExpr};

/// Evaluates `sq` for the steps of `grid`.
pub(crate) fn eval(ctx: &Ctx<'_>, sq: &SubqueryExpr, grid: &Grid) -> Result<RangeArg> {
    let range = ctx.positive_duration(&sq.range)?;
    let step = match &sq.step {
        Some(s) => ctx.positive_duration(s)?,
        None => ctx.settings.subquery_step,
    }
    .max(1);
    let offset = match &sq.offset {
        Some(o) => ctx.duration(o)?,
        None => 0,
    };
    let at = ctx.at_time(sq.at);
    let (first_end, last_end) = match at {
        Some(t) => (t - offset, t - offset),
        None => (grid.start - offset, grid.end - offset),
    };
    // The first step-aligned timestamp after the start of the first window.
    let lower = first_end - range;
    let mut start = step * (lower / step);
    if start <= lower {
        start += step;
    }
    let inner = Grid {
        start,
        end: last_end,
        step,
    };
    let mut series = Vec::new();
    if inner.start <= inner.end {
        for s in ctx.eval_vector(&sq.expr, &inner)? {
            series.push(to_range_series(s, &inner));
        }
    }
    Ok(RangeArg {
        source: RangeSource::Computed(series),
        range,
        offset,
        at,
        anchored: false,
        smoothed: false,
        lookback: ctx.settings.lookback,
        span: Span::new(sq.expr.span().start, sq.end),
    })
}

fn to_range_series(s: super::Series, grid: &Grid) -> RangeSeries {
    let labels = if s.drop_name {
        drop_metric_labels(&s.labels)
    } else {
        s.labels
    };
    let floats = s
        .floats
        .into_iter()
        .map(|(i, v)| (grid.t(i as usize), v))
        .collect();
    let hists = s
        .hists
        .into_iter()
        .map(|(i, h)| {
            // Counter reset hints of the inner results are not reliable across the
            // subquery's resampling; let functions detect resets themselves.
            let h = match h.hint {
                CounterResetHint::CounterReset | CounterResetHint::NotCounterReset => {
                    let mut c = (*h).clone();
                    c.hint = CounterResetHint::Unknown;
                    Arc::new(c)
                }
                _ => h,
            };
            (grid.t(i as usize), h)
        })
        .collect();
    RangeSeries {
        labels,
        drop_name: false,
        floats,
        hists,
    }
}
