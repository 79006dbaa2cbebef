//! Arithmetic functions: `abs`, `ceil`, `floor`, `exp`, `sqrt`, `ln`, `log2`, `log10`, `sgn`,
//! `round`, `clamp`, `clamp_min`, `clamp_max`, `deg`, `rad`, `pi`, `min_of`, `max_of`.

use crate::error::Result;
use crate::eval::{Ctx, Grid, Value};
use crate::parser::Call;

use super::{map_floats, map_floats_step};

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let simple: Option<fn(f64) -> f64> = match name {
        "abs" => Some(f64::abs),
        "ceil" => Some(f64::ceil),
        "floor" => Some(f64::floor),
        "exp" => Some(f64::exp),
        "sqrt" => Some(f64::sqrt),
        "ln" => Some(f64::ln),
        "log2" => Some(f64::log2),
        "log10" => Some(f64::log10),
        "sgn" => Some(sgn),
        "deg" => Some(|v: f64| v * 180.0 / std::f64::consts::PI),
        "rad" => Some(|v: f64| v * std::f64::consts::PI / 180.0),
        _ => None,
    };
    if let Some(f) = simple {
        let v = ctx.eval_vector(&call.args[0], grid)?;
        return Ok(Some(Value::Vector(map_floats(v, f))));
    }
    Ok(Some(match name {
        "pi" => Value::Scalar(vec![std::f64::consts::PI; grid.len()]),
        "round" => {
            let v = ctx.eval_vector(&call.args[0], grid)?;
            let to = match call.args.get(1) {
                Some(a) => ctx.eval_scalar(a, grid)?,
                None => vec![1.0; grid.len()],
            };
            Value::Vector(map_floats_step(v, |f, step| {
                let inverse = 1.0 / to[step];
                (f * inverse + 0.5).floor() / inverse
            }))
        }
        "clamp" | "clamp_min" | "clamp_max" => {
            let v = ctx.eval_vector(&call.args[0], grid)?;
            let n = grid.len();
            let (lo, hi) = match name {
                "clamp" => (
                    ctx.eval_scalar(&call.args[1], grid)?,
                    ctx.eval_scalar(&call.args[2], grid)?,
                ),
                "clamp_min" => (
                    ctx.eval_scalar(&call.args[1], grid)?,
                    vec![f64::INFINITY; n],
                ),
                _ => (
                    vec![f64::NEG_INFINITY; n],
                    ctx.eval_scalar(&call.args[1], grid)?,
                ),
            };
            let mut out = map_floats_step(v, |f, step| go_max(lo[step], go_min(hi[step], f)));
            // No output at steps where the bounds are inverted.
            for s in &mut out {
                s.floats.retain(|p| {
                    let (l, h) = (lo[p.0 as usize], hi[p.0 as usize]);
                    // NaN bounds are not "inverted".
                    h >= l || h.is_nan() || l.is_nan()
                });
            }
            out.retain(|s| !s.floats.is_empty());
            Value::Vector(out)
        }
        "min_of" | "max_of" => {
            let a = ctx.eval_scalar(&call.args[0], grid)?;
            let b = ctx.eval_scalar(&call.args[1], grid)?;
            Value::Scalar(
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| {
                        if x.is_nan() || y.is_nan() {
                            f64::NAN
                        } else if name == "min_of" {
                            x.min(*y)
                        } else {
                            x.max(*y)
                        }
                    })
                    .collect(),
            )
        }
        _ => return Ok(None),
    }))
}

/// Go's `math.Min`: NaN if either is NaN.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Go's `math.Max`: NaN if either is NaN.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn sgn(v: f64) -> f64 {
    if v < 0.0 {
        -1.0
    } else if v > 0.0 {
        1.0
    } else {
        v
    }
}
