//! Parsing of the API's parameters with upstream's error texts: timestamps (Unix seconds or
//! RFC 3339), durations (seconds or Prometheus durations), `limit` and `match[]`.

use flint_model::Matcher;
use flint_model::quote::go_quote;

use super::form::Form;
use crate::api::ApiError;

/// The earliest time the API accepts (Prometheus's `MinTime`), in milliseconds.
pub const MIN_TIME: i64 = -9_223_309_901_257_974_000;
/// The latest time the API accepts (Prometheus's `MaxTime`), in milliseconds.
pub const MAX_TIME: i64 = 9_223_309_901_257_974_999;
/// `MinTime` as Go formats it, which clients send back.
const MIN_TIME_FORMATTED: &str = "-292273086-05-16T16:47:06Z";
/// `MaxTime` as Go formats it.
const MAX_TIME_FORMATTED: &str = "292277025-08-18T07:12:54.999999999Z";

/// `invalid parameter "<name>": <err>` as `bad_data`.
pub fn invalid_param(name: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::bad_data(format!("invalid parameter {}: {err}", go_quote(name)))
}

/// Parses a timestamp to milliseconds: a float of Unix seconds (rounded to milliseconds) or
/// an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
    {
        let secs = f.trunc();
        let ms = (f.fract() * 1000.0).round();
        let total = secs * 1000.0 + ms;
        return Ok(total.clamp(i64::MIN as f64, i64::MAX as f64) as i64);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    match s {
        MIN_TIME_FORMATTED => Ok(MIN_TIME),
        MAX_TIME_FORMATTED => Ok(MAX_TIME),
        _ => Err(format!("cannot parse {} to a valid timestamp", go_quote(s))),
    }
}

/// A time parameter through `parse_time` with `default` when absent; errors read
/// `invalid parameter "start": Invalid time value for 'start': …` as upstream's
/// `parseTimeParam`.
pub fn time_param(form: &Form, name: &str, default: i64) -> Result<i64, ApiError> {
    let v = form.value(name);
    if v.is_empty() {
        return Ok(default);
    }
    parse_time(v).map_err(|e| invalid_param(name, format!("Invalid time value for '{name}': {e}")))
}

/// Parses a duration to nanoseconds: a float of seconds or a Prometheus duration (`5m`).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        let ns = f * 1e9;
        if !(ns <= i64::MAX as f64 && ns >= i64::MIN as f64) {
            return Err(format!(
                "cannot parse {} to a valid duration. It overflows int64",
                go_quote(s)
            ));
        }
        return Ok(ns as i64);
    }
    if let Ok(ms) = flint_promql::parser::parse_duration(s)
        && let Some(ns) = ms.checked_mul(1_000_000)
    {
        return Ok(ns);
    }
    Err(format!("cannot parse {} to a valid duration", go_quote(s)))
}

/// An optional duration parameter, in nanoseconds.
pub fn duration_param(form: &Form, name: &str) -> Result<Option<i64>, ApiError> {
    let v = form.value(name);
    if v.is_empty() {
        return Ok(None);
    }
    parse_duration(v)
        .map(Some)
        .map_err(|e| invalid_param(name, e))
}

/// `limit`: absent is 0 (no limit); otherwise a non-negative integer.
pub fn limit_param(form: &Form) -> Result<usize, ApiError> {
    let v = form.value("limit");
    if v.is_empty() {
        return Ok(0);
    }
    let n = parse_go_int(v).map_err(|e| invalid_param("limit", e))?;
    if n < 0 {
        return Err(invalid_param("limit", "limit must be non-negative"));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Go's `strconv.Atoi` with its error texts.
pub fn parse_go_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {}: value out of range", go_quote(s)))
}

/// Go's `strconv.ParseBool` with its error text.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            go_quote(s)
        )),
    }
}

/// Parses `match[]` selectors; each set must hold a matcher that does not match the empty
/// string. The error is the bare message (callers add context as upstream does).
pub fn parse_matcher_sets(selectors: &[&str]) -> Result<Vec<Vec<Matcher>>, String> {
    let mut sets = Vec::with_capacity(selectors.len());
    for s in selectors {
        const EMPTY: &str = "match[] must contain at least one non-empty matcher";
        // Our parser type-checks selectors; upstream's match[] parser leaves this check to
        // the API, which words it differently.
        let ms = flint_promql::parser::parse_metric_selector(s).map_err(|e| {
            if e.message == "vector selector must contain at least one non-empty matcher" {
                EMPTY.to_owned()
            } else {
                e.to_string()
            }
        })?;
        if ms.iter().all(|m| m.matches("")) {
            return Err(EMPTY.into());
        }
        sets.push(ms);
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1435781451.781"), Ok(1_435_781_451_781));
        assert_eq!(parse_time("1.9999"), Ok(2000));
        assert_eq!(parse_time("-1.5"), Ok(-1500));
        assert_eq!(
            parse_time("2015-07-01T20:10:51.781Z"),
            Ok(1_435_781_451_781)
        );
        assert_eq!(
            parse_time("2015-07-01T22:10:51+02:00"),
            Ok(1_435_781_451_000)
        );
        assert_eq!(parse_time(MIN_TIME_FORMATTED), Ok(MIN_TIME));
        assert_eq!(parse_time(MAX_TIME_FORMATTED), Ok(MAX_TIME));
        assert_eq!(
            parse_time("abc").unwrap_err(),
            r#"cannot parse "abc" to a valid timestamp"#
        );
        let f = Form::parse(b"", Some("start=x"));
        assert_eq!(
            time_param(&f, "start", 0).unwrap_err().message,
            r#"invalid parameter "start": Invalid time value for 'start': cannot parse "x" to a valid timestamp"#
        );
        assert_eq!(time_param(&f, "end", 7).unwrap(), 7);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15"), Ok(15_000_000_000));
        assert_eq!(parse_duration("0.5"), Ok(500_000_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(
            parse_duration("1e300").unwrap_err(),
            r#"cannot parse "1e300" to a valid duration. It overflows int64"#
        );
        assert_eq!(
            parse_duration("xx").unwrap_err(),
            r#"cannot parse "xx" to a valid duration"#
        );
    }

    #[test]
    fn limits_bools_matchers() {
        assert_eq!(limit_param(&Form::parse(b"", Some("limit=5"))).unwrap(), 5);
        assert_eq!(
            limit_param(&Form::parse(b"", Some("limit=x")))
                .unwrap_err()
                .message,
            r#"invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            limit_param(&Form::parse(b"", Some("limit=-1")))
                .unwrap_err()
                .message,
            r#"invalid parameter "limit": limit must be non-negative"#
        );
        assert_eq!(parse_go_bool("True"), Ok(true));
        assert!(parse_go_bool("yes").is_err());
        assert_eq!(
            parse_matcher_sets(&[r#"{job=~".*"}"#]).unwrap_err(),
            "match[] must contain at least one non-empty matcher"
        );
        assert_eq!(parse_matcher_sets(&["up", r#"x{a="b"}"#]).unwrap().len(), 2);
        assert!(parse_matcher_sets(&["up("]).is_err());
    }
}
