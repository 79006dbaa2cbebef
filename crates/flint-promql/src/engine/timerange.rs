//! The time range a query reads, to open one querier for all its selectors.

use crate::error::Result;
use crate::eval::EvalSettings as Ctx;
use crate::parser::{AtModifier, Expr, VectorSelector};

/// Offset, range and `@` accumulated from the subqueries above a node.
#[derive(Clone, Copy, Default)]
struct Path {
    offset: i64,
    range: i64,
    at: Option<i64>,
}

/// The earliest and latest sample time the query can read, or `(0, 0)` without selectors.
pub(crate) fn min_max_time(ctx: &Ctx, e: &Expr) -> Result<(i64, i64)> {
    let mut acc = (i64::MAX, i64::MIN);
    walk(ctx, e, Path::default(), 0, &mut acc)?;
    if acc.1 == i64::MIN {
        return Ok((0, 0));
    }
    Ok(acc)
}

fn at_of(ctx: &Ctx, a: Option<AtModifier>) -> Option<i64> {
    ctx.at_time(a)
}

fn walk(ctx: &Ctx, e: &Expr, path: Path, range: i64, acc: &mut (i64, i64)) -> Result<()> {
    match e {
        Expr::Vector(vs) => selector(ctx, vs, path, range, acc)?,
        Expr::Matrix(ms) => {
            let r = ctx.positive_duration(&ms.range)?;
            selector(ctx, &ms.selector, path, r, acc)?;
        }
        Expr::Subquery(sq) => {
            let offset = match &sq.offset {
                Some(o) => ctx.duration(o)?,
                None => 0,
            };
            let r = ctx.positive_duration(&sq.range)?;
            let p = match at_of(ctx, sq.at) {
                Some(t) => Path {
                    offset,
                    range: r,
                    at: Some(t),
                },
                None => Path {
                    offset: path.offset + offset,
                    range: path.range + r,
                    at: path.at,
                },
            };
            walk(ctx, &sq.expr, p, 0, acc)?;
        }
        Expr::Paren(p) => walk(ctx, &p.expr, path, range, acc)?,
        Expr::Unary(u) => walk(ctx, &u.expr, path, range, acc)?,
        Expr::Binary(b) => {
            walk(ctx, &b.lhs, path, range, acc)?;
            walk(ctx, &b.rhs, path, range, acc)?;
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(ctx, p, path, range, acc)?;
            }
            walk(ctx, &a.expr, path, range, acc)?;
        }
        Expr::Call(c) => {
            for a in &c.args {
                walk(ctx, a, path, range, acc)?;
            }
        }
        Expr::Number(_) | Expr::String(_) => {}
    }
    Ok(())
}

fn selector(
    ctx: &Ctx,
    vs: &VectorSelector,
    path: Path,
    range: i64,
    acc: &mut (i64, i64),
) -> Result<()> {
    let s = ctx;
    let lookback = s.lookback;
    let (mut start, mut end) = match path.at {
        Some(t) => (t, t),
        None => (s.query_start, s.query_end),
    };
    match at_of(ctx, vs.at) {
        Some(t) => {
            start = t;
            end = t;
        }
        None => {
            start -= path.offset + path.range;
            end -= path.offset;
        }
    }
    if range == 0 {
        start -= lookback - 1;
        if vs.smoothed {
            end += lookback;
        }
    } else if vs.anchored {
        start -= lookback + range - 1;
    } else if vs.smoothed {
        start -= lookback + range - 1;
        end += lookback;
    } else {
        start -= range - 1;
    }
    let offset = match &vs.offset {
        Some(o) => ctx.duration(o)?,
        None => 0,
    };
    acc.0 = acc.0.min(start - offset);
    acc.1 = acc.1.max(end - offset);
    Ok(())
}
