//! The series notation of test scripts and rule unit tests:
//! `name{label="value"} 1 2+3x4 _ stale {{schema:0 count:1 buckets:[1]}}`.

use std::sync::Arc;

use flint_model::{CounterResetHint, Labels};

use crate::histogram::Hist;
use crate::parser::{parse_duration, unquote};

/// One position of a value sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum SeqValue {
    /// `_`: no sample.
    Omitted,
    /// A float.
    Float(f64),
    /// `stale`: the staleness marker.
    Stale,
    /// A native histogram; `hint_given` says whether the literal set `counter_reset_hint`.
    Histogram {
        /// The histogram.
        h: Arc<Hist>,
        /// Whether the literal set the hint explicitly.
        hint_given: bool,
    },
}

/// A parsed series line.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDesc {
    /// The exact label set.
    pub labels: Labels,
    /// The values, one per position.
    pub values: Vec<SeqValue>,
    /// Whether this is a start-timestamp line (`name{…}@st offsets`).
    pub start_timestamps: bool,
}

/// Parses `series values…`.
pub fn parse_series(line: &str) -> Result<SeriesDesc, String> {
    let (labels, rest) = parse_labels(line.trim())?;
    let (st, rest) = match rest.strip_prefix("@st") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let values = if st {
        parse_offsets(rest)?
    } else {
        parse_values(rest)?
    };
    Ok(SeriesDesc {
        labels,
        values,
        start_timestamps: st,
    })
}

/// Parses `name{…}` (either part optional) and returns the labels and the rest.
pub fn parse_labels(s: &str) -> Result<(Labels, &str), String> {
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b':')
        .count();
    let name = &s[..name_len];
    let mut rest = &s[name_len..];
    let mut pairs: Vec<(String, String)> = Vec::new();
    if !name.is_empty() {
        pairs.push(("__name__".into(), name.into()));
    }
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            let (label, r) =
                if rest.starts_with('"') || rest.starts_with('\'') || rest.starts_with('`') {
                    take_string(rest)?
                } else {
                    let n = rest
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                    if n == 0 {
                        return Err(format!("invalid label set at {rest:?}"));
                    }
                    (rest[..n].to_owned(), &rest[n..])
                };
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix('=') {
                let (value, r) = take_string(r.trim_start())?;
                pairs.push((label, value));
                rest = r.trim_start();
            } else {
                // A lone quoted name is the metric name.
                pairs.push(("__name__".into(), label));
                rest = r;
            }
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            } else if !rest.starts_with('}') {
                return Err(format!("expected ',' or '}}' at {rest:?}"));
            }
        }
    }
    if pairs.is_empty() && !s.starts_with('{') {
        return Err(format!("invalid series {s:?}"));
    }
    Ok((Labels::from_pairs(pairs), rest))
}

fn take_string(s: &str) -> Result<(String, &str), String> {
    let quote = s.chars().next().ok_or("expected a string")?;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' && quote != '`' {
            escaped = true;
            continue;
        }
        if c == quote {
            let bytes = unquote(&s[..=i])?;
            let v = String::from_utf8(bytes).map_err(|_| "invalid UTF-8 in string".to_owned())?;
            return Ok((v, &s[i + 1..]));
        }
    }
    Err(format!("unterminated string {s:?}"))
}

/// Splits the value part into items; histogram literals may contain spaces.
fn items(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            if b[i..].starts_with(b"{{") {
                let end = s[i..].find("}}").ok_or("unterminated histogram")?;
                i += end + 2;
            } else {
                i += 1;
            }
        }
        out.push(&s[start..i]);
    }
    Ok(out)
}

fn parse_float(s: &str) -> Result<f64, String> {
    match s {
        "Inf" | "+Inf" | "inf" | "+inf" => return Ok(f64::INFINITY),
        "-Inf" | "-inf" => return Ok(f64::NEG_INFINITY),
        "NaN" | "nan" => return Ok(f64::NAN),
        _ => {}
    }
    if s.starts_with("0x") || s.starts_with("0X") {
        return Err(format!("hexadecimal numbers are not allowed: {s:?}"));
    }
    s.parse::<f64>()
        .map_err(|_| format!("invalid number {s:?}"))
}

/// `a`, the operator and `b` of `a+bxN`, and `N`.
type Expansion<'a> = (&'a str, Option<(char, &'a str)>, Option<u64>);

/// Splits `a+bxN` / `a-bxN` / `axN` into `(a, op and b, N)`.
fn split_expansion(item: &str) -> Result<Expansion<'_>, String> {
    let (base, times) = match item.rsplit_once('x') {
        Some((b, n)) if n.bytes().all(|c| c.is_ascii_digit()) && !n.is_empty() => (
            b,
            Some(
                n.parse::<u64>()
                    .map_err(|_| format!("invalid repetition {n:?}"))?,
            ),
        ),
        _ => (item, None),
    };
    let bytes = base.as_bytes();
    let mut split = None;
    for i in 1..bytes.len() {
        let c = bytes[i];
        if (c == b'+' || c == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
            split = Some(i);
            break;
        }
    }
    Ok(match split {
        Some(i) => (&base[..i], Some((bytes[i] as char, &base[i + 1..])), times),
        None => (base, None, times),
    })
}

/// Parses the value sequence.
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, String> {
    let mut out = Vec::new();
    for item in items(s)? {
        if item.starts_with("{{") {
            parse_hist_item(item, &mut out)?;
            continue;
        }
        match item {
            "_" => out.push(SeqValue::Omitted),
            "stale" => out.push(SeqValue::Stale),
            _ if item.starts_with("_x") => {
                let n: usize = item[2..].parse().map_err(|_| format!("invalid {item:?}"))?;
                out.extend(std::iter::repeat_n(SeqValue::Omitted, n));
            }
            _ => {
                let (a, step, times) = split_expansion(item)?;
                let a = parse_float(a)?;
                match (step, times) {
                    (None, None) => out.push(SeqValue::Float(a)),
                    (None, Some(n)) => out.extend((0..=n).map(|_| SeqValue::Float(a))),
                    (Some((op, b)), Some(n)) => {
                        let b = parse_float(b)?;
                        let b = if op == '-' { -b } else { b };
                        out.extend((0..=n).map(|i| SeqValue::Float(a + b * i as f64)));
                    }
                    (Some(_), None) => return Err(format!("invalid value {item:?}")),
                }
            }
        }
    }
    Ok(out)
}

fn parse_hist_item(item: &str, out: &mut Vec<SeqValue>) -> Result<(), String> {
    let end = item.find("}}").ok_or("unterminated histogram")? + 2;
    let (base, hint_given) = super::histogram_literal::parse(&item[..end])?;
    let rest = &item[end..];
    if rest.is_empty() {
        out.push(hist_value(base, hint_given));
        return Ok(());
    }
    if let Some(n) = rest.strip_prefix('x') {
        let n: u64 = n
            .parse()
            .map_err(|_| format!("invalid repetition in {item:?}"))?;
        let h = Arc::new(base);
        for _ in 0..=n {
            out.push(SeqValue::Histogram {
                h: h.clone(),
                hint_given,
            });
        }
        return Ok(());
    }
    let sub = rest.starts_with('-');
    let inc_text = rest.get(1..).ok_or("invalid histogram sequence")?;
    let inc_end = inc_text.find("}}").ok_or("unterminated histogram")? + 2;
    let (inc, _) = super::histogram_literal::parse(&inc_text[..inc_end])?;
    let n: u64 = inc_text[inc_end..]
        .strip_prefix('x')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("invalid histogram sequence {item:?}"))?;
    let mut cur = base;
    out.push(hist_value(cur.clone(), hint_given));
    for _ in 0..n {
        if cur.schema > inc.schema {
            return Err(format!(
                "error combining histograms: cannot merge from schema {} to {}",
                inc.schema, cur.schema
            ));
        }
        let res = if sub { cur.sub(&inc) } else { cur.add(&inc) };
        res.map_err(|_| "error combining histograms: incompatible schemas".to_owned())?;
        out.push(hist_value(cur.clone(), hint_given));
    }
    Ok(())
}

fn hist_value(h: Hist, hint_given: bool) -> SeqValue {
    SeqValue::Histogram {
        h: Arc::new(h),
        hint_given,
    }
}

/// Start-timestamp offsets: `_`, `_xN`, `<dur>`, `<dur>xN`, `<dur>+<dur>xN`, `<dur>-<dur>xN`.
/// Each becomes a float of milliseconds.
fn parse_offsets(s: &str) -> Result<Vec<SeqValue>, String> {
    let dur = |d: &str| -> Result<f64, String> {
        let (neg, d) = match (d.strip_prefix('-'), d.strip_prefix('+')) {
            (Some(r), _) => (true, r),
            (None, Some(r)) => (false, r),
            (None, None) => (false, d),
        };
        let ms = parse_duration(d)? as f64;
        Ok(if neg { -ms } else { ms })
    };
    let mut out = Vec::new();
    for item in items(s)? {
        if item == "_" {
            out.push(SeqValue::Omitted);
            continue;
        }
        if let Some(n) = item.strip_prefix("_x") {
            let n: usize = n.parse().map_err(|_| format!("invalid {item:?}"))?;
            out.extend(std::iter::repeat_n(SeqValue::Omitted, n));
            continue;
        }
        let (a, step, times) = split_expansion(item)?;
        let a = dur(a)?;
        match (step, times) {
            (None, None) => out.push(SeqValue::Float(a)),
            (None, Some(n)) => out.extend((0..=n).map(|_| SeqValue::Float(a))),
            (Some((op, b)), Some(n)) => {
                let b = dur(b)? * if op == '-' { -1.0 } else { 1.0 };
                out.extend((0..=n).map(|i| SeqValue::Float(a + b * i as f64)));
            }
            (Some(_), None) => return Err(format!("invalid offset {item:?}")),
        }
    }
    Ok(out)
}

/// The counter reset hint a histogram literal gives, if any.
pub fn hint_of(v: &SeqValue) -> Option<CounterResetHint> {
    match v {
        SeqValue::Histogram {
            h,
            hint_given: true,
        } => Some(h.hint),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions() {
        let d =
            parse_series("http_requests{job=\"api\", instance=\"0\"}  0+10x3 1x2 _x2 -1-1x1 stale")
                .expect("valid");
        assert_eq!(
            d.labels.to_string(),
            r#"{__name__="http_requests", instance="0", job="api"}"#
        );
        use SeqValue::*;
        assert_eq!(
            d.values,
            vec![
                Float(0.0),
                Float(10.0),
                Float(20.0),
                Float(30.0),
                Float(1.0),
                Float(1.0),
                Float(1.0),
                Omitted,
                Omitted,
                Float(-1.0),
                Float(-2.0),
                Stale
            ]
        );
        let d = parse_series("{} 1e3 -Inf").expect("valid");
        assert!(d.labels.is_empty());
        assert_eq!(d.values, vec![Float(1000.0), Float(f64::NEG_INFINITY)]);
        let d = parse_series("{\"metric.name\", a=\"b\"} 1").expect("valid");
        assert_eq!(d.labels.metric_name(), Some("metric.name"));
    }

    #[test]
    fn histogram_sequences() {
        let d = parse_series("m {{count:0}}+{{count:1}}x2 {{schema:1 buckets:[1 2]}}x1")
            .expect("valid");
        assert_eq!(d.values.len(), 5);
        let SeqValue::Histogram { h, .. } = &d.values[2] else {
            panic!()
        };
        assert_eq!(h.count, 2.0);
    }
}
