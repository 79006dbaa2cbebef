//! Comparing Flint's and Prometheus's JSON answers: same structure, same strings, sample
//! values equal within 1e-9 (relative, or absolute near zero where summation order makes the
//! last bits differ: Prometheus 3.x and Flint sum with Kahan compensation, 2.42 does not).

use serde_json::Value;

/// Whether two sample values (as the API writes them) agree.
pub fn same_number(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Ok(x), Ok(y)) = (parse(a), parse(b)) else {
        return false;
    };
    if x.is_nan() || y.is_nan() || x.is_infinite() || y.is_infinite() {
        return x.is_nan() && y.is_nan() || x == y;
    }
    let d = (x - y).abs();
    d <= 1e-9 * x.abs().max(y.abs()) || d <= 1e-9
}

fn parse(s: &str) -> Result<f64, std::num::ParseFloatError> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        s => s.parse(),
    }
}

/// The first difference between `a` (Flint) and `b` (Prometheus), if any.
pub fn diff(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            (!same_number(x, y)).then(|| format!("{at}: {x:?} vs {y:?}"))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            (x != y).then(|| format!("{at}: {x} vs {y}"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!(
                    "{at}: {} vs {} items: {a} vs {b}",
                    x.len(),
                    y.len()
                ));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| diff(p, q, &format!("{at}[{i}]")))
        }
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<&String> = x.keys().collect();
            let ky: Vec<&String> = y.keys().collect();
            if kx != ky {
                return Some(format!("{at}: keys {kx:?} vs {ky:?}"));
            }
            x.iter()
                .find_map(|(k, v)| diff(v, &y[k], &format!("{at}.{k}")))
        }
        _ => (a != b).then(|| format!("{at}: {a} vs {b}")),
    }
}

/// Sorts an instant vector's samples by their labels (evaluation order is not specified).
pub fn sort_vector(v: &mut Value) {
    if v.get("data")
        .filter(|d| d.is_object())
        .is_some_and(|d| d["resultType"] == "vector")
        && let Some(r) = v["data"]["result"].as_array_mut()
    {
        r.sort_by_key(|s| s["metric"].to_string());
    }
}

/// Replaces the timings of `stats` (which differ run to run) with zero.
pub fn zero_timings(v: &mut Value) {
    if let Some(t) = v
        .get_mut("data")
        .filter(|d| d.is_object())
        .and_then(|d| d.get_mut("stats"))
        .and_then(|s| s.get_mut("timings"))
        .and_then(Value::as_object_mut)
    {
        for x in t.values_mut() {
            *x = Value::from(0);
        }
    }
}

#[test]
fn numbers() {
    assert!(same_number("1", "1.0000000000001"));
    assert!(same_number("NaN", "NaN"));
    assert!(same_number("1e-13", "-2e-13"));
    assert!(!same_number("1", "1.001"));
    assert!(!same_number("+Inf", "-Inf"));
}
