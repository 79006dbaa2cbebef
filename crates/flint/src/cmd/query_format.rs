//! `flint query` output: promtool's text forms (client_golang's `model` values printed) and
//! JSON.

use flint_model::quote::go_quote;
use serde_json::Value;

use super::query::QueryCommand;

/// The result as `-o json` prints it (Go's escaping).
pub fn json(data: &Value) -> String {
    let v = match data.get("result") {
        Some(r) => r,
        None => data,
    };
    let mut out = Vec::new();
    flint_web::query_api::json::write_serde(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// The result as `-o promql` prints it.
pub fn promql(cmd: &QueryCommand, data: &Value) -> String {
    match cmd {
        QueryCommand::Series { .. } => list(data).map(label_set).collect::<Vec<_>>().join("\n"),
        QueryCommand::Labels { .. } => list(data)
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => value(data),
    }
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn value(data: &Value) -> String {
    let r = &data["result"];
    match data["resultType"].as_str().unwrap_or_default() {
        "scalar" => format!("scalar: {} @[{}]", num(&r[1]), time(&r[0])),
        "string" => r[1].as_str().unwrap_or_default().to_owned(),
        "vector" => list(r)
            .map(|s| {
                let v = match s.get("histogram") {
                    Some(h) => format!("{} @[{}]", histogram(&h[1]), time(&h[0])),
                    None => format!("{} @[{}]", num(&s["value"][1]), time(&s["value"][0])),
                };
                format!("{} => {v}", metric(&s["metric"]))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "matrix" => list(r)
            .map(|s| {
                let mut lines = vec![format!("{} =>", metric(&s["metric"]))];
                lines.extend(
                    list(&s["values"]).map(|p| format!("{} @[{}]", num(&p[1]), time(&p[0]))),
                );
                lines.extend(
                    list(&s["histograms"])
                        .map(|p| format!("{} @[{}]", histogram(&p[1]), time(&p[0]))),
                );
                lines.join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A sample value: the API's string as Go's `FormatFloat(v, 'f', -1)` writes it.
fn num(v: &Value) -> String {
    let s = v.as_str().unwrap_or_default();
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => flint_promql::parser::format_float(f),
        _ => s.to_owned(),
    }
}

/// A timestamp in seconds, shortest form (`1435781451.781`).
fn time(v: &Value) -> String {
    v.as_f64().map_or_else(String::new, |f| format!("{f}"))
}

/// `name{a="x", b="y"}` as client_golang prints a metric.
fn metric(m: &Value) -> String {
    let Some(o) = m.as_object() else {
        return "{}".into();
    };
    let name = o.get("__name__").and_then(Value::as_str);
    let mut pairs: Vec<String> = o
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}={}", go_quote(v.as_str().unwrap_or_default())))
        .collect();
    pairs.sort();
    match (name, pairs.is_empty()) {
        (Some(n), true) => n.to_owned(),
        (None, true) => "{}".into(),
        (n, false) => format!("{}{{{}}}", n.unwrap_or_default(), pairs.join(", ")),
    }
}

/// `{a="x", b="y"}` as client_golang prints a label set (all labels, sorted).
fn label_set(m: &Value) -> String {
    let mut keys: Vec<(&String, &Value)> = m.as_object().into_iter().flatten().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let pairs: Vec<String> = keys
        .iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v.as_str().unwrap_or_default())))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// A native histogram: `{count:12.5, sum:42.1, (0.7,1]:5, …}`.
fn histogram(h: &Value) -> String {
    let mut parts = vec![
        format!("count:{}", num(&h["count"])),
        format!("sum:{}", num(&h["sum"])),
    ];
    for b in list(&h["buckets"]) {
        let rule = b[0].as_u64().unwrap_or(0);
        let (l, r) = match rule {
            0 => ("(", "]"),
            1 => ("[", ")"),
            2 => ("(", ")"),
            _ => ("[", "]"),
        };
        parts.push(format!(
            "{l}{},{}{r}:{}",
            num(&b[1]),
            num(&b[2]),
            num(&b[3])
        ));
    }
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant() -> QueryCommand {
        QueryCommand::Instant {
            server: String::new(),
            expr: String::new(),
            time: None,
        }
    }

    #[test]
    fn prints_like_promtool() {
        let v: Value = serde_json::from_str(
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"db<&>","instance":"h:1"},"value":[1796229900.5,"1.5e+22"]},{"metric":{"__name__":"x"},"value":[1,"NaN"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            promql(&instant(), &v),
            "up{instance=\"h:1\", job=\"db<&>\"} => 15000000000000000000000 @[1796229900.5]\nx => NaN @[1]"
        );
        let m: Value = serde_json::from_str(
            r#"{"resultType":"matrix","result":[{"metric":{"k":"v"},"values":[[1,"1"],[2,"-0"]]}]}"#,
        )
        .unwrap();
        assert_eq!(promql(&instant(), &m), "{k=\"v\"} =>\n1 @[1]\n-0 @[2]");
        let s: Value =
            serde_json::from_str(r#"{"resultType":"scalar","result":[5,"NaN"]}"#).unwrap();
        assert_eq!(promql(&instant(), &s), "scalar: NaN @[5]");
        let series = QueryCommand::Series {
            server: String::new(),
            matches: vec![],
            start: None,
            end: None,
        };
        let d: Value = serde_json::from_str(r#"[{"__name__":"up","job":"a"}]"#).unwrap();
        assert_eq!(promql(&series, &d), "{__name__=\"up\", job=\"a\"}");
        assert!(json(&v).starts_with(
            r#"[{"metric":{"__name__":"up","instance":"h:1","job":"db\u003c\u0026\u003e"}"#
        ));
    }
}
