//! Registry behaviour: names, prefixes, const labels, conflicts, gather and the formats.

#![allow(clippy::unwrap_used)] // setup in tests and benches may panic

use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::histogram::{Buckets, Histogram};
use flint_client::metrics::native_histogram::NativeConfig;
use flint_client::registry::{Opts, Unit};
use flint_client::{Error, Registry, labels::ConstLabels};
use flint_expfmt::Format;
use flint_expfmt::family::MetricValue;

#[test]
fn names_are_built_from_prefix_namespace_subsystem_and_unit() {
    let root = Registry::with_prefix("flint");
    let sub = root.sub_registry_with_prefix("tsdb");
    let opts = Opts::new("size", "Size.")
        .namespace("ns")
        .subsystem("blocks")
        .unit(Unit::Bytes);
    sub.register_with_opts(opts, Gauge::default()).unwrap();
    sub.register_with_opts(
        Opts::new("uptime_seconds", "Up.").unit(Unit::Seconds),
        Gauge::default(),
    )
    .unwrap();
    sub.register("compactions_total", "Compactions.", Counter::default())
        .unwrap();
    let names: Vec<_> = root
        .gather()
        .into_iter()
        .map(|f| (f.name, f.unit))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "flint_tsdb_ns_blocks_size_bytes".to_owned(),
                "bytes".to_owned()
            ),
            ("flint_tsdb_uptime_seconds".to_owned(), "seconds".to_owned()),
            ("flint_tsdb_compactions".to_owned(), String::new()),
        ]
    );
    assert!(
        root.encode_text()
            .contains("flint_tsdb_compactions_total 0\n")
    );
}

#[test]
fn conflicts_and_invalid_names_are_errors() {
    let root = Registry::new();
    let sub = root.sub_registry_with_prefix("a");
    root.register("a_b", "x", Gauge::default()).unwrap();
    assert_eq!(
        sub.register("b", "x", Gauge::default()),
        Err(Error::AlreadyRegistered("a_b".into()))
    );
    assert_eq!(
        root.register("a_b", "x", Counter::default()),
        Err(Error::AlreadyRegistered("a_b".into()))
    );
    assert!(matches!(
        root.register("9lives", "x", Gauge::default()),
        Err(Error::InvalidMetricName(_))
    ));
    let bad_label = Opts::new("ok", "x").const_label("__reserved", "v");
    assert!(matches!(
        root.register_with_opts(bad_label, Gauge::default()),
        Err(Error::InvalidLabelName(_))
    ));
}

#[test]
fn const_labels_come_first_and_nest() {
    let root = Registry::with_const_labels(ConstLabels::new().with("region", "eu"));
    let sub = root.sub_registry_with_labels(ConstLabels::new().with("shard", "3"));
    let v = LabelVec::<Gauge>::new(["disk"]).unwrap();
    v.with_label_values(&["sda"]).unwrap().set(1.0);
    sub.register_with_opts(Opts::new("free", "Free.").const_label("kind", "ssd"), v)
        .unwrap();
    let text = root.encode_text();
    assert!(
        text.contains("free{region=\"eu\",shard=\"3\",kind=\"ssd\",disk=\"sda\"} 1\n"),
        "{text}"
    );
}

#[test]
fn gather_returns_values_and_exemplars() {
    let root = Registry::new();
    let c = Counter::default();
    c.inc_by_with_exemplar(5, &[("trace_id", "t")]);
    root.register("jobs", "Jobs.", c).unwrap();
    let h = Histogram::new(Buckets::new([1.0]).unwrap());
    h.observe_with_exemplar(0.5, &[("trace_id", "u")]);
    root.register("lat", "Lat.", h).unwrap();
    let fams = root.gather();
    let MetricValue::Counter {
        value, exemplar, ..
    } = &fams[0].metrics[0].value
    else {
        panic!("{fams:?}")
    };
    assert_eq!(*value, 5.0);
    assert_eq!(
        exemplar.as_ref().map(|e| e.labels.clone()),
        Some(vec![("trace_id".into(), "t".into())])
    );
    let MetricValue::Histogram(hv) = &fams[1].metrics[0].value else {
        panic!("{fams:?}")
    };
    assert_eq!(hv.buckets[0].exemplar.as_ref().map(|e| e.value), Some(0.5));
    let mut om = Vec::new();
    root.encode_to(Format::OpenMetrics, &mut om);
    let om = String::from_utf8_lossy(&om);
    assert!(om.contains("jobs_total 5.0 # {trace_id=\"t\"} 5.0"), "{om}");
    assert!(om.ends_with("# EOF\n"));
}

#[test]
fn native_histograms_are_gathered_with_spans() {
    let root = Registry::new();
    let h = Histogram::native(NativeConfig::new(0).unwrap(), None);
    for v in [1.0, 2.0, 3.0, -0.5, 0.0] {
        h.observe(v);
    }
    root.register("native", "Native.", h).unwrap();
    let fams = root.gather();
    let MetricValue::Histogram(hv) = &fams[0].metrics[0].value else {
        panic!("{fams:?}")
    };
    let native = hv.native.as_ref().unwrap();
    assert_eq!(native.count, 5);
    assert_eq!(native.zero_count, 1);
    assert_eq!(native.positive_deltas, vec![1, 0, 0]); // buckets 0, 1, 2
    assert_eq!(native.negative_deltas, vec![1]);
    assert!(hv.buckets.is_empty());
    let mut pb = Vec::new();
    root.encode_to(Format::Protobuf, &mut pb);
    assert!(!pb.is_empty());
}

#[test]
fn registries_are_shareable_across_threads() {
    let root = Registry::new();
    std::thread::scope(|s| {
        for t in 0..4 {
            let root = root.clone();
            s.spawn(move || {
                for i in 0..25 {
                    root.register(&format!("m_{t}_{i}"), "M.", Gauge::default())
                        .unwrap();
                    root.encode_text();
                }
            });
        }
    });
    assert_eq!(root.gather().len(), 100);
}

#[test]
fn every_format_parses_back_to_what_gather_returns() {
    let root = Registry::new();
    let c = Counter::default();
    c.inc_by(7);
    root.register("jobs", "Jobs.", c).unwrap();
    let h = Histogram::native(
        NativeConfig::new(1).unwrap(),
        Some(Buckets::new([1.0, 10.0]).unwrap()),
    );
    for v in [0.5, 1.5, 3.0, 30.0] {
        h.observe(v);
    }
    root.register("sizes", "Sizes.", h).unwrap();
    let gathered = root.gather();
    for format in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
        let mut out = Vec::new();
        root.encode_to(format, &mut out);
        let parsed = flint_expfmt::parse_families(format, &out).unwrap();
        // Prometheus text names the counter family with its `_total`.
        let names: Vec<_> = parsed
            .iter()
            .map(|f| f.name.trim_end_matches("_total"))
            .collect();
        assert_eq!(names, ["jobs", "sizes"], "{format:?}");
        let MetricValue::Counter { value, .. } = parsed[0].metrics[0].value else {
            panic!("{parsed:?}")
        };
        assert_eq!(value, 7.0, "{format:?}");
        let MetricValue::Histogram(hv) = &parsed[1].metrics[0].value else {
            panic!("{parsed:?}")
        };
        assert_eq!(hv.count, 4.0, "{format:?}");
        assert_eq!(hv.buckets.len(), 3, "{format:?}");
        if format == Format::Protobuf {
            let MetricValue::Histogram(want) = &gathered[1].metrics[0].value else {
                panic!()
            };
            assert_eq!(hv.native, want.native, "native buckets survive protobuf");
            assert!(
                hv.native
                    .as_ref()
                    .is_some_and(|n| n.schema == 1 && n.count == 4)
            );
        }
    }
}
