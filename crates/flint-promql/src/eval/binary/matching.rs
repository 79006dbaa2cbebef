//! Vector matching for arithmetic and comparisons: one-to-one, many-to-one, one-to-many and
//! the `fill` modifiers.
//!
//! Series are matched once by their signature; per step, at most one series of the "one"
//! side may be present in a match group. Work runs per series over all steps.

use std::collections::HashMap;

use flint_model::{Labels, LabelsBuilder};

use super::elem::{ElemOutcome, elem_op};
use crate::error::{Error, Result};
use crate::eval::cleanup::drop_metric_labels;
use crate::eval::{Ctx, Grid, PointRef, Sample, Series};
use crate::parser::{BinaryExpr, Cardinality, Span, VectorMatching};

/// The match signature of `l`.
pub(crate) fn signature(l: &Labels, m: &VectorMatching) -> u64 {
    let names: Vec<&str> = m.labels.iter().map(String::as_str).collect();
    if m.on {
        l.hash_for_labels(&names)
    } else {
        l.hash_without_labels(&names)
    }
}

/// Labels used for a fill value's stand-in sample: the matched labels of the other side.
fn match_labels(l: &Labels, m: &VectorMatching) -> Labels {
    let mut b = LabelsBuilder::new(l.clone());
    if m.on {
        let keep: Vec<&str> = m.labels.iter().map(String::as_str).collect();
        b.keep(&keep);
    } else {
        for n in &m.labels {
            b.del(n.as_str());
        }
        b.del("__name__");
    }
    b.build()
}

/// One side's sample at a step, or a fill value.
#[derive(Clone, Copy)]
enum Side<'a> {
    Series(usize, PointRef<'a>),
    Fill(f64),
}

struct Matcher<'a> {
    ctx: &'a Ctx<'a>,
    b: &'a BinaryExpr,
    m: &'a VectorMatching,
    span: Span,
    /// The "many" side (the left side unless `group_right`).
    many: &'a [Series],
    one: &'a [Series],
    swapped: bool,
    outputs: HashMap<Labels, usize>,
    out: Vec<Series>,
    label_cache: HashMap<(usize, usize), Labels>,
}

const EXPLICIT: &str =
    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)";
const UNIQUE: &str = "multiple matches for labels: grouping labels must ensure unique matches";

/// Evaluates `lhs op rhs` with vector matching.
pub(crate) fn eval(
    ctx: &Ctx<'_>,
    b: &BinaryExpr,
    m: &VectorMatching,
    lhs: Vec<Series>,
    rhs: Vec<Series>,
    grid: &Grid,
    span: Span,
) -> Result<Vec<Series>> {
    let swapped = m.card == Cardinality::OneToMany;
    let (many, one) = if swapped { (&rhs, &lhs) } else { (&lhs, &rhs) };
    let n = grid.len();
    let has_fill = m.fill_lhs.is_some() || m.fill_rhs.is_some();
    let lhs_any = presence(&lhs, n);
    let rhs_any = presence(&rhs, n);
    // Upstream skips a step when a side is empty and no fill applies.
    let active: Vec<bool> = (0..n)
        .map(|i| (lhs_any[i] || rhs_any[i]) && (has_fill || (lhs_any[i] && rhs_any[i])))
        .collect();

    let mut groups: HashMap<u64, (Vec<usize>, Vec<usize>)> = HashMap::new();
    let mut order: Vec<u64> = Vec::new();
    for (i, s) in one.iter().enumerate() {
        let sig = signature(&s.labels, m);
        let g = groups.entry(sig).or_insert_with(|| {
            order.push(sig);
            (Vec::new(), Vec::new())
        });
        g.1.push(i);
    }
    for (i, s) in many.iter().enumerate() {
        let sig = signature(&s.labels, m);
        let g = groups.entry(sig).or_insert_with(|| {
            order.push(sig);
            (Vec::new(), Vec::new())
        });
        g.0.push(i);
    }
    let mut mt = Matcher {
        ctx,
        b,
        m,
        span,
        many,
        one,
        swapped,
        outputs: HashMap::new(),
        out: Vec::new(),
        label_cache: HashMap::new(),
    };
    for sig in order {
        ctx.check()?;
        let (many_idx, one_idx) = &groups[&sig];
        mt.group(many_idx, one_idx, &active)?;
    }
    let mut out = mt.out;
    for s in &mut out {
        s.floats.sort_by_key(|p| p.0);
        s.hists.sort_by_key(|p| p.0);
        if s.floats.windows(2).any(|w| w[0].0 == w[1].0)
            || s.hists.windows(2).any(|w| w[0].0 == w[1].0)
        {
            return Err(Error::exec(
                "vector cannot contain metrics with the same labelset",
            ));
        }
    }
    Ok(out)
}

fn presence(v: &[Series], n: usize) -> Vec<bool> {
    let mut p = vec![false; n];
    for s in v {
        for (i, _) in s.points() {
            p[i as usize] = true;
        }
    }
    p
}

impl<'a> Matcher<'a> {
    fn group(&mut self, many_idx: &[usize], one_idx: &[usize], active: &[bool]) -> Result<()> {
        // The one-side sample of this group at each step it has one.
        let mut one_points: Vec<(u32, usize, PointRef<'a>)> = Vec::new();
        for &o in one_idx {
            for (step, p) in self.one[o].points() {
                one_points.push((step, o, p));
            }
        }
        one_points.sort_by_key(|p| p.0);
        for w in one_points.windows(2) {
            if w[0].0 == w[1].0 && active[w[0].0 as usize] {
                return Err(self.duplicate_error(w[0].1, w[1].1));
            }
        }
        one_points.dedup_by_key(|p| p.0);
        // Steps at which this group matched, for the uniqueness checks.
        let mut matched: Vec<(u32, u64)> = Vec::new();
        // As upstream: after swapping sides for `group_right`, `fill_right` applies to the
        // (swapped) right side, i.e. the "one" side, and `fill_left` to the "many" side.
        let fill_one = self.m.fill_rhs;
        let fill_many = self.m.fill_lhs;
        for &mi in many_idx {
            let series = &self.many[mi];
            let mut j = 0;
            for (step, p) in series.points() {
                if !active[step as usize] {
                    continue;
                }
                while j < one_points.len() && one_points[j].0 < step {
                    j += 1;
                }
                let other = match one_points.get(j) {
                    Some(&(s, o, op)) if s == step => Side::Series(o, op),
                    _ => match fill_one {
                        Some(f) => Side::Fill(f),
                        None => continue,
                    },
                };
                self.apply(Side::Series(mi, p), other, step, &mut matched)?;
            }
        }
        if let Some(f) = fill_many {
            let matched_steps: std::collections::HashSet<u32> =
                matched.iter().map(|m| m.0).collect();
            for &(step, o, p) in &one_points {
                if !active[step as usize] || matched_steps.contains(&step) {
                    continue;
                }
                self.apply(Side::Fill(f), Side::Series(o, p), step, &mut Vec::new())?;
            }
        }
        matched.sort_unstable();
        let card = self.m.card;
        for w in matched.windows(2) {
            if w[0].0 != w[1].0 {
                continue;
            }
            if card == Cardinality::OneToOne {
                return Err(Error::exec(EXPLICIT));
            }
            if w[0].1 == w[1].1 {
                return Err(Error::exec(UNIQUE));
            }
        }
        Ok(())
    }

    fn duplicate_error(&self, a: usize, b: usize) -> Error {
        let side = if self.swapped { "left" } else { "right" };
        let mut pair = [
            self.one[a].labels.to_string(),
            self.one[b].labels.to_string(),
        ];
        pair.sort();
        let group = match_labels_for_error(&self.one[a].labels, self.m);
        Error::exec(format!(
            "found duplicate series for the match group {group} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
            pair[0], pair[1]
        ))
    }

    /// Computes one result element and stores it.
    fn apply(
        &mut self,
        many: Side<'a>,
        one: Side<'a>,
        step: u32,
        matched: &mut Vec<(u32, u64)>,
    ) -> Result<()> {
        let value_of = |s: Side<'a>| match s {
            Side::Series(_, p) => p,
            Side::Fill(f) => PointRef::Float(f),
        };
        let (l, r) = if self.swapped {
            (value_of(one), value_of(many))
        } else {
            (value_of(many), value_of(one))
        };
        let res = elem_op(self.b.op, l, r, self.span);
        let labels = self.result_labels(many, one);
        matched.push((step, labels_hash(&labels)));
        if let Some(a) = res.annotation {
            self.ctx.annotate(a);
        }
        let ElemOutcome::Value { sample, keep } = res.outcome else {
            return Ok(());
        };
        let sample = if self.b.return_bool {
            Sample::Float(if keep { 1.0 } else { 0.0 })
        } else if keep {
            sample
        } else {
            return Ok(());
        };
        let idx = match self.outputs.get(&labels) {
            Some(&i) => i,
            None => {
                self.out
                    .push(Series::new(labels.clone(), self.b.return_bool));
                self.outputs.insert(labels, self.out.len() - 1);
                self.out.len() - 1
            }
        };
        self.out[idx].push(step, sample);
        Ok(())
    }

    fn result_labels(&mut self, many: Side<'a>, one: Side<'a>) -> Labels {
        let key = match (many, one) {
            (Side::Series(a, _), Side::Series(b, _)) => Some((a, b)),
            _ => None,
        };
        if let Some(k) = key
            && let Some(l) = self.label_cache.get(&k)
        {
            return l.clone();
        }
        let many_labels = match many {
            Side::Series(i, _) => self.many[i].labels.clone(),
            Side::Fill(_) => match one {
                Side::Series(o, _) => match_labels(&self.one[o].labels, self.m),
                Side::Fill(_) => Labels::empty(),
            },
        };
        let one_labels = match one {
            Side::Series(o, _) => self.one[o].labels.clone(),
            Side::Fill(_) => match_labels(&many_labels, self.m),
        };
        let l = result_metric(&many_labels, &one_labels, self.b, self.m);
        if let Some(k) = key {
            self.label_cache.insert(k, l.clone());
        }
        l
    }
}

fn match_labels_for_error(l: &Labels, m: &VectorMatching) -> Labels {
    match_labels(l, m)
}

fn labels_hash(l: &Labels) -> u64 {
    l.stable_hash()
}

/// The labels of a result element (upstream's `resultMetric`).
fn result_metric(many: &Labels, one: &Labels, b: &BinaryExpr, m: &VectorMatching) -> Labels {
    let base = if b.op.changes_schema() {
        drop_metric_labels(many)
    } else {
        many.clone()
    };
    let mut lb = base.builder();
    if m.card == Cardinality::OneToOne {
        if m.on {
            let keep: Vec<&str> = m.labels.iter().map(String::as_str).collect();
            lb.keep(&keep);
        } else {
            for n in &m.labels {
                lb.del(n.as_str());
            }
        }
    }
    for n in &m.include {
        match one.get(n) {
            Some(v) => {
                lb.set(n.as_str(), v);
            }
            None => {
                lb.del(n.as_str());
            }
        }
    }
    lb.build()
}
