//! Selecting series from storage and evaluating instant vector selectors.

use std::sync::Arc;

use flint_model::{CounterResetHint, is_stale_nan};
use flint_storage::{SampleIterator, SelectHints, Series as StoredSeries, ValueType};

use super::{Ctx, Grid, Sample, Series, par_map};
use crate::annotations::Annotation;
use crate::error::{Error, Result};
use crate::histogram::Hist;
use crate::parser::VectorSelector;

/// Series matching `vs`, with samples in `[mint, maxt]`.
pub(crate) fn select(
    ctx: &Ctx<'_>,
    vs: &VectorSelector,
    mint: i64,
    maxt: i64,
    step: i64,
    range: i64,
) -> Result<Vec<Box<dyn StoredSeries>>> {
    let hints = SelectHints {
        start: mint,
        end: maxt,
        step,
        range,
        ..Default::default()
    };
    let mut set = ctx.querier.select(false, Some(&hints), &vs.matchers);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        if out.len() % 1024 == 0 {
            ctx.check()?;
        }
        out.push(s.map_err(Error::Storage)?);
    }
    for w in set.warnings() {
        ctx.annotate(Annotation::storage_warning(w));
    }
    Ok(out)
}

/// The evaluation time of step `i` shifted by `@` and `offset`.
pub(crate) fn reference_times(ctx: &Ctx<'_>, vs: &VectorSelector) -> Result<(Option<i64>, i64)> {
    let offset = match &vs.offset {
        Some(o) => ctx.duration(o)?,
        None => 0,
    };
    Ok((ctx.at_time(vs.at), offset))
}

/// Selectors whose histograms only feed `histogram_count`, `histogram_sum` or
/// `histogram_avg` (not through a subquery, `histogram_quantile` or `histogram_fraction`).
/// Upstream reads those through an iterator that detects counter resets while reading;
/// [`detect_resets`] does the same.
pub(crate) fn stats_selectors(e: &crate::parser::Expr) -> std::collections::HashSet<usize> {
    use crate::parser::Expr;
    fn visit(e: &Expr, stats: bool, blocked: bool, out: &mut std::collections::HashSet<usize>) {
        match e {
            Expr::Vector(vs) if stats && !blocked => {
                out.insert(vs.span.start);
            }
            Expr::Matrix(ms) if stats && !blocked => {
                out.insert(ms.selector.span.start);
            }
            Expr::Subquery(sq) => visit(&sq.expr, stats, true, out),
            Expr::Call(c) => {
                let (s, b) = match c.func.name {
                    "histogram_count" | "histogram_sum" | "histogram_avg" => (true, blocked),
                    "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
                        (stats, true)
                    }
                    _ => (stats, blocked),
                };
                c.args.iter().for_each(|a| visit(a, s, b, out));
            }
            Expr::Paren(p) => visit(&p.expr, stats, blocked, out),
            Expr::Unary(u) => visit(&u.expr, stats, blocked, out),
            Expr::Binary(b) => {
                visit(&b.lhs, stats, blocked, out);
                visit(&b.rhs, stats, blocked, out);
            }
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    visit(p, stats, blocked, out);
                }
                visit(&a.expr, stats, blocked, out);
            }
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    visit(e, false, false, &mut out);
    out
}

/// Sets the counter reset hint of histograms read with an unknown hint by comparing each
/// with the previous one read, as upstream's histogram-statistics iterator does.
pub(crate) fn detect_resets(prev: &mut Option<Arc<Hist>>, h: Arc<Hist>) -> Arc<Hist> {
    let out = match prev.as_ref() {
        Some(p) if h.hint == flint_model::CounterResetHint::Unknown => {
            let mut c = (*h).clone();
            c.hint = if h.detect_reset(p) {
                flint_model::CounterResetHint::CounterReset
            } else {
                flint_model::CounterResetHint::NotCounterReset
            };
            Arc::new(c)
        }
        _ => h.clone(),
    };
    *prev = Some(h);
    out
}

/// Evaluates an instant vector selector over the grid.
pub(crate) fn eval_instant(ctx: &Ctx<'_>, vs: &VectorSelector, grid: &Grid) -> Result<Vec<Series>> {
    eval_selector(ctx, vs, grid, false)
}

/// `timestamp(selector)`: the times of the samples an instant selector picks.
pub(crate) fn eval_timestamps(
    ctx: &Ctx<'_>,
    vs: &VectorSelector,
    grid: &Grid,
) -> Result<Vec<Series>> {
    eval_selector(ctx, vs, grid, true)
}

fn eval_selector(
    ctx: &Ctx<'_>,
    vs: &VectorSelector,
    grid: &Grid,
    timestamps: bool,
) -> Result<Vec<Series>> {
    let (at, offset) = reference_times(ctx, vs)?;
    let lookback = ctx.settings.lookback;
    let n = grid.len();
    // With `@` every step reads the same instant; evaluate once and repeat.
    let sub = match at {
        Some(t) => Grid::instant(t - offset),
        None => Grid {
            start: grid.start - offset,
            end: grid.end - offset,
            step: grid.step,
        },
    };
    let (mint, maxt) = if vs.smoothed {
        (sub.start - lookback, sub.end + lookback)
    } else {
        (sub.start - lookback + 1, sub.end)
    };
    let stored = select(ctx, vs, mint, maxt, grid.step, 0)?;
    let stats = ctx
        .settings
        .stats_selectors
        .contains(&vs.span.start)
        .then_some(ctx.settings.querier_mint);
    let mut out = par_map(&stored, ctx.settings.threads, |s| {
        let series = if vs.smoothed {
            smoothed_points(ctx, s.as_ref(), &sub, lookback, vs.span)?
        } else {
            instant_points(s.as_ref(), &sub, lookback, timestamps, stats)?
        };
        let series = match at {
            Some(_) => repeat(series, n),
            None => series,
        };
        ctx.samples.loaded(series.len());
        ctx.samples.add(series.sample_count())?;
        Ok(series)
    })?;
    out.retain(|s| !s.is_empty());
    Ok(out)
}

/// Repeats the single point of `s` (evaluated at one instant) at all `n` steps.
pub(crate) fn repeat(mut s: Series, n: usize) -> Series {
    if let Some(&(_, f)) = s.floats.first() {
        s.floats = (0..n as u32).map(|i| (i, f)).collect();
    } else if let Some((_, h)) = s.hists.first().cloned() {
        s.hists = (0..n as u32).map(|i| (i, h.clone())).collect();
    }
    s
}

/// A sample read from storage.
enum Raw {
    Float(f64),
    Hist(flint_model::FloatHistogram),
    /// A histogram already converted (statistics mode).
    Ready(Arc<Hist>),
}

fn read(it: &dyn SampleIterator, vt: ValueType) -> Option<(i64, Raw)> {
    match vt {
        ValueType::Float => {
            let (t, v) = it.at();
            Some((t, Raw::Float(v)))
        }
        ValueType::Histogram | ValueType::FloatHistogram => {
            it.at_float_histogram().map(|(t, h)| (t, Raw::Hist(h)))
        }
        ValueType::None => None,
    }
}

fn to_sample(raw: &Raw) -> Option<Sample> {
    match raw {
        Raw::Float(v) if is_stale_nan(*v) => None,
        Raw::Float(v) => Some(Sample::Float(*v)),
        Raw::Hist(h) if is_stale_nan(h.sum) => None,
        Raw::Hist(h) => Some(Sample::Hist(Arc::new(Hist::from_model(h)))),
        Raw::Ready(h) => Some(Sample::Hist(h.clone())),
    }
}

/// The latest sample at or before each step (within the lookback), skipping stale ones.
fn instant_points(
    s: &dyn StoredSeries,
    grid: &Grid,
    lookback: i64,
    timestamps: bool,
    stats: Option<i64>,
) -> Result<Series> {
    let mut out = Series::new(s.labels().clone(), timestamps);
    let mut it = s.iterator();
    let start = grid.start - lookback + 1;
    let mut vt = it.seek(stats.map_or(start, |m| m.min(start)));
    let mut prev: Option<(i64, Raw)> = None;
    let mut last_hist: Option<Arc<Hist>> = None;
    for i in 0..grid.len() {
        let t = grid.t(i);
        while vt != ValueType::None && it.at_t() <= t {
            prev = read(it.as_ref(), vt);
            if stats.is_some() {
                prev = prev.map(|(pt, raw)| match raw {
                    Raw::Hist(h) if !is_stale_nan(h.sum) => {
                        let h = detect_resets(&mut last_hist, Arc::new(Hist::from_model(&h)));
                        (pt, Raw::Ready(h))
                    }
                    other => (pt, other),
                });
            }
            vt = it.next();
        }
        if let Some((pt, raw)) = &prev
            && *pt > t - lookback
            && let Some(sample) = to_sample(raw)
        {
            if timestamps {
                out.push(i as u32, Sample::Float(*pt as f64 / 1000.0));
            } else {
                out.push(i as u32, sample);
            }
        }
    }
    if let Some(e) = it.err() {
        return Err(Error::Storage(e));
    }
    Ok(out)
}

/// Raw samples of a series in `[mint, maxt]`, stale markers removed.
/// Float and histogram samples of one series.
pub(crate) type RawSamples = (Vec<(i64, f64)>, Vec<(i64, Arc<Hist>)>);

pub(crate) fn load_raw(
    s: &dyn StoredSeries,
    mint: i64,
    maxt: i64,
    stats: Option<i64>,
) -> Result<RawSamples> {
    let mut floats = Vec::new();
    let mut hists = Vec::new();
    let mut it = s.iterator();
    let mut vt = it.seek(stats.map_or(mint, |m| m.min(mint)));
    let mut last_hist: Option<Arc<Hist>> = None;
    while vt != ValueType::None {
        let t = it.at_t();
        if t > maxt {
            break;
        }
        match read(it.as_ref(), vt) {
            Some((t, Raw::Float(v))) if !is_stale_nan(v) && t >= mint => floats.push((t, v)),
            Some((t, Raw::Hist(h))) if !is_stale_nan(h.sum) => {
                let mut h = Arc::new(Hist::from_model(&h));
                if stats.is_some() {
                    h = detect_resets(&mut last_hist, h);
                }
                if t >= mint {
                    hists.push((t, h));
                }
            }
            _ => {}
        }
        vt = it.next();
    }
    if let Some(e) = it.err() {
        return Err(Error::Storage(e));
    }
    Ok((floats, hists))
}

/// `metric smoothed`: the value at each step interpolated between the samples around it
/// (the last one at or before the step and the first one after it, within the lookback).
fn smoothed_points(
    ctx: &Ctx<'_>,
    s: &dyn StoredSeries,
    grid: &Grid,
    lookback: i64,
    span: crate::parser::Span,
) -> Result<Series> {
    use crate::annotations::msg;
    #[derive(Clone, Copy)]
    enum P<'a> {
        F(i64, f64),
        H(i64, &'a Arc<Hist>),
    }
    impl P<'_> {
        fn t(&self) -> i64 {
            match self {
                P::F(t, _) | P::H(t, _) => *t,
            }
        }
    }
    let (floats, hists) = load_raw(s, grid.start - lookback + 1, grid.end + lookback, None)?;
    let mut out = Series::new(s.labels().clone(), false);
    let name = s.labels().metric_name().unwrap_or("").to_owned();
    let (mut fi, mut hi) = (0, 0);
    for i in 0..grid.len() {
        let t = grid.t(i);
        while fi < floats.len() && floats[fi].0 <= t {
            fi += 1;
        }
        while hi < hists.len() && hists[hi].0 <= t {
            hi += 1;
        }
        let prev_f = fi.checked_sub(1).map(|k| P::F(floats[k].0, floats[k].1));
        let prev_h = hi.checked_sub(1).map(|k| P::H(hists[k].0, &hists[k].1));
        let next_f = floats.get(fi).map(|p| P::F(p.0, p.1));
        let next_h = hists.get(hi).map(|p| P::H(p.0, &p.1));
        let prev = [prev_f, prev_h]
            .into_iter()
            .flatten()
            .filter(|p| t - p.t() < lookback)
            .max_by_key(P::t);
        let next = [next_f, next_h]
            .into_iter()
            .flatten()
            .filter(|p| p.t() <= t + lookback)
            .min_by_key(P::t);
        let value = match (prev, next) {
            (Some(P::F(pt, v)), _) if pt == t => Sample::Float(v),
            (Some(P::H(pt, h)), _) if pt == t => Sample::Hist(h.clone()),
            (Some(P::F(pt, a)), Some(P::F(nt, b))) => {
                Sample::Float(interpolate((pt, a), (nt, b), t))
            }
            (Some(P::H(pt, a)), Some(P::H(nt, b))) => {
                if a.uses_custom_buckets() != b.uses_custom_buckets() {
                    ctx.annotate(msg::mixed_exponential_custom(&name, span));
                    continue;
                }
                let counter =
                    a.hint != CounterResetHint::Gauge && b.hint != CounterResetHint::Gauge;
                let interpolated = crate::functions::extended::interpolate_hist(
                    ctx,
                    (pt, a),
                    (nt, b),
                    t,
                    counter,
                    &name,
                    span,
                );
                match interpolated {
                    Some(h) => Sample::Hist(Arc::new(h)),
                    None => continue,
                }
            }
            (Some(_), Some(_)) => {
                ctx.annotate(msg::mixed_floats_histograms(&name, span));
                continue;
            }
            (Some(P::F(_, v)), None) => Sample::Float(v),
            (Some(P::H(_, h)), None) => Sample::Hist(h.clone()),
            (None, _) => continue,
        };
        match value {
            Sample::Float(v) => out.floats.push((i as u32, v)),
            Sample::Hist(h) => out.hists.push((i as u32, h)),
        }
    }
    Ok(out)
}

/// Linear interpolation between two points at `t`.
pub(crate) fn interpolate(p1: (i64, f64), p2: (i64, f64), t: i64) -> f64 {
    p1.1 + (p2.1 - p1.1) * (t - p1.0) as f64 / (p2.0 - p1.0) as f64
}
