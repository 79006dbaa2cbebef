//! `histogram_count`, `histogram_sum`, `histogram_avg`, `histogram_stddev` and
//! `histogram_stdvar` of native histograms.

use crate::error::Result;
use crate::eval::aggregate::kahan_inc;
use crate::eval::{Ctx, Grid, Sample, Series, Value};
use crate::histogram::Hist;
use crate::parser::Call;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let f: fn(&Hist) -> f64 = match name {
        "histogram_count" => |h| h.count,
        "histogram_sum" => |h| h.sum,
        "histogram_avg" => |h| h.sum / h.count,
        "histogram_stddev" => |h| variance(h).sqrt(),
        "histogram_stdvar" => variance,
        _ => return Ok(None),
    };
    let v = ctx.eval_vector(&call.args[0], grid)?;
    let out = v
        .into_iter()
        .filter(|s| !s.hists.is_empty())
        .map(|s| {
            let mut o = Series::new(s.labels.clone(), true);
            for (step, h) in &s.hists {
                o.push(*step, Sample::Float(f(h)));
            }
            o
        })
        .collect();
    Ok(Some(Value::Vector(out)))
}

/// The variance estimated from bucket midpoints (geometric for exponential buckets).
fn variance(h: &Hist) -> f64 {
    let mean = h.sum / h.count;
    let (mut v, mut c) = (0.0, 0.0);
    for b in h.buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if h.uses_custom_buckets() {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let g = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 { -g } else { g }
        };
        let delta = val - mean;
        (v, c) = kahan_inc(b.count * delta * delta, v, c);
    }
    (v + c) / h.count
}
