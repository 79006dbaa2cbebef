//! Binary operators: scalar/scalar, vector/scalar and vector/vector with vector matching.

mod elem;
mod matching;

use super::{Ctx, Grid, Sample, Series, Value, setops};
use crate::error::Result;
use crate::parser::{BinaryExpr, Expr};

pub(crate) use elem::{ElemOutcome, elem_op, scalar_op};
pub(crate) use matching::signature;

/// Evaluates `b` (the node `e`) over the grid.
pub(crate) fn eval(ctx: &Ctx<'_>, e: &Expr, b: &BinaryExpr, grid: &Grid) -> Result<Value> {
    let lhs = ctx.eval(&b.lhs, grid)?;
    let rhs = ctx.eval(&b.rhs, grid)?;
    let span = e.span();
    match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => Ok(Value::Scalar(
            l.iter()
                .zip(&r)
                .map(|(a, b2)| scalar_op(b.op, *a, *b2))
                .collect(),
        )),
        (Value::Vector(l), Value::Scalar(r)) => {
            vector_scalar(ctx, b, l, &r, false, span).map(Value::Vector)
        }
        (Value::Scalar(l), Value::Vector(r)) => {
            vector_scalar(ctx, b, r, &l, true, span).map(Value::Vector)
        }
        (Value::Vector(l), Value::Vector(r)) => {
            let default = crate::parser::VectorMatching::default();
            let m = b.matching.as_ref().unwrap_or(&default);
            let out = if b.op.is_set() {
                setops::eval(b.op, m, l, r, grid)?
            } else {
                matching::eval(ctx, b, m, l, r, grid, span)?
            };
            for s in &out {
                ctx.samples.add(s.sample_count())?;
            }
            Ok(Value::Vector(out))
        }
        _ => Ok(Value::Vector(Vec::new())),
    }
}

/// `vector op scalar` (or `scalar op vector` with `swap`).
fn vector_scalar(
    ctx: &Ctx<'_>,
    b: &BinaryExpr,
    vec: Vec<Series>,
    scalar: &[f64],
    swap: bool,
    span: crate::parser::Span,
) -> Result<Vec<Series>> {
    let op = b.op;
    let mut out = Vec::with_capacity(vec.len());
    for s in vec {
        let mut o = Series::new(s.labels.clone(), s.drop_name);
        if op.changes_schema() || b.return_bool {
            o.drop_name = true;
        }
        for (step, p) in s.points() {
            let k = super::PointRef::Float(scalar[step as usize]);
            let (l, r) = if swap { (k, p) } else { (p, k) };
            let res = elem_op(op, l, r, span);
            if let Some(a) = res.annotation {
                let skip = matches!(res.outcome, ElemOutcome::Skip);
                ctx.annotate(a);
                if skip {
                    continue;
                }
            }
            let ElemOutcome::Value { sample, keep } = res.outcome else {
                continue;
            };
            // A comparison keeps the vector's element, whichever side it is on.
            let sample = if op.is_comparison() {
                p.to_owned()
            } else {
                sample
            };
            if b.return_bool {
                o.push(step, Sample::Float(if keep { 1.0 } else { 0.0 }));
            } else if keep {
                o.push(step, sample);
            }
        }
        if !o.is_empty() {
            ctx.samples.add(o.sample_count())?;
            out.push(o);
        }
    }
    Ok(out)
}
