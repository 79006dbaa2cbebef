//! Printing expressions back as PromQL, in upstream's canonical single-line form.

use std::fmt::{self, Display, Write};

use flint_model::names::{METRIC_NAME_LABEL, is_legacy_label_name, is_legacy_metric_name};
use flint_model::quote::go_quote;

use super::ast::*;
use super::literals::{format_duration, format_float};

impl Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => {
                if n.duration && n.value.is_finite() {
                    let ms = (n.value * 1000.0).round() as i64;
                    f.write_str(&format_duration(ms))
                } else {
                    f.write_str(&format_float(n.value))
                }
            }
            Expr::String(s) => f.write_str(&s.quoted()),
            Expr::Vector(vs) => {
                write_selector(f, vs)?;
                write_modifiers(f, vs.at, vs.offset.as_ref())?;
                write_extended(f, vs)
            }
            Expr::Matrix(ms) => {
                write_selector(f, &ms.selector)?;
                write!(f, "[{}]", ms.range)?;
                write_modifiers(f, ms.selector.at, ms.selector.offset.as_ref())?;
                write_extended(f, &ms.selector)
            }
            Expr::Subquery(sq) => {
                write!(f, "{}[{}:", sq.expr, sq.range)?;
                if let Some(step) = &sq.step {
                    write!(f, "{step}")?;
                }
                f.write_char(']')?;
                write_modifiers(f, sq.at, sq.offset.as_ref())
            }
            Expr::Paren(p) => write!(f, "({})", p.expr),
            Expr::Unary(u) => write!(f, "{}{}", if u.negate { "-" } else { "+" }, u.expr),
            Expr::Binary(b) => {
                write!(f, "{} {}", b.lhs, b.op)?;
                if b.return_bool {
                    f.write_str(" bool")?;
                }
                if let Some(m) = &b.matching {
                    write_matching(f, m)?;
                }
                write!(f, " {}", b.rhs)
            }
            Expr::Aggregate(a) => {
                f.write_str(a.op.as_str())?;
                if a.without {
                    write!(f, " without ({}) ", LabelList(&a.grouping))?;
                } else if !a.grouping.is_empty() {
                    write!(f, " by ({}) ", LabelList(&a.grouping))?;
                }
                f.write_char('(')?;
                if let Some(p) = &a.param {
                    write!(f, "{p}, ")?;
                }
                write!(f, "{})", a.expr)
            }
            Expr::Call(c) => {
                write!(f, "{}(", c.func.name)?;
                for (i, a) in c.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_char(')')
            }
        }
    }
}

/// Labels joined by `, `, quoted when they are not legacy names.
pub(super) fn write_label_list(f: &mut fmt::Formatter<'_>, labels: &[String]) -> fmt::Result {
    LabelList(labels).fmt(f)
}

/// Labels joined by `, `, quoted when they are not legacy names.
struct LabelList<'a>(&'a [String]);

impl Display for LabelList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_legacy_label_name(l) {
                f.write_str(l)?;
            } else {
                f.write_str(&go_quote(l))?;
            }
        }
        Ok(())
    }
}

pub(super) fn write_matching(f: &mut fmt::Formatter<'_>, m: &VectorMatching) -> fmt::Result {
    if !m.labels.is_empty() || m.on {
        let tag = if m.on { "on" } else { "ignoring" };
        write!(f, " {tag} ({})", LabelList(&m.labels))?;
        match m.card {
            Cardinality::ManyToOne => write!(f, " group_left ({})", LabelList(&m.include))?,
            Cardinality::OneToMany => write!(f, " group_right ({})", LabelList(&m.include))?,
            _ => {}
        }
    }
    match (m.fill_lhs, m.fill_rhs) {
        (Some(l), Some(r)) if l.to_bits() == r.to_bits() => {
            write!(f, " fill ({})", format_float(l))
        }
        (l, r) => {
            if let Some(l) = l {
                write!(f, " fill_left ({})", format_float(l))?;
            }
            if let Some(r) = r {
                write!(f, " fill_right ({})", format_float(r))?;
            }
            Ok(())
        }
    }
}

fn write_selector(f: &mut fmt::Formatter<'_>, vs: &VectorSelector) -> fmt::Result {
    let name = vs.name.as_deref().unwrap_or("");
    let mut parts: Vec<String> = vs
        .matchers
        .iter()
        .filter(|m| {
            !(m.name() == METRIC_NAME_LABEL
                && m.match_type() == flint_model::MatchType::Equal
                && m.value() == name
                && !name.is_empty())
        })
        .map(|m| m.to_string())
        .collect();
    parts.sort();
    let legacy = is_legacy_metric_name(name);
    if !name.is_empty() && !legacy {
        parts.insert(0, go_quote(name));
    }
    if !name.is_empty() && legacy {
        f.write_str(name)?;
    }
    if parts.is_empty() {
        return Ok(());
    }
    write!(f, "{{{}}}", parts.join(","))
}

fn write_modifiers(
    f: &mut fmt::Formatter<'_>,
    at: Option<AtModifier>,
    offset: Option<&DurationExpr>,
) -> fmt::Result {
    match at {
        Some(AtModifier::Timestamp(ms)) => write!(f, " @ {:.3}", ms as f64 / 1000.0)?,
        Some(AtModifier::Start) => f.write_str(" @ start()")?,
        Some(AtModifier::End) => f.write_str(" @ end()")?,
        None => {}
    }
    match offset {
        Some(DurationExpr::Literal(0)) | None => Ok(()),
        Some(o) => write!(f, " offset {o}"),
    }
}

fn write_extended(f: &mut fmt::Formatter<'_>, vs: &VectorSelector) -> fmt::Result {
    if vs.anchored {
        f.write_str(" anchored")?;
    }
    if vs.smoothed {
        f.write_str(" smoothed")?;
    }
    Ok(())
}

impl Display for DurationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationExpr::Literal(ms) => f.write_str(&format_duration(*ms)),
            DurationExpr::Number(s) => f.write_str(&format_float(*s)),
            DurationExpr::Unary { negate, expr } => {
                write!(f, "{}{expr}", if *negate { "-" } else { "+" })
            }
            DurationExpr::Binary { op, lhs, rhs } => write!(f, "{lhs} {op} {rhs}"),
            DurationExpr::Paren(e) => write!(f, "({e})"),
            DurationExpr::Step => f.write_str("step()"),
            DurationExpr::Range => f.write_str("range()"),
            DurationExpr::MinOf(a, b) => write!(f, "min_of({a}, {b})"),
            DurationExpr::MaxOf(a, b) => write!(f, "max_of({a}, {b})"),
        }
    }
}
