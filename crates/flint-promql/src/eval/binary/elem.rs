//! One binary operation between two sample values (float or histogram).

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::annotations::{Annotation, msg};
use crate::eval::{PointRef, Sample};
use crate::histogram::{ArithError, Hist};
use crate::parser::{BinaryOp, Span};

/// What an operation on two elements produced.
pub(crate) enum ElemOutcome {
    /// A value, and whether a comparison holds (always true for arithmetic).
    Value { sample: Sample, keep: bool },
    /// The types do not combine; no result.
    Skip,
}

/// An outcome and a possible annotation.
pub(crate) struct ElemResult {
    pub(crate) outcome: ElemOutcome,
    pub(crate) annotation: Option<Annotation>,
}

fn value(sample: Sample, keep: bool) -> ElemResult {
    ElemResult {
        outcome: ElemOutcome::Value { sample, keep },
        annotation: None,
    }
}

fn incompatible(l: &str, op: BinaryOp, r: &str, span: Span) -> ElemResult {
    ElemResult {
        outcome: ElemOutcome::Skip,
        annotation: Some(msg::incompatible_types(l, op.as_str(), r, span)),
    }
}

/// `lhs op rhs` on scalars (comparisons give 1 or 0).
pub(crate) fn scalar_op(op: BinaryOp, l: f64, r: f64) -> f64 {
    let b = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div => l / r,
        BinaryOp::Pow => l.powf(r),
        BinaryOp::Mod => l % r,
        BinaryOp::Atan2 => l.atan2(r),
        BinaryOp::Eql => b(l == r),
        BinaryOp::Neq => b(l != r),
        BinaryOp::Gtr => b(l > r),
        BinaryOp::Lss => b(l < r),
        BinaryOp::Gte => b(l >= r),
        BinaryOp::Lte => b(l <= r),
        _ => f64::NAN,
    }
}

fn float_op(op: BinaryOp, l: f64, r: f64, span: Span) -> ElemResult {
    let f = |v: f64| value(Sample::Float(v), true);
    match op {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Pow
        | BinaryOp::Mod
        | BinaryOp::Atan2 => f(scalar_op(op, l, r)),
        BinaryOp::Eql => value(Sample::Float(l), l == r),
        BinaryOp::Neq => value(Sample::Float(l), l != r),
        BinaryOp::Gtr => value(Sample::Float(l), l > r),
        BinaryOp::Lss => value(Sample::Float(l), l < r),
        BinaryOp::Gte => value(Sample::Float(l), l >= r),
        BinaryOp::Lte => value(Sample::Float(l), l <= r),
        _ => incompatible("float", op, "float", span),
    }
}

fn hist_value(mut h: Hist) -> ElemResult {
    h.compact();
    value(Sample::Hist(Arc::new(h)), true)
}

/// `lhs op rhs` on two elements, following upstream's `vectorElemBinop`.
pub(crate) fn elem_op(op: BinaryOp, l: PointRef<'_>, r: PointRef<'_>, span: Span) -> ElemResult {
    match (l, r) {
        (PointRef::Float(a), PointRef::Float(b)) => float_op(op, a, b, span),
        (PointRef::Float(a), PointRef::Hist(h)) => match op {
            BinaryOp::Mul => {
                let mut h = (**h).clone();
                h.mul(a);
                hist_value(h)
            }
            _ => incompatible("float", op, "histogram", span),
        },
        (PointRef::Hist(h), PointRef::Float(b)) => match op {
            BinaryOp::Mul | BinaryOp::Div => {
                let mut h = (**h).clone();
                if op == BinaryOp::Mul {
                    h.mul(b);
                } else {
                    h.div(b);
                }
                hist_value(h)
            }
            BinaryOp::TrimUpper | BinaryOp::TrimLower => {
                let mut h = (**h).clone();
                h.trim(b, op == BinaryOp::TrimUpper);
                value(Sample::Hist(Arc::new(h)), true)
            }
            _ => incompatible("histogram", op, "float", span),
        },
        (PointRef::Hist(a), PointRef::Hist(b)) => match op {
            BinaryOp::Add | BinaryOp::Sub => hist_arith(op, a, b, span),
            BinaryOp::Eql => value(Sample::Hist(a.clone()), a.equals(b)),
            BinaryOp::Neq => value(Sample::Hist(a.clone()), !a.equals(b)),
            _ => incompatible("histogram", op, "histogram", span),
        },
    }
}

fn hist_arith(op: BinaryOp, a: &Hist, b: &Hist, span: Span) -> ElemResult {
    let mut h = a.clone();
    let res = if op == BinaryOp::Add {
        h.add(b)
    } else {
        h.sub(b)
    };
    let what = if op == BinaryOp::Add {
        "addition"
    } else {
        "subtraction"
    };
    match res {
        Err(ArithError::IncompatibleSchema) => ElemResult {
            outcome: ElemOutcome::Skip,
            annotation: Some(msg::incompatible_bucket_layout(op.as_str(), span)),
        },
        Ok(outcome) => {
            if op == BinaryOp::Sub {
                h.hint = CounterResetHint::Gauge;
            }
            if outcome.counter_reset_collision {
                return ElemResult {
                    outcome: ElemOutcome::Skip,
                    annotation: Some(msg::counter_reset_collision(what, span)),
                };
            }
            let mut r = hist_value(h);
            if outcome.nhcb_reconciled {
                r.annotation = Some(msg::mismatched_custom_buckets(what, span));
            }
            r
        }
    }
}
