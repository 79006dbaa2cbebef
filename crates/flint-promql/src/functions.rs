//! PromQL's functions, one family per module, and the dispatch from a call to its family.

mod absent;
mod counter;
pub(crate) mod extended;
mod histogram;
mod info;
mod label;
mod math;
mod over_time;
mod quantile;
mod rate;
mod regression;
mod sort;
mod time;
mod trig;

use crate::error::{Error, Result};
use crate::eval::{Ctx, Grid, RangeArg, Sample, Series, Value};
use crate::parser::{Call, Expr};

/// Evaluates a function call over the grid.
pub(crate) fn eval_call(ctx: &Ctx<'_>, call: &Call, grid: &Grid) -> Result<Value> {
    let name = call.func.name;
    if let Some(v) = math::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = trig::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = time::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = absent::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = label::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = sort::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = histogram::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = quantile::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    if let Some(v) = info::eval(ctx, name, call, grid)? {
        return Ok(v);
    }
    range_call(ctx, name, call, grid)
}

/// Functions over a range vector.
fn range_call(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Value> {
    let matrix_index = call
        .args
        .iter()
        .position(|a| matches!(a.unparen(), Expr::Matrix(_) | Expr::Subquery(_)))
        .ok_or_else(|| Error::exec(format!("unknown function {name}")))?;
    let arg = ctx.eval_range_arg(&call.args[matrix_index], grid)?;
    check_extended(name, &arg)?;
    let mut scalars: Vec<Vec<f64>> = Vec::new();
    for (i, a) in call.args.iter().enumerate() {
        if i != matrix_index {
            scalars.push(ctx.eval_scalar(a, grid)?);
        }
    }
    let out = if let Some(v) = rate::eval(ctx, name, call, &arg, grid)? {
        v
    } else if let Some(v) = over_time::eval(ctx, name, call, &arg, &scalars, grid)? {
        v
    } else if let Some(v) = counter::eval(ctx, name, &arg, grid)? {
        v
    } else if let Some(v) = regression::eval(ctx, name, call, &arg, &scalars, grid)? {
        v
    } else if let Some(v) = absent::eval_over_time(ctx, name, call, &arg, grid)? {
        v
    } else {
        return Err(Error::exec(format!("unknown function {name}")));
    };
    Ok(Value::Vector(out))
}

/// Functions allowed with `anchored` and `smoothed` selectors.
const ANCHORED_SAFE: [&str; 5] = ["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_SAFE: [&str; 3] = ["delta", "increase", "rate"];

fn check_extended(name: &str, arg: &RangeArg) -> Result<()> {
    if arg.anchored && !ANCHORED_SAFE.contains(&name) {
        return Err(Error::exec(format!(
            "anchored modifier can only be used with: {} - not with {name}",
            ANCHORED_SAFE.join(", ")
        )));
    }
    if arg.smoothed && !SMOOTHED_SAFE.contains(&name) {
        return Err(Error::exec(format!(
            "smoothed modifier can only be used with: {} - not with {name}",
            SMOOTHED_SAFE.join(", ")
        )));
    }
    Ok(())
}

/// Applies `f` to every float sample of `input` (histograms are dropped), marking the name
/// for removal, as upstream's `simpleFloatFunc`.
pub(crate) fn map_floats(input: Vec<Series>, f: impl Fn(f64) -> f64) -> Vec<Series> {
    input
        .into_iter()
        .filter_map(|mut s| {
            s.hists.clear();
            if s.floats.is_empty() {
                return None;
            }
            s.floats.iter_mut().for_each(|p| p.1 = f(p.1));
            s.drop_name = true;
            Some(s)
        })
        .collect()
}

/// Like [`map_floats`] with a per-step parameter.
pub(crate) fn map_floats_step(input: Vec<Series>, f: impl Fn(f64, usize) -> f64) -> Vec<Series> {
    input
        .into_iter()
        .filter_map(|mut s| {
            s.hists.clear();
            if s.floats.is_empty() {
                return None;
            }
            s.floats.iter_mut().for_each(|p| p.1 = f(p.1, p.0 as usize));
            s.drop_name = true;
            Some(s)
        })
        .collect()
}

/// A string argument's value.
pub(crate) fn string_arg(call: &Call, i: usize) -> Result<&str> {
    match call.args.get(i).map(Expr::unparen) {
        Some(Expr::String(s)) => Ok(&s.value),
        _ => Err(Error::exec(format!(
            "expected a string as argument {} of {}",
            i + 1,
            call.func.name
        ))),
    }
}

/// A float result at one window.
pub(crate) fn float(v: f64) -> Option<Sample> {
    Some(Sample::Float(v))
}
