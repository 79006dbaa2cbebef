//! Aggregations: `sum`, `avg`, `count`, `min`, `max`, `group`, `stddev`, `stdvar`,
//! `quantile` and `count_values` (`topk` and friends are in `topk`).
//!
//! Input series are grouped once; each group is then folded over all steps at once, in
//! input order per step (so float results match upstream's bit for bit).

mod fold;

use std::collections::HashMap;

use flint_model::Labels;

use super::{Ctx, Grid, PointRef, Sample, Series, par_map, topk};
use crate::annotations::msg;
use crate::error::{Error, Result};
use crate::parser::{AggregateExpr, AggregateOp, Expr, format_float};

pub(crate) use fold::{kahan_inc, quantile};

/// The grouping key of `l`.
pub(crate) fn group_key(l: &Labels, grouping: &[&str], without: bool) -> u64 {
    if without {
        l.hash_without_labels(grouping)
    } else if grouping.is_empty() {
        0
    } else {
        l.hash_for_labels(grouping)
    }
}

/// The labels of the group `l` falls into.
pub(crate) fn group_labels(l: &Labels, grouping: &[&str], without: bool) -> Labels {
    if without {
        let mut b = l.builder();
        for g in grouping {
            b.del(*g);
        }
        b.del("__name__");
        b.build()
    } else if grouping.is_empty() {
        Labels::empty()
    } else {
        let mut b = l.builder();
        b.keep(grouping);
        b.build()
    }
}

/// Input series partitioned into groups, in order of first appearance.
pub(crate) struct Groups {
    pub(crate) labels: Vec<Labels>,
    pub(crate) members: Vec<Vec<usize>>,
}

pub(crate) fn partition(input: &[Series], grouping: &[&str], without: bool) -> Groups {
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut g = Groups {
        labels: Vec::new(),
        members: Vec::new(),
    };
    for (i, s) in input.iter().enumerate() {
        let k = group_key(&s.labels, grouping, without);
        let gi = *index.entry(k).or_insert_with(|| {
            g.labels.push(group_labels(&s.labels, grouping, without));
            g.members.push(Vec::new());
            g.labels.len() - 1
        });
        g.members[gi].push(i);
    }
    g
}

/// Points of several series merged by step, each step's points in series order.
pub(crate) fn merged_points<'a>(
    input: &'a [Series],
    members: &[usize],
) -> Vec<(u32, usize, PointRef<'a>)> {
    let mut pts: Vec<(u32, usize, PointRef<'a>)> = Vec::new();
    for &m in members {
        pts.extend(input[m].points().map(|(s, p)| (s, m, p)));
    }
    if members.len() > 1 {
        pts.sort_by_key(|p| p.0);
    }
    pts
}

/// Evaluates an aggregation over the grid.
pub(crate) fn eval(ctx: &Ctx<'_>, a: &AggregateExpr, grid: &Grid) -> Result<Vec<Series>> {
    let grouping: Vec<&str> = a.grouping.iter().map(String::as_str).collect();
    match a.op {
        AggregateOp::Topk
        | AggregateOp::Bottomk
        | AggregateOp::Limitk
        | AggregateOp::LimitRatio => {
            return topk::eval(ctx, a, grid);
        }
        AggregateOp::CountValues => return count_values(ctx, a, &grouping, grid),
        _ => {}
    }
    let param = match (&a.param, a.op) {
        (Some(p), AggregateOp::Quantile) => {
            let q = ctx.eval_scalar(p, grid)?;
            quantile_param_warnings(ctx, &q, p);
            Some(q)
        }
        _ => None,
    };
    let input = ctx.eval_vector(&a.expr, grid)?;
    let groups = partition(&input, &grouping, a.without);
    let span = a.expr.span();
    // Work items: one group over one block of steps; each keeps one running fold per step
    // and takes the group's series in input order.
    let n = grid.len();
    let threads = ctx.settings.threads.max(1);
    let block = if groups.labels.len() >= 2 * threads {
        STEP_BLOCK
    } else {
        // Few groups: split the steps so that all threads get work.
        n.div_ceil(2 * threads).max(16)
    }
    .clamp(1, n.max(1));
    let blocks = n.div_ceil(block);
    let tasks: Vec<(usize, usize)> = (0..groups.labels.len())
        .flat_map(|g| (0..blocks).map(move |b| (g, b)))
        .collect();
    let parts = par_map(&tasks, ctx.settings.threads, |&(g, b)| {
        let (lo, hi) = (b * block, ((b + 1) * block).min(n));
        let mut folds: Vec<fold::Fold> = (lo..hi).map(|_| fold::Fold::default()).collect();
        for &m in &groups.members[g] {
            let s = &input[m];
            // Points of the two kinds never share a step: per step, input order holds.
            for &(st, f) in &s.floats[range_of(&s.floats, lo, hi)] {
                folds[st as usize - lo].push(ctx, a.op, s, PointRef::Float(f), span);
            }
            for (st, h) in &s.hists[range_of(&s.hists, lo, hi)] {
                folds[*st as usize - lo].push(ctx, a.op, s, PointRef::Hist(h), span);
            }
        }
        let mut out = Series::new(groups.labels[g].clone(), false);
        for (i, f) in folds.into_iter().enumerate() {
            let step = (lo + i) as u32;
            let q = param.as_ref().map_or(f64::NAN, |p| p[step as usize]);
            let (sample, drop) = f.finish(ctx, a.op, q, span);
            if let Some(sample) = sample {
                out.drop_name |= drop;
                out.push(step, sample);
            }
        }
        ctx.samples.add(out.sample_count())?;
        Ok(out)
    })?;
    // Join each group's blocks (consecutive in `parts`).
    let mut out: Vec<Series> = Vec::with_capacity(groups.labels.len());
    for (i, part) in parts.into_iter().enumerate() {
        if i % blocks == 0 {
            out.push(part);
        } else if let Some(last) = out.last_mut() {
            last.drop_name |= part.drop_name;
            last.floats.extend(part.floats);
            last.hists.extend(part.hists);
        }
    }
    Ok(out.into_iter().filter(|s| !s.is_empty()).collect())
}

/// Steps per work item of an aggregation.
const STEP_BLOCK: usize = 256;

/// The positions of the points of `pts` at steps in `[lo, hi)`.
fn range_of<T>(pts: &[(u32, T)], lo: usize, hi: usize) -> std::ops::Range<usize> {
    pts.partition_point(|p| (p.0 as usize) < lo)..pts.partition_point(|p| (p.0 as usize) < hi)
}

fn quantile_param_warnings(ctx: &Ctx<'_>, q: &[f64], p: &Expr) {
    let span = p.span();
    if q.iter().any(|v| v.is_nan()) {
        ctx.annotate(msg::invalid_quantile(f64::NAN, span));
    }
    let max = q
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    let min = q
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f64::INFINITY, f64::min);
    if max > 1.0 {
        ctx.annotate(msg::invalid_quantile(max, span));
    }
    if min < 0.0 {
        ctx.annotate(msg::invalid_quantile(min, span));
    }
}

/// `count_values("label", v)`: how many series have each value, per step.
fn count_values(
    ctx: &Ctx<'_>,
    a: &AggregateExpr,
    grouping: &[&str],
    grid: &Grid,
) -> Result<Vec<Series>> {
    let Some(Expr::String(label)) = a.param.as_deref().map(Expr::unparen) else {
        return Err(Error::exec("count_values requires a string parameter"));
    };
    if !label.is_valid_utf8() || label.value.is_empty() {
        return Err(Error::exec(format!(
            "invalid label name {}",
            label.quoted()
        )));
    }
    let mut grouping: Vec<&str> = grouping.to_vec();
    if !a.without {
        grouping.push(&label.value);
    }
    let input = ctx.eval_vector(&a.expr, grid)?;
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut out: Vec<Series> = Vec::new();
    // Per step: group labels -> count.
    let mut per_step: Vec<Vec<(Labels, f64)>> = vec![Vec::new(); grid.len()];
    for s in &input {
        for (step, p) in s.points() {
            let v = match p {
                PointRef::Float(f) => format_float(f),
                PointRef::Hist(h) => h.describe(),
            };
            let mut b = s.labels.builder();
            b.set(label.value.as_str(), v);
            let l = b.build();
            let g = group_labels(&l, &grouping, a.without);
            let bucket = &mut per_step[step as usize];
            match bucket.iter_mut().find(|(x, _)| *x == g) {
                Some(e) => e.1 += 1.0,
                None => bucket.push((g, 1.0)),
            }
        }
    }
    for (step, groups) in per_step.into_iter().enumerate() {
        for (l, c) in groups {
            let i = *index.entry(l.clone()).or_insert_with(|| {
                out.push(Series::new(l, false));
                out.len() - 1
            });
            out[i].push(step as u32, Sample::Float(c));
        }
    }
    for s in &out {
        ctx.samples.add(s.sample_count())?;
    }
    Ok(out)
}
