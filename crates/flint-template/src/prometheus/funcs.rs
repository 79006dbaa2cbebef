//! The functions of Prometheus's template package.

use std::any::Any;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use super::{Env, Sample};
use crate::common::{self, A, NONE, S, str_arg};
use crate::error::FuncError;
use crate::func::{Ctx, Func, FuncMap, Param, Signature};
use crate::gofmt::sprintf;
use crate::gotime::{Duration, Time};
use crate::value::{Content, Object, Value};

/// A query result (`template.queryResult`, a `[]*sample`).
struct QueryResult(Vec<Value>);

/// One sample (`*template.sample`).
struct SampleValue {
    labels: Value,
    value: Value,
}

impl Object for QueryResult {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.queryResult")
    }
    fn as_list(&self) -> Option<&[Value]> {
        Some(&self.0)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Object for SampleValue {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*template.sample")
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Labels" => Some(self.labels.clone()),
            "Value" => Some(self.value.clone()),
            _ => None,
        }
    }
    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        vec![
            (Cow::Borrowed("Labels"), self.labels.clone()),
            (Cow::Borrowed("Value"), self.value.clone()),
        ]
    }
    fn is_pointer(&self) -> bool {
        true
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn sample_value(s: &Sample) -> Value {
    Value::object(SampleValue {
        labels: Value::string_map(s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        value: Value::Float(s.value),
    })
}

fn wrong_type(want: &str, got: &Value) -> FuncError {
    FuncError(format!(
        "wrong type for value; expected {want}; got {}",
        got.type_name()
    ))
}

fn as_result(v: &Value) -> Result<&QueryResult, FuncError> {
    v.downcast::<QueryResult>()
        .ok_or_else(|| wrong_type("template.queryResult", v))
}

fn as_sample(v: &Value) -> Result<&SampleValue, FuncError> {
    v.downcast::<SampleValue>()
        .ok_or_else(|| wrong_type("*template.sample", v))
}

fn arg(a: &[Value], i: usize) -> &Value {
    a.get(i).unwrap_or(&Value::Nil)
}

fn float_fn(f: fn(f64) -> String) -> Func {
    Func::new(Signature::fixed(A), move |a| {
        Ok(Value::from(f(common::to_float(arg(a, 0))?)))
    })
}

fn g4(v: f64, suffix: &str) -> String {
    format!("{}{suffix}", sprintf("%.4g", &[Value::Float(v)]))
}

/// `humanize`: metric prefixes (`1.235M`, `120m`).
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return g4(v, "");
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return g4(v, prefix);
    }
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    g4(v, prefix)
}

/// `humanize1024`: binary prefixes (`1Mi`).
pub fn humanize_1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return g4(v, "");
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    g4(v, prefix)
}

/// `humanizePercentage`: a ratio as a percentage (`12.35%`).
pub fn humanize_percentage(v: f64) -> String {
    g4(v * 100.0, "%")
}

fn float_to_time(v: f64) -> Result<Time, FuncError> {
    if v.is_nan() || v.is_infinite() {
        return Err(FuncError::new("value is NaN or Inf"));
    }
    let ns = v * 1e9;
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(FuncError(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            crate::gofmt::sprint(&[Value::Float(v)])
        )));
    }
    // Prometheus goes through milliseconds (model.TimeFromUnixNano).
    let ms = (ns as i64) / 1_000_000;
    Time::from_unix_millis(ms).ok_or_else(|| FuncError::new("time out of range"))
}

fn humanize_timestamp(v: &Value) -> Result<Value, FuncError> {
    let f = common::to_float(v)?;
    if f.is_nan() || f.is_infinite() {
        return Ok(Value::from(g4(f, "")));
    }
    Ok(Value::from(float_to_time(f)?.to_string()))
}

/// Prometheus's duration syntax (`1h30m`, `5m`, `1d`, `2w`, `1y`, `100ms`) in seconds.
pub fn parse_duration(s: &str) -> Result<f64, FuncError> {
    let bad = || {
        FuncError(format!(
            "not a valid duration string: {}",
            crate::gofmt::quote(s)
        ))
    };
    if s.is_empty() {
        return Err(bad());
    }
    if s == "0" {
        return Ok(0.0);
    }
    const UNITS: [(&str, u64); 8] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
        ("", 0),
    ];
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_unit = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(bad());
        }
        let n: u64 = s[start..i].parse().map_err(|_| bad())?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let pos = UNITS[..7]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(bad)?;
        if pos < last_unit {
            return Err(bad());
        }
        last_unit = pos + 1;
        total = n
            .checked_mul(UNITS[pos].1)
            .and_then(|x| total.checked_add(x))
            .filter(|t| *t <= i64::MAX as u64 / 1_000_000)
            .ok_or_else(|| FuncError::new("duration out of range"))?;
    }
    Ok(total as f64 / 1000.0)
}

/// Go's `net.SplitHostPort`.
fn split_host_port(hp: &str) -> Option<(&str, &str)> {
    let i = hp.rfind(':')?;
    let (host, j, k) = if hp.starts_with('[') {
        let end = hp.find(']')?;
        if end + 1 != i {
            return None;
        }
        (&hp[1..end], 1, end + 1)
    } else {
        let host = &hp[..i];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hp[j..].contains('[') || hp[k..].contains(']') {
        return None;
    }
    Some((host, &hp[i + 1..]))
}

fn strip_port(hp: &str) -> String {
    split_host_port(hp).map_or_else(|| hp.to_string(), |(h, _)| h.to_string())
}

fn strip_domain(hp: &str) -> String {
    let (host, port) = split_host_port(hp).unwrap_or((hp, ""));
    if host.parse::<IpAddr>().is_ok() {
        return hp.to_string();
    }
    let host = host.split('.').next().unwrap_or(host);
    if port.is_empty() {
        return host.to_string();
    }
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn link(expr: &str, tab: u8) -> String {
    format!("/graph?g0.expr={}&g0.tab={tab}", crate::query_escape(expr))
}

fn env<'a>(ctx: &'a Ctx<'_>) -> Option<&'a Env> {
    ctx.env::<Env>()
}

/// The path of a URL (what `pathPrefix` returns for the external URL).
fn url_path(u: &str) -> &str {
    let rest = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => return u,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.find('/').map_or("", |i| &rest[i..])
}

fn query_fns(m: &mut FuncMap) {
    m.insert(
        "query",
        Func::with_ctx(Signature::fixed(S), |ctx, a| {
            let env = env(ctx).ok_or_else(|| FuncError::new("query is not available here"))?;
            let engine = env
                .query
                .as_ref()
                .ok_or_else(|| FuncError::new("query is not available here"))?;
            let v = engine
                .query(str_arg(a, 0), env.time_ms)
                .map_err(FuncError)?;
            Ok(Value::object(QueryResult(
                v.iter().map(sample_value).collect(),
            )))
        }),
    );
    m.insert(
        "first",
        Func::new(Signature::fixed(A), |a| {
            let r = as_result(arg(a, 0))?;
            r.0.first()
                .cloned()
                .ok_or_else(|| FuncError::new("first() called on vector with no elements"))
        }),
    );
    sample_fns(m);
}

/// `label`, `value`, `strvalue` and `sortByLabel`.
fn sample_fns(m: &mut FuncMap) {
    m.insert(
        "label",
        Func::new(Signature::fixed(&[Param::String, Param::Any]), |a| {
            let s = as_sample(arg(a, 1))?;
            Ok(s.labels
                .as_map()
                .and_then(|m| m.get(str_arg(a, 0)).cloned())
                .unwrap_or_else(|| Value::from("")))
        }),
    );
    m.insert(
        "value",
        Func::new(Signature::fixed(A), |a| {
            Ok(as_sample(arg(a, 0))?.value.clone())
        }),
    );
    m.insert(
        "strvalue",
        Func::new(Signature::fixed(A), |a| {
            let s = as_sample(arg(a, 0))?;
            Ok(s.labels
                .as_map()
                .and_then(|m| m.get("__value__").cloned())
                .unwrap_or_else(|| Value::from("")))
        }),
    );
    m.insert(
        "sortByLabel",
        Func::new(Signature::fixed(&[Param::String, Param::Any]), |a| {
            let r = as_result(arg(a, 1))?;
            let name = str_arg(a, 0);
            let key = |v: &Value| -> String {
                v.downcast::<SampleValue>()
                    .and_then(|s| s.labels.as_map())
                    .and_then(|m| m.get(name))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let mut items = r.0.clone();
            items.sort_by_key(|v| key(v));
            Ok(Value::object(QueryResult(items)))
        }),
    );
}

fn string_fns(m: &mut FuncMap) {
    m.insert("reReplaceAll", common::re_replace_all());
    m.insert("safeHtml", common::safe(Content::Html));
    m.insert("match", common::match_fn());
    m.insert("title", common::string_fn(|s| common::title(s, false)));
    m.insert("toUpper", common::string_fn(common::to_upper));
    m.insert("toLower", common::string_fn(common::to_lower));
    m.insert("graphLink", common::string_fn(|s| link(s, 0)));
    m.insert("tableLink", common::string_fn(|s| link(s, 1)));
    m.insert("stripPort", common::string_fn(strip_port));
    m.insert("stripDomain", common::string_fn(strip_domain));
    m.insert("urlQueryEscape", common::string_fn(crate::query_escape));
    m.insert(
        "args",
        Func::new(Signature::variadic(NONE, Param::Any), |a| {
            Ok(Value::map(
                a.iter()
                    .enumerate()
                    .map(|(i, v)| (format!("arg{i}"), v.clone())),
            ))
        }),
    );
    m.insert(
        "tmpl",
        Func::with_ctx(Signature::fixed(&[Param::String, Param::Any]), |ctx, a| {
            let out = ctx
                .execute_template(str_arg(a, 0), arg(a, 1))
                .map_err(|e| FuncError(e.to_string()))?;
            Ok(Value::Safe(Content::Html, Arc::from(out)))
        }),
    );
}

fn number_fns(m: &mut FuncMap) {
    m.insert("humanize", float_fn(humanize));
    m.insert("humanize1024", float_fn(humanize_1024));
    m.insert("humanizeDuration", common::humanize_duration_fn());
    m.insert("humanizePercentage", float_fn(humanize_percentage));
    m.insert(
        "humanizeTimestamp",
        Func::new(Signature::fixed(A), |a| humanize_timestamp(arg(a, 0))),
    );
    m.insert(
        "toTime",
        Func::new(Signature::fixed(A), |a| {
            Ok(Value::Time(float_to_time(common::to_float(arg(a, 0))?)?))
        }),
    );
    m.insert(
        "toDuration",
        Func::new(Signature::fixed(A), |a| {
            let f = common::to_float(arg(a, 0))?;
            if f.is_nan() || f.is_infinite() {
                return Err(FuncError::new("value is NaN or Inf"));
            }
            Ok(Value::Duration(Duration::from_secs_f64(f)))
        }),
    );
    m.insert(
        "parseDuration",
        Func::new(Signature::fixed(S), |a| {
            parse_duration(str_arg(a, 0)).map(Value::Float)
        }),
    );
    m.insert(
        "now",
        Func::new(Signature::fixed(NONE), |_| Ok(Value::Time(Time::now()))),
    );
    m.insert(
        "externalURL",
        Func::with_ctx(Signature::fixed(NONE), |ctx, _| {
            Ok(Value::from(
                env(ctx).map(|e| e.external_url.clone()).unwrap_or_default(),
            ))
        }),
    );
    m.insert(
        "pathPrefix",
        Func::with_ctx(Signature::fixed(NONE), |ctx, _| {
            Ok(Value::from(
                env(ctx)
                    .map(|e| url_path(&e.external_url).to_string())
                    .unwrap_or_default(),
            ))
        }),
    );
}

/// Every Prometheus template function.
pub(super) fn all() -> FuncMap {
    let mut m = FuncMap::new();
    query_fns(&mut m);
    string_fns(&mut m);
    number_fns(&mut m);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports() {
        assert_eq!(strip_port("foo.example.com:12345"), "foo.example.com");
        assert_eq!(strip_port("2001:0DB8::1"), "2001:0DB8::1");
        assert_eq!(strip_port("[2001:0DB8::1]:12345"), "2001:0DB8::1");
        assert_eq!(strip_port("[2001:0DB8::1]::12345"), "[2001:0DB8::1]::12345");
        assert_eq!(strip_domain("foo.example.com:12345"), "foo:12345");
        assert_eq!(strip_domain("192.0.2.1:12345"), "192.0.2.1:12345");
        assert_eq!(strip_domain("[2001:0DB8::1]:12345"), "[2001:0DB8::1]:12345");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h2m10ms"), Ok(3720.01));
        assert_eq!(parse_duration("1d"), Ok(86400.0));
        assert_eq!(parse_duration("0"), Ok(0.0));
        assert!(parse_duration("1m1h").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://testhost:9090/path/prefix"), "/path/prefix");
        assert_eq!(url_path("http://testhost:9090"), "");
    }
}
