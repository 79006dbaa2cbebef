//! `topk`, `bottomk`, `limitk` and `limit_ratio`: per step and group, pick input samples.
//!
//! Selection follows upstream's heap exactly (ties keep the earlier series), so results
//! and their order agree.

use std::collections::HashMap;

use super::aggregate::{merged_points, partition};
use super::{Ctx, Grid, PointRef, Series, par_map};
use crate::annotations::msg;
use crate::error::{Error, Result};
use crate::parser::{AggregateExpr, AggregateOp};

/// A candidate: input series index and value.
#[derive(Clone, Copy)]
struct Cand {
    member: usize,
    v: f64,
}

/// Upstream's ordering for `topk` (`reverse == false`) and `bottomk`: NaN first, then
/// ascending (or descending).
fn less(a: f64, b: f64, reverse: bool) -> bool {
    if a.is_nan() {
        return true;
    }
    if reverse { a > b } else { a < b }
}

fn up(h: &mut [Cand], mut j: usize, rev: bool) {
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(h[j].v, h[i].v, rev) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

fn down(h: &mut [Cand], i0: usize, rev: bool) -> bool {
    let n = h.len();
    let mut i = i0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        let j2 = j1 + 1;
        if j2 < n && less(h[j2].v, h[j1].v, rev) {
            j = j2;
        }
        if !less(h[j].v, h[i].v, rev) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    i > i0
}

/// Whether the hash-based sampling of `limit_ratio(r, …)` takes a series.
fn ratio_keep(ratio: f64, labels: &flint_model::Labels) -> bool {
    let offset = prometheus_hash(labels) as f64 / u64::MAX as f64;
    (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
}

/// Prometheus's `labels.Hash()`: XXH64 of `name 0xff value 0xff …`.
pub(crate) fn prometheus_hash(labels: &flint_model::Labels) -> u64 {
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    for l in labels.iter() {
        h.update(l.name.as_bytes());
        h.update(&[0xff]);
        h.update(l.value.as_bytes());
        h.update(&[0xff]);
    }
    h.digest()
}

/// Evaluates `topk`, `bottomk`, `limitk` or `limit_ratio`.
pub(crate) fn eval(ctx: &Ctx<'_>, a: &AggregateExpr, grid: &Grid) -> Result<Vec<Series>> {
    let Some(param) = &a.param else {
        return Err(Error::exec("missing aggregation parameter"));
    };
    let k = ctx.eval_scalar(param, grid)?;
    let max = k.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = k.iter().copied().fold(f64::INFINITY, f64::min);
    let any_nan = k.iter().any(|v| v.is_nan());
    if a.op == AggregateOp::LimitRatio {
        if max == 0.0 && min == 0.0 {
            return Ok(Vec::new());
        }
        if any_nan {
            return Err(Error::exec("Ratio value is NaN"));
        }
        if max > 1.0 {
            ctx.annotate(msg::invalid_ratio(max, 1.0, param.span()));
        }
        if min < -1.0 {
            ctx.annotate(msg::invalid_ratio(min, -1.0, param.span()));
        }
    } else {
        if any_nan {
            return Err(Error::exec("Parameter value is NaN"));
        }
        if max < 1.0 {
            return Ok(Vec::new());
        }
        if min <= -9.223_372_036_854_776e18 {
            return Err(Error::exec(format!(
                "Scalar value {} underflows int64",
                crate::histogram::go_g(min)
            )));
        }
        if max >= 9.223_372_036_854_774e18 {
            return Err(Error::exec(format!(
                "Scalar value {} overflows int64",
                crate::histogram::go_g(max)
            )));
        }
    }
    let input = ctx.eval_vector(&a.expr, grid)?;
    let grouping: Vec<&str> = a.grouping.iter().map(String::as_str).collect();
    let groups = partition(&input, &grouping, a.without);
    let idx: Vec<usize> = (0..groups.labels.len()).collect();
    let total = input.len();
    let chosen = par_map(&idx, ctx.settings.threads, |&g| {
        Ok(select_group(ctx, a, &input, &groups.members[g], &k, total))
    })?;
    // Assemble output series in the order samples were chosen.
    let mut out: Vec<Series> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for group in chosen {
        for (step, member) in group {
            let i = *index.entry(member).or_insert_with(|| {
                let s = &input[member];
                out.push(Series::new(s.labels.clone(), s.drop_name));
                out.len() - 1
            });
            if let Some(p) = point_at(&input[member], step) {
                out[i].push(step, p);
            }
        }
    }
    for s in &mut out {
        s.floats.sort_by_key(|p| p.0);
        s.hists.sort_by_key(|p| p.0);
        ctx.samples.add(s.sample_count())?;
    }
    Ok(out)
}

fn point_at(s: &Series, step: u32) -> Option<super::Sample> {
    if let Ok(i) = s.floats.binary_search_by_key(&step, |p| p.0) {
        return Some(super::Sample::Float(s.floats[i].1));
    }
    s.hists
        .binary_search_by_key(&step, |p| p.0)
        .ok()
        .map(|i| super::Sample::Hist(s.hists[i].1.clone()))
}

/// The `(step, member)` pairs a group selects, in output order.
fn select_group(
    ctx: &Ctx<'_>,
    a: &AggregateExpr,
    input: &[Series],
    members: &[usize],
    k: &[f64],
    total: usize,
) -> Vec<(u32, usize)> {
    let pts = merged_points(input, members);
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let step = pts[i].0;
        let mut j = i;
        while j < pts.len() && pts[j].0 == step {
            j += 1;
        }
        let param = k[step as usize];
        select_step(ctx, a, input, &pts[i..j], param, total, step, &mut out);
        i = j;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn select_step(
    ctx: &Ctx<'_>,
    a: &AggregateExpr,
    input: &[Series],
    pts: &[(u32, usize, PointRef<'_>)],
    param: f64,
    total: usize,
    step: u32,
    out: &mut Vec<(u32, usize)>,
) {
    match a.op {
        AggregateOp::LimitRatio => {
            if param == 0.0 {
                return;
            }
            let r = param.clamp(-1.0, 1.0);
            for &(_, m, _) in pts {
                if ratio_keep(r, &input[m].labels) {
                    out.push((step, m));
                }
            }
        }
        AggregateOp::Limitk => {
            let k = (param as i64).min(total as i64);
            if k < 1 {
                return;
            }
            out.extend(pts.iter().take(k as usize).map(|&(_, m, _)| (step, m)));
        }
        _ => {
            let k = (param as i64).min(total as i64);
            if k < 1 {
                return;
            }
            let rev = a.op == AggregateOp::Bottomk;
            let mut heap: Vec<Cand> = Vec::with_capacity(k as usize);
            for &(_, m, p) in pts {
                let PointRef::Float(v) = p else {
                    ctx.annotate(msg::histogram_ignored_in_agg(a.op.as_str(), a.span));
                    continue;
                };
                if (heap.len() as i64) < k {
                    heap.push(Cand { member: m, v });
                    let last = heap.len() - 1;
                    up(&mut heap, last, rev);
                } else {
                    let top = heap[0].v;
                    let better = if rev { top > v } else { top < v };
                    if better || (top.is_nan() && !v.is_nan()) {
                        heap[0] = Cand { member: m, v };
                        if k > 1 && !down(&mut heap, 0, rev) {
                            up(&mut heap, 0, rev);
                        }
                    }
                }
            }
            // Best first: descending for topk, ascending for bottomk, NaN last.
            heap.sort_by(|x, y| {
                if less(y.v, x.v, rev) {
                    std::cmp::Ordering::Less
                } else if less(x.v, y.v, rev) {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            });
            out.extend(heap.iter().map(|c| (step, c.member)));
        }
    }
}
