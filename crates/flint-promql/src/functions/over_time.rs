//! The `*_over_time` family: aggregates over each window of a range vector.

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::annotations::msg;
use crate::error::Result;
use crate::eval::aggregate::{kahan_inc, quantile};
use crate::eval::{Ctx, Grid, RangeArg, Sample, Series, Window};
use crate::histogram::{Hist, HistMean, HistSum};
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
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let run = |f: &(dyn Fn(&Window<'_>, usize) -> Option<Sample> + Sync)| {
        arg.map_windows(ctx, grid, !keep_name, true, f)
    };
    let out = match name {
        "count_over_time" => run(&|w, _| float((w.floats.len() + w.hists.len()) as f64))?,
        "present_over_time" => run(&|_, _| float(1.0))?,
        "last_over_time" => run(&|w, _| last(w))?,
        "first_over_time" => run(&|w, _| first(w))?,
        "ts_of_last_over_time" => run(&|w, _| {
            let tf = w.floats.last().map_or(i64::MIN, |p| p.0);
            let th = w.hists.last().map_or(i64::MIN, |p| p.0);
            float(tf.max(th) as f64 / 1000.0)
        })?,
        "ts_of_first_over_time" => run(&|w, _| {
            let tf = w.floats.first().map_or(i64::MAX, |p| p.0);
            let th = w.hists.first().map_or(i64::MAX, |p| p.0);
            float(tf.min(th) as f64 / 1000.0)
        })?,
        "max_over_time" => run(&|w, _| compare(ctx, w, span, |c, m| c > m || m.is_nan(), false))?,
        "min_over_time" => run(&|w, _| compare(ctx, w, span, |c, m| c < m || m.is_nan(), false))?,
        "ts_of_max_over_time" => {
            run(&|w, _| compare(ctx, w, span, |c, m| c >= m || m.is_nan(), true))?
        }
        "ts_of_min_over_time" => {
            run(&|w, _| compare(ctx, w, span, |c, m| c <= m || m.is_nan(), true))?
        }
        "sum_over_time" => run(&|w, _| sum(ctx, w, span))?,
        "avg_over_time" => run(&|w, _| avg(ctx, w, span))?,
        "stddev_over_time" => run(&|w, _| variance(ctx, w, span).map(|v| Sample::Float(v.sqrt())))?,
        "stdvar_over_time" => run(&|w, _| variance(ctx, w, span).map(Sample::Float))?,
        "mad_over_time" => run(&|w, _| {
            let mut values = floats_only(ctx, w, span)?;
            if values.iter().any(|v| v.is_nan()) {
                return float(f64::NAN);
            }
            let median = quantile(0.5, &mut values);
            let mut dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
            float(quantile(0.5, &mut dev))
        })?,
        "quantile_over_time" => {
            let q = &scalars[0];
            let mut warned = false;
            for &v in q {
                if !warned && (v.is_nan() || !(0.0..=1.0).contains(&v)) {
                    warned = true;
                }
            }
            let out = arg.map_windows(ctx, grid, true, false, |w, step| {
                let mut values = floats_only(ctx, w, span)?;
                let qv = q[step];
                if qv.is_nan() || !(0.0..=1.0).contains(&qv) {
                    ctx.annotate(msg::invalid_quantile(qv, span));
                }
                float(quantile(qv, &mut values))
            })?;
            let _ = warned;
            out
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

fn last(w: &Window<'_>) -> Option<Sample> {
    match (w.floats.last(), w.hists.last()) {
        (Some(f), Some(h)) if h.0 < f.0 => float(f.1),
        (Some(f), None) => float(f.1),
        (_, Some(h)) => Some(Sample::Hist(h.1.clone())),
        (None, None) => None,
    }
}

fn first(w: &Window<'_>) -> Option<Sample> {
    match (w.floats.first(), w.hists.first()) {
        (Some(f), Some(h)) if f.0 < h.0 => float(f.1),
        (Some(f), None) => float(f.1),
        (_, Some(h)) => Some(Sample::Hist(h.1.clone())),
        (None, None) => None,
    }
}

/// The float values of a window; histograms are ignored with an info.
fn floats_only(ctx: &Ctx<'_>, w: &Window<'_>, span: Span) -> Option<Vec<f64>> {
    if w.floats.is_empty() {
        return None;
    }
    if !w.hists.is_empty() {
        ctx.annotate(msg::histogram_ignored_in_mixed_range(w.name(), span));
    }
    Some(w.floats.iter().map(|p| p.1).collect())
}

fn compare(
    ctx: &Ctx<'_>,
    w: &Window<'_>,
    span: Span,
    better: impl Fn(f64, f64) -> bool,
    timestamp: bool,
) -> Option<Sample> {
    if w.floats.is_empty() {
        return None;
    }
    if !w.hists.is_empty() {
        ctx.annotate(msg::histogram_ignored_in_mixed_range(w.name(), span));
    }
    let (mut best, mut at) = (w.floats[0].1, w.floats[0].0);
    for &(t, v) in w.floats {
        if better(v, best) {
            best = v;
            at = t;
        }
    }
    float(if timestamp { at as f64 / 1000.0 } else { best })
}

fn variance(ctx: &Ctx<'_>, w: &Window<'_>, span: Span) -> Option<f64> {
    let values = floats_only(ctx, w, span)?;
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for f in values {
        count += 1.0;
        let delta = f - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (f - (mean + c_mean)), aux, c_aux);
    }
    Some((aux + c_aux) / count)
}

fn sum(ctx: &Ctx<'_>, w: &Window<'_>, span: Span) -> Option<Sample> {
    if !w.floats.is_empty() && !w.hists.is_empty() {
        ctx.annotate(msg::mixed_floats_histograms(w.name(), span));
        return None;
    }
    if w.floats.is_empty() {
        return hist_sum(ctx, w, span, false).map(|h| Sample::Hist(Arc::new(h)));
    }
    let (mut s, mut c) = (0.0f64, 0.0);
    for p in w.floats {
        (s, c) = kahan_inc(p.1, s, c);
    }
    float(if s.is_infinite() { s } else { s + c })
}

fn avg(ctx: &Ctx<'_>, w: &Window<'_>, span: Span) -> Option<Sample> {
    if !w.floats.is_empty() && !w.hists.is_empty() {
        ctx.annotate(msg::mixed_floats_histograms(w.name(), span));
        return None;
    }
    if w.floats.is_empty() {
        return hist_sum(ctx, w, span, true).map(|h| Sample::Hist(Arc::new(h)));
    }
    let f = w.floats;
    let (mut sum, mut count) = (f[0].1, 1.0);
    let (mut mean, mut c) = (0.0, 0.0);
    let mut incremental = false;
    for p in &f[1..] {
        count += 1.0;
        if !incremental {
            let (ns, nc) = kahan_inc(p.1, sum, c);
            if !ns.is_infinite() {
                sum = ns;
                c = nc;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(p.1 / count, q * mean, q * c);
    }
    float(if incremental {
        mean + c
    } else {
        sum / count + c / count
    })
}

/// Sum (or mean) of the histograms of a window, compensated, with upstream's annotations.
fn hist_sum(ctx: &Ctx<'_>, w: &Window<'_>, span: Span, mean: bool) -> Option<Hist> {
    let (mut reset, mut not_reset, mut reconciled) = (false, false, false);
    let mut track = |h: &Hist| match h.hint {
        CounterResetHint::CounterReset => reset = true,
        CounterResetHint::NotCounterReset => not_reset = true,
        _ => {}
    };
    let first = &w.hists[0].1;
    track(first);
    let (mut sum, mut avg) = if mean {
        (None, Some(HistMean::new(first)))
    } else {
        (Some(HistSum::new(first)), None)
    };
    for (_, h) in &w.hists[1..] {
        track(h);
        let res = match (&mut sum, &mut avg) {
            (Some(s), _) => s.add(h),
            (_, Some(m)) => m.add(h),
            _ => continue,
        };
        match res {
            Err(_) => {
                ctx.annotate(msg::mixed_exponential_custom(w.name(), span));
                return None;
            }
            Ok(o) => reconciled |= o.nhcb_reconciled,
        }
    }
    if reset && not_reset {
        ctx.annotate(msg::counter_reset_collision("aggregation", span));
    }
    if reconciled {
        ctx.annotate(msg::mismatched_custom_buckets("aggregation", span));
    }
    let res = match (sum, avg) {
        (Some(s), _) => s.finish(),
        (_, Some(m)) => m.finish(),
        _ => return None,
    };
    let mut acc = res.ok()?;
    acc.compact();
    Some(acc)
}
