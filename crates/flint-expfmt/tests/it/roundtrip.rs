//! Random families → encode (each format) → parse → the same families.
//!
//! Format limits: the Prometheus text format carries no `_created`, exemplars or units and
//! no info/stateset/gaugehistogram types, so those are only generated for OpenMetrics and
//! protobuf; protobuf creation times are whole seconds here (it stores nanoseconds).
#![allow(clippy::unwrap_used)] // Test helpers: a panic is a test failure.

use flint_expfmt::encode::encoder_for;
use flint_expfmt::family::{
    BucketValue, HistogramValue, Metric, MetricFamily, MetricValue, SummaryValue, encode_families,
};
use flint_expfmt::{Format, parse_families};
use flint_model::{Exemplar, MetricType};
use proptest::prelude::*;

fn text_value() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 _\\\\\"\n.é{}#=,-]{0,12}").unwrap()
}

fn exemplar(rich: bool) -> BoxedStrategy<Option<Exemplar>> {
    let ex = (
        text_value(),
        0u32..1000,
        proptest::option::of(0i64..2_000_000_000_000),
    )
        .prop_map(|(v, val, ts)| Exemplar {
            labels: vec![("trace_id".into(), v)],
            value: f64::from(val) / 8.0,
            timestamp: ts,
        });
    if rich {
        proptest::option::of(ex).boxed()
    } else {
        Just(None).boxed()
    }
}

fn created(rich: bool) -> BoxedStrategy<Option<f64>> {
    if rich {
        proptest::option::of((0u32..2_000_000_000).prop_map(f64::from)).boxed()
    } else {
        Just(None).boxed()
    }
}

fn histogram(rich: bool) -> impl Strategy<Value = HistogramValue> {
    (
        proptest::collection::vec((0u32..5, exemplar(rich)), 0..4),
        0u32..1000,
        created(rich),
    )
        .prop_map(|(steps, sum, created)| {
            let mut total = 0.0;
            let mut buckets: Vec<BucketValue> = steps
                .into_iter()
                .enumerate()
                .map(|(i, (inc, exemplar))| {
                    total += f64::from(inc);
                    BucketValue {
                        upper_bound: 0.25 * (i as f64 + 1.0),
                        cumulative_count: total,
                        exemplar,
                    }
                })
                .collect();
            buckets.push(BucketValue {
                upper_bound: f64::INFINITY,
                cumulative_count: total,
                exemplar: None,
            });
            HistogramValue {
                count: total,
                sum: f64::from(sum) / 4.0,
                buckets,
                created,
                native: None,
                native_exemplars: Vec::new(),
            }
        })
}

fn value(t: MetricType, rich: bool) -> BoxedStrategy<MetricValue> {
    match t {
        MetricType::Counter => (0u32..1_000_000, created(rich), exemplar(rich))
            .prop_map(|(v, created, exemplar)| MetricValue::Counter {
                value: f64::from(v) / 16.0,
                created,
                exemplar,
            })
            .boxed(),
        MetricType::Gauge => (-1e12f64..1e12).prop_map(MetricValue::Gauge).boxed(),
        MetricType::Unknown => (-1e6f64..1e6).prop_map(MetricValue::Unknown).boxed(),
        MetricType::Histogram => histogram(rich).prop_map(MetricValue::Histogram).boxed(),
        MetricType::GaugeHistogram => histogram(false)
            .prop_map(|mut h| {
                h.created = None;
                MetricValue::GaugeHistogram(h)
            })
            .boxed(),
        MetricType::Summary => (0u32..100, 0u32..100, created(rich))
            .prop_map(|(count, sum, created)| {
                MetricValue::Summary(SummaryValue {
                    count: f64::from(count),
                    sum: f64::from(sum),
                    quantiles: vec![(0.5, 1.5), (0.99, 2.0)],
                    created,
                })
            })
            .boxed(),
        MetricType::Info => Just(MetricValue::Info).boxed(),
        MetricType::StateSet => any::<(bool, bool)>()
            .prop_map(|(a, b)| MetricValue::StateSet(vec![("a".into(), a), ("b".into(), b)]))
            .boxed(),
    }
}

fn family(types: Vec<MetricType>, rich: bool) -> impl Strategy<Value = MetricFamily> {
    let unit = if rich { "bytes" } else { "" };
    (
        proptest::sample::select(types),
        "[a-z]{1,6}",
        text_value(),
        proptest::option::of(0i64..2_000_000_000_000),
    )
        .prop_flat_map(move |(t, base, help, ts)| {
            let metric = (text_value(), value(t, rich));
            proptest::collection::vec(metric, 1..4).prop_map(move |ms| MetricFamily {
                name: format!("m_{base}_{unit}").trim_end_matches('_').to_owned(),
                help: help.clone(),
                metric_type: t,
                unit: if matches!(t, MetricType::Info | MetricType::StateSet) {
                    String::new()
                } else {
                    unit.to_owned()
                },
                metrics: ms
                    .into_iter()
                    .enumerate()
                    .map(|(i, (v, value))| Metric {
                        labels: vec![("id".into(), i.to_string()), ("path".into(), v)],
                        timestamp_ms: ts,
                        value,
                    })
                    .collect(),
            })
        })
}

fn families(types: Vec<MetricType>, rich: bool) -> impl Strategy<Value = Vec<MetricFamily>> {
    proptest::collection::vec(family(types, rich), 0..5).prop_map(|mut fs| {
        // Family names must be unique.
        for (i, f) in fs.iter_mut().enumerate() {
            f.name = format!("{}_{i}", f.name).replacen("m_", &format!("m{i}_"), 1);
            if !f.unit.is_empty() {
                f.name = format!("m{i}_x_{}", f.unit);
            }
            // Counters and info metrics are named after their value samples.
            match f.metric_type {
                MetricType::Counter => f.name.push_str("_total"),
                MetricType::Info => f.name.push_str("_info"),
                _ => {}
            }
        }
        fs
    })
}

fn round_trip(format: Format, fams: &[MetricFamily]) -> Vec<MetricFamily> {
    let mut out = Vec::new();
    {
        let mut enc = encoder_for(format, &mut out);
        encode_families(fams, enc.as_mut());
    }
    match parse_families(format, &out) {
        Ok(f) => f,
        Err(e) => panic!("{format:?}: {e}\n{}", String::from_utf8_lossy(&out)),
    }
}

/// Gives every classic histogram a native representation too (protobuf carries both).
fn with_native(mut fams: Vec<MetricFamily>, schema: i32, offset: i32) -> Vec<MetricFamily> {
    for m in fams.iter_mut().flat_map(|f| f.metrics.iter_mut()) {
        if let MetricValue::Histogram(h) = &mut m.value {
            let mut prev = 0i64;
            let deltas: Vec<i64> = h
                .buckets
                .iter()
                .map(|b| {
                    let c = b.cumulative_count as i64;
                    let d = c - prev;
                    prev = c;
                    d
                })
                .collect();
            h.native = Some(flint_model::Histogram {
                schema,
                zero_threshold: 2f64.powi(-128),
                zero_count: 0,
                count: h.count as u64,
                sum: h.sum,
                positive_spans: vec![flint_model::Span {
                    offset,
                    length: deltas.len() as u32,
                }],
                positive_deltas: deltas,
                ..Default::default()
            });
        }
    }
    fams
}

const BASIC: [MetricType; 5] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Unknown,
    MetricType::Histogram,
    MetricType::Summary,
];

proptest! {
    #[test]
    fn text_round_trip(fams in families(BASIC.to_vec(), false)) {
        prop_assert_eq!(round_trip(Format::Text, &fams), fams);
    }

    #[test]
    fn openmetrics_round_trip(fams in families(
        [&BASIC[..], &[MetricType::Info, MetricType::StateSet, MetricType::GaugeHistogram]].concat(),
        true,
    )) {
        prop_assert_eq!(round_trip(Format::OpenMetrics, &fams), fams);
    }

    #[test]
    fn protobuf_round_trip(fams in families(
        [&BASIC[..], &[MetricType::GaugeHistogram]].concat(),
        true,
    ), schema in -4i32..8, offset in -5i32..5) {
        let fams = with_native(fams, schema, offset);
        prop_assert_eq!(round_trip(Format::Protobuf, &fams), fams);
    }
}
