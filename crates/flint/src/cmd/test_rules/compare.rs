//! Comparing and printing results as promtool does: Go's `%E` floats, label sets,
//! histograms in the test notation, Go durations, indented alert lists.

use std::fmt::Write;

use flint_model::{CounterResetHint, Labels};
use flint_promql::histogram::Hist;

/// A sample of an expression test: labels and a float or a histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSample {
    /// The labels.
    pub labels: Labels,
    /// The float value (0 for histograms).
    pub value: f64,
    /// The histogram, if the sample is one.
    pub histogram: Option<Hist>,
}

impl TestSample {
    /// Whether `got` matches this expected sample.
    pub fn matches(&self, got: &TestSample, fuzzy: bool) -> bool {
        if self.labels != got.labels {
            return false;
        }
        match (&self.histogram, &got.histogram) {
            (None, None) => floats_equal(self.value, got.value, fuzzy),
            (Some(e), Some(g)) => {
                e.hint == g.hint && e.clone().compact().equals(g.clone().compact())
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for TestSample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.histogram {
            Some(h) => write!(f, "{} {}", self.labels, histogram_expression(h)),
            None => write!(f, "{} {}", self.labels, go_e(self.value)),
        }
    }
}

/// Exact equality, or within one unit in the last place when `fuzzy`.
pub fn floats_equal(a: f64, b: f64, fuzzy: bool) -> bool {
    if a == b {
        return true;
    }
    if !fuzzy || a.is_nan() || b.is_nan() || a.signum() != b.signum() {
        return false;
    }
    a.to_bits().abs_diff(b.to_bits()) <= 1
}

/// `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `3.5E+02`, `-1.25E-07`.
pub fn go_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exp.abs())
}

/// Go's `%g`-like shortest float for the histogram notation.
fn short(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The buckets as the notation writes them: the offset of the first and the counts of a
/// contiguous run (gaps as zeros).
fn buckets(b: &[(i32, f64)]) -> Option<(i32, String)> {
    let first = b.first()?.0;
    let last = b.last()?.0;
    let mut counts = vec![0.0; (last - first + 1) as usize];
    for (i, c) in b {
        counts[(i - first) as usize] = *c;
    }
    let list: Vec<String> = counts.iter().map(|c| short(*c)).collect();
    Some((first, list.join(" ")))
}

/// A histogram in the test notation (`{{schema:1 count:3 sum:2 buckets:[1 2]}}`).
pub fn histogram_expression(h: &Hist) -> String {
    let mut s = String::from("{{");
    let mut parts = Vec::new();
    if h.schema != 0 {
        parts.push(format!("schema:{}", h.schema));
    }
    parts.push(format!("count:{}", short(h.count)));
    parts.push(format!("sum:{}", short(h.sum)));
    if h.zero_count != 0.0 {
        parts.push(format!("z_bucket:{}", short(h.zero_count)));
    }
    if h.zero_threshold != 0.0 {
        parts.push(format!("z_bucket_w:{}", short(h.zero_threshold)));
    }
    if !h.custom_values.is_empty() {
        let cv: Vec<String> = h.custom_values.iter().map(|v| short(*v)).collect();
        parts.push(format!("custom_values:[{}]", cv.join(" ")));
    }
    if let Some((off, list)) = buckets(&h.positive) {
        if off != 0 {
            parts.push(format!("offset:{off}"));
        }
        parts.push(format!("buckets:[{list}]"));
    }
    if let Some((off, list)) = buckets(&h.negative) {
        if off != 0 {
            parts.push(format!("n_offset:{off}"));
        }
        parts.push(format!("n_buckets:[{list}]"));
    }
    let hint = match h.hint {
        CounterResetHint::Unknown => None,
        CounterResetHint::CounterReset => Some("reset"),
        CounterResetHint::NotCounterReset => Some("not_reset"),
        CounterResetHint::Gauge => Some("gauge"),
    };
    if let Some(hint) = hint {
        parts.push(format!("counter_reset_hint:{hint}"));
    }
    s.push_str(&parts.join(" "));
    s.push_str("}}");
    s
}

/// promtool's list of samples: `a 1E+00, b 2E+00`, or `nil`.
pub fn samples_string(s: &[TestSample]) -> String {
    if s.is_empty() {
        return "nil".into();
    }
    s.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Go's `time.Duration.String` for whole milliseconds: `0s`, `59s`, `1m0s`, `2m59.999s`.
pub fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if ms < 1000 {
        let _ = write!(s, "{ms}ms");
        return s;
    }
    let (h, m, sec, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        let _ = write!(s, "{h}h");
    }
    if h > 0 || m > 0 {
        let _ = write!(s, "{m}m");
    }
    let _ = write!(s, "{sec}");
    if frac > 0 {
        let f = format!("{frac:03}");
        let _ = write!(s, ".{}", f.trim_end_matches('0'));
    }
    s.push('s');
    s
}

/// An alert as promtool compares and prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelsAndAnnotations {
    /// The labels.
    pub labels: Labels,
    /// The annotations.
    pub annotations: Labels,
}

/// Prefixes every line but the first with `indent`.
pub fn indent_lines(text: &str, indent: &str) -> String {
    text.split('\n')
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// promtool's rendering of an alert list.
pub fn alerts_string(list: &[LabelsAndAnnotations]) -> String {
    if list.is_empty() {
        return "[]".into();
    }
    let mut s = String::from("[");
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let body = format!("\nLabels:{}\nAnnotations:{}", a.labels, a.annotations);
        let _ = write!(s, "\n{i}:{}", indent_lines(&body, "  "));
    }
    s.push_str("\n]");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(go_e(1.0), "1E+00");
        assert_eq!(go_e(0.0), "0E+00");
        assert_eq!(go_e(350.0), "3.5E+02");
        assert_eq!(go_e(-1.25e-7), "-1.25E-07");
        assert_eq!(go_e(1e100), "1E+100");
        for (ms, want) in [
            (0, "0s"),
            (59_000, "59s"),
            (60_000, "1m0s"),
            (3_600_000, "1h0m0s"),
            (179_999, "2m59.999s"),
            (500, "500ms"),
        ] {
            assert_eq!(go_duration(ms), want);
        }
    }

    #[test]
    fn fuzzy_floats() {
        assert!(floats_equal(3.0, 3.0, false));
        assert!(!floats_equal(3.0, 2.9999999999999996, false));
        assert!(floats_equal(3.0, 2.9999999999999996, true));
        assert!(floats_equal(3.0, 3.0000000000000004, true));
        assert!(!floats_equal(3.0, 2.9999999999999987, true));
        assert!(!floats_equal(f64::NAN, f64::NAN, true));
    }

    #[test]
    fn alert_lists() {
        let a = LabelsAndAnnotations {
            labels: Labels::from_pairs([("alertname", "Test")]),
            annotations: Labels::empty(),
        };
        assert_eq!(
            indent_lines(&alerts_string(&[a]), "            "),
            "[\n            0:\n              Labels:{alertname=\"Test\"}\n              Annotations:{}\n            ]"
        );
        assert_eq!(alerts_string(&[]), "[]");
    }
}
