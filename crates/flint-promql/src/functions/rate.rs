//! `rate`, `increase`, `delta` (extrapolated), `irate`, `idelta` (last two samples), with
//! native histograms and the `anchored`/`smoothed` variants.

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::annotations::msg;
use crate::error::Result;
use crate::eval::{Ctx, Grid, RangeArg, Sample, Series, Window};
use crate::histogram::Hist;
use crate::parser::{Call, Span};

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ctx: &Ctx<'_>,
    name: &str,
    _call: &Call,
    arg: &RangeArg,
    grid: &Grid,
) -> Result<Option<Vec<Series>>> {
    let span = arg.span;
    let out = match name {
        "rate" | "increase" | "delta" => {
            let (counter, per_second) = (name != "delta", name == "rate");
            let out = arg.map_windows(ctx, grid, true, true, |w, _| {
                extrapolated_rate(ctx, w, counter, per_second, span)
            })?;
            if name != "delta" {
                for s in &out {
                    counter_info(ctx, s, span);
                }
            }
            out
        }
        "irate" | "idelta" => {
            let is_rate = name == "irate";
            arg.map_windows(ctx, grid, true, true, |w, _| {
                instant_value(ctx, w, is_rate, span)
            })?
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// `rate`/`increase` on something that does not look like a counter gets an info.
fn counter_info(ctx: &Ctx<'_>, s: &Series, span: Span) {
    let name = s.labels.metric_name().unwrap_or("");
    if name.is_empty() || s.floats.is_empty() {
        return;
    }
    if !["_total", "_sum", "_count", "_bucket"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        ctx.annotate(msg::possible_non_counter(name, span));
    }
}

fn extrapolated_rate(
    ctx: &Ctx<'_>,
    w: &Window<'_>,
    counter: bool,
    per_second: bool,
    span: Span,
) -> Option<Sample> {
    if w.anchored || w.smoothed {
        return super::extended::extended(ctx, w, counter, per_second, span);
    }
    if !w.hists.is_empty() && !w.floats.is_empty() {
        ctx.annotate(msg::mixed_floats_histograms(w.name(), span));
        return None;
    }
    let (first_t, last_t, intervals, mut result_f, mut result_h) = if w.hists.len() > 1 {
        let h = histogram_rate(ctx, w, counter, span)?;
        let n = w.hists.len();
        (w.hists[0].0, w.hists[n - 1].0, n - 1, 0.0, Some(h))
    } else if w.floats.len() > 1 {
        let f = w.floats;
        let n = f.len();
        let mut r = f[n - 1].1 - f[0].1;
        if counter {
            for p in f.windows(2) {
                if p[1].1 < p[0].1 {
                    r += p[0].1;
                }
            }
        }
        (f[0].0, f[n - 1].0, n - 1, r, None)
    } else {
        return None;
    };
    let mut to_start = (first_t - w.start) as f64 / 1000.0;
    let mut to_end = (w.end - last_t) as f64 / 1000.0;
    let sampled = (last_t - first_t) as f64 / 1000.0;
    let avg = sampled / intervals as f64;
    let threshold = avg * 1.1;
    if to_start >= threshold {
        to_start = avg / 2.0;
    }
    if counter {
        let mut to_zero = to_start;
        if result_h.is_none() && result_f > 0.0 && w.floats[0].1 >= 0.0 {
            to_zero = sampled * (w.floats[0].1 / result_f);
        } else if let Some(h) = &result_h
            && h.count > 0.0
            && w.hists[0].1.count >= 0.0
        {
            to_zero = sampled * (w.hists[0].1.count / h.count);
        }
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg / 2.0;
    }
    let mut factor = (sampled + to_start + to_end) / sampled;
    if per_second {
        factor /= w.range as f64 / 1000.0;
    }
    match result_h.take() {
        Some(mut h) => {
            h.mul(factor);
            Some(Sample::Hist(Arc::new(h)))
        }
        None => {
            result_f *= factor;
            Some(Sample::Float(result_f))
        }
    }
}

/// The increase of native histograms over the window, counter resets accounted for.
fn histogram_rate(ctx: &Ctx<'_>, w: &Window<'_>, counter: bool, span: Span) -> Option<Hist> {
    let points = w.hists;
    let name = w.name();
    let last = &points[points.len() - 1].1;
    let empty;
    let mut prev: &Hist = &points[0].1;
    let mut custom = prev.uses_custom_buckets();
    if counter && (prev.hint == CounterResetHint::Gauge || last.hint == CounterResetHint::Gauge) {
        ctx.annotate(msg::not_counter(name, span));
    }
    if counter && points.len() > 1 {
        let second = &points[1].1;
        if second.detect_reset(prev) {
            empty = Hist {
                schema: second.schema,
                custom_values: second.custom_values.clone(),
                ..Hist::default()
            };
            prev = &empty;
            custom = second.uses_custom_buckets();
        }
    }
    if last.uses_custom_buckets() != custom {
        ctx.annotate(msg::mixed_exponential_custom(name, span));
        return None;
    }
    let mut min_schema = last.schema.min(prev.schema);
    for (_, curr) in &points[1..points.len() - 1] {
        if !counter {
            continue;
        }
        if curr.hint == CounterResetHint::Gauge {
            ctx.annotate(msg::not_counter(name, span));
        }
        min_schema = min_schema.min(curr.schema);
        if curr.uses_custom_buckets() != custom {
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            return None;
        }
    }
    let mut h = last.to_schema(min_schema);
    match h.sub(prev) {
        Err(_) => {
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            return None;
        }
        Ok(o) if o.nhcb_reconciled => {
            ctx.annotate(msg::mismatched_custom_buckets("subtraction", span))
        }
        Ok(_) => {}
    }
    if counter {
        let mut p: &Hist = prev;
        for (_, curr) in &points[1..] {
            if curr.detect_reset(p) {
                match h.add(p) {
                    Err(_) => {
                        ctx.annotate(msg::mixed_exponential_custom(name, span));
                        return None;
                    }
                    Ok(o) if o.nhcb_reconciled => {
                        ctx.annotate(msg::mismatched_custom_buckets("addition", span))
                    }
                    Ok(_) => {}
                }
            }
            p = curr;
        }
    } else if points[0].1.hint != CounterResetHint::Gauge || last.hint != CounterResetHint::Gauge {
        ctx.annotate(msg::not_gauge(name, span));
    }
    h.hint = CounterResetHint::Gauge;
    h.compact();
    Some(h)
}

/// One of the last samples of a window.
#[derive(Clone, Copy)]
enum Recent<'a> {
    Float(f64),
    Hist(&'a Arc<Hist>),
}

/// `irate`/`idelta`: from the last two samples.
fn instant_value(ctx: &Ctx<'_>, w: &Window<'_>, is_rate: bool, span: Span) -> Option<Sample> {
    // The last two samples of either kind, by time.
    let mut last: Vec<(i64, Recent<'_>)> = Vec::with_capacity(4);
    for p in &w.floats[w.floats.len().saturating_sub(2)..] {
        last.push((p.0, Recent::Float(p.1)));
    }
    for p in &w.hists[w.hists.len().saturating_sub(2)..] {
        last.push((p.0, Recent::Hist(&p.1)));
    }
    if last.len() < 2 {
        return None;
    }
    last.sort_by_key(|p| p.0);
    let (a, b) = (last[last.len() - 2], last[last.len() - 1]);
    let interval = b.0 - a.0;
    if interval == 0 {
        return None;
    }
    let secs = interval as f64 / 1000.0;
    match (a, b) {
        ((_, Recent::Float(fa)), (_, Recent::Float(fb))) => {
            // A drop is a counter reset (NaN comparisons are not drops).
            let reset = is_rate && fb < fa;
            let v = if reset { fb } else { fb - fa };
            Some(Sample::Float(if is_rate { v / secs } else { v }))
        }
        ((_, Recent::Hist(ha)), (_, Recent::Hist(hb))) => {
            let mut r = (**hb).clone();
            let gauge = |h: &Hist| h.hint == CounterResetHint::Gauge;
            if is_rate && (gauge(hb) || gauge(ha)) {
                ctx.annotate(msg::not_counter(w.name(), span));
            }
            if !is_rate && (!gauge(hb) || !gauge(ha)) {
                ctx.annotate(msg::not_gauge(w.name(), span));
            }
            if !is_rate || !hb.detect_reset(ha) {
                match r.sub(ha) {
                    Err(_) => {
                        ctx.annotate(msg::mixed_exponential_custom(w.name(), span));
                        return None;
                    }
                    Ok(o) if o.nhcb_reconciled => {
                        ctx.annotate(msg::mismatched_custom_buckets("subtraction", span))
                    }
                    Ok(_) => {}
                }
            }
            r.hint = CounterResetHint::Gauge;
            r.compact();
            if is_rate {
                r.div(secs);
            }
            Some(Sample::Hist(Arc::new(r)))
        }
        _ => {
            ctx.annotate(msg::mixed_floats_histograms(w.name(), span));
            None
        }
    }
}
