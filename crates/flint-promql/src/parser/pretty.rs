//! Multi-line formatting of long expressions, as upstream's `Prettify` (what
//! `/api/v1/format_query` returns): a node whose one-line form is longer than 100
//! characters is split, its children indented by two spaces per level.

use std::fmt::{self, Display};

use super::ast::*;

const MAX_LINE: usize = 100;

impl Expr {
    /// The expression formatted for reading: one line if it fits in 100 characters, else
    /// split at aggregations, binary operators, calls and parentheses.
    pub fn pretty(&self) -> String {
        pretty(self, 0)
    }
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

fn pretty(e: &Expr, level: usize) -> String {
    let one_line = e.to_string();
    let fits = one_line.len() <= MAX_LINE;
    match e {
        Expr::Aggregate(a) if !fits => {
            let mut s = indent(level);
            s.push_str(a.op.as_str());
            if a.without {
                s.push_str(&format!(" without ({}) ", Labels(&a.grouping)));
            } else if !a.grouping.is_empty() {
                s.push_str(&format!(" by ({}) ", Labels(&a.grouping)));
            }
            s.push_str("(\n");
            if let Some(p) = &a.param {
                s.push_str(&pretty(p, level + 1));
                s.push_str(",\n");
            }
            s.push_str(&pretty(&a.expr, level + 1));
            s.push('\n');
            s.push_str(&indent(level));
            s.push(')');
            s
        }
        Expr::Binary(b) if !fits => {
            let mut op = b.op.to_string();
            if b.return_bool {
                op.push_str(" bool");
            }
            if let Some(m) = &b.matching {
                op.push_str(&Matching(m).to_string());
            }
            format!(
                "{}\n{}{op}\n{}",
                pretty(&b.lhs, level + 1),
                indent(level),
                pretty(&b.rhs, level + 1)
            )
        }
        Expr::Call(c) if !fits => {
            let args: Vec<String> = c.args.iter().map(|a| pretty(a, level + 1)).collect();
            format!(
                "{}{}(\n{}\n{})",
                indent(level),
                c.func.name,
                args.join(",\n"),
                indent(level)
            )
        }
        Expr::Paren(p) if !fits => format!(
            "{}(\n{}\n{})",
            indent(level),
            pretty(&p.expr, level + 1),
            indent(level)
        ),
        Expr::Subquery(sq) => {
            if fits {
                return one_line;
            }
            // The `[range:step]` and modifiers follow the inner expression.
            let inner = sq.expr.to_string();
            let suffix = one_line.get(inner.len()..).unwrap_or("");
            format!("{}{suffix}", pretty(&sq.expr, level))
        }
        Expr::Unary(u) => {
            let child = pretty(&u.expr, level);
            format!(
                "{}{}{}",
                indent(level),
                if u.negate { "-" } else { "+" },
                child.trim()
            )
        }
        _ => format!("{}{one_line}", indent(level)),
    }
}

/// Grouping labels as the one-line printer writes them.
struct Labels<'a>(&'a [String]);

impl Display for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::printer::write_label_list(f, self.0)
    }
}

/// The ` on (…) group_left (…) fill (…)` part of a binary operator.
struct Matching<'a>(&'a VectorMatching);

impl Display for Matching<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::printer::write_matching(f, self.0)
    }
}

#[cfg(test)]
mod tests {
    use crate::parser::parse;

    #[test]
    fn short_expressions_stay_on_one_line() {
        let e =
            parse("sum by (job) (rate(http_requests_total[5m]))").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.pretty(), "sum by (job) (rate(http_requests_total[5m]))");
    }

    #[test]
    fn long_expressions_are_split() {
        let q = r#"sum by (job, instance) (rate(http_requests_total{job="api-server", handler="/api/v1/query"}[5m])) / on (job) group_left () sum by (job) (up)"#;
        let e = parse(q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e.pretty(),
            "  sum by (job, instance) (rate(http_requests_total{handler=\"/api/v1/query\",job=\"api-server\"}[5m]))\n\
             / on (job) group_left ()\n\
             \x20 sum by (job) (up)"
        );
    }

    #[test]
    fn calls_subqueries_and_unary() {
        let q = "-histogram_quantile(0.99, sum by (le) (rate(very_long_metric_name_for_the_request_duration_seconds_bucket[5m])))";
        let e = parse(q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e.pretty(),
            "-histogram_quantile(\n  0.99,\n  sum by (le) (rate(very_long_metric_name_for_the_request_duration_seconds_bucket[5m]))\n)"
        );
        let q = "max_over_time(histogram_quantile(0.99, sum by (le) (rate(very_long_metric_name_for_the_request_duration_seconds_bucket[5m])))[1h:1m])";
        let e = parse(q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e.pretty(),
            "max_over_time(\n  histogram_quantile(\n    0.99,\n    sum by (le) (rate(very_long_metric_name_for_the_request_duration_seconds_bucket[5m]))\n  )[1h:1m]\n)"
        );
    }
}
