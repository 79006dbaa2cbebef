//! The engine's public API: result shapes, errors and their kinds, limits, annotations.

use std::time::Duration;

use flint_model::Labels;
use flint_promql::engine::SampleValue;
use flint_promql::{Engine, EngineOptions, ErrorKind, QueryOptions, QueryValue};
use flint_storage::Appendable;
use flint_storage::memory::MemStorage;
use tokio_util::sync::CancellationToken;

/// `http_requests_total{job="api", instance="0".."9"}` = 10·i + t/15s, and
/// `temperature{instance="0".."9"}` = i, every 15 s over 10 min.
fn storage() -> MemStorage {
    let s = MemStorage::new();
    for i in 0..10 {
        let mut app = s.appender();
        let counter = Labels::from_pairs([
            ("__name__", "http_requests_total".to_owned()),
            ("instance", i.to_string()),
            ("job", "api".to_owned()),
        ]);
        let gauge = Labels::from_pairs([
            ("__name__", "temperature".to_owned()),
            ("instance", i.to_string()),
        ]);
        for n in 0..=40i64 {
            let t = n * 15_000;
            app.append(None, &counter, t, (10 * i + n) as f64).unwrap();
            app.append(None, &gauge, t, i as f64).unwrap();
        }
        app.commit().unwrap();
    }
    s
}

fn engine() -> Engine {
    Engine::new(EngineOptions::default())
}

#[test]
fn instant_vector_scalar_string_and_matrix() {
    let (s, e) = (storage(), engine());
    let r = e.instant_query(&s, "sum(temperature)", 600_000).unwrap();
    let QueryValue::Vector(v) = r.value else {
        panic!("{:?}", r.value)
    };
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].t, 600_000);
    assert!(matches!(v[0].value, SampleValue::Float(f) if f == 45.0));
    assert!(v[0].labels.is_empty());

    let r = e.instant_query(&s, "1 + 2", 1000).unwrap();
    assert_eq!(r.value, QueryValue::Scalar { t: 1000, v: 3.0 });

    let r = e.instant_query(&s, r#""hello""#, 1000).unwrap();
    assert_eq!(
        r.value,
        QueryValue::String {
            t: 1000,
            v: "hello".into()
        }
    );

    let r = e
        .instant_query(&s, r#"temperature{instance="3"}[1m]"#, 600_000)
        .unwrap();
    let QueryValue::Matrix(m) = r.value else {
        panic!("{:?}", r.value)
    };
    assert_eq!(m.len(), 1);
    // Left-open window (540 s, 600 s]: 4 samples.
    let times: Vec<i64> = m[0].floats.iter().map(|p| p.0).collect();
    assert_eq!(times, [555_000, 570_000, 585_000, 600_000]);
    assert!(r.stats.total_queryable_samples > 0);
}

#[test]
fn range_query_is_a_matrix_sorted_by_labels() {
    let (s, e) = (storage(), engine());
    let r = e
        .range_query(
            &s,
            "rate(http_requests_total[1m])",
            300_000,
            600_000,
            60_000,
        )
        .unwrap();
    let QueryValue::Matrix(m) = r.value else {
        panic!("{:?}", r.value)
    };
    assert_eq!(m.len(), 10);
    let instances: Vec<&str> = m
        .iter()
        .map(|s| s.labels.get("instance").unwrap())
        .collect();
    assert_eq!(
        instances,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    );
    for series in &m {
        // The metric name is dropped by rate().
        assert_eq!(series.labels.get("__name__"), None);
        assert_eq!(series.floats.len(), 6);
        for &(_, v) in &series.floats {
            assert!((v - 1.0 / 15.0).abs() < 1e-12, "{v}");
        }
    }
}

#[test]
fn errors_carry_upstream_messages_and_kinds() {
    let (s, e) = (storage(), engine());
    let err = e.instant_query(&s, "sum(rate(foo[5m]) ", 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadData);
    assert_eq!(err.kind().as_str(), "bad_data");
    assert_eq!(
        err.to_string(),
        "1:19: parse error: unclosed left parenthesis"
    );

    let err = e.instant_query(&s, "foo offset 5m 1", 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"1:15: parse error: unexpected number "1""#
    );

    let err = e
        .range_query(&s, "temperature[5m]", 0, 60_000, 15_000)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadData);
    assert_eq!(
        err.to_string(),
        r#"invalid expression type "range vector" for range query, must be Scalar or instant Vector"#
    );

    let err = e.range_query(&s, "1", 0, 60_000, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadData);

    // Two series with the same labels once the name is gone.
    let err = e
        .instant_query(
            &s,
            r#"label_replace(temperature, "instance", "x", "", "")"#,
            0,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Execution);
    assert_eq!(
        err.to_string(),
        "vector cannot contain metrics with the same labelset"
    );
}

#[test]
fn max_samples() {
    let s = storage();
    let e = Engine::new(EngineOptions {
        max_samples: 15,
        ..EngineOptions::default()
    });
    // 10 series: fine; so is a function over windows of 4 samples, one series at a time.
    e.instant_query(&s, "temperature", 600_000).unwrap();
    e.instant_query(&s, "max_over_time(temperature[1m])", 600_000)
        .unwrap();
    // A range vector result holds all its samples: 10 × 4.
    let err = e.instant_query(&s, "temperature[1m]", 600_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Execution);
    assert_eq!(
        err.to_string(),
        "query processing would load too many samples into memory in query execution"
    );
    // A range query holds all its steps: 10 × 11.
    let err = e
        .range_query(&s, "temperature", 0, 600_000, 60_000)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Execution);
}

#[test]
fn timeout_and_cancellation() {
    let (s, e) = (storage(), engine());
    let opts = QueryOptions {
        timeout: Some(Duration::from_nanos(1)),
        ..QueryOptions::default()
    };
    let err = e
        .range_query_with(&s, "rate(http_requests_total[5m])", 0, 600_000, 1000, &opts)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().starts_with("query timed out in "), "{err}");

    let cancel = CancellationToken::new();
    cancel.cancel();
    let opts = QueryOptions {
        cancel: Some(cancel),
        ..QueryOptions::default()
    };
    let err = e
        .instant_query_with(&s, "temperature", 600_000, &opts)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Canceled);
    assert_eq!(err.kind().as_str(), "canceled");
}

#[test]
fn lookback_delta_per_query() {
    let (s, e) = (storage(), engine());
    // The last sample is at 600 s: visible 4 min later, not 6 min later.
    let r = e.instant_query(&s, "temperature", 840_000).unwrap();
    assert!(matches!(r.value, QueryValue::Vector(ref v) if v.len() == 10));
    let r = e.instant_query(&s, "temperature", 960_000).unwrap();
    assert!(matches!(r.value, QueryValue::Vector(ref v) if v.is_empty()));
    let opts = QueryOptions {
        lookback_delta: Some(Duration::from_secs(60)),
        ..QueryOptions::default()
    };
    let r = e
        .instant_query_with(&s, "temperature", 840_000, &opts)
        .unwrap();
    assert!(matches!(r.value, QueryValue::Vector(ref v) if v.is_empty()));
}

#[test]
fn annotations_render_like_upstream() {
    let (s, e) = (storage(), engine());
    let q = "rate(temperature[5m])";
    let r = e.instant_query(&s, q, 600_000).unwrap();
    let (warnings, infos) = r.annotations.render(q, 10);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        infos,
        [
            r#"PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "temperature" (1:6)"#
        ]
    );
    let q = r#"quantile(2, temperature)"#;
    let r = e.instant_query(&s, q, 600_000).unwrap();
    let (warnings, _) = r.annotations.render(q, 10);
    assert_eq!(
        warnings,
        ["PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)"]
    );
}

#[test]
fn concurrency_limit() {
    let s = storage();
    let e = Engine::new(EngineOptions {
        max_concurrency: 1,
        ..EngineOptions::default()
    });
    assert_eq!(e.max_concurrent_queries(), 1);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let (e, s) = (e.clone(), &s);
            scope.spawn(move || {
                for _ in 0..20 {
                    e.range_query(s, "sum(rate(http_requests_total[1m]))", 0, 600_000, 15_000)
                        .unwrap();
                    assert!(e.running_queries() <= 1);
                }
            });
        }
    });
    assert_eq!(e.running_queries(), 0);
}

#[test]
fn every_function_evaluates() {
    use flint_promql::parser::{FUNCTIONS, ValueType};
    let (s, e) = (storage(), engine());
    for f in FUNCTIONS {
        let args: Vec<String> = f
            .arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                ValueType::Scalar => "0.5".to_owned(),
                ValueType::Vector if f.name == "info" && i == 1 => r#"{job="api"}"#.to_owned(),
                ValueType::Vector => "temperature".to_owned(),
                ValueType::Matrix => "temperature[5m]".to_owned(),
                _ => r#""q""#.to_owned(),
            })
            .collect();
        // Optional arguments may be left out.
        let q = format!("{}({})", f.name, args.join(", "));
        if let Err(err) = e.instant_query(&s, &q, 600_000) {
            panic!("{q}: {err}");
        }
        // And all of them are accepted in range queries.
        if f.return_type != ValueType::String {
            e.range_query(&s, &q, 0, 600_000, 60_000)
                .unwrap_or_else(|err| panic!("{q} (range): {err}"));
        }
    }
}

#[test]
fn self_metrics() {
    let (s, e) = (storage(), engine());
    let registry = flint_client::Registry::new();
    e.register_metrics(&registry).unwrap();
    e.instant_query(&s, "sum(temperature)", 600_000).unwrap();
    let text = registry.encode_text();
    for line in [
        "prometheus_engine_queries 0",
        "prometheus_engine_queries_concurrent_max 20",
        "prometheus_engine_query_samples_total 10",
        r#"prometheus_engine_query_duration_seconds_count{slice="inner_eval"} 1"#,
        r#"prometheus_engine_query_duration_seconds_count{slice="queue_time"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
}

/// Every expression of the test scripts, over a storage with float, histogram and mixed
/// series under the names the scripts use most: an error or a result, never a panic.
#[test]
fn script_expressions_never_panic() {
    use flint_model::{FloatHistogram, Span};
    let s = MemStorage::new();
    let names = [
        "http_requests",
        "metric",
        "foo",
        "bar",
        "x",
        "testhistogram",
        "series",
        "a",
        "b",
        "http_requests_total",
        "some_metric",
    ];
    let mut app = s.appender();
    for (k, name) in names.iter().enumerate() {
        for i in 0..3 {
            let labels = Labels::from_pairs([
                ("__name__", (*name).to_owned()),
                ("instance", i.to_string()),
                ("job", "api".to_owned()),
            ]);
            for n in 0..=40i64 {
                let t = n * 15_000;
                // Floats, histograms, or floats then histograms, by series.
                let hist = match (k + i) % 3 {
                    0 => false,
                    1 => true,
                    _ => n > 20,
                };
                if hist {
                    let h = FloatHistogram {
                        schema: (i as i32) - 1,
                        count: (n * 3) as f64,
                        sum: n as f64 * 1.5,
                        zero_count: n as f64,
                        zero_threshold: 0.001,
                        positive_spans: vec![Span {
                            offset: -1,
                            length: 2,
                        }],
                        positive_buckets: vec![n as f64, n as f64],
                        ..FloatHistogram::default()
                    };
                    app.append_histogram(
                        None,
                        &labels,
                        t,
                        flint_storage::HistogramSample::Float(&h),
                    )
                    .unwrap();
                } else {
                    app.append(None, &labels, t, (n * (i as i64 + 1)) as f64)
                        .unwrap();
                }
            }
        }
    }
    app.commit().unwrap();
    let e = engine();
    let mut n = 0;
    for (_, q) in crate::printer::expressions() {
        let _ = e.instant_query(&s, &q, 600_000);
        let _ = e.range_query(&s, &q, 0, 600_000, 60_000);
        n += 1;
    }
    assert!(n > 1500);
}
