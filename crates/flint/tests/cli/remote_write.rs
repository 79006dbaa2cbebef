//! Remote storage against Debian's `prometheus`. Remote write: it sends what it scrapes to
//! `flint server` (`--web.enable-remote-write-receiver`) and both answer the same queries;
//! bad requests get upstream's status codes and a refused request leaves nothing behind.
//! Remote read: it reads Flint's data through `/api/v1/read` and answers like Flint, and
//! Flint's `remote_read` reads Prometheus's data and answers like Prometheus.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use flint_remote::prompb::{Label, Sample, TimeSeries, WriteRequest};
use flint_testkit::find_program;
use prost::Message;

use super::alerting::flint_server_with;
use super::support::{Proc, free_port, http_get, http_post, http_post_with_head, spawn, wait_for};

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

/// Debian's `prometheus` on `port` with `config` in `dir` (`prom.yml`, `prom-data`, `prom.log`).
fn start_prometheus(program: &Path, dir: &Path, port: u16, config: &str) -> Proc {
    start_prometheus_with(program, dir, port, config, &[])
}

/// [`start_prometheus`] with extra flags.
fn start_prometheus_with(
    program: &Path,
    dir: &Path,
    port: u16,
    config: &str,
    flags: &[&str],
) -> Proc {
    std::fs::write(dir.join("prom.yml"), config).expect("prometheus config");
    let mut args = vec![
        format!("--config.file={}", dir.join("prom.yml").display()),
        format!("--storage.tsdb.path={}", dir.join("prom-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(flags.iter().map(|f| f.to_string()));
    spawn(program, &args, &dir.join("prom.log"))
}

/// Waits until the server on `port` holds at least five `up` samples of `job`.
fn wait_for_scrapes(port: u16, job: &str, logs: &[&Path]) {
    let q = format!("count_over_time(up{{job=\"{job}\"}}[1m])");
    wait_for(40, &format!("five scrapes of {job}"), logs, || {
        let r = query(port, &q, now_ms() as f64 / 1000.0)?;
        let n: f64 = r[0]["value"][1].as_str()?.parse().ok()?;
        (n >= 5.0).then_some(())
    });
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
    let v3 = ["Content-Type: application/x-protobuf;proto=io.prometheus.write.v3.Request"];
    assert_eq!(post(on, &v3, &request(&[("a", t, 1.0)])).0, 415);
    // Remote write 2.0: labels by symbol reference, and the written counts in the answer.
    let v2 = [
        "Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request",
        "Content-Encoding: snappy",
        "X-Prometheus-Remote-Write-Version: 2.0.0",
    ];
    let (code, head, body) =
        http_post_with_head(on, "/api/v1/write", &v2, &request_v2("v2_metric", t, 5.0))
            .expect("answer");
    assert_eq!(code, 204, "{body}");
    assert!(
        head.contains("x-prometheus-remote-write-samples-written: 1"),
        "{head}"
    );
    // A 1.0 body labelled 2.0 decodes to nothing (its fields are reserved in 2.0), and the
    // counts say so, which is how a 2.0 sender learns it was not understood.
    let (code, head, _) =
        http_post_with_head(on, "/api/v1/write", &v2, &request(&[("x", t, 1.0)])).expect("answer");
    assert_eq!(code, 204);
    assert!(
        head.contains("x-prometheus-remote-write-samples-written: 0"),
        "{head}"
    );
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
    assert_eq!(names, ["a", "v2_metric"], "{got}");
    assert_eq!(got[0]["value"][1], "1");
    assert_eq!(got[1]["value"][1], "5");
}

/// A snappy-compressed 2.0 request with one sample of `name{job="pushed"}`.
fn request_v2(name: &str, t: i64, v: f64) -> Vec<u8> {
    use flint_remote::prompb_v2::{Request, Sample, TimeSeries};
    let req = Request {
        symbols: ["", "__name__", name, "job", "pushed"]
            .map(String::from)
            .to_vec(),
        timeseries: vec![TimeSeries {
            labels_refs: vec![1, 2, 3, 4],
            samples: vec![Sample {
                value: v,
                timestamp: t,
            }],
            ..TimeSeries::default()
        }],
    };
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .expect("snappy")
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
    let _prom = start_prometheus(
        &prometheus,
        d,
        prom,
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prom\n    static_configs: [{{targets: ['127.0.0.1:{prom}']}}]\n\
             remote_write:\n  - url: 'http://127.0.0.1:{flint}/api/v1/write'\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms}}\n"
        ),
    );
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    wait_for_scrapes(flint, "prom", &logs);
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

#[test]
fn prometheus_remote_reads_from_flint() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (flint, prom) = (free_port(), free_port());
    let _flint = flint_server_with(
        d,
        flint,
        &format!(
            "global:\n  scrape_interval: 1s\n  external_labels: {{site: flint}}\nscrape_configs:\n  - job_name: flint\n    static_configs: [{{targets: ['127.0.0.1:{flint}']}}]\n"
        ),
        &[],
    );
    let _prom = start_prometheus(
        &prometheus,
        d,
        prom,
        &format!(
            "remote_read:\n  - url: 'http://127.0.0.1:{flint}/api/v1/read'\n    read_recent: true\n"
        ),
    );
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    wait_for_scrapes(flint, "flint", &logs);
    let at = (now_ms() - 2_000) as f64 / 1000.0;
    for q in [
        "count_over_time(up{job=\"flint\"}[20s])",
        "count({job=\"flint\"})",
        "max_over_time(scrape_samples_scraped{job=\"flint\"}[20s])",
    ] {
        let ours = query(flint, q, at).expect("flint answers");
        let theirs = wait_for(20, &format!("{q} through remote read"), &logs, || {
            query(prom, q, at).filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
        });
        assert_eq!(theirs[0]["value"], ours[0]["value"], "{q}");
    }
    // The external label comes with the series, and a matcher on it is answered.
    let theirs = query(prom, "up{site=\"flint\"}", at).expect("prometheus answers");
    assert_eq!(theirs[0]["metric"]["site"], "flint", "{theirs}");
    let none = query(prom, "up{site=\"elsewhere\"}", at).expect("prometheus answers");
    assert_eq!(none, serde_json::json!([]));

    // Another Flint reading this one takes streamed chunks and answers the same.
    let (reader_dir, reader) = (tempfile::tempdir().expect("tempdir"), free_port());
    let _reader = flint_server_with(
        reader_dir.path(),
        reader,
        &format!(
            "remote_read:\n  - url: 'http://127.0.0.1:{flint}/api/v1/read'\n    read_recent: true\n"
        ),
        &[],
    );
    let q = "count_over_time(up{job=\"flint\"}[20s])";
    let ours = query(flint, q, at).expect("flint answers");
    let theirs = wait_for(20, "the reading Flint", &logs, || {
        query(reader, q, at).filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    });
    assert_eq!(theirs[0]["value"], ours[0]["value"], "{q}");
    assert_eq!(theirs[0]["metric"]["site"], "flint", "{theirs}");

    // Refusals: a body that is not snappy, and a client taking no type this server speaks.
    let (code, _) = http_post(flint, "/api/v1/read", &[], b"garbage").expect("answer");
    assert_eq!(code, 400);
    let unknown_only = flint_remote::prompb::ReadRequest {
        queries: vec![],
        accepted_response_types: vec![7],
    };
    let body = snap::raw::Encoder::new()
        .compress_vec(&unknown_only.encode_to_vec())
        .expect("snappy");
    let (code, text) = http_post(flint, "/api/v1/read", &[], &body).expect("answer");
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("response types"), "{text}");
}

#[test]
fn flint_reads_from_prometheus_through_remote_read() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (flint, prom, dead) = (free_port(), free_port(), free_port());
    let _prom = start_prometheus(
        &prometheus,
        d,
        prom,
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prom\n    static_configs: [{{targets: ['127.0.0.1:{prom}']}}]\n"
        ),
    );
    let _flint = flint_server_with(
        d,
        flint,
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flint\n    static_configs: [{{targets: ['127.0.0.1:{flint}']}}]\n\
             remote_read:\n  - url: 'http://127.0.0.1:{prom}/api/v1/read'\n    name: prom\n    read_recent: true\n\
             \x20 - url: 'http://127.0.0.1:{dead}/api/v1/read'\n    name: dead\n    read_recent: true\n    remote_timeout: 2s\n"
        ),
        &[],
    );
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    wait_for_scrapes(prom, "prom", &logs);
    wait_for_scrapes(flint, "flint", &logs);
    let at = (now_ms() - 2_000) as f64 / 1000.0;
    // Prometheus's data answers in Flint exactly as in Prometheus.
    for q in [
        "count_over_time(up{job=\"prom\"}[20s])",
        "max_over_time(scrape_samples_scraped{job=\"prom\"}[20s])",
        "count({job=\"prom\"})",
    ] {
        let theirs = query(prom, q, at).expect("prometheus answers");
        let ours = query(flint, q, at).expect("flint answers");
        assert_eq!(
            ours[0]["value"], theirs[0]["value"],
            "{q}: {ours} vs {theirs}"
        );
    }
    // Local and remote series side by side, and the endpoint that is down is a warning.
    let ours = query(flint, "count(up)", at).expect("flint answers");
    assert_eq!(ours[0]["value"][1], "2", "{ours}");
    let body = http_get(flint, &format!("/api/v1/query?query=up&time={at}")).expect("answer");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"], "success", "{body}");
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("dead"), "{body}");
}

/// A counter of Flint's own `/metrics` (summed over its series).
fn flint_metric(port: u16, name: &str) -> f64 {
    http_get(port, "/metrics")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until `q` at `at` answers the same on both servers and returns the answer.
fn agree(flint: u16, prom: u16, q: &str, at: f64, logs: &[&Path]) -> serde_json::Value {
    wait_for(60, &format!("{q} to agree"), logs, || {
        let ours = query(flint, q, at)?;
        let theirs = query(prom, q, at)?;
        (!ours.as_array()?.is_empty() && ours[0]["value"] == theirs[0]["value"]).then_some(ours)
    })
}

/// Every sample of `job="flint"` in the `window` before `at`: (series, value count).
fn samples_in(port: u16, window: &str, at: f64) -> Option<Vec<(String, usize)>> {
    let r = query(port, &format!("{{job=\"flint\"}}[{window}]"), at)?;
    let mut out: Vec<(String, usize)> = r
        .as_array()?
        .iter()
        .map(|s| {
            let mut m = s["metric"].as_object().cloned().unwrap_or_default();
            m.remove("sender");
            (
                serde_json::Value::Object(m).to_string(),
                s["values"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    out.sort();
    Some(out)
}

/// Waits until both servers hold the same samples of `job="flint"` before `at`.
fn same_samples(flint: u16, prom: u16, window: &str, at: f64, logs: &[&Path]) -> usize {
    wait_for(
        60,
        &format!("the samples of the last {window} to agree"),
        logs,
        || {
            let ours = samples_in(flint, window, at)?;
            let theirs = samples_in(prom, window, at)?;
            (!ours.is_empty() && ours == theirs).then(|| ours.iter().map(|s| s.1).sum())
        },
    )
}

#[test]
fn flint_remote_writes_to_prometheus_through_outages_and_restarts() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (flint_port, prom_port) = (free_port(), free_port());
    let flint_cfg = format!(
        "global:\n  scrape_interval: 1s\n  external_labels: {{sender: flint}}\nscrape_configs:\n  - job_name: flint\n    static_configs: [{{targets: ['127.0.0.1:{flint_port}']}}]\n\
         remote_write:\n  - url: 'http://127.0.0.1:{prom_port}/api/v1/write'\n    name: prom\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s}}\n"
    );
    let prom = || {
        start_prometheus_with(
            &prometheus,
            d,
            prom_port,
            "global: {}\n",
            &["--web.enable-remote-write-receiver"],
        )
    };
    let mut flint = flint_server_with(d, flint_port, &flint_cfg, &[]);
    let mut receiver = prom();
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    wait_for_scrapes(flint_port, "flint", &logs);
    let begin = now_ms() as f64 / 1000.0;

    // Everything Flint scraped arrives, with the external label added.
    let at = (now_ms() - 1_000) as f64 / 1000.0;
    for q in [
        "count_over_time(up{job=\"flint\"}[30s])",
        "count({job=\"flint\"})",
    ] {
        agree(flint_port, prom_port, q, at, &logs);
    }
    same_samples(flint_port, prom_port, "30s", at, &logs);
    let theirs = query(prom_port, "up", at).expect("prometheus answers");
    assert_eq!(theirs[0]["metric"]["sender"], "flint", "{theirs}");

    // The receiver goes away for a while: Flint retries, and after it is back the gap fills.
    drop(receiver);
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert!(
        flint_metric(
            flint_port,
            "prometheus_remote_storage_samples_retried_total"
        ) > 0.0
    );
    receiver = prom();
    let at = (now_ms() - 1_000) as f64 / 1000.0;
    let window = format!("{}s", (at - begin + 5.0).ceil());
    assert!(same_samples(flint_port, prom_port, &window, at, &logs) > 0);
    agree(
        flint_port,
        prom_port,
        &format!("count_over_time(up{{job=\"flint\"}}[{window}])"),
        at,
        &logs,
    );

    // Down again, and Flint is stopped during the outage: after both come back, the queue
    // resumes from the saved position and what was scraped before the stop arrives.
    drop(receiver);
    std::thread::sleep(std::time::Duration::from_secs(4));
    flint.terminate();
    let stopped = now_ms() as f64 / 1000.0;
    flint = flint_server_with(d, flint_port, &flint_cfg, &[]);
    wait_for(30, "flint ready", &logs, || {
        http_get(flint_port, "/-/ready").filter(|b| b.contains("Ready"))
    });
    receiver = prom();
    let window = format!("{}s", (stopped - begin + 5.0).ceil());
    agree(
        flint_port,
        prom_port,
        &format!("count_over_time(up{{job=\"flint\"}}[{window}])"),
        stopped,
        &logs,
    );
    same_samples(flint_port, prom_port, &window, stopped, &logs);
    assert_eq!(
        flint_metric(flint_port, "prometheus_remote_storage_samples_failed_total"),
        0.0
    );
    drop(receiver);
    drop(flint);
}

#[test]
fn flint_remote_writes_2_0_to_flint_and_falls_back_to_1_0_for_prometheus() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let (sender_dir, receiver_dir) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (s, r) = (sender_dir.path(), receiver_dir.path());
    let (sender, flint_recv, prom_port) = (free_port(), free_port(), free_port());
    let v2 = "protobuf_message: io.prometheus.write.v2.Request";
    let cfg = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flint\n    static_configs: [{{targets: ['127.0.0.1:{sender}']}}]\n\
         remote_write:\n  - url: 'http://127.0.0.1:{flint_recv}/api/v1/write'\n    name: flint\n    {v2}\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms}}\n\
         \x20 - url: 'http://127.0.0.1:{prom_port}/api/v1/write'\n    name: prom\n    {v2}\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms}}\n"
    );
    let _receiver = flint_server_with(
        r,
        flint_recv,
        "global: {}\n",
        &["--web.enable-remote-write-receiver"],
    );
    let _prom = start_prometheus_with(
        &prometheus,
        s,
        prom_port,
        "global: {}\n",
        &["--web.enable-remote-write-receiver"],
    );
    let _sender = flint_server_with(s, sender, &cfg, &[]);
    let logs = [s.join("flint.log"), s.join("prom.log"), r.join("flint.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    wait_for_scrapes(sender, "flint", &logs);
    let at = (now_ms() - 1_000) as f64 / 1000.0;
    // Both receivers hold what the sender scraped: Flint's over 2.0, Prometheus 2.42's
    // (a 1.0 receiver) over 1.0 after the first 2.0 request came back without the
    // written-count headers.
    for q in [
        "count_over_time(up{job=\"flint\"}[30s])",
        "count({job=\"flint\"})",
    ] {
        agree(sender, flint_recv, q, at, &logs);
        agree(sender, prom_port, q, at, &logs);
    }
    let log = std::fs::read_to_string(s.join("flint.log")).unwrap_or_default();
    let fallbacks: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("does not speak remote write 2.0"))
        .collect();
    assert_eq!(
        fallbacks.len(),
        1,
        "only the Prometheus queue falls back:\n{log}"
    );
    assert!(fallbacks[0].contains("prom"), "{}", fallbacks[0]);
}

/// The number in a one-element instant-query answer.
fn scalar(port: u16, q: &str) -> Option<f64> {
    let v = query(port, q, now_ms() as f64 / 1000.0)?;
    v.get(0)?["value"][1].as_str()?.parse().ok()
}

#[test]
fn agent_mode_scrapes_and_remote_writes_through_truncations_and_restarts() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (agent, prom_port) = (free_port(), free_port());
    let cfg = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: agent\n    static_configs: [{{targets: ['127.0.0.1:{agent}']}}]\n\
         remote_write:\n  - url: 'http://127.0.0.1:{prom_port}/api/v1/write'\n    queue_config: {{batch_send_deadline: 500ms, min_backoff: 100ms}}\n"
    );
    let agent_path = format!("--storage.agent.path={}", d.join("agent").display());
    let flags = [
        "--agent",
        agent_path.as_str(),
        "--storage.agent.wal-truncate-frequency=2s",
        "--storage.agent.retention.min-time=1s",
    ];
    let _prom = start_prometheus_with(
        &prometheus,
        d,
        prom_port,
        "global: {}\n",
        &["--web.enable-remote-write-receiver"],
    );
    let mut a = flint_server_with(d, agent, &cfg, &flags);
    let logs = [d.join("flint.log"), d.join("prom.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    let arrived = |n: f64| {
        move || scalar(prom_port, "count_over_time(up{job=\"agent\"}[10m])").filter(|v| *v >= n)
    };
    wait_for(40, "the agent's samples in Prometheus", &logs, arrived(5.0));
    // No local queries in agent mode; targets and health answer.
    assert!(http_get(agent, "/api/v1/targets").is_some_and(|b| b.contains("\"health\":\"up\"")));
    let q = http_get(agent, "/api/v1/query?query=up").unwrap_or_default();
    assert!(!q.contains("\"success\""), "{q}");
    // The WAL is truncated behind the queue: a checkpoint appears, samples keep arriving.
    let wal = d.join("agent/wal");
    wait_for(20, "a checkpoint of the agent's WAL", &logs, || {
        std::fs::read_dir(&wal)
            .ok()?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("checkpoint."))
            .then_some(())
    });
    let before = scalar(prom_port, "count_over_time(up{job=\"agent\"}[10m])").unwrap_or(0.0);
    wait_for(
        20,
        "more samples after truncation",
        &logs,
        arrived(before + 3.0),
    );
    assert!(!d.join("agent/chunks_head").exists() && !d.join("data").exists());
    // A restart resumes: samples keep arriving.
    a.terminate();
    let before = scalar(prom_port, "count_over_time(up{job=\"agent\"}[10m])").unwrap_or(0.0);
    let _a = flint_server_with(d, agent, &cfg, &flags);
    wait_for(
        30,
        "samples after the agent's restart",
        &logs,
        arrived(before + 3.0),
    );
    let log = std::fs::read_to_string(d.join("flint.log")).unwrap_or_default();
    assert!(log.contains("Truncated the agent's WAL"), "{log}");
}
