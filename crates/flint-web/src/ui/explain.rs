//! The parsed expression as a tree of nodes, each with its kind and its own source text,
//! flattened with depths so a template can indent it.

use flint_promql::parser::Expr;

/// One node of the tree.
pub struct Node {
    /// How deep it sits (0 for the root).
    pub depth: usize,
    /// What it is: `aggregation (sum)`, `binary operator (+)`, `function call (rate)`, ….
    pub kind: String,
    /// What it returns: `vector`, `scalar`, ….
    pub returns: String,
    /// Its text in the query.
    pub text: String,
}

fn kind(e: &Expr) -> String {
    match e {
        Expr::Number(_) => "number".into(),
        Expr::String(_) => "string".into(),
        Expr::Vector(_) => "vector selector".into(),
        Expr::Matrix(_) => "range selector".into(),
        Expr::Subquery(_) => "subquery".into(),
        Expr::Paren(_) => "parentheses".into(),
        Expr::Unary(_) => "unary minus".into(),
        Expr::Binary(b) => format!("binary operator ({})", b.op.as_str()),
        Expr::Aggregate(a) => format!("aggregation ({})", a.op.as_str()),
        Expr::Call(c) => format!("function call ({})", c.func.name),
    }
}

/// The nodes of `expr` (parsed from `query`), parents first.
pub fn tree(query: &str, expr: &Expr) -> Vec<Node> {
    fn go(query: &str, e: &Expr, depth: usize, out: &mut Vec<Node>) {
        let span = e.span();
        out.push(Node {
            depth,
            kind: kind(e),
            returns: e.value_type().api_name().to_string(),
            text: query
                .get(span.start..span.end)
                .map_or_else(|| e.to_string(), str::to_string),
        });
        for c in e.children() {
            go(query, c, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    go(query, expr, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_with_depth_and_text() {
        let q = "sum by (job) (rate(x[5m])) > 1";
        let e = flint_promql::parser::parse(q).unwrap();
        let t = tree(q, &e);
        let rows: Vec<(usize, &str, &str)> = t
            .iter()
            .map(|n| (n.depth, n.kind.as_str(), n.text.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (0, "binary operator (>)", q),
                (1, "aggregation (sum)", "sum by (job) (rate(x[5m]))"),
                (2, "function call (rate)", "rate(x[5m])"),
                (3, "range selector", "x[5m]"),
                (1, "number", "1"),
            ]
        );
        assert_eq!(t[0].returns, "vector");
    }
}
