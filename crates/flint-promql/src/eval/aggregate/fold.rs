//! Folding the samples of one group at one step into the aggregate value.

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::annotations::msg;
use crate::eval::{Ctx, PointRef, Sample, Series};
use crate::histogram::{ArithError, Hist, HistMean, HistSum};
use crate::parser::{AggregateOp, Span};

/// Kahan–Neumaier summation step: adds `inc` to `sum` with compensation `c`.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// The running histogram of `sum` or `avg`.
enum HistAcc {
    Sum(HistSum),
    Mean(HistMean),
}

#[derive(Default)]
struct State {
    seen: bool,
    value: f64,
    c: f64,
    mean: f64,
    count: f64,
    hist: Option<HistAcc>,
    has_float: bool,
    has_hist: bool,
    incompatible: bool,
    incremental: bool,
    reset_seen: bool,
    not_reset_seen: bool,
    drop_name: bool,
    values: Vec<f64>,
}

impl State {
    fn track(&mut self, h: &Hist) {
        match h.hint {
            CounterResetHint::CounterReset => self.reset_seen = true,
            CounterResetHint::NotCounterReset => self.not_reset_seen = true,
            _ => {}
        }
    }
}

fn ignored(ctx: &Ctx<'_>, op: AggregateOp, span: Span) {
    ctx.annotate(msg::histogram_ignored_in_agg(op.as_str(), span));
}

/// Adds `h` to the group's histogram, recording problems.
fn hist_add(ctx: &Ctx<'_>, st: &mut State, h: &Hist, s: &Series, span: Span) {
    let Some(acc) = st.hist.as_mut() else { return };
    let res = match acc {
        HistAcc::Sum(s) => s.add(h),
        HistAcc::Mean(m) => m.add(h),
    };
    match res {
        Err(ArithError::IncompatibleSchema) => {
            let name = s.labels.metric_name().unwrap_or("");
            ctx.annotate(msg::mixed_exponential_custom(name, span));
            st.incompatible = true;
        }
        Ok(o) => {
            if o.nhcb_reconciled {
                ctx.annotate(msg::mismatched_custom_buckets("aggregation", span));
            }
        }
    }
}

/// The running aggregate of one group at one step: series are pushed in input order.
#[derive(Default)]
pub(crate) struct Fold(State);

impl Fold {
    /// Adds the point `p` of series `s`.
    pub(crate) fn push(
        &mut self,
        ctx: &Ctx<'_>,
        op: AggregateOp,
        s: &Series,
        p: PointRef<'_>,
        span: Span,
    ) {
        let st = &mut self.0;
        let (f, h) = match p {
            PointRef::Float(f) => (f, None),
            PointRef::Hist(h) => (0.0, Some(h)),
        };
        if !st.seen {
            *st = State {
                seen: true,
                value: f,
                mean: f,
                count: 1.0,
                drop_name: s.drop_name,
                ..State::default()
            };
            init(ctx, op, st, f, h, span);
            return;
        }
        if st.incompatible {
            return;
        }
        st.drop_name |= s.drop_name;
        step(ctx, op, st, f, h, s, span);
    }

    /// The value, if any, and whether any contributing series had its name dropped.
    pub(crate) fn finish(
        self,
        ctx: &Ctx<'_>,
        op: AggregateOp,
        q: f64,
        span: Span,
    ) -> (Option<Sample>, bool) {
        let st = self.0;
        if !st.seen {
            return (None, false);
        }
        let drop = st.drop_name;
        (finish(ctx, op, st, q, span), drop)
    }
}

fn init(ctx: &Ctx<'_>, op: AggregateOp, st: &mut State, f: f64, h: Option<&Arc<Hist>>, span: Span) {
    match op {
        AggregateOp::Avg | AggregateOp::Sum => match h {
            None => st.has_float = true,
            Some(h) => {
                st.hist = Some(if op == AggregateOp::Sum {
                    HistAcc::Sum(HistSum::new(h))
                } else {
                    HistAcc::Mean(HistMean::new(h))
                });
                st.has_hist = true;
                st.track(h);
            }
        },
        AggregateOp::Stdvar | AggregateOp::Stddev => {
            if h.is_some() {
                st.seen = false;
                ignored(ctx, op, span);
            } else if f.is_nan() || f.is_infinite() {
                st.value = f64::NAN;
            } else {
                st.value = 0.0;
            }
        }
        AggregateOp::Quantile => {
            if h.is_some() {
                st.seen = false;
                ignored(ctx, op, span);
            }
            st.values = vec![f];
        }
        AggregateOp::Group => st.value = 1.0,
        AggregateOp::Min | AggregateOp::Max if h.is_some() => {
            st.seen = false;
            ignored(ctx, op, span);
        }
        _ => {}
    }
}

fn step(
    ctx: &Ctx<'_>,
    op: AggregateOp,
    st: &mut State,
    f: f64,
    h: Option<&Arc<Hist>>,
    s: &Series,
    span: Span,
) {
    match op {
        AggregateOp::Sum => match h {
            Some(h) => {
                st.has_hist = true;
                if st.hist.is_some() {
                    st.track(h);
                    hist_add(ctx, st, h, s, span);
                }
            }
            None => {
                st.has_float = true;
                (st.value, st.c) = kahan_inc(f, st.value, st.c);
            }
        },
        AggregateOp::Avg => {
            st.count += 1.0;
            match h {
                Some(h) => {
                    st.has_hist = true;
                    if st.hist.is_some() {
                        st.track(h);
                        hist_add(ctx, st, h, s, span);
                    }
                }
                None => {
                    st.has_float = true;
                    if !st.incremental {
                        let (nv, nc) = kahan_inc(f, st.value, st.c);
                        if !nv.is_infinite() {
                            st.value = nv;
                            st.c = nc;
                            return;
                        }
                        st.incremental = true;
                        st.mean = st.value / (st.count - 1.0);
                        st.c /= st.count - 1.0;
                    }
                    let q = (st.count - 1.0) / st.count;
                    (st.mean, st.c) = kahan_inc(f / st.count, q * st.mean, q * st.c);
                }
            }
        }
        AggregateOp::Group => {}
        AggregateOp::Max | AggregateOp::Min => {
            if h.is_some() {
                ignored(ctx, op, span);
                return;
            }
            let better = if op == AggregateOp::Max {
                st.value < f
            } else {
                st.value > f
            };
            if better || st.value.is_nan() {
                st.value = f;
            }
        }
        AggregateOp::Count => st.count += 1.0,
        AggregateOp::Stdvar | AggregateOp::Stddev => {
            if h.is_some() {
                ignored(ctx, op, span);
                return;
            }
            st.count += 1.0;
            let delta = f - st.mean;
            st.mean += delta / st.count;
            st.value += delta * (f - st.mean);
        }
        AggregateOp::Quantile => {
            if h.is_some() {
                ignored(ctx, op, span);
                return;
            }
            st.values.push(f);
        }
        _ => {}
    }
}

fn finish(ctx: &Ctx<'_>, op: AggregateOp, mut st: State, q: f64, span: Span) -> Option<Sample> {
    if st.reset_seen && st.not_reset_seen {
        ctx.annotate(msg::counter_reset_collision("aggregation", span));
    }
    let v = match op {
        AggregateOp::Avg | AggregateOp::Sum => {
            if st.has_float && st.has_hist {
                ctx.annotate(msg::mixed_floats_histograms_agg(span));
                return None;
            }
            if st.incompatible {
                return None;
            }
            if let Some(acc) = st.hist.take() {
                let res = match acc {
                    HistAcc::Sum(s) => s.finish(),
                    HistAcc::Mean(m) => m.finish(),
                };
                let Ok(mut h) = res else { return None };
                h.compact();
                return Some(Sample::Hist(Arc::new(h)));
            }
            if op == AggregateOp::Sum {
                st.value + st.c
            } else if st.incremental {
                st.mean + st.c
            } else {
                st.value / st.count + st.c / st.count
            }
        }
        AggregateOp::Count => st.count,
        AggregateOp::Stdvar => st.value / st.count,
        AggregateOp::Stddev => (st.value / st.count).sqrt(),
        AggregateOp::Quantile => quantile(q, &mut st.values),
        _ => st.value,
    };
    Some(Sample::Float(v))
}

/// The `q`-quantile of `values` (sorted in place), interpolating between neighbours.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts first, like upstream's heap order.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}
