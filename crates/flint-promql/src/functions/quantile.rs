//! `histogram_quantile`, `histogram_quantiles` and `histogram_fraction`, for classic
//! (`le`-bucketed) and native histograms.

mod estimate;

use std::collections::HashMap;

use flint_model::Labels;

use crate::annotations::msg;
use crate::error::{Error, Result};
use crate::eval::{Ctx, Grid, Sample, Series, Value};
use crate::histogram::Hist;
use crate::parser::{Call, Expr, Span};

pub(crate) use estimate::{
    bucket_fraction, bucket_quantile, histogram_fraction, histogram_quantile,
};

/// A classic histogram: the bucket series sharing all labels but `le`.
struct Classic {
    /// Output labels: the series' without `__name__` and `le`.
    labels: Labels,
    /// The signature (labels without `le`), to detect native histograms of the same name.
    sig: Labels,
    members: Vec<(f64, usize)>,
}

/// What one step of a classic or native histogram produces.
enum Input<'a> {
    Buckets(Vec<(f64, f64)>),
    Native(&'a Hist),
}

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let n = grid.len();
    let (vector_arg, qs, label): (&Expr, Vec<Vec<f64>>, Option<String>) = match name {
        "histogram_quantile" => (
            &call.args[1],
            vec![ctx.eval_scalar(&call.args[0], grid)?],
            None,
        ),
        "histogram_quantiles" => {
            let label = super::string_arg(call, 1)?.to_owned();
            let mut qs = Vec::new();
            for a in &call.args[2..] {
                qs.push(ctx.eval_scalar(a, grid)?);
            }
            (&call.args[0], qs, Some(label))
        }
        "histogram_fraction" => (&call.args[2], Vec::new(), None),
        _ => return Ok(None),
    };
    let fraction = name == "histogram_fraction";
    let bounds = if fraction {
        Some((
            ctx.eval_scalar(&call.args[0], grid)?,
            ctx.eval_scalar(&call.args[1], grid)?,
        ))
    } else {
        None
    };
    if !fraction {
        let q_args = if label.is_some() {
            &call.args[2..]
        } else {
            &call.args[..1]
        };
        for (q, a) in qs.iter().zip(q_args) {
            for &v in q {
                if v.is_nan() || !(0.0..=1.0).contains(&v) {
                    ctx.annotate(msg::invalid_quantile(v, a.span()));
                }
            }
        }
    }
    let input = ctx.eval_vector(vector_arg, grid)?;
    if let Some(l) = &label
        && input.iter().any(|s| s.labels.contains(l))
    {
        return Err(Error::exec(format!(
            "label {} already exists in the input of histogram_quantiles",
            flint_model::quote::go_quote(l)
        )));
    }
    let span = vector_arg.span();
    let (classics, natives) = split(ctx, &input, span);
    let native_by_sig: HashMap<&Labels, usize> =
        natives.iter().map(|&i| (&input[i].labels, i)).collect();
    // Output series by (source, quantile index); sources are classic groups then natives.
    let mut out: Vec<Series> = Vec::new();
    let mut out_index: HashMap<(usize, usize), usize> = HashMap::new();
    // One pass per quantile; fractions need one pass without a quantile.
    let no_q = vec![f64::NAN; n];
    let q_values: Vec<&Vec<f64>> = if fraction {
        vec![&no_q]
    } else {
        qs.iter().collect()
    };
    for step in 0..n as u32 {
        let mut per_step: Vec<(usize, Input<'_>, &Labels, &str)> = Vec::new();
        let mut conflicted: Vec<usize> = Vec::new();
        for (g, c) in classics.iter().enumerate() {
            let buckets: Vec<(f64, f64)> = c
                .members
                .iter()
                .filter_map(|&(ub, i)| float_at(&input[i], step).map(|v| (ub, v)))
                .collect();
            if buckets.is_empty() {
                continue;
            }
            if let Some(&ni) = native_by_sig.get(&c.sig)
                && hist_at(&input[ni], step).is_some()
            {
                ctx.annotate(msg::mixed_classic_native(
                    c.sig.metric_name().unwrap_or(""),
                    span,
                ));
                conflicted.push(ni);
                continue;
            }
            let name = c.sig.metric_name().unwrap_or("");
            per_step.push((g, Input::Buckets(buckets), &c.labels, name));
        }
        for &i in &natives {
            if conflicted.contains(&i) {
                continue;
            }
            if let Some(h) = hist_at(&input[i], step) {
                let name = input[i].labels.metric_name().unwrap_or("");
                per_step.push((classics.len() + i, Input::Native(h), &input[i].labels, name));
            }
        }
        for (qi, q) in q_values.iter().enumerate() {
            for (source, inp, labels, metric) in &per_step {
                let v = match (&bounds, inp) {
                    (Some((lo, hi)), Input::Native(h)) => histogram_fraction(
                        ctx,
                        lo[step as usize],
                        hi[step as usize],
                        h,
                        metric,
                        span,
                    ),
                    (Some((lo, hi)), Input::Buckets(b)) => {
                        bucket_fraction(lo[step as usize], hi[step as usize], b)
                    }
                    (None, Input::Native(h)) => {
                        histogram_quantile(ctx, q[step as usize], h, metric, span)
                    }
                    (None, Input::Buckets(b)) => {
                        let (v, forced) = bucket_quantile(q[step as usize], b.clone());
                        if forced {
                            ctx.annotate(msg::forced_monotonicity(metric, span));
                        }
                        v
                    }
                };
                let key = (*source, qi);
                let idx = match out_index.get(&key) {
                    Some(&i) => i,
                    None => {
                        let mut l = (*labels).clone();
                        if let Some(name) = &label {
                            let mut b = l.builder();
                            b.set(
                                name.as_str(),
                                format_openmetrics_float(qs[qi][step as usize]),
                            );
                            l = b.build();
                        }
                        out.push(Series::new(l, true));
                        out_index.insert(key, out.len() - 1);
                        out.len() - 1
                    }
                };
                out[idx].push(step, Sample::Float(v));
            }
        }
    }
    Ok(Some(Value::Vector(out)))
}

fn float_at(s: &Series, step: u32) -> Option<f64> {
    s.floats
        .binary_search_by_key(&step, |p| p.0)
        .ok()
        .map(|i| s.floats[i].1)
}

fn hist_at(s: &Series, step: u32) -> Option<&Hist> {
    s.hists
        .binary_search_by_key(&step, |p| p.0)
        .ok()
        .map(|i| &*s.hists[i].1)
}

/// Groups float series into classic histograms by their labels without `le`; lists the
/// series holding native histograms.
fn split(ctx: &Ctx<'_>, input: &[Series], span: Span) -> (Vec<Classic>, Vec<usize>) {
    let mut classics: Vec<Classic> = Vec::new();
    let mut by_sig: HashMap<Labels, usize> = HashMap::new();
    let mut natives = Vec::new();
    for (i, s) in input.iter().enumerate() {
        if !s.hists.is_empty() {
            natives.push(i);
        }
        if s.floats.is_empty() {
            continue;
        }
        let le = s.labels.get("le").unwrap_or("");
        let Some(ub) = parse_le(le) else {
            ctx.annotate(msg::bad_bucket_label(
                s.labels.metric_name().unwrap_or(""),
                le,
                span,
            ));
            continue;
        };
        let sig = {
            let mut b = s.labels.builder();
            b.del("le");
            b.build()
        };
        let g = *by_sig.entry(sig.clone()).or_insert_with(|| {
            let mut b = sig.builder();
            b.del("__name__");
            classics.push(Classic {
                labels: b.build(),
                sig,
                members: Vec::new(),
            });
            classics.len() - 1
        });
        classics[g].members.push((ub, i));
    }
    (classics, natives)
}

/// Parses an `le` value as Go's `strconv.ParseFloat` does (`+Inf`, `1e3`, `0.5`).
fn parse_le(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// Formats a quantile label value as OpenMetrics does (`0.0`, `0.5`, `1.0`).
pub(crate) fn format_openmetrics_float(v: f64) -> String {
    let s = crate::histogram::go_g(v);
    if v.is_finite() && !s.contains(['e', '.']) {
        format!("{s}.0")
    } else {
        s
    }
}
