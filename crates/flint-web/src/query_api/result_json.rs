//! Query results as JSON: `{"resultType":…,"result":…,"stats":…}`.

use flint_promql::engine::{Sample, SampleValue, Series};
use flint_promql::{QueryStats, QueryValue};

use super::json::{
    write_float, write_histogram, write_labels, write_str, write_timestamp, write_value,
};

/// Appends the `data` object of a query answer. `stats` adds the `stats` object.
pub fn write_query_data(out: &mut Vec<u8>, value: &QueryValue, stats: Option<&QueryStats>) {
    out.extend_from_slice(b"{\"resultType\":\"");
    out.extend_from_slice(value.value_type().api_name().as_bytes());
    out.extend_from_slice(b"\",\"result\":");
    match value {
        QueryValue::Scalar { t, v } => {
            out.push(b'[');
            write_timestamp(out, *t);
            out.push(b',');
            write_value(out, *v);
            out.push(b']');
        }
        QueryValue::String { t, v } => {
            out.push(b'[');
            write_timestamp(out, *t);
            out.push(b',');
            write_str(out, v);
            out.push(b']');
        }
        QueryValue::Vector(samples) => write_vector(out, samples),
        QueryValue::Matrix(series) => write_matrix(out, series),
    }
    if let Some(s) = stats {
        write_stats(out, s);
    }
    out.push(b'}');
}

/// Appends an instant vector.
pub fn write_vector(out: &mut Vec<u8>, samples: &[Sample]) {
    out.reserve(samples.len() * 96);
    out.push(b'[');
    for (i, s) in samples.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"metric\":");
        write_labels(out, &s.labels);
        match &s.value {
            SampleValue::Float(v) => {
                out.extend_from_slice(b",\"value\":[");
                write_timestamp(out, s.t);
                out.push(b',');
                write_value(out, *v);
            }
            SampleValue::Histogram(h) => {
                out.extend_from_slice(b",\"histogram\":[");
                write_timestamp(out, s.t);
                out.push(b',');
                write_histogram(out, h);
            }
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
}

/// Appends a range vector: `values` and `histograms`, each left out when empty.
pub fn write_matrix(out: &mut Vec<u8>, series: &[Series]) {
    let points: usize = series.iter().map(|s| s.floats.len()).sum();
    out.reserve(series.len() * 96 + points * 24);
    out.push(b'[');
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"metric\":");
        write_labels(out, &s.labels);
        if !s.floats.is_empty() {
            out.extend_from_slice(b",\"values\":[");
            for (j, (t, v)) in s.floats.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                write_timestamp(out, *t);
                out.push(b',');
                write_value(out, *v);
                out.push(b']');
            }
            out.push(b']');
        }
        if !s.histograms.is_empty() {
            out.extend_from_slice(b",\"histograms\":[");
            for (j, (t, h)) in s.histograms.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                write_timestamp(out, *t);
                out.push(b',');
                write_histogram(out, h);
                out.push(b']');
            }
            out.push(b']');
        }
        out.push(b'}');
    }
    out.push(b']');
}

/// A JSON number as Go's `encoding/json` writes a float64 (`0.000068943`, `1e-7`).
fn write_json_number(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.push(b'0');
        return;
    }
    let start = out.len();
    write_float(out, v);
    // Go's encoder shortens `e-07` to `e-7`.
    let n = out.len();
    if n - start >= 4 && out[n - 4] == b'e' && out[n - 3] == b'-' && out[n - 2] == b'0' {
        out[n - 2] = out[n - 1];
        out.truncate(n - 1);
    }
}

fn write_stats(out: &mut Vec<u8>, s: &QueryStats) {
    let secs = |d: std::time::Duration| d.as_secs_f64();
    let eval_total = s.prepare_time + s.inner_eval_time + s.result_sort_time;
    let fields = [
        ("evalTotalTime", secs(eval_total)),
        ("resultSortTime", secs(s.result_sort_time)),
        ("queryPreparationTime", secs(s.prepare_time)),
        ("innerEvalTime", secs(s.inner_eval_time)),
        ("execQueueTime", secs(s.queue_time)),
        ("execTotalTime", secs(s.total_time)),
    ];
    out.extend_from_slice(b",\"stats\":{\"timings\":{");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_json_number(out, *v);
    }
    out.extend_from_slice(b"},\"samples\":{\"totalQueryableSamples\":");
    out.extend_from_slice(s.total_queryable_samples.to_string().as_bytes());
    out.extend_from_slice(b",\"peakSamples\":");
    out.extend_from_slice(s.peak_samples.to_string().as_bytes());
    out.extend_from_slice(b"}}");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use flint_model::Labels;
    use flint_promql::histogram::Hist;

    use super::*;

    fn s(v: &QueryValue, stats: Option<&QueryStats>) -> String {
        let mut out = Vec::new();
        write_query_data(&mut out, v, stats);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn shapes() {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        assert_eq!(
            s(
                &QueryValue::Scalar {
                    t: 1500,
                    v: f64::NAN
                },
                None
            ),
            r#"{"resultType":"scalar","result":[1.500,"NaN"]}"#
        );
        assert_eq!(
            s(
                &QueryValue::String {
                    t: 1000,
                    v: "a<b".into()
                },
                None
            ),
            r#"{"resultType":"string","result":[1,"a\u003cb"]}"#
        );
        let v = QueryValue::Vector(vec![
            Sample {
                labels: l.clone(),
                t: 2000,
                value: SampleValue::Float(1.0),
            },
            Sample {
                labels: Labels::empty(),
                t: 2000,
                value: SampleValue::Histogram(Arc::new(Hist {
                    count: 1.0,
                    ..Hist::default()
                })),
            },
        ]);
        assert_eq!(
            s(&v, None),
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[2,"1"]},{"metric":{},"histogram":[2,{"count":"1","sum":"0"}]}]}"#
        );
        let m = QueryValue::Matrix(vec![Series {
            labels: l,
            floats: vec![(1000, 1.0), (2000, f64::INFINITY)],
            histograms: vec![],
        }]);
        assert_eq!(
            s(&m, None),
            r#"{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a"},"values":[[1,"1"],[2,"+Inf"]]}]}"#
        );
        assert_eq!(
            s(&QueryValue::Matrix(vec![]), None),
            r#"{"resultType":"matrix","result":[]}"#
        );
    }

    #[test]
    fn stats() {
        let st = QueryStats {
            inner_eval_time: std::time::Duration::from_nanos(68_943),
            total_queryable_samples: 2,
            peak_samples: 2,
            ..QueryStats::default()
        };
        let out = s(&QueryValue::Vector(vec![]), Some(&st));
        assert!(
            out.contains(r#""stats":{"timings":{"evalTotalTime":0.000068943,"#),
            "{out}"
        );
        assert!(
            out.ends_with(r#""samples":{"totalQueryableSamples":2,"peakSamples":2}}}"#),
            "{out}"
        );
        let mut n = Vec::new();
        write_json_number(&mut n, 1.5e-7);
        assert_eq!(n, b"1.5e-7");
    }
}
