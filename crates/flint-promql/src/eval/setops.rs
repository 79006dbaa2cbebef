//! `and`, `or` and `unless`: per step, a series' point survives depending on whether the other
//! side has any point with the same signature at that step.

use std::collections::HashMap;

use super::binary_signature;
use super::cleanup::merge_same_labels;
use super::{Grid, Series};
use crate::error::Result;
use crate::parser::{BinaryOp, VectorMatching};

/// Steps (sorted) at which any series of each signature has a point.
fn presence(series: &[Series], m: &VectorMatching) -> HashMap<u64, Vec<u32>> {
    let mut out: HashMap<u64, Vec<u32>> = HashMap::new();
    for s in series {
        let p = out.entry(binary_signature(&s.labels, m)).or_default();
        p.extend(s.points().map(|(step, _)| step));
    }
    for p in out.values_mut() {
        p.sort_unstable();
        p.dedup();
    }
    out
}

fn has(p: Option<&Vec<u32>>, step: u32) -> bool {
    p.is_some_and(|p| p.binary_search(&step).is_ok())
}

/// Keeps the points of `s` at steps where `keep(step)` holds.
fn filter(mut s: Series, keep: impl Fn(u32) -> bool) -> Series {
    s.floats.retain(|p| keep(p.0));
    s.hists.retain(|p| keep(p.0));
    s
}

/// Evaluates a set operator.
pub(crate) fn eval(
    op: BinaryOp,
    m: &VectorMatching,
    lhs: Vec<Series>,
    rhs: Vec<Series>,
    grid: &Grid,
) -> Result<Vec<Series>> {
    let _ = grid;
    let mut out = Vec::with_capacity(lhs.len() + rhs.len());
    match op {
        BinaryOp::And | BinaryOp::Unless => {
            let other = presence(&rhs, m);
            let want = op == BinaryOp::And;
            for s in lhs {
                let p = other.get(&binary_signature(&s.labels, m));
                let s = filter(s, |step| has(p, step) == want);
                if !s.is_empty() {
                    out.push(s);
                }
            }
        }
        _ => {
            let left = presence(&lhs, m);
            out.extend(lhs.into_iter().filter(|s| !s.is_empty()));
            for s in rhs {
                let p = left.get(&binary_signature(&s.labels, m));
                let s = filter(s, |step| !has(p, step));
                if !s.is_empty() {
                    out.push(s);
                }
            }
            return merge_same_labels(out);
        }
    }
    Ok(out)
}
