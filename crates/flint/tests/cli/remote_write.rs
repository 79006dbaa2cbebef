//! The remote-write receiver (`--web.enable-remote-write-receiver`): Debian's `prometheus`
//! remote-writes what it scrapes to `flint server` and both answer the same queries; bad
//! requests get upstream's status codes and a refused request leaves nothing behind.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use flint_remote::prompb::{Label, Sample, TimeSeries, WriteRequest};
use flint_testkit::find_program;
use prost::Message;

use super::alerting::flint_server_with;
use super::support::{free_port, http_get, http_post, spawn, wait_for};

const RW_HEADERS: &[&str] = &[
    "Content-Type: application/x-protobuf",
    "Content-Encoding: snappy",
    "X-Prometheus-Remote-Write-Version: 0.1.0",
];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A snappy-compressed request with one sample per `(metric, t, v)`.
fn request(samples: &[(&str, i64, f64)]) -> Vec<u8> {
    let req = WriteRequest {
        timeseries: samples
            .iter()
            .map(|(name, t, v)| TimeSeries {
                labels: vec![
                    Label {
                        name: "__name__".into(),
                        value: (*name).into(),
                    },
                    Label {
                        name: "job".into(),
                        value: "pushed".into(),
                    },
                ],
                samples: vec![Sample {
                    value: *v,
                    timestamp: *t,
                }],
                exemplars: vec![],
            })
            .collect(),
        metadata: vec![],
    };
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .expect("snappy")
}

/// The `result` of an instant query, as JSON.
fn query(port: u16, q: &str, time: f64) -> Option<serde_json::Value> {
    let enc: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let body = http_get(port, &format!("/api/v1/query?query={enc}&time={time}"))?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    (v["status"] == "success").then(|| v["data"]["result"].clone())
}

#[test]
fn bad_requests_get_upstream_codes_and_refused_requests_leave_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (on, off) = (free_port(), free_port());
    let off_dir = d.join("off");
    std::fs::create_dir_all(&off_dir).expect("dir");
    let _on = flint_server_with(
        d,
        on,
        "global: {}\n",
        &["--web.enable-remote-write-receiver"],
    );
    let _off = flint_server_with(&off_dir, off, "global: {}\n", &[]);
    let logs = [d.join("flint.log"), off_dir.join("flint.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    for port in [on, off] {
        wait_for(20, "ready", &logs, || {
            http_get(port, "/-/ready").filter(|b| b.contains("Ready"))
        });
    }
    let t = now_ms();
    let post = |port: u16, headers: &[&str], body: &[u8]| {
        http_post(port, "/api/v1/write", headers, body).expect("answer")
    };
    let (code, body) = post(off, RW_HEADERS, &request(&[("a", t, 1.0)]));
    assert_eq!(code, 404, "{body}");
    assert!(
        body.contains("--web.enable-remote-write-receiver"),
        "{body}"
    );

    assert_eq!(post(on, RW_HEADERS, &request(&[("a", t, 1.0)])).0, 204);
    let (code, body) = post(on, RW_HEADERS, b"not snappy at all");
    assert_eq!(code, 400, "{body}");
    let garbage = snap::raw::Encoder::new()
        .compress_vec(b"\xff\xff\xff\xff")
        .expect("snappy");
    assert_eq!(post(on, RW_HEADERS, &garbage).0, 400);
    let (code, body) = post(
        on,
        &["Content-Type: application/json"],
        &request(&[("a", t, 1.0)]),
    );
    assert_eq!(code, 415, "{body}");
    let v2 = ["Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request"];
    assert_eq!(post(on, &v2, &request(&[("a", t, 1.0)])).0, 415);
    let gzip = [
        "Content-Type: application/x-protobuf",
        "Content-Encoding: gzip",
    ];
    assert_eq!(post(on, &gzip, &request(&[("a", t, 1.0)])).0, 415);

    // `b` is fine but `a` goes back in time: the whole request is refused with 400 (so the
    // sender does not retry it) and `b` is not stored either.
    let (code, body) = post(
        on,
        RW_HEADERS,
        &request(&[("b", t, 2.0), ("a", t - 60_000, 3.0)]),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("out of order sample"), "{body}");
    // Samples more than 10 minutes ahead are out of bounds.
    let (code, body) = post(on, RW_HEADERS, &request(&[("c", t + 3_600_000, 1.0)]));
    assert_eq!(code, 400, "{body}");
    let at = t as f64 / 1000.0;
    let got = query(on, "{job=\"pushed\"}", at).expect("query");
    let names: Vec<&str> = got
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["metric"]["__name__"].as_str())
        .collect();
    assert_eq!(names, ["a"], "{got}");
    assert_eq!(got[0]["value"][1], "1");
}

#[test]
fn prometheus_remote_writes_to_flint() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (flint, prom) = (free_port(), free_port());
    let _flint = flint_server_with(
        d,
        flint,
        "global: {}\n",
        &["--web.enable-remote-write-receiver"],
    );
    std::fs::write(
        d.join("prom.yml"),
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prom\n    static_configs: [{{targets: ['127.0.0.1:{prom}']}}]\n\
             remote_write:\n  - url: 'http://127.0.0.1:{flint}/api/v1/write'\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms}}\n"
        ),
    )
    .expect("prometheus config");
    let _prom = spawn(
        &prometheus,
        &[
            format!("--config.file={}", d.join("prom.yml").display()),
            format!("--storage.tsdb.path={}", d.join("prom-data").display()),
            format!("--web.listen-address=127.0.0.1:{prom}"),
        ],
        &d.join("prom.log"),
    );
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    // Five scrapes have arrived.
    wait_for(40, "Prometheus's samples in Flint", &logs, || {
        let r = query(
            flint,
            "count_over_time(up{job=\"prom\"}[1m])",
            now_ms() as f64 / 1000.0,
        )?;
        let n: f64 = r[0]["value"][1].as_str()?.parse().ok()?;
        (n >= 5.0).then_some(())
    });
    // At a moment both have fully seen, the same queries answer the same on both sides.
    let at = (now_ms() - 3_000) as f64 / 1000.0;
    for q in [
        "count({job=\"prom\"})",
        "count_over_time(up{job=\"prom\"}[20s])",
        "sum(prometheus_build_info{job=\"prom\"})",
        "count(count by (__name__) ({job=\"prom\"}))",
    ] {
        let theirs = query(prom, q, at).expect("prometheus answers");
        // Delivery lags scraping by a batch; wait until Flint has caught up.
        let ours = wait_for(20, &format!("{q} to agree"), &logs, || {
            let ours = query(flint, q, at)?;
            (ours[0]["value"][1] == theirs[0]["value"][1]).then_some(ours)
        });
        assert_eq!(ours[0]["value"], theirs[0]["value"], "{q}");
    }
    let metrics = http_get(prom, "/metrics").unwrap_or_default();
    let failed = metrics
        .lines()
        .find(|l| l.starts_with("prometheus_remote_storage_samples_failed_total{"))
        .unwrap_or_default()
        .to_string();
    assert!(failed.ends_with(" 0"), "{failed}");
}
