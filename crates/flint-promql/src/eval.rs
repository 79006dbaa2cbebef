//! The evaluator: walks the syntax tree, evaluating each node over a whole grid of steps.

pub(crate) mod aggregate;
mod binary;
pub(crate) mod cleanup;
mod limits;
mod parallel;
mod range;
mod selector;
mod setops;
mod subquery;
mod topk;
pub(crate) mod types;

use std::sync::Mutex;

use flint_storage::Querier;

use crate::annotations::{Annotation, Annotations};
use crate::error::{Error, Result};
use crate::parser::{AtModifier, DurationExpr, Expr};

pub(crate) use binary::signature as binary_signature;
pub(crate) use cleanup::finish;
pub(crate) use limits::{Deadline, SampleCounter};
pub(crate) use parallel::par_map;
pub(crate) use range::{RangeArg, Window};
pub(crate) use selector::eval_instant as selector_values;
pub(crate) use selector::eval_timestamps as selector_timestamps;
pub(crate) use selector::stats_selectors;
pub(crate) use types::{Grid, PointRef, RangeSeries, Sample, Series, Value};

/// Settings of one evaluation.
#[derive(Debug, Clone)]
pub(crate) struct EvalSettings {
    /// How far back an instant selector looks for a sample (ms).
    pub(crate) lookback: i64,
    /// Step of subqueries written without one (ms).
    pub(crate) subquery_step: i64,
    /// Worker threads for per-series work.
    pub(crate) threads: usize,
    /// Start, end and step of the query (ms), for `start()`, `end()`, `step()`, `range()`.
    pub(crate) query_start: i64,
    pub(crate) query_end: i64,
    pub(crate) query_step: i64,
    /// Start of the querier's time range (where series iteration begins).
    pub(crate) querier_mint: i64,
    /// Selectors (by span start) read in histogram-statistics mode, see
    /// [`selector::stats_selectors`].
    pub(crate) stats_selectors: std::collections::HashSet<usize>,
}

impl EvalSettings {
    /// Resolves a duration expression with the query's step and range.
    pub(crate) fn duration(&self, d: &DurationExpr) -> Result<i64> {
        d.millis(self.query_step, self.query_end - self.query_start)
            .map_err(Error::BadQuery)
    }

    /// Resolves a range or step, which must be positive.
    pub(crate) fn positive_duration(&self, d: &DurationExpr) -> Result<i64> {
        let ms = self.duration(d)?;
        if ms <= 0 && d.literal_ms().is_none() {
            return Err(Error::BadQuery("duration must be greater than 0".into()));
        }
        Ok(ms)
    }

    /// Resolves `@`.
    pub(crate) fn at_time(&self, at: Option<AtModifier>) -> Option<i64> {
        at.map(|a| match a {
            AtModifier::Timestamp(t) => t,
            AtModifier::Start => self.query_start,
            AtModifier::End => self.query_end,
        })
    }
}

/// Shared state of one query's evaluation.
pub(crate) struct Ctx<'a> {
    pub(crate) querier: &'a dyn Querier,
    pub(crate) settings: EvalSettings,
    pub(crate) deadline: Deadline,
    pub(crate) samples: SampleCounter,
    annotations: Mutex<Annotations>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        querier: &'a dyn Querier,
        settings: EvalSettings,
        deadline: Deadline,
        samples: SampleCounter,
    ) -> Self {
        Ctx {
            querier,
            settings,
            deadline,
            samples,
            annotations: Mutex::new(Annotations::default()),
        }
    }

    /// Records an annotation.
    pub(crate) fn annotate(&self, a: Annotation) {
        if let Ok(mut g) = self.annotations.lock() {
            g.add(a);
        }
    }

    /// The annotations gathered so far.
    pub(crate) fn take_annotations(&self) -> Annotations {
        self.annotations
            .lock()
            .map(|mut g| std::mem::take(&mut *g))
            .unwrap_or_default()
    }

    /// Fails when the query is past its deadline or cancelled.
    pub(crate) fn check(&self) -> Result<()> {
        self.deadline.check()
    }

    /// Resolves a duration expression with the query's step and range.
    pub(crate) fn duration(&self, d: &DurationExpr) -> Result<i64> {
        self.settings.duration(d)
    }

    /// Resolves a range or step, which must be positive.
    pub(crate) fn positive_duration(&self, d: &DurationExpr) -> Result<i64> {
        self.settings.positive_duration(d)
    }

    /// Resolves `@`.
    pub(crate) fn at_time(&self, at: Option<AtModifier>) -> Option<i64> {
        self.settings.at_time(at)
    }

    /// Evaluates `e` at every step of `grid`.
    pub(crate) fn eval(&self, e: &Expr, grid: &Grid) -> Result<Value> {
        self.check()?;
        match e {
            Expr::Number(n) => Ok(Value::Scalar(vec![n.value; grid.len()])),
            Expr::String(s) => Ok(Value::String(s.value.clone())),
            Expr::Paren(p) => self.eval(&p.expr, grid),
            Expr::Unary(u) => {
                let v = self.eval(&u.expr, grid)?;
                Ok(if u.negate { negate(v) } else { v })
            }
            Expr::Vector(vs) => selector::eval_instant(self, vs, grid).map(Value::Vector),
            Expr::Matrix(ms) => {
                let arg = RangeArg::from_matrix(self, ms, grid)?;
                Ok(Value::Matrix(arg.top_level_matrix(self, grid)?))
            }
            Expr::Subquery(sq) => {
                let arg = subquery::eval(self, sq, grid)?;
                Ok(Value::Matrix(arg.top_level_matrix(self, grid)?))
            }
            Expr::Binary(b) => binary::eval(self, e, b, grid),
            Expr::Aggregate(a) => aggregate::eval(self, a, grid).map(Value::Vector),
            Expr::Call(c) => crate::functions::eval_call(self, c, grid),
        }
    }

    /// Evaluates `e`, which must be an instant vector.
    pub(crate) fn eval_vector(&self, e: &Expr, grid: &Grid) -> Result<Vec<Series>> {
        Ok(self.eval(e, grid)?.into_vector())
    }

    /// Evaluates `e`, which must be a scalar.
    pub(crate) fn eval_scalar(&self, e: &Expr, grid: &Grid) -> Result<Vec<f64>> {
        Ok(self.eval(e, grid)?.into_scalar(grid.len()))
    }

    /// Evaluates a range-vector argument (a matrix selector or a subquery).
    pub(crate) fn eval_range_arg(&self, e: &Expr, grid: &Grid) -> Result<RangeArg> {
        match e.unparen() {
            Expr::Matrix(ms) => RangeArg::from_matrix(self, ms, grid),
            Expr::Subquery(sq) => subquery::eval(self, sq, grid),
            other => Err(Error::exec(format!(
                "expected a range vector, got {}",
                other.value_type()
            ))),
        }
    }
}

fn negate(v: Value) -> Value {
    match v {
        Value::Scalar(mut s) => {
            s.iter_mut().for_each(|x| *x = -*x);
            Value::Scalar(s)
        }
        Value::Vector(mut vec) => {
            for s in &mut vec {
                s.drop_name = true;
                s.floats.iter_mut().for_each(|p| p.1 = -p.1);
                for p in &mut s.hists {
                    let mut h = (*p.1).clone();
                    h.mul(-1.0);
                    // A negated histogram is no counter any more.
                    h.hint = flint_model::CounterResetHint::Gauge;
                    p.1 = std::sync::Arc::new(h);
                }
            }
            Value::Vector(vec)
        }
        other => other,
    }
}
