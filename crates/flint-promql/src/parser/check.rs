//! Type checking after parsing, with upstream's messages (`checkAST`).

use super::ParseError;
use super::ast::*;

type CResult = Result<ValueType, ParseError>;

/// Checks the types of every node of `expr`.
pub(crate) fn check(query: &str, expr: &Expr) -> Result<(), ParseError> {
    Checker { query }.check(expr).map(|_| ())
}

struct Checker<'a> {
    query: &'a str,
}

impl Checker<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.query, span, msg)
    }

    fn check(&self, expr: &Expr) -> CResult {
        match expr {
            Expr::Number(_) => Ok(ValueType::Scalar),
            Expr::String(_) => Ok(ValueType::String),
            Expr::Vector(vs) => self.selector(vs).map(|_| ValueType::Vector),
            Expr::Matrix(ms) => self.selector(&ms.selector).map(|_| ValueType::Matrix),
            Expr::Paren(p) => self.check(&p.expr),
            Expr::Unary(u) => {
                let t = self.check(&u.expr)?;
                if t != ValueType::Scalar && t != ValueType::Vector {
                    return Err(self.err(
                        expr.span(),
                        format!(
                            "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                            go_q(t.documented())
                        ),
                    ));
                }
                Ok(t)
            }
            Expr::Subquery(sq) => {
                let t = self.check(&sq.expr)?;
                if t != ValueType::Vector {
                    return Err(self.err(
                        expr.span(),
                        format!("subquery is only allowed on instant vector, got {t}"),
                    ));
                }
                Ok(ValueType::Matrix)
            }
            Expr::Aggregate(a) => self.aggregate(a),
            Expr::Binary(b) => self.binary(expr, b),
            Expr::Call(c) => self.call(c),
        }
    }

    fn selector(&self, vs: &VectorSelector) -> Result<(), ParseError> {
        if vs.name.is_some() {
            return Ok(());
        }
        if vs.matchers.iter().all(|m| m.matches("")) {
            return Err(self.err(
                Span::new(vs.span.start, vs.end),
                "vector selector must contain at least one non-empty matcher",
            ));
        }
        Ok(())
    }

    fn aggregate(&self, a: &AggregateExpr) -> CResult {
        let t = self.check(&a.expr)?;
        if t != ValueType::Vector {
            return Err(self.err(
                a.expr.span(),
                format!("expected type instant vector in aggregation expression, got {t}"),
            ));
        }
        if let Some(p) = &a.param {
            let pt = self.check(p)?;
            let want = if a.op == AggregateOp::CountValues {
                ValueType::String
            } else {
                ValueType::Scalar
            };
            if pt != want {
                return Err(self.err(
                    p.span(),
                    format!("expected type {want} in aggregation parameter, got {pt}"),
                ));
            }
        }
        Ok(ValueType::Vector)
    }

    fn binary(&self, expr: &Expr, b: &BinaryExpr) -> CResult {
        let lt = self.check(&b.lhs)?;
        let rt = self.check(&b.rhs)?;
        let span = expr.span();
        let op_span = Span::new(b.lhs.span().end, b.rhs.span().start);
        if b.return_bool && !b.op.is_comparison() {
            return Err(self.err(
                op_span,
                "bool modifier can only be used on comparison operators",
            ));
        }
        if b.op.is_comparison()
            && !b.return_bool
            && lt == ValueType::Scalar
            && rt == ValueType::Scalar
        {
            return Err(self.err(
                op_span,
                "comparisons between scalars must use BOOL modifier",
            ));
        }
        if let Some(m) = &b.matching
            && m.on
            && let Some(l) = m.labels.iter().find(|l| m.include.contains(l))
        {
            return Err(self.err(
                op_span,
                format!(
                    "label {} must not occur in ON and GROUP clause at once",
                    go_q(l)
                ),
            ));
        }
        if lt != ValueType::Scalar && lt != ValueType::Vector {
            return Err(self.err(
                b.lhs.span(),
                "binary expression must contain only scalar and instant vector types",
            ));
        }
        if rt != ValueType::Scalar && rt != ValueType::Vector {
            return Err(self.err(
                b.rhs.span(),
                "binary expression must contain only scalar and instant vector types",
            ));
        }
        let both_vectors = lt == ValueType::Vector && rt == ValueType::Vector;
        if let Some(m) = &b.matching {
            if !both_vectors && !m.labels.is_empty() {
                return Err(self.err(span, "vector matching only allowed between instant vectors"));
            }
            if both_vectors
                && b.op.is_set()
                && matches!(m.card, Cardinality::ManyToOne | Cardinality::OneToMany)
            {
                return Err(self.err(
                    span,
                    format!("no grouping allowed for {} operation", go_q(b.op.as_str())),
                ));
            }
        }
        if (lt == ValueType::Scalar || rt == ValueType::Scalar) && b.op.is_set() {
            return Err(self.err(
                span,
                format!(
                    "set operator {} not allowed in binary scalar expression",
                    go_q(b.op.as_str())
                ),
            ));
        }
        if both_vectors {
            Ok(ValueType::Vector)
        } else if lt == ValueType::Scalar && rt == ValueType::Scalar {
            Ok(ValueType::Scalar)
        } else {
            Ok(ValueType::Vector)
        }
    }

    fn call(&self, c: &Call) -> CResult {
        let f = c.func;
        let n = c.args.len();
        let fixed = f.arg_types.len();
        let name = go_q(f.name);
        if f.variadic == 0 {
            if n != fixed {
                return Err(self.err(
                    c.span,
                    format!("expected {fixed} argument(s) in call to {name}, got {n}"),
                ));
            }
        } else {
            let min = fixed - 1;
            if n < min {
                return Err(self.err(
                    c.span,
                    format!("expected at least {min} argument(s) in call to {name}, got {n}"),
                ));
            }
            if f.variadic > 0 {
                let max = fixed - 1 + f.variadic as usize;
                if n > max {
                    return Err(self.err(
                        c.span,
                        format!("expected at most {max} argument(s) in call to {name}, got {n}"),
                    ));
                }
            }
        }
        for (i, arg) in c.args.iter().enumerate() {
            let want = f.arg_types[i.min(fixed - 1)];
            // The label selector of `info` may consist of matchers that match empty values.
            let got = match arg.unparen() {
                Expr::Vector(_) if f.name == "info" && i == 1 => ValueType::Vector,
                _ => self.check(arg)?,
            };
            if got != want {
                return Err(self.err(
                    arg.span(),
                    format!("expected type {want} in call to function {name}, got {got}"),
                ));
            }
        }
        if f.name == "info"
            && let Some(arg) = c.args.get(1)
            && !matches!(arg.unparen(), Expr::Vector(_))
        {
            return Err(self.err(
                arg.span(),
                "expected label selectors as the second argument to \"info\" function",
            ));
        }
        Ok(f.return_type)
    }
}

fn go_q(s: &str) -> String {
    flint_model::quote::go_quote(s)
}
