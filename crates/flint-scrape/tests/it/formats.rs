//! What reaches the storage besides float samples: metadata (when it changes), exemplars,
//! native histograms from protobuf, classic histograms converted to NHCB.

use std::sync::{Arc, Mutex};

use flint_expfmt::proto;
use flint_model::MetricType;
use flint_storage::{Queryable, Value};
use prost::Message;

use crate::harness::{Recorder, TypedBody, job, scrape_loop, serve_typed, value};

const OM: &str = "application/openmetrics-text; version=1.0.0";
const PROTO: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

fn body(ct: &str, b: impl Into<Vec<u8>>) -> TypedBody {
    Arc::new(Mutex::new((ct.to_string(), b.into())))
}

#[tokio::test]
async fn metadata_reaches_storage_only_when_it_changes() {
    let b = body(
        OM,
        "# TYPE req counter\n# UNIT req requests\n# HELP req Requests.\nreq_total{a=\"1\"} 1\nreq_total{a=\"2\"} 1\n# TYPE g gauge\ng 3\n# EOF\n",
    );
    let addr = serve_typed(b.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    let x = rec.take_extras();
    let scraped: Vec<_> = x
        .metadata
        .iter()
        .filter(|(l, _)| {
            l.metric_name() != Some("up") && !l.metric_name().unwrap().starts_with("scrape_")
        })
        .collect();
    assert_eq!(scraped.len(), 3, "{scraped:?}");
    assert_eq!(scraped[0].1.metric_type, MetricType::Counter);
    assert_eq!(scraped[0].1.unit, "requests");
    assert_eq!(scraped[0].1.help, "Requests.");
    assert_eq!(scraped[2].0.metric_name(), Some("g"));
    let up = x
        .metadata
        .iter()
        .find(|(l, _)| l.metric_name() == Some("up"))
        .expect("report series carry metadata");
    assert_eq!(up.1.metric_type, MetricType::Gauge);
    // The API view.
    let meta = t.metadata();
    assert_eq!(meta.len(), 2);
    assert_eq!(
        (
            meta[0].metric.as_str(),
            meta[0].metric_type.as_str(),
            meta[0].unit.as_str()
        ),
        ("req", "counter", "requests")
    );
    // Steady state: nothing is sent again.
    l.scrape_once().await;
    assert!(rec.take_extras().metadata.is_empty());
    let before = Arc::clone(&t.metadata());
    // A changed help text goes to every series of the family.
    b.lock().unwrap().1 =
        b"# TYPE req counter\n# UNIT req requests\n# HELP req Changed.\nreq_total{a=\"1\"} 2\nreq_total{a=\"2\"} 2\n# TYPE g gauge\ng 3\n# EOF\n".to_vec();
    l.scrape_once().await;
    let x = rec.take_extras();
    assert_eq!(x.metadata.len(), 2, "{:?}", x.metadata);
    assert!(x.metadata.iter().all(|(_, m)| m.help == "Changed."));
    assert_eq!(t.metadata()[0].help, "Changed.");
    assert!(!Arc::ptr_eq(&before, &t.metadata()));
    // A vanished family leaves the API view.
    b.lock().unwrap().1 = b"# TYPE g gauge\ng 3\n# EOF\n".to_vec();
    l.scrape_once().await;
    assert_eq!(t.metadata().len(), 1);
}

#[tokio::test]
async fn exemplars_are_appended_in_order_with_the_sample_time() {
    let b = body(
        OM,
        "# TYPE c counter\nc_total 1 # {trace_id=\"a\"} 0.5\nc_total{x=\"1\"} 2 # {trace_id=\"b\"} 0.7 100.5\n# EOF\n",
    );
    let addr = serve_typed(b.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    let samples = rec.take();
    let t = samples
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("c_total"))
        .unwrap()
        .1;
    let x = rec.take_extras();
    assert_eq!(x.exemplars.len(), 2, "{:?}", x.exemplars);
    assert_eq!(
        x.exemplars[0].1.timestamp,
        Some(t),
        "defaults to the sample's time"
    );
    assert_eq!(
        x.exemplars[0].1.labels,
        vec![("trace_id".into(), "a".into())]
    );
    assert_eq!(x.exemplars[1].1.timestamp, Some(100_500));
    assert_eq!(x.exemplars[1].0.get("x"), Some("1"));
    // The same exemplar again is out of order for the recorder only when older: a scrape
    // with an older exemplar counts, without failing the scrape.
    b.lock().unwrap().1 =
        b"# TYPE c counter\nc_total 1\nc_total{x=\"1\"} 3 # {trace_id=\"b\"} 0.7 50\n# EOF\n"
            .to_vec();
    l.scrape_once().await;
    assert_eq!(value(&rec.take(), "up"), Some(1.0));
}

fn label(n: &str, v: &str) -> proto::LabelPair {
    proto::LabelPair {
        name: Some(n.into()),
        value: Some(v.into()),
    }
}

/// A protobuf body with one histogram carrying native and classic buckets, plus a gauge.
fn proto_body() -> Vec<u8> {
    let fams = [
        proto::MetricFamily {
            name: Some("rpc_seconds".into()),
            help: Some("RPC latency.".into()),
            r#type: Some(proto::MetricType::Histogram as i32),
            metric: vec![proto::Metric {
                label: vec![label("method", "get")],
                histogram: Some(proto::Histogram {
                    sample_count: Some(4),
                    sample_sum: Some(2.5),
                    schema: Some(1),
                    zero_threshold: Some(1e-9),
                    zero_count: Some(1),
                    positive_span: vec![proto::BucketSpan {
                        offset: Some(-1),
                        length: Some(2),
                    }],
                    positive_delta: vec![2, -1],
                    bucket: vec![
                        proto::Bucket {
                            cumulative_count: Some(3),
                            upper_bound: Some(1.0),
                            ..Default::default()
                        },
                        proto::Bucket {
                            cumulative_count: Some(4),
                            upper_bound: Some(2.0),
                            ..Default::default()
                        },
                    ],
                    exemplars: vec![proto::Exemplar {
                        label: vec![label("trace_id", "n1")],
                        value: Some(0.3),
                        timestamp: Some(proto::Timestamp {
                            seconds: 5,
                            nanos: 0,
                        }),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
        proto::MetricFamily {
            name: Some("temp".into()),
            r#type: Some(proto::MetricType::Gauge as i32),
            metric: vec![proto::Metric {
                gauge: Some(proto::Gauge { value: Some(21.5) }),
                ..Default::default()
            }],
            ..Default::default()
        },
    ];
    let mut out = Vec::new();
    for f in &fams {
        f.encode_length_delimited(&mut out).unwrap();
    }
    out
}

fn names(samples: &[(flint_model::Labels, i64, f64)]) -> Vec<String> {
    samples
        .iter()
        .filter_map(|(l, _, _)| l.metric_name().map(str::to_string))
        .filter(|n| n != "up" && !n.starts_with("scrape_"))
        .collect()
}

#[tokio::test]
async fn protobuf_native_histograms() {
    let addr = serve_typed(body(PROTO, proto_body())).await.to_string();
    // Native histograms on: the histogram is native, its classic buckets are left out.
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(
        job("job_name: j\nscrape_native_histograms: true"),
        &addr,
        &rec,
    );
    l.scrape_once().await;
    assert_eq!(t.health().last_error, "");
    assert_eq!(names(&rec.take()), vec!["temp"]);
    let x = rec.take_extras();
    assert_eq!(x.histograms.len(), 1, "{:?}", x.histograms);
    let (labels, _, h) = &x.histograms[0];
    assert_eq!(labels.metric_name(), Some("rpc_seconds"));
    assert_eq!(labels.get("method"), Some("get"));
    assert!(
        h.contains("schema: 1") && h.contains("zero_count: 1"),
        "{h}"
    );
    assert_eq!(x.exemplars.len(), 1);
    assert_eq!(x.exemplars[0].1.timestamp, Some(5000));
    assert_eq!(t.metadata()[0].metric_type, "histogram");
    // With classic histograms kept, both.
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(
        job("job_name: j\nscrape_native_histograms: true\nalways_scrape_classic_histograms: true"),
        &addr,
        &rec,
    );
    l.scrape_once().await;
    let n = names(&rec.take());
    assert_eq!(
        n.iter().filter(|n| *n == "rpc_seconds_bucket").count(),
        3,
        "{n:?}"
    );
    assert_eq!(rec.take_extras().histograms.len(), 1);
    // Native histograms off (the default): classic series only, `le` as OpenMetrics floats.
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    let s = rec.take();
    let les: Vec<&str> = s
        .iter()
        .filter(|(l, _, _)| l.metric_name() == Some("rpc_seconds_bucket"))
        .filter_map(|(l, _, _)| l.get("le"))
        .collect();
    assert_eq!(les, vec!["1.0", "2.0", "+Inf"]);
    assert!(rec.take_extras().histograms.is_empty());
}

#[tokio::test]
async fn classic_histograms_convert_to_nhcb_in_memory_storage() {
    let text = "# TYPE lat histogram\nlat_bucket{le=\"0.1\"} 1\nlat_bucket{le=\"1\"} 3\nlat_bucket{le=\"+Inf\"} 3\nlat_sum 1.2\nlat_count 3\n";
    let addr = serve_typed(body("text/plain; version=0.0.4", text))
        .await
        .to_string();
    let mem = flint_storage::memory::MemStorage::new();
    let cfg = job("job_name: j\nconvert_classic_histograms_to_nhcb: true");
    let (mut l, _) = crate::harness::scrape_loop_into(cfg, &addr, Arc::new(mem.clone()));
    l.scrape_once().await;
    let q = mem.querier(i64::MIN, i64::MAX).unwrap();
    let series = crate::harness::select_all(q.as_ref(), "lat");
    assert_eq!(series.len(), 1, "only the converted histogram");
    match &series[0].1[0] {
        Value::Histogram(h) => {
            assert_eq!(h.schema, -53);
            assert_eq!(h.custom_values, vec![0.1, 1.0]);
            assert_eq!((h.count, h.sum), (3, 1.2));
        }
        other => panic!("{other:?}"),
    }
    assert!(crate::harness::select_all(q.as_ref(), "lat_bucket").is_empty());
    // Without conversion, `le` is normalized as Prometheus 3 stores it.
    let mem = flint_storage::memory::MemStorage::new();
    let (mut l, _) =
        crate::harness::scrape_loop_into(job("job_name: j"), &addr, Arc::new(mem.clone()));
    l.scrape_once().await;
    let q = mem.querier(i64::MIN, i64::MAX).unwrap();
    let les: Vec<String> = crate::harness::select_all(q.as_ref(), "lat_bucket")
        .iter()
        .map(|(l, _)| l.get("le").unwrap().to_string())
        .collect();
    assert_eq!(les, vec!["+Inf", "0.1", "1.0"]);
}

#[tokio::test]
async fn native_histogram_limits() {
    let addr = serve_typed(body(PROTO, proto_body())).await.to_string();
    // A coarser maximum schema (factor 2 allows schema 0): buckets -1 and 0 of schema 1
    // merge into bucket 0.
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(
        job("job_name: j\nscrape_native_histograms: true\nnative_histogram_min_bucket_factor: 2"),
        &addr,
        &rec,
    );
    l.scrape_once().await;
    let h = &rec.take_extras().histograms[0].2;
    assert!(h.contains("schema: 0"), "{h}");
    assert!(h.contains("positive_deltas: [3]"), "{h}");
    // A bucket limit of one: the resolution is lowered until it fits.
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(
        job("job_name: j\nscrape_native_histograms: true\nnative_histogram_bucket_limit: 1"),
        &addr,
        &rec,
    );
    l.scrape_once().await;
    assert_eq!(t.health().last_error, "");
    assert!(rec.take_extras().histograms[0].2.contains("schema: 0"));
}
