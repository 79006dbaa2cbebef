//! The syntax tree as `/api/v1/parse_query` returns it (upstream's `translateAST`, which the
//! UI's tree view reads). Objects are written with sorted keys, as Go marshals maps.

use flint_promql::parser::{
    AtModifier, Cardinality, DurationExpr, Expr, ValueType, VectorSelector,
};
use serde_json::{Value, json};

/// The tree of `expr` as JSON.
pub fn translate(expr: &Expr) -> Value {
    match expr {
        Expr::Aggregate(a) => json!({
            "type": "aggregation",
            "op": a.op.as_str(),
            "expr": translate(&a.expr),
            "param": a.param.as_deref().map_or(Value::Null, translate),
            "grouping": a.grouping,
            "without": a.without,
        }),
        Expr::Binary(b) => {
            // Upstream keeps the matching only between two instant vectors.
            let vectors =
                b.lhs.value_type() == ValueType::Vector && b.rhs.value_type() == ValueType::Vector;
            let matching = b
                .matching
                .as_ref()
                .filter(|_| vectors)
                .map_or(Value::Null, |m| {
                    json!({
                        "card": card(m.card),
                        "labels": m.labels,
                        "on": m.on,
                        "include": m.include,
                    })
                });
            json!({
                "type": "binaryExpr",
                "op": b.op.as_str(),
                "lhs": translate(&b.lhs),
                "rhs": translate(&b.rhs),
                "matching": matching,
                "bool": b.return_bool,
            })
        }
        Expr::Call(c) => json!({
            "type": "call",
            "func": {
                "name": c.func.name,
                "argTypes": c.func.arg_types.iter().map(|t| t.api_name()).collect::<Vec<_>>(),
                "variadic": c.func.variadic,
                "returnType": c.func.return_type.api_name(),
            },
            "args": c.args.iter().map(translate).collect::<Vec<_>>(),
        }),
        Expr::Matrix(m) => {
            let mut v = selector(&m.selector, "matrixSelector");
            v["range"] = json!(millis(Some(&m.range)));
            v
        }
        Expr::Subquery(s) => json!({
            "type": "subquery",
            "expr": translate(&s.expr),
            "range": millis(Some(&s.range)),
            "offset": millis(s.offset.as_ref()),
            "step": millis(s.step.as_ref()),
            "timestamp": timestamp(s.at),
            "startOrEnd": start_or_end(s.at),
        }),
        Expr::Number(n) => json!({
            "type": "numberLiteral",
            "val": flint_promql::parser::format_float(n.value),
        }),
        Expr::Paren(p) => json!({"type": "parenExpr", "expr": translate(&p.expr)}),
        Expr::String(s) => json!({"type": "stringLiteral", "val": s.value}),
        Expr::Unary(u) => json!({
            "type": "unaryExpr",
            "op": if u.negate { "-" } else { "+" },
            "expr": translate(&u.expr),
        }),
        Expr::Vector(vs) => selector(vs, "vectorSelector"),
    }
}

fn selector(vs: &VectorSelector, kind: &str) -> Value {
    // Upstream appends the matcher of a metric name written before the braces last.
    let mut matchers: Vec<&flint_model::Matcher> = vs.matchers.iter().collect();
    if let Some(name) = &vs.name
        && let Some(i) = matchers.iter().position(|m| {
            m.name() == "__name__"
                && m.match_type() == flint_model::MatchType::Equal
                && m.value() == name
        })
    {
        let m = matchers.remove(i);
        matchers.push(m);
    }
    let matchers: Vec<Value> = matchers
        .iter()
        .map(|m| json!({"name": m.name(), "value": m.value(), "type": m.match_type().as_str()}))
        .collect();
    json!({
        "type": kind,
        "name": vs.name.as_deref().unwrap_or(""),
        "offset": millis(vs.offset.as_ref()),
        "matchers": matchers,
        "timestamp": timestamp(vs.at),
        "startOrEnd": start_or_end(vs.at),
    })
}

/// A literal duration in milliseconds; 0 for none or for arithmetic resolved at run time.
fn millis(d: Option<&DurationExpr>) -> i64 {
    d.and_then(DurationExpr::literal_ms).unwrap_or(0)
}

fn timestamp(at: Option<AtModifier>) -> Value {
    match at {
        Some(AtModifier::Timestamp(t)) => json!(t),
        _ => Value::Null,
    }
}

fn start_or_end(at: Option<AtModifier>) -> Value {
    match at {
        Some(AtModifier::Start) => json!("start"),
        Some(AtModifier::End) => json!("end"),
        _ => Value::Null,
    }
}

fn card(c: Cardinality) -> &'static str {
    match c {
        Cardinality::OneToOne => "one-to-one",
        Cardinality::ManyToOne => "many-to-one",
        Cardinality::OneToMany => "one-to-many",
        Cardinality::ManyToMany => "many-to-many",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(q: &str) -> String {
        let e = flint_promql::parser::parse(q).unwrap();
        let mut out = Vec::new();
        super::super::json::write_serde(&mut out, &translate(&e));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn trees() {
        assert_eq!(
            t(r#"up{job="a"}"#),
            r#"{"matchers":[{"name":"job","type":"=","value":"a"},{"name":"__name__","type":"=","value":"up"}],"name":"up","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}"#
        );
        assert_eq!(
            t("sum by (job) (rate(x[5m] offset 1m @ 10))"),
            r#"{"expr":{"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":60000,"range":300000,"startOrEnd":null,"timestamp":10000,"type":"matrixSelector"}],"func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},"grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false}"#
        );
        assert_eq!(
            t("a / on(x) group_left(y) b > bool 1"),
            r#"{"bool":true,"lhs":{"bool":false,"lhs":{"matchers":[{"name":"__name__","type":"=","value":"a"}],"name":"a","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":{"card":"many-to-one","include":["y"],"labels":["x"],"on":true},"op":"/","rhs":{"matchers":[{"name":"__name__","type":"=","value":"b"}],"name":"b","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"},"matching":null,"op":"\u003e","rhs":{"type":"numberLiteral","val":"1"},"type":"binaryExpr"}"#
        );
        assert_eq!(
            t(r#"(x[1h:] @ end())"#),
            r#"{"expr":{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"offset":0,"range":3600000,"startOrEnd":"end","step":0,"timestamp":null,"type":"subquery"},"type":"parenExpr"}"#
        );
        assert!(t(r#""s""#).contains(r#""type":"stringLiteral","val":"s""#));
    }
}
