//! `absent`, `absent_over_time`, `scalar` and `vector`.

use flint_model::{Labels, MatchType};

use crate::error::Result;
use crate::eval::{Ctx, Grid, RangeArg, Sample, Series, Value};
use crate::parser::{Call, Expr};

/// Evaluates the function if it belongs to this family (instant-vector forms).
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let n = grid.len();
    Ok(Some(match name {
        "absent" => {
            let v = ctx.eval_vector(&call.args[0], grid)?;
            let mut present = vec![false; n];
            for s in &v {
                for (step, _) in s.points() {
                    present[step as usize] = true;
                }
            }
            Value::Vector(absent_series(absent_labels(&call.args[0]), &present))
        }
        "scalar" => {
            let v = ctx.eval_vector(&call.args[0], grid)?;
            let mut out = vec![f64::NAN; n];
            let mut count = vec![0u32; n];
            for s in &v {
                for &(step, f) in &s.floats {
                    let i = step as usize;
                    count[i] += 1;
                    out[i] = if count[i] == 1 { f } else { f64::NAN };
                }
            }
            Value::Scalar(out)
        }
        "vector" => {
            let v = ctx.eval_scalar(&call.args[0], grid)?;
            let mut s = Series::new(Labels::empty(), false);
            for (i, f) in v.into_iter().enumerate() {
                s.push(i as u32, Sample::Float(f));
            }
            Value::Vector(vec![s])
        }
        _ => return Ok(None),
    }))
}

/// `absent_over_time(range)`.
pub(crate) fn eval_over_time(
    ctx: &Ctx<'_>,
    name: &str,
    call: &Call,
    arg: &RangeArg,
    grid: &Grid,
) -> Result<Option<Vec<Series>>> {
    if name != "absent_over_time" {
        return Ok(None);
    }
    let found = arg.map_windows(ctx, grid, true, true, |_, _| Some(Sample::Float(1.0)))?;
    let mut present = vec![false; grid.len()];
    for s in &found {
        for (step, _) in s.points() {
            present[step as usize] = true;
        }
    }
    let mut out = absent_series(absent_labels(&call.args[0]), &present);
    for s in &mut out {
        s.drop_name = true;
    }
    Ok(Some(out))
}

fn absent_series(labels: Labels, present: &[bool]) -> Vec<Series> {
    let mut s = Series::new(labels, false);
    for (i, p) in present.iter().enumerate() {
        if !p {
            s.push(i as u32, Sample::Float(1.0));
        }
    }
    if s.is_empty() { Vec::new() } else { vec![s] }
}

/// The labels `absent` reports: those the selector pins with a single equality matcher.
fn absent_labels(e: &Expr) -> Labels {
    let matchers = match e.unparen() {
        Expr::Vector(vs) => &vs.matchers,
        Expr::Matrix(ms) => &ms.selector.matchers,
        _ => return Labels::empty(),
    };
    let mut b = Labels::empty().builder();
    let mut has: Vec<&str> = Vec::new();
    for m in matchers {
        if m.name() == "__name__" {
            continue;
        }
        if m.match_type() == MatchType::Equal && !has.contains(&m.name()) {
            b.set(m.name(), m.value());
            has.push(m.name());
        } else {
            b.del(m.name());
        }
    }
    b.build()
}
