//! `sort`, `sort_desc`, `sort_by_label` and `sort_by_label_desc`.
//!
//! Order only matters for instant queries (range query results are ordered by labels), so
//! series are ordered by their value at the first step.

use std::cmp::Ordering;

use crate::annotations::msg;
use crate::error::Result;
use crate::eval::{Ctx, Grid, Series, Value};
use crate::parser::{Call, Expr};

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    if !matches!(
        name,
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc"
    ) {
        return Ok(None);
    }
    if grid.start != grid.end {
        ctx.annotate(msg::sort_ineffective(call.span));
    }
    let mut v = ctx.eval_vector(&call.args[0], grid)?;
    match name {
        "sort" | "sort_desc" => {
            for s in &mut v {
                s.hists.clear();
            }
            v.retain(|s| !s.floats.is_empty());
            let desc = name == "sort_desc";
            v.sort_by(|a, b| by_value(first(a), first(b), desc));
        }
        _ => {
            let labels: Vec<&str> = call.args[1..]
                .iter()
                .filter_map(|a| match a.unparen() {
                    Expr::String(s) => Some(s.value.as_str()),
                    _ => None,
                })
                .collect();
            let desc = name == "sort_by_label_desc";
            v.sort_by(|a, b| {
                let o = by_labels(a, b, &labels);
                if desc { o.reverse() } else { o }
            });
        }
    }
    Ok(Some(Value::Vector(v)))
}

fn first(s: &Series) -> f64 {
    s.floats.first().map_or(f64::NAN, |p| p.1)
}

/// Ascending (or descending) by value, NaN always last.
fn by_value(a: f64, b: f64, desc: bool) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if desc { o.reverse() } else { o }
        }
    }
}

fn by_labels(a: &Series, b: &Series, labels: &[&str]) -> Ordering {
    for l in labels {
        let (x, y) = (a.labels.get(l).unwrap_or(""), b.labels.get(l).unwrap_or(""));
        if x == y {
            continue;
        }
        return if natural_less(x, y) {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    a.labels.cmp(&b.labels)
}

/// Splits into runs of digits and non-digits.
fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    for i in 1..=b.len() {
        if i == b.len() || b[i].is_ascii_digit() != b[i - 1].is_ascii_digit() {
            if start < i {
                out.push(&s[start..i]);
            }
            start = i;
        }
    }
    out
}

/// Natural ordering as `facette/natsort.Compare`: numbers compare numerically.
pub(crate) fn natural_less(a: &str, b: &str) -> bool {
    let (ca, cb) = (chunks(a), chunks(b));
    for (i, x) in ca.iter().enumerate() {
        let Some(y) = cb.get(i) else { return false };
        match (x.parse::<i64>(), y.parse::<i64>()) {
            (Ok(xi), Ok(yi)) if xi != yi => return xi < yi,
            (Ok(_), Ok(_)) => {}
            _ if x != y => return x < y,
            _ => {}
        }
        if i == ca.len() - 1 {
            return true;
        }
        if i == cb.len() - 1 {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::natural_less;

    #[test]
    fn natural_order() {
        assert!(natural_less("a2", "a10"));
        assert!(!natural_less("a10", "a2"));
        assert!(natural_less("abc", "abd"));
        assert!(natural_less("1", "1.5"));
    }
}
