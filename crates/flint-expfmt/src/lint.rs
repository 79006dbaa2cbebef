//! A linter for metric families, with the rules and wording of `promtool check metrics`.
//!
//! Problems are advice (naming conventions, missing help, non-base units); they never make an
//! exposition invalid. [`lint`] returns them sorted by metric name, then text, as promtool does.

use std::fmt;

use flint_model::MetricType;

use crate::family::MetricFamily;

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The family the finding is about.
    pub metric: String,
    /// What is wrong, in promtool's words.
    pub text: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.metric, self.text)
    }
}

/// Units recognised in names, each mapped to its base unit.
const UNITS: &[(&str, &str)] = &[
    ("amperes", "amperes"),
    ("bytes", "bytes"),
    ("celsius", "celsius"),
    ("grams", "grams"),
    ("joules", "joules"),
    ("kelvin", "kelvin"),
    ("meters", "meters"),
    ("metres", "metres"),
    ("seconds", "seconds"),
    ("volts", "volts"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("kelvins", "kelvin"),
    ("fahrenheit", "celsius"),
    ("rankine", "celsius"),
    ("inches", "meters"),
    ("yards", "meters"),
    ("miles", "meters"),
    ("bits", "bytes"),
    ("calories", "joules"),
    ("pounds", "grams"),
    ("ounces", "grams"),
];

const UNIT_PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega",
    "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
];

const UNIT_ABBREVIATIONS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];

/// Type names that should not appear as a word of a metric name.
const TYPE_WORDS: &[&str] = &["counter", "gauge", "summary", "histogram", "gaugehistogram"];

/// Lints `families`, returning problems sorted by metric name and text.
pub fn lint(families: &[MetricFamily]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for family in families {
        let mut push = |text: String| {
            problems.push(Problem {
                metric: family.name.clone(),
                text,
            })
        };
        lint_family(family, &mut push);
    }
    problems.sort();
    problems
}

fn lint_family(family: &MetricFamily, push: &mut dyn FnMut(String)) {
    let name = family.name.as_str();
    if family.help.is_empty() {
        push("no help text".to_owned());
    }
    if let Some((unit, base)) = find_unit(name)
        && unit != base
    {
        push(format!("use base unit \"{base}\" instead of \"{unit}\""));
    }
    lint_counter(family, push);
    lint_reserved_suffixes(family, push);
    let lower = name.to_ascii_lowercase();
    for word in TYPE_WORDS {
        if has_word(&lower, word) {
            push(format!("metric name should not include type '{word}'"));
        }
    }
    if name.contains(':') {
        push("metric names should not contain ':'".to_owned());
    }
    if is_camel_case(name) {
        push("metric names should be written in 'snake_case' not 'camelCase'".to_owned());
    }
    for (label, _) in family.metrics.iter().flat_map(|m| &m.labels) {
        if is_camel_case(label) {
            push("label names should be written in 'snake_case' not 'camelCase'".to_owned());
        }
    }
    for abbreviation in UNIT_ABBREVIATIONS {
        if has_word(&lower, abbreviation) {
            push("metric names should not contain abbreviated units".to_owned());
        }
    }
}

fn lint_counter(family: &MetricFamily, push: &mut dyn FnMut(String)) {
    let has_total = family.name.ends_with("_total");
    match family.metric_type {
        MetricType::Counter if !has_total => {
            push("counter metrics should have \"_total\" suffix".to_owned())
        }
        MetricType::Counter | MetricType::Unknown => {}
        _ if has_total => push("non-counter metrics should not have \"_total\" suffix".to_owned()),
        _ => {}
    }
}

fn lint_reserved_suffixes(family: &MetricFamily, push: &mut dyn FnMut(String)) {
    let t = family.metric_type;
    if t == MetricType::Unknown {
        return;
    }
    let is_histogram = matches!(t, MetricType::Histogram | MetricType::GaugeHistogram);
    let is_summary = t == MetricType::Summary;
    let name = family.name.as_str();
    if !is_histogram && name.ends_with("_bucket") {
        push("non-histogram metrics should not have \"_bucket\" suffix".to_owned());
    }
    for suffix in ["_count", "_sum"] {
        if !is_histogram && !is_summary && name.ends_with(suffix) {
            push(format!(
                "non-histogram and non-summary metrics should not have \"{suffix}\" suffix"
            ));
        }
    }
    for (label, _) in family.metrics.iter().flat_map(|m| &m.labels) {
        if !is_histogram && label == "le" {
            push("non-histogram metrics should not have \"le\" label".to_owned());
        }
        if !is_summary && label == "quantile" {
            push("non-summary metrics should not have \"quantile\" label".to_owned());
        }
    }
}

/// The first unit word in `name` (with an optional SI/IEC prefix) and its base unit.
fn find_unit(name: &str) -> Option<(&str, &'static str)> {
    name.split('_').find_map(|word| {
        let base_of = |unit: &str| UNITS.iter().find(|(u, _)| *u == unit).map(|(_, b)| *b);
        if let Some(base) = base_of(word) {
            return Some((word, base));
        }
        UNIT_PREFIXES
            .iter()
            .filter_map(|p| word.strip_prefix(p))
            .find_map(base_of)
            .map(|base| (word, base))
    })
}

/// Whether `word` appears as `_word_` inside or `_word` at the end of `name`.
fn has_word(name: &str, word: &str) -> bool {
    name.split('_').skip(1).any(|w| w == word)
}

/// Whether a lowercase letter is directly followed by an uppercase one.
fn is_camel_case(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{Metric, MetricValue};

    fn family(name: &str, t: MetricType, help: &str, labels: &[&str]) -> MetricFamily {
        MetricFamily {
            name: name.to_owned(),
            help: help.to_owned(),
            metric_type: t,
            unit: String::new(),
            metrics: vec![Metric {
                labels: labels
                    .iter()
                    .map(|l| ((*l).to_owned(), "x".to_owned()))
                    .collect(),
                timestamp_ms: None,
                value: MetricValue::Gauge(1.0),
            }],
        }
    }

    fn texts(f: MetricFamily) -> Vec<String> {
        lint(&[f]).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn clean_names_pass() {
        let f = family("http_requests_total", MetricType::Counter, "h", &["code"]);
        assert!(texts(f).is_empty());
        let f = family("process_resident_memory_bytes", MetricType::Gauge, "h", &[]);
        assert!(texts(f).is_empty());
    }

    #[test]
    fn counter_suffix_and_help() {
        let f = family("http_requests", MetricType::Counter, "", &[]);
        assert_eq!(
            texts(f),
            vec![
                "counter metrics should have \"_total\" suffix",
                "no help text"
            ]
        );
        let f = family("queue_total", MetricType::Gauge, "h", &[]);
        assert_eq!(
            texts(f),
            vec!["non-counter metrics should not have \"_total\" suffix"]
        );
    }

    #[test]
    fn units() {
        let f = family("request_duration_milliseconds", MetricType::Gauge, "h", &[]);
        assert_eq!(
            texts(f),
            vec!["use base unit \"seconds\" instead of \"milliseconds\""]
        );
        // A word that merely ends in a unit is not a unit.
        let f = family("thermometers_count_value", MetricType::Gauge, "h", &[]);
        assert!(!texts(f).iter().any(|t| t.contains("base unit")));
        let f = family("latency_ms", MetricType::Gauge, "h", &[]);
        assert_eq!(
            texts(f),
            vec!["metric names should not contain abbreviated units"]
        );
    }

    #[test]
    fn reserved_names_labels_and_case() {
        let f = family(
            "fooBar_bucket",
            MetricType::Gauge,
            "h",
            &["le", "someLabel"],
        );
        assert_eq!(
            texts(f),
            vec![
                "label names should be written in 'snake_case' not 'camelCase'",
                "metric names should be written in 'snake_case' not 'camelCase'",
                "non-histogram metrics should not have \"_bucket\" suffix",
                "non-histogram metrics should not have \"le\" label",
            ]
        );
        let f = family("job:up:sum", MetricType::Gauge, "h", &[]);
        assert_eq!(texts(f), vec!["metric names should not contain ':'"]);
        let f = family("my_gauge_value", MetricType::Gauge, "h", &[]);
        assert_eq!(
            texts(f),
            vec!["metric name should not include type 'gauge'"]
        );
    }
}
