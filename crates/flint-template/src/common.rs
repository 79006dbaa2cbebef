//! Functions Prometheus and Alertmanager share: case mapping, regular expressions, number
//! conversion and `humanizeDuration`.

use std::sync::Arc;

use flint_model::Regex;

use crate::error::FuncError;
use crate::func::{Func, Param, Signature};
use crate::gofmt::{self, sprintf};
use crate::value::{Content, Value};

pub(crate) const S: &[Param] = &[Param::String];
pub(crate) const SS: &[Param] = &[Param::String, Param::String];
pub(crate) const SSS: &[Param] = &[Param::String, Param::String, Param::String];
pub(crate) const A: &[Param] = &[Param::Any];
pub(crate) const NONE: &[Param] = &[];

pub(crate) fn str_arg(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// A `func(string) string`.
pub(crate) fn string_fn(f: fn(&str) -> String) -> Func {
    Func::new(Signature::fixed(S), move |a| {
        Ok(Value::from(f(str_arg(a, 0))))
    })
}

/// Go's `strings.ToUpper` (simple, one-to-one case mapping).
pub(crate) fn to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower`.
pub(crate) fn to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// `cases.Title`: the first letter of each word upper-cased; with `lower_rest` the others
/// lower-cased (Alertmanager), without it left alone (Prometheus's `cases.NoLower`).
pub(crate) fn title(s: &str, lower_rest: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for (i, &c) in chars.iter().enumerate() {
        let word_char = c.is_alphanumeric() || c == '_';
        // Apostrophes, dots and colons between letters do not break a word.
        let joiner = matches!(c, '\'' | '.' | ':' | '\u{2019}')
            && in_word
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if word_char && !in_word {
            out.push_str(&to_upper(&c.to_string()));
            in_word = true;
        } else if word_char || joiner {
            if lower_rest {
                out.push_str(&to_lower(&c.to_string()));
            } else {
                out.push(c);
            }
        } else {
            in_word = false;
            out.push(c);
        }
    }
    out
}

/// Go's `strings.TrimSpace`.
pub(crate) fn trim_space(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace()).to_string()
}

/// Compiles a pattern as Go's `regexp.MustCompile` would (its panic turned into an error).
pub(crate) fn compile(pattern: &str) -> Result<Regex, FuncError> {
    Regex::new(pattern).map_err(|e| {
        let q = if !pattern.contains('`') && !pattern.chars().any(|c| c.is_control() && c != '\t') {
            format!("`{pattern}`")
        } else {
            gofmt::quote(pattern)
        };
        FuncError(format!("regexp: Compile({q}): {e}"))
    })
}

/// Regex cache shared by calls: templates pass the same patterns again and again.
fn cached(pattern: &str) -> Result<Regex, FuncError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Ok(c) = cache.lock()
        && let Some(r) = c.get(pattern)
    {
        return Ok(r.clone());
    }
    let r = compile(pattern)?;
    if let Ok(mut c) = cache.lock() {
        if c.len() > 512 {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    }
    Ok(r)
}

/// `reReplaceAll pattern replacement text`.
pub(crate) fn re_replace_all() -> Func {
    Func::new(Signature::fixed(SSS), |a| {
        let re = cached(str_arg(a, 0))?;
        Ok(Value::from(
            re.inner()
                .replace_all(str_arg(a, 2), str_arg(a, 1))
                .into_owned(),
        ))
    })
}

/// `match pattern text`: an unanchored regexp match; a bad pattern is an error.
pub(crate) fn match_fn() -> Func {
    Func::new(Signature::fixed(SS), |a| {
        let re = Regex::new(str_arg(a, 0)).map_err(|e| FuncError(e.to_string()))?;
        Ok(Value::Bool(re.is_match(str_arg(a, 1))))
    })
}

/// `safeHtml`: marks text as trusted HTML.
pub(crate) fn safe(content: Content) -> Func {
    Func::new(Signature::fixed(S), move |a| {
        Ok(Value::Safe(content, Arc::from(str_arg(a, 0))))
    })
}

/// Go's `strconv.ParseFloat` with its error messages.
pub(crate) fn parse_float(s: &str) -> Result<f64, FuncError> {
    let err = |what: &str| {
        FuncError(format!(
            "strconv.ParseFloat: parsing {}: {what}",
            gofmt::quote(s)
        ))
    };
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let ok = !body.is_empty()
                && body
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
                && body.bytes().any(|b| b.is_ascii_digit());
            let v = if ok {
                body.parse::<f64>().map_err(|_| err("invalid syntax"))?
            } else if lower.starts_with("0x") {
                crate::parse::parse_float_literal(body).ok_or_else(|| err("invalid syntax"))?
            } else {
                return Err(err("invalid syntax"));
            };
            if v.is_infinite() {
                return Err(err("value out of range"));
            }
            v
        }
    };
    Ok(if neg { -v } else { v })
}

/// Prometheus's `convertToFloat`: numbers, numeric strings and durations (in seconds).
pub(crate) fn to_float(v: &Value) -> Result<f64, FuncError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        Value::String(s) => parse_float(s),
        Value::Duration(d) => Ok(d.as_secs_f64()),
        other => {
            if let Value::Object(o) = other
                && let Some(b) = o.as_basic()
            {
                return to_float(&b);
            }
            Err(FuncError(format!(
                "can't convert {} to float",
                if other.is_nil() {
                    "<nil>".into()
                } else {
                    other.type_name()
                }
            )))
        }
    }
}

fn g4(v: f64) -> String {
    sprintf("%.4g", &[Value::Float(v)])
}

/// `humanizeDuration`: seconds as `1d 2h 3m 4s`, `1.5s`, `100ms`.
pub(crate) fn humanize_duration(v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return g4(v);
    }
    if v == 0.0 {
        return format!("{}s", g4(v));
    }
    if v.abs() >= 1.0 {
        let (sign, v) = if v < 0.0 { ("-", -v) } else { ("", v) };
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", g4(v));
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

/// `humanizeDuration` as a template function.
pub(crate) fn humanize_duration_fn() -> Func {
    Func::new(Signature::fixed(A), |a| {
        Ok(Value::from(humanize_duration(to_float(
            a.first().unwrap_or(&Value::Nil),
        )?)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(to_upper("aa bb CC ß"), "AA BB CC ß");
        assert_eq!(title("aa bb CC", false), "Aa Bb CC");
        assert_eq!(title("aa bb CC", true), "Aa Bb Cc");
        assert_eq!(
            title("foo-bar o'neil prometheus.io", false),
            "Foo-Bar O'neil Prometheus.io"
        );
        assert_eq!(trim_space("  a b \n"), "a b");
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("NaN").is_ok_and(f64::is_nan));
        assert_eq!(
            parse_float("one"),
            Err(FuncError::new(
                "strconv.ParseFloat: parsing \"one\": invalid syntax"
            ))
        );
        assert_eq!(
            parse_float("1e400"),
            Err(FuncError::new(
                "strconv.ParseFloat: parsing \"1e400\": value out of range"
            ))
        );
    }

    #[test]
    fn durations() {
        let cases = [
            (0.0, "0s"),
            (1.0, "1s"),
            (60.0, "1m 0s"),
            (3600.0, "1h 0m 0s"),
            (86400.0, "1d 0h 0m 0s"),
            (
                -(86400.0 * 2.0 + 3600.0 * 3.0 + 240.0 + 5.0),
                "-2d 3h 4m 5s",
            ),
            (899.99, "14m 59s"),
            (0.1, "100ms"),
            (0.0001, "100us"),
            (0.12345, "123.5ms"),
            (60.1, "1m 0s"),
            (1.2345, "1.234s"),
            (12.345, "12.35s"),
            (1_234_567.0, "14d 6h 56m 7s"),
        ];
        for (v, want) in cases {
            assert_eq!(humanize_duration(v), want, "{v}");
        }
    }
}
