//! The typed JSON encoding of test data shared with the Go harness, decoded into [`Value`]s.

use std::collections::BTreeMap;

use flint_template::alertmanager::{self, Data, Kv};
use flint_template::prometheus::AlertData;
use flint_template::{Duration, Time, Value};
use serde_json::Value as J;

fn kv(j: &J) -> Kv {
    j.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default()
}

fn time(s: &str) -> Time {
    let ts: jiff::Timestamp = s.parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    if s.starts_with("0001-01-01T00:00:00") {
        return Time::zero();
    }
    Time::from_timestamp(ts)
}

fn float(j: &J) -> f64 {
    match j.as_str() {
        Some("NaN") => f64::NAN,
        Some("+Inf") => f64::INFINITY,
        Some("-Inf") => f64::NEG_INFINITY,
        _ => j.as_f64().unwrap_or(0.0),
    }
}

/// Alertmanager data in webhook JSON shape.
pub fn am_data(j: &J) -> Value {
    let alerts = j["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|a| {
                    alertmanager::alert(
                        a["status"].as_str().unwrap_or(""),
                        kv(&a["labels"]),
                        kv(&a["annotations"]),
                        time(a["startsAt"].as_str().unwrap_or("0001-01-01T00:00:00Z")),
                        time(a["endsAt"].as_str().unwrap_or("0001-01-01T00:00:00Z")),
                        a["generatorURL"].as_str().unwrap_or(""),
                        a["fingerprint"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let data = Data::new(
        j["receiver"].as_str().unwrap_or(""),
        kv(&j["groupLabels"]),
        alerts,
        j["externalURL"].as_str().unwrap_or(""),
    );
    data.into_value()
}

fn strings(j: &J) -> BTreeMap<String, String> {
    j.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Decodes the typed encoding: `{"s": "x"}`, `{"i": 1}`, `{"ms": {...}}`, …
pub fn decode(j: &J) -> Value {
    let Some(obj) = j.as_object() else {
        return Value::Nil;
    };
    let Some((k, v)) = obj.iter().next() else {
        return Value::Nil;
    };
    match k.as_str() {
        "s" => Value::from(v.as_str().unwrap_or("")),
        "i" => Value::Int(v.as_i64().unwrap_or(0)),
        "u" => Value::Uint(v.as_u64().unwrap_or(0)),
        "f" => Value::Float(float(v)),
        "b" => Value::Bool(v.as_bool().unwrap_or(false)),
        "l" => Value::list(
            v.as_array()
                .map(|a| a.iter().map(decode).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
        "ls" => Value::strings(
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        ),
        "m" => Value::map(
            v.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.as_str(), decode(v)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        ),
        "ms" => Value::string_map(strings(v)),
        "t" => Value::Time(time(v.as_str().unwrap_or(""))),
        "d" => Value::Duration(Duration(v.as_i64().unwrap_or(0))),
        "am" => am_data(v),
        "prom" => AlertData {
            labels: strings(&v["labels"]),
            external_labels: strings(&v["externalLabels"]),
            external_url: v["externalURL"].as_str().unwrap_or("").to_string(),
            value: float(&v["value"]),
        }
        .to_value(),
        _ => Value::Nil,
    }
}
