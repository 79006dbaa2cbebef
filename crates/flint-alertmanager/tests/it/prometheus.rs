//! Debian's Prometheus (2.42) sends alerts from a rule to Flint's Alertmanager.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Recorder, Server, receiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_rule_alerts_arrive_and_notify() {
    let Some(prom) = flint_testkit::find_program("prometheus") else {
        return;
    };
    let rec = Recorder::start().await;
    let config = format!(
        "route:\n  receiver: r\n  group_wait: 100ms\n  group_by: [alertname]\nreceivers:\n{}",
        receiver("r", &rec, "")
    );
    let s = Server::start(&config).await;
    let dir = tempfile::tempdir().expect("tmp");
    let am = s.url.trim_start_matches("http://").to_string();
    std::fs::write(dir.path().join("rules.yml"), "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels: {severity: page}\n        annotations: {summary: 'always'}\n").expect("rules");
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!("global: {{evaluation_interval: 1s}}\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{am}']}}]\n"),
    )
    .expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = Command::new(prom)
        .arg(format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // The first send is dropped while the Alertmanager is being discovered; resend soon.
        .arg("--rules.alert.resend-delay=1s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let end = Instant::now() + Duration::from_secs(30);
    let mut found = serde_json::Value::Null;
    while Instant::now() < end {
        let all = s.get("/api/v2/alerts").await;
        if all.as_array().is_some_and(|a| !a.is_empty()) {
            found = all;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = rec.wait_for(1, Duration::from_secs(5)).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(found[0]["labels"]["alertname"], "AlwaysFiring", "{found}");
    assert_eq!(found[0]["labels"]["severity"], "page");
    assert!(
        found[0]["generatorURL"]
            .as_str()
            .is_some_and(|u| u.contains("/graph?")),
        "{found}"
    );
    assert_eq!(
        got.first()
            .map(|r| r.body["alerts"][0]["labels"]["alertname"].clone()),
        Some("AlwaysFiring".into())
    );
    s.stop().await;
}
