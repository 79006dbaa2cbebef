//! `deriv`, `predict_linear` and `double_exponential_smoothing`.

use crate::annotations::msg;
use crate::error::{Error, Result};
use crate::eval::aggregate::kahan_inc;
use crate::eval::{Ctx, Grid, RangeArg, Series, Window};
use crate::parser::{Call, Span};

use super::float;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ctx: &Ctx<'_>,
    name: &str,
    call: &Call,
    arg: &RangeArg,
    scalars: &[Vec<f64>],
    grid: &Grid,
) -> Result<Option<Vec<Series>>> {
    let span = call.args[0].span();
    let out = match name {
        "deriv" => arg.map_windows(ctx, grid, true, true, |w, _| {
            let f = enough_floats(ctx, w, span)?;
            let (slope, _) = linear_regression(f, f[0].0);
            float(slope)
        })?,
        "predict_linear" => {
            let d = &scalars[0];
            arg.map_windows(ctx, grid, true, false, |w, step| {
                let f = enough_floats(ctx, w, span)?;
                let (slope, intercept) = linear_regression(f, w.t);
                float(slope * d[step] + intercept)
            })?
        }
        "double_exponential_smoothing" => {
            let (sf, tf) = (&scalars[0], &scalars[1]);
            if arg.len() > 0 {
                for (s, t) in sf.iter().zip(tf) {
                    if !(*s > 0.0 && *s < 1.0) {
                        return Err(Error::exec(format!(
                            "invalid smoothing factor. Expected: 0 < sf < 1, got: {s:.6}"
                        )));
                    }
                    if !(*t > 0.0 && *t < 1.0) {
                        return Err(Error::exec(format!(
                            "invalid trend factor. Expected: 0 < tf < 1, got: {t:.6}"
                        )));
                    }
                }
            }
            arg.map_windows(ctx, grid, true, false, |w, step| {
                let f = enough_floats(ctx, w, span)?;
                float(smooth(f, sf[step], tf[step]))
            })?
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// The floats of a window if there are at least two; notes ignored histograms.
fn enough_floats<'a>(ctx: &Ctx<'_>, w: &'a Window<'_>, span: Span) -> Option<&'a [(i64, f64)]> {
    if !w.hists.is_empty() && !w.floats.is_empty() {
        ctx.annotate(msg::histogram_ignored_in_mixed_range(w.name(), span));
    }
    (w.floats.len() >= 2).then_some(w.floats)
}

/// Least-squares slope and the intercept at `intercept_time` (ms).
pub(crate) fn linear_regression(samples: &[(i64, f64)], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    let init = samples[0].1;
    let mut constant = true;
    for (i, &(t, v)) in samples.iter().enumerate() {
        if constant && i > 0 && v != init {
            constant = false;
        }
        n += 1.0;
        let x = (t - intercept_time) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(v, sy, cy);
        (sxy, cxy) = kahan_inc(x * v, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if constant {
        if init.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init);
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// Holt's double exponential smoothing of the values.
fn smooth(f: &[(i64, f64)], sf: f64, tf: f64) -> f64 {
    let mut s0 = 0.0;
    let mut s1 = f[0].1;
    let mut b = f[1].1 - f[0].1;
    for (i, p) in f.iter().enumerate().skip(1) {
        let x = sf * p.1;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    s1
}
