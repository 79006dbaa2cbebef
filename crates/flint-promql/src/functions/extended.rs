//! `rate`, `increase` and `delta` over `anchored` and `smoothed` windows, for floats and native
//! histograms, and the histogram interpolation the `smoothed` instant selector shares.
//!
//! The window holds the samples in `(start, end]` plus the anchor (the last sample at or
//! before `start`) and, when smoothed, the first sample after `end`. The result is the value
//! at the right boundary minus the one at the left boundary (either picked or, when smoothed,
//! interpolated), plus the counter-reset corrections of the samples in between.

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::annotations::msg;
use crate::eval::{Ctx, Sample, Window};
use crate::histogram::Hist;
use crate::parser::Span;

/// `rate`/`increase`/`delta` over an `anchored` or `smoothed` window.
pub(crate) fn extended(
    ctx: &Ctx<'_>,
    w: &Window<'_>,
    counter: bool,
    per_second: bool,
    span: Span,
) -> Option<Sample> {
    if !w.hists.is_empty() && !w.floats.is_empty() {
        ctx.annotate(msg::mixed_floats_histograms(w.name(), span));
        return None;
    }
    if !w.hists.is_empty() {
        return extended_histogram_rate(ctx, w, counter, per_second, span);
    }
    if !w.floats.is_empty() {
        return extended_rate(w, counter, per_second);
    }
    None
}

/// The indexes of the left and right boundary samples, or `None` when the window has no
/// sample inside the range (or, smoothed, only samples after it).
fn boundaries(times: impl Fn(usize) -> i64, len: usize, w: &Window<'_>) -> Option<(usize, usize)> {
    // The first index below `n` whose time satisfies `pred` (monotone), else `n`.
    let search = |n: usize, pred: &dyn Fn(i64) -> bool| {
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(times(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    let mut last = len - 1;
    let first = search(last, &|t| t > w.start).saturating_sub(1);
    if w.smoothed {
        last = search(last, &|t| t >= w.end);
    }
    if times(last) <= w.start || (w.smoothed && times(first) > w.end) {
        return None;
    }
    Some((first, last))
}

fn extended_rate(w: &Window<'_>, counter: bool, per_second: bool) -> Option<Sample> {
    let f = w.floats;
    let (mut first, last) = boundaries(|i| f[i].0, f.len(), w)?;
    let left = if w.smoothed && f[first].0 < w.start {
        interpolate(f[first], f[first + 1], w.start, counter)
    } else {
        f[first].1
    };
    let right = if w.smoothed && last > 0 && f[last].0 > w.end {
        interpolate(f[last - 1], f[last], w.end, counter)
    } else {
        f[last].1
    };
    let mut result = right - left;
    if counter {
        // Only the samples strictly inside the range need a look: the boundaries handle
        // the resets next to them.
        if f[first].0 <= w.start {
            first += 1;
        }
        let inner = if f[last].0 >= w.end {
            &f[first.min(last)..last]
        } else {
            &f[first.min(last + 1)..=last]
        };
        let mut prev = left;
        for p in inner {
            if p.1 < prev {
                result += prev;
            }
            prev = p.1;
        }
        if right < prev {
            result += prev;
        }
    }
    if per_second {
        result /= w.range as f64 / 1000.0;
    }
    Some(Sample::Float(result))
}

/// Linear interpolation; a counter that went down is taken to have restarted from zero.
fn interpolate(p1: (i64, f64), p2: (i64, f64), t: i64, counter: bool) -> f64 {
    let (mut y1, y2) = (p1.1, p2.1);
    if counter && y2 < y1 {
        y1 = 0.0;
    }
    y1 + (y2 - y1) * (t - p1.0) as f64 / (p2.0 - p1.0) as f64
}

/// The histogram at `t` between `(t1, h1)` and `(t2, h2)`; a counter reset between them is
/// modelled as a restart from zero. `None` (with a warning) when the two cannot be combined.
#[allow(clippy::too_many_arguments)]
pub(crate) fn interpolate_hist(
    ctx: &Ctx<'_>,
    (t1, h1): (i64, &Hist),
    (t2, h2): (i64, &Hist),
    t: i64,
    counter: bool,
    name: &str,
    span: Span,
) -> Option<Hist> {
    if t == t1 {
        return Some(h1.clone());
    }
    if t == t2 {
        return Some(h2.clone());
    }
    let fraction = (t - t1) as f64 / (t2 - t1) as f64;
    let mut out = h2.clone();
    if counter && h2.detect_reset(h1) {
        out.mul(fraction);
        return Some(out);
    }
    if !sub(ctx, &mut out, h1, name, span) {
        return None;
    }
    out.mul(fraction);
    add(ctx, &mut out, h1, name, span).then_some(out)
}

fn add(ctx: &Ctx<'_>, base: &mut Hist, other: &Hist, name: &str, span: Span) -> bool {
    match base.add(other) {
        Err(_) => {
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            false
        }
        Ok(o) => {
            if o.nhcb_reconciled {
                ctx.annotate(msg::mismatched_custom_buckets("addition", span));
            }
            true
        }
    }
}

fn sub(ctx: &Ctx<'_>, base: &mut Hist, other: &Hist, name: &str, span: Span) -> bool {
    match base.sub(other) {
        Err(_) => {
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            false
        }
        Ok(o) => {
            if o.nhcb_reconciled {
                ctx.annotate(msg::mismatched_custom_buckets("subtraction", span));
            }
            true
        }
    }
}

fn extended_histogram_rate(
    ctx: &Ctx<'_>,
    w: &Window<'_>,
    counter: bool,
    per_second: bool,
    span: Span,
) -> Option<Sample> {
    let h = w.hists;
    let name = w.name();
    let (first, last) = boundaries(|i| h[i].0, h.len(), w)?;
    let custom = h[first].1.uses_custom_buckets();
    for (_, p) in &h[first..=last] {
        if p.uses_custom_buckets() != custom {
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            return None;
        }
        if counter && p.hint == CounterResetHint::Gauge {
            ctx.annotate(msg::not_counter(name, span));
        }
    }
    let point = |i: usize| (h[i].0, &*h[i].1);
    let left = if w.smoothed && h[first].0 < w.start {
        interpolate_hist(
            ctx,
            point(first),
            point(first + 1),
            w.start,
            counter,
            name,
            span,
        )?
    } else {
        (*h[first].1).clone()
    };
    let right = if w.smoothed && last > 0 && h[last].0 > w.end {
        interpolate_hist(
            ctx,
            point(last - 1),
            point(last),
            w.end,
            counter,
            name,
            span,
        )?
    } else {
        (*h[last].1).clone()
    };
    if !counter && (left.hint != CounterResetHint::Gauge || right.hint != CounterResetHint::Gauge) {
        ctx.annotate(msg::not_gauge(name, span));
    }
    let mut result = right.clone();
    if !sub(ctx, &mut result, &left, name, span) {
        return None;
    }
    if counter {
        let correction = correction(ctx, w, first, last, &left, &right, name, span)?;
        if let Some(c) = correction
            && !add(ctx, &mut result, &c, name, span)
        {
            return None;
        }
    }
    if per_second {
        result.div(w.range as f64 / 1000.0);
    }
    result.hint = CounterResetHint::Gauge;
    result.compact();
    Some(Sample::Hist(Arc::new(result)))
}

/// The sum of the counter-reset corrections between the boundary samples `first` and
/// `last`, compared against the boundary values `left` and `right`. `Some(None)`: nothing
/// to correct; `None`: the histograms could not be combined (a warning was added).
#[allow(clippy::too_many_arguments)]
fn correction(
    ctx: &Ctx<'_>,
    w: &Window<'_>,
    first: usize,
    last: usize,
    left: &Hist,
    right: &Hist,
    name: &str,
    span: Span,
) -> Option<Option<Hist>> {
    let h = w.hists;
    let mut from = first + 1;
    let mut prev = left;
    if w.smoothed && h[first].0 < w.start && h[first + 1].1.detect_reset(&h[first].1) {
        // The left interpolation already spanned that reset; the sample after it becomes
        // the reference for the next one.
        prev = &h[first + 1].1;
        from += 1;
    }
    // `right` is `h[last]` or inherits its hint: comparing `h[last]` too would count its
    // reset twice.
    if from > last {
        return Some(None);
    }
    let mut correction: Option<Hist> = None;
    let mut add_correction = |c: &Hist| match correction.as_mut() {
        None => {
            correction = Some(c.clone());
            true
        }
        Some(sum) => add(ctx, sum, c, name, span),
    };
    for (_, p) in &h[from..last] {
        if p.detect_reset(prev) && !add_correction(prev) {
            return None;
        }
        prev = p;
    }
    if right.detect_reset(prev) && !add_correction(prev) {
        return None;
    }
    Some(correction)
}
