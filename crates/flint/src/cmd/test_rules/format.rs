//! promtool's unit-test file format (`docs/configuration/unit_testing_rules.md`), read
//! strictly as promtool reads it.

use std::collections::BTreeMap;

use flint_config::Duration;
use serde::Deserialize;

/// The whole test file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestFile {
    /// Rule files (globs), relative to the test file.
    pub rule_files: Vec<String>,
    /// How often rules are evaluated (1m).
    pub evaluation_interval: Option<Duration>,
    /// Groups evaluated first, in this order.
    pub group_eval_order: Vec<String>,
    /// Compare floats ignoring the last bit of the mantissa.
    pub fuzzy_compare: bool,
    /// The test groups.
    pub tests: Vec<TestGroup>,
}

/// One test group: input series and the tests against them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestGroup {
    /// Step of the input series (the evaluation interval by default).
    pub interval: Option<Duration>,
    /// Input series.
    pub input_series: Vec<InputSeries>,
    /// Alert tests.
    pub alert_rule_test: Vec<AlertTest>,
    /// Expression tests.
    pub promql_expr_test: Vec<ExprTest>,
    /// External labels for templates.
    pub external_labels: BTreeMap<String, String>,
    /// External URL for templates.
    pub external_url: String,
    /// The group's name (`--run` matches it).
    pub name: String,
    /// Base time of samples and evaluations: Unix seconds or RFC 3339.
    pub start_timestamp: Option<String>,
}

/// An input series.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputSeries {
    /// `name{labels}`.
    pub series: String,
    /// Values in the expanding notation.
    pub values: String,
}

/// Alerts expected at a time.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertTest {
    /// Time since the start.
    pub eval_time: Duration,
    /// The alert name.
    pub alertname: String,
    /// The firing alerts expected.
    pub exp_alerts: Vec<ExpAlert>,
}

/// One expected alert.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpAlert {
    /// Labels (`alertname` is implied).
    pub exp_labels: BTreeMap<String, String>,
    /// Annotations.
    pub exp_annotations: BTreeMap<String, String>,
}

/// An expression and its expected result.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExprTest {
    /// The expression.
    pub expr: String,
    /// Time since the start.
    pub eval_time: Duration,
    /// Expected samples.
    pub exp_samples: Vec<ExpSample>,
}

/// One expected sample.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpSample {
    /// Labels in series notation.
    pub labels: String,
    /// The float value.
    pub value: f64,
    /// A native histogram in the test notation, instead of `value`.
    pub histogram: String,
}

/// Parses the test file; errors read as go-yaml's strict mode words them.
pub fn parse(text: &str) -> Result<TestFile, String> {
    let mut o = serde_saphyr::options::Options::default();
    o.with_snippet = false;
    serde_saphyr::from_str_with_options::<Option<TestFile>>(text, o)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let line = e.location().map_or(0, |l| l.line());
            let msg = e.to_string();
            let msg = strip_position(&msg);
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            format!("yaml: unmarshal errors:\n  line {line}: {}", reword(&msg))
        })
}

/// The message without serde-saphyr's `error: line L column C: ` prefix.
fn strip_position(msg: &str) -> String {
    let rest = msg.strip_prefix("error: ").unwrap_or(msg);
    match rest.split_once(": ") {
        Some((pos, m)) if pos.starts_with("line ") && pos.contains(" column ") => m.to_string(),
        _ => rest.to_string(),
    }
}

/// serde's unknown-field message in go-yaml's words, naming promtool's Go types.
fn reword(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("unknown field `") else {
        return msg.to_string();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return msg.to_string();
    };
    let ty = [
        ("rule_files", "main.unitTestFile"),
        ("input_series", "main.testGroup"),
        ("exp_samples", "main.promqlTestCase"),
        ("exp_alerts", "main.alertTestCase"),
        ("exp_labels", "main.alert"),
        ("series", "main.series"),
        ("histogram", "main.sample"),
    ]
    .iter()
    .find(|(f, _)| {
        expected
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == *f)
    })
    .map_or("main.unknown", |(_, t)| t);
    format!("field {field} not found in type {ty}")
}

/// `start_timestamp` in milliseconds: Unix seconds (fractions allowed) or RFC 3339.
pub fn start_ms(s: &str) -> Result<i64, String> {
    if let Ok(secs) = s.parse::<f64>() {
        return Ok((secs * 1000.0).round() as i64);
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|e| format!("invalid start_timestamp {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_and_lenient_parts() {
        let f = parse("tests:\n- input_series:\n  - {series: up, values: 1 2}\n  promql_expr_test:\n  - {expr: up, eval_time: 0, exp_samples: [{labels: up, value: 1}]}\n").unwrap_or_default();
        assert_eq!(f.tests[0].input_series[0].values, "1 2");
        assert!(f.tests[0].promql_expr_test[0].eval_time.is_zero());
        let e = parse("fuzzy: true\n").err().unwrap_or_default();
        assert_eq!(
            e,
            "yaml: unmarshal errors:\n  line 1: field fuzzy not found in type main.unitTestFile"
        );
        let e = parse("tests:\n- promql_expr_test:\n  - exp_samples:\n    - {value: 1, hist: x}\n")
            .err()
            .unwrap_or_default();
        assert!(
            e.ends_with("field hist not found in type main.sample"),
            "{e}"
        );
        assert!(parse("").is_ok());
    }

    #[test]
    fn start_timestamps() {
        assert_eq!(start_ms("1609459200"), Ok(1_609_459_200_000));
        assert_eq!(start_ms("2024-01-01T00:00:00Z"), Ok(1_704_067_200_000));
        assert!(start_ms("yesterday").is_err());
    }
}
