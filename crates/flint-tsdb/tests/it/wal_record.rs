//! WAL record encoding: round trips of every type, upstream byte layouts, and garbage that must
//! never panic.

#![allow(clippy::unwrap_used)]

use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use flint_model::{
    CounterResetHint, FloatHistogram, Histogram, Labels, Metadata, MetricType, Span,
};
use flint_tsdb::record::{
    self, Decoder, Record, RecordType, RefExemplar, RefFloatHistogramSample, RefHistogramSample,
    RefMetadata, RefMmapMarker, RefSample, RefSeries, RefTombstone,
};
use proptest::prelude::*;

fn labels() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map("[a-z_]{1,8}", "\\PC{1,12}", 0..6).prop_map(Labels::from_pairs)
}

fn finite() -> impl Strategy<Value = f64> {
    proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL
}

fn spans() -> impl Strategy<Value = Vec<Span>> {
    proptest::collection::vec(
        (any::<i32>(), any::<u32>()).prop_map(|(offset, length)| Span { offset, length }),
        0..4,
    )
}

fn hint() -> impl Strategy<Value = CounterResetHint> {
    prop_oneof![
        Just(CounterResetHint::Unknown),
        Just(CounterResetHint::CounterReset),
        Just(CounterResetHint::NotCounterReset),
        Just(CounterResetHint::Gauge),
    ]
}

fn schema() -> impl Strategy<Value = i32> {
    prop_oneof![-4i32..=8, Just(CUSTOM_BUCKETS_SCHEMA)]
}

fn histogram() -> impl Strategy<Value = Histogram> {
    let floats = proptest::collection::vec(finite(), 0..4);
    let deltas = || proptest::collection::vec(any::<i64>(), 0..5);
    (
        (
            hint(),
            schema(),
            finite(),
            any::<u64>(),
            any::<u64>(),
            finite(),
        ),
        (spans(), spans(), deltas(), deltas(), floats),
    )
        .prop_map(
            |((hint, schema, zt, zc, c, sum), (ps, ns, pd, nd, cv))| Histogram {
                counter_reset_hint: hint,
                schema,
                zero_threshold: zt,
                zero_count: zc,
                count: c,
                sum,
                positive_spans: ps,
                positive_deltas: pd,
                negative_spans: ns,
                negative_deltas: nd,
                custom_values: if schema == CUSTOM_BUCKETS_SCHEMA {
                    cv
                } else {
                    Vec::new()
                },
            },
        )
}

fn float_histogram() -> impl Strategy<Value = FloatHistogram> {
    (
        histogram(),
        proptest::collection::vec(finite(), 0..5),
        finite(),
        finite(),
    )
        .prop_map(|(h, buckets, zc, c)| FloatHistogram {
            counter_reset_hint: h.counter_reset_hint,
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count: zc,
            count: c,
            sum: h.sum,
            positive_spans: h.positive_spans,
            positive_buckets: buckets.clone(),
            negative_spans: h.negative_spans,
            negative_buckets: buckets.into_iter().rev().collect(),
            custom_values: h.custom_values,
        })
}

fn metric_type() -> impl Strategy<Value = MetricType> {
    prop_oneof![
        Just(MetricType::Counter),
        Just(MetricType::Gauge),
        Just(MetricType::Histogram),
        Just(MetricType::GaugeHistogram),
        Just(MetricType::Summary),
        Just(MetricType::Info),
        Just(MetricType::StateSet),
        Just(MetricType::Unknown),
    ]
}

fn decode(buf: &[u8]) -> Record {
    Decoder::new().decode(buf).unwrap()
}

proptest! {
    #[test]
    fn series_round_trip(v in proptest::collection::vec((any::<u64>(), labels()), 0..20)) {
        let v: Vec<RefSeries> = v.into_iter().map(|(r, labels)| RefSeries { r, labels }).collect();
        let mut buf = Vec::new();
        record::series(&v, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Series(v));
    }

    #[test]
    fn samples_round_trip(v in proptest::collection::vec((any::<u64>(), any::<i64>(), finite()), 0..50)) {
        let v: Vec<RefSample> = v.into_iter().map(|(r, t, v)| RefSample { r, t, v }).collect();
        let mut buf = Vec::new();
        record::samples(&v, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Samples(v.clone()));
        buf.clear();
        record::samples_v2(&v, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Samples(v));
    }

    #[test]
    fn tombstones_and_markers_round_trip(v in proptest::collection::vec((any::<u64>(), any::<i64>(), any::<i64>()), 0..20)) {
        let stones: Vec<RefTombstone> = v.iter().map(|&(r, mint, maxt)| RefTombstone { r, mint, maxt }).collect();
        let mut buf = Vec::new();
        record::tombstones(&stones, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Tombstones(stones));
        let markers: Vec<RefMmapMarker> = v.iter().map(|&(r, m, _)| RefMmapMarker { r, mmap_ref: m as u64 }).collect();
        buf.clear();
        record::mmap_markers(&markers, &mut buf);
        prop_assert_eq!(decode(&buf), Record::MmapMarkers(markers));
    }

    #[test]
    fn exemplars_round_trip(v in proptest::collection::vec((any::<u64>(), any::<i64>(), finite(), labels()), 0..10)) {
        let v: Vec<RefExemplar> = v.into_iter().map(|(r, t, v, labels)| RefExemplar { r, t, v, labels }).collect();
        let mut buf = Vec::new();
        record::exemplars(&v, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Exemplars(v));
    }

    #[test]
    fn metadata_round_trip(v in proptest::collection::vec((any::<u64>(), metric_type(), "\\PC{0,10}", "\\PC{0,30}"), 0..10)) {
        let v: Vec<RefMetadata> = v.into_iter().map(|(r, metric_type, unit, help)| RefMetadata {
            r, meta: Metadata { metric_type, unit, help },
        }).collect();
        let mut buf = Vec::new();
        record::metadata(&v, &mut buf);
        prop_assert_eq!(decode(&buf), Record::Metadata(v));
    }

    #[test]
    fn histograms_round_trip(v in proptest::collection::vec((any::<u64>(), any::<i64>(), histogram()), 1..8)) {
        let v: Vec<RefHistogramSample> = v.into_iter().map(|(r, t, h)| RefHistogramSample { r, t, h }).collect();
        let mut got = Vec::new();
        let mut buf = Vec::new();
        if record::histogram_samples(&v, &mut buf) {
            prop_assert_eq!(buf[0], RecordType::HistogramSamples as u8);
            let Record::HistogramSamples(d) = decode(&buf) else { panic!("wrong type") };
            got.extend(d);
        }
        buf.clear();
        if record::custom_buckets_histogram_samples(&v, &mut buf) {
            prop_assert_eq!(buf[0], RecordType::CustomBucketsHistogramSamples as u8);
            let Record::HistogramSamples(d) = decode(&buf) else { panic!("wrong type") };
            got.extend(d);
        }
        let (mut exp, custom): (Vec<_>, Vec<_>) = v.into_iter().partition(|h| h.h.schema != CUSTOM_BUCKETS_SCHEMA);
        exp.extend(custom);
        prop_assert_eq!(got, exp);
    }

    #[test]
    fn float_histograms_round_trip(v in proptest::collection::vec((any::<u64>(), any::<i64>(), float_histogram()), 1..8)) {
        let v: Vec<RefFloatHistogramSample> = v.into_iter().map(|(r, t, fh)| RefFloatHistogramSample { r, t, fh }).collect();
        let mut got = Vec::new();
        let mut buf = Vec::new();
        if record::float_histogram_samples(&v, &mut buf) {
            let Record::FloatHistogramSamples(d) = decode(&buf) else { panic!("wrong type") };
            got.extend(d);
        }
        buf.clear();
        if record::custom_buckets_float_histogram_samples(&v, &mut buf) {
            prop_assert_eq!(buf[0], RecordType::CustomBucketsFloatHistogramSamples as u8);
            let Record::FloatHistogramSamples(d) = decode(&buf) else { panic!("wrong type") };
            got.extend(d);
        }
        let (mut exp, custom): (Vec<_>, Vec<_>) = v.into_iter().partition(|h| h.fh.schema != CUSTOM_BUCKETS_SCHEMA);
        exp.extend(custom);
        prop_assert_eq!(got, exp);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut d = Decoder::new();
        let _ = d.decode(&bytes);
        for t in 1..=14u8 {
            let mut b = vec![t];
            b.extend_from_slice(&bytes);
            let _ = d.decode(&b);
        }
    }

    #[test]
    fn truncated_records_fail_cleanly(v in proptest::collection::vec((any::<u64>(), labels()), 1..5), cut in any::<prop::sample::Index>()) {
        let v: Vec<RefSeries> = v.into_iter().map(|(r, labels)| RefSeries { r, labels }).collect();
        let mut buf = Vec::new();
        record::series(&v, &mut buf);
        let cut = 1 + cut.index(buf.len() - 1);
        // Any strict prefix longer than the type byte is an error or fewer series, never a panic.
        if let Ok(Record::Series(got)) = Decoder::new().decode(&buf[..cut]) {
            prop_assert!(got.len() < v.len());
        }
    }
}

#[test]
fn samples_layout_matches_upstream() {
    let v = [
        RefSample {
            r: 10,
            t: 1000,
            v: 1.0,
        },
        RefSample {
            r: 9,
            t: 1015,
            v: f64::from_bits(0x7ff0_0000_0000_0002),
        },
    ];
    let mut buf = Vec::new();
    record::samples(&v, &mut buf);
    let mut want = vec![2u8];
    want.extend_from_slice(&10u64.to_be_bytes());
    want.extend_from_slice(&1000u64.to_be_bytes());
    want.extend_from_slice(&[0, 0]);
    want.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
    want.extend_from_slice(&[1, 30]); // zig-zag -1, 15
    want.extend_from_slice(&0x7ff0_0000_0000_0002u64.to_be_bytes());
    assert_eq!(buf, want);
    let Record::Samples(got) = decode(&buf) else {
        panic!()
    };
    assert_eq!(got[1].v.to_bits(), 0x7ff0_0000_0000_0002);
}

#[test]
fn series_and_metadata_layout_matches_upstream() {
    let mut buf = Vec::new();
    record::series(
        &[RefSeries {
            r: 1,
            labels: Labels::from_pairs([("__name__", "up"), ("job", "p")]),
        }],
        &mut buf,
    );
    let mut want = vec![1u8, 0, 0, 0, 0, 0, 0, 0, 1, 2];
    want.extend_from_slice(b"\x08__name__\x02up\x03job\x01p");
    assert_eq!(buf, want);

    buf.clear();
    let meta = Metadata {
        metric_type: MetricType::Gauge,
        unit: "s".into(),
        help: "h".into(),
    };
    record::metadata(&[RefMetadata { r: 300, meta }], &mut buf);
    assert_eq!(buf, b"\x06\xac\x02\x02\x02\x04UNIT\x01s\x04HELP\x01h");
}

#[test]
fn unknown_and_empty_records() {
    assert_eq!(decode(&[]), Record::Unknown(None));
    assert_eq!(decode(&[200, 1, 2]), Record::Unknown(Some(200)));
    let mut buf = Vec::new();
    record::samples(&[], &mut buf);
    assert_eq!(decode(&buf), Record::Samples(Vec::new()));
    buf.clear();
    record::min_valid_time(-5, &mut buf);
    assert_eq!(decode(&buf), Record::MinValidTime(-5));
    assert_eq!(record::record_type(&buf), Some(RecordType::MinValidTime));
}

#[test]
fn metadata_skips_unknown_fields() {
    let rec = b"\x06\x05\x01\x03\x04UNIT\x01s\x05EXTRA\x01x\x04HELP\x01h";
    let Record::Metadata(m) = decode(rec) else {
        panic!()
    };
    assert_eq!(m[0].r, 5);
    assert_eq!(m[0].meta.metric_type, MetricType::Counter);
    assert_eq!(
        (m[0].meta.unit.as_str(), m[0].meta.help.as_str()),
        ("s", "h")
    );
}

#[test]
fn histograms_with_unknown_schemas_are_skipped() {
    let h = |schema| RefHistogramSample {
        r: 1,
        t: 2,
        h: Histogram {
            schema,
            ..Histogram::default()
        },
    };
    let mut buf = Vec::new();
    record::histogram_samples(&[h(0), h(60), h(-9), h(-10), h(52)], &mut buf);
    let mut out = vec![h(3)];
    Decoder::new().histogram_samples(&buf, &mut out).unwrap();
    let schemas: Vec<i32> = out.iter().map(|x| x.h.schema).collect();
    assert_eq!(schemas, [3, 0, -9, 52]);
}
