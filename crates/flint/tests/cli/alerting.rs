//! Interop: `flint server` fires rules and the alerts arrive at Debian's
//! `prometheus-alertmanager` and at `flint alertmanager` (checked with `amtool`); the
//! node-exporter rule file evaluates against a real `prometheus-node-exporter`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use flint_testkit::find_program;

use super::support::{Proc, free_port, http_get, spawn, wait_for};

/// The alerts `amtool alert query` lists, as JSON.
fn amtool_alerts(amtool: &Path, port: u16) -> Option<serde_json::Value> {
    let out = Command::new(amtool)
        .args([
            "alert",
            "query",
            "-o",
            "json",
            &format!("--alertmanager.url=http://127.0.0.1:{port}"),
        ])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

const AM_CONFIG: &str =
    "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n";

/// `flint server` on `dir/prometheus.yml` (written from `config`) with data in `dir/data`.
pub fn flint_server(dir: &Path, port: u16, config: &str) -> Proc {
    flint_server_with(dir, port, config, &[])
}

/// [`flint_server`] with more flags.
pub fn flint_server_with(dir: &Path, port: u16, config: &str, flags: &[&str]) -> Proc {
    std::fs::write(dir.join("prometheus.yml"), config).expect("config");
    let mut args = vec![
        "server".to_string(),
        format!("--config.file={}", dir.join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(flags.iter().map(|f| f.to_string()));
    spawn(
        env!("CARGO_BIN_EXE_flint").as_ref(),
        &args,
        &dir.join("flint.log"),
    )
}

#[test]
fn alerts_reach_prometheus_alertmanager_and_flint_alertmanager() {
    let (Some(am_bin), Some(amtool)) = (
        find_program("prometheus-alertmanager"),
        find_program("amtool"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("am.yml"), AM_CONFIG).expect("am config");
    let (real, ours, prom) = (free_port(), free_port(), free_port());
    let am_args = |port: u16, data: &str| {
        vec![
            format!("--config.file={}", d.join("am.yml").display()),
            format!("--storage.path={}", d.join(data).display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ]
    };
    let _real = spawn(&am_bin, &am_args(real, "am-real"), &d.join("am-real.log"));
    let mut flint_am_args = vec!["alertmanager".to_string()];
    flint_am_args.extend(am_args(ours, "am-flint"));
    let _ours = spawn(
        env!("CARGO_BIN_EXE_flint").as_ref(),
        &flint_am_args,
        &d.join("am-flint.log"),
    );
    std::fs::write(
        d.join("rules.yml"),
        "groups:\n- name: interop\n  rules:\n  - alert: FlintInterop\n    expr: vector(1)\n    labels: {severity: page}\n    annotations: {summary: 'value is {{ $value }}'}\n",
    )
    .expect("rules");
    // Both Alertmanagers listen before the server starts: an alert sent to a port not yet
    // open is dropped (as upstream) and is sent again only after the 1m resend delay.
    let am_logs = [d.join("am-real.log"), d.join("am-flint.log")];
    let am_logs: Vec<&Path> = am_logs.iter().map(|p| p.as_path()).collect();
    for port in [real, ours] {
        wait_for(25, "the Alertmanagers to listen", &am_logs, || {
            http_get(port, "/-/ready").filter(|b| !b.is_empty())
        });
    }
    let _server = flint_server(
        d,
        prom,
        &format!(
            "global:\n  evaluation_interval: 1s\n  external_labels: {{replica: interop}}\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n  - static_configs: [{{targets: ['127.0.0.1:{real}', '127.0.0.1:{ours}']}}]\n"
        ),
    );
    let logs = [
        d.join("flint.log"),
        d.join("am-real.log"),
        d.join("am-flint.log"),
    ];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    for (port, who) in [
        (real, "prometheus-alertmanager"),
        (ours, "flint alertmanager"),
    ] {
        let alerts = wait_for(25, &format!("the alert at {who}"), &logs, || {
            amtool_alerts(&amtool, port).filter(|v| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|x| x["labels"]["alertname"] == "FlintInterop"))
            })
        });
        let a = &alerts[0];
        assert_eq!(
            a["labels"]["replica"], "interop",
            "{who}: external labels added"
        );
        assert_eq!(a["labels"]["severity"], "page", "{who}");
        assert_eq!(a["annotations"]["summary"], "value is 1", "{who}");
        assert!(
            a["generatorURL"]
                .as_str()
                .is_some_and(|u| u.contains("/graph?g0.expr=vector%281%29")),
            "{who}: {a}"
        );
    }
    let ams = http_get(prom, "/api/v1/alertmanagers").unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&ams).expect("json");
    assert_eq!(
        v["data"]["activeAlertmanagers"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    let metrics = http_get(prom, "/metrics").unwrap_or_default();
    assert!(
        metrics.contains(&format!("prometheus_notifications_sent_total{{alertmanager=\"http://127.0.0.1:{real}/api/v2/alerts\"}}")),
        "{metrics}"
    );
}

#[test]
fn node_exporter_rules_evaluate_against_a_real_exporter() {
    let Some(exporter) = find_program("prometheus-node-exporter") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (node, prom) = (free_port(), free_port());
    let _exporter = spawn(
        &exporter,
        &[format!("--web.listen-address=127.0.0.1:{node}")],
        &d.join("node.log"),
    );
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/node-exporter-rules.yml");
    let _server = flint_server(
        d,
        prom,
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{}']\nscrape_configs:\n- job_name: node\n  static_configs: [{{targets: ['127.0.0.1:{node}']}}]\n",
            rules.display()
        ),
    );
    let logs = [d.join("flint.log"), d.join("node.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    let alert = wait_for(25, "NodeExporterScraped firing", &logs, || {
        let body = http_get(prom, "/api/v1/alerts")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        v["data"]["alerts"]
            .as_array()?
            .iter()
            .find(|a| a["labels"]["alertname"] == "NodeExporterScraped" && a["state"] == "firing")
            .cloned()
    });
    let summary = alert["annotations"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with(&format!("Node exporter 127.0.0.1:{node} is scraped; load ")),
        "{summary}"
    );
    // Every rule evaluates cleanly once the rate has two samples.
    wait_for(25, "every rule healthy with results", &logs, || {
        let body = http_get(prom, "/api/v1/rules")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let groups = v["data"]["groups"].as_array()?;
        let rules: Vec<&serde_json::Value> = groups
            .iter()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        (rules.len() == 10 && rules.iter().all(|r| r["health"] == "ok")).then_some(())
    });
    let metrics = http_get(prom, "/metrics").unwrap_or_default();
    assert!(
        metrics.contains("prometheus_rule_group_rules{rule_group="),
        "{metrics}"
    );
}

/// Timing-dependent fields blanked, so two servers' answers compare.
fn normalized(mut v: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match k.as_str() {
                        "evaluationTime" => *x = serde_json::json!(0),
                        "lastEvaluation" | "activeAt" => *x = serde_json::json!(""),
                        // The engine lists many-to-many duplicates in its own order.
                        "lastError" => *x = serde_json::json!("<error>"),
                        _ => walk(x),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

#[test]
fn rules_api_answers_match_prometheus() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (theirs, ours) = (free_port(), free_port());
    std::fs::write(
        d.join("rules.yml"),
        "groups:\n- name: alerts\n  interval: 1s\n  rules:\n  - alert: AlwaysFiring\n    expr: vector(1)\n    labels: {severity: page}\n    annotations: {summary: 'value {{ $value }}'}\n  - alert: Pending\n    expr: vector(2) > 1\n    for: 1h\n  - alert: Never\n    expr: vector(1) == 2\n    keep_firing_for: 5m\n- name: records\n  rules:\n  - record: one\n    expr: vector(1)\n    labels: {x: y}\n  - record: bad\n    expr: up + on() group_left up\n",
    )
    .expect("rules");
    let config = format!(
        "global:\n  evaluation_interval: 1s\n  scrape_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n- job_name: self\n  static_configs: [{{targets: ['127.0.0.1:{theirs}', '127.0.0.1:{ours}']}}]\nalerting:\n  alertmanagers:\n  - static_configs: [{{targets: ['127.0.0.1:9', '127.0.0.1:10']}}]\n    relabel_configs:\n    - {{source_labels: [__address__], regex: '.*:10', action: drop}}\n"
    );
    std::fs::write(d.join("prometheus.yml"), &config).expect("config");
    let _real = spawn(
        &prometheus,
        &[
            format!("--config.file={}", d.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", d.join("pdata").display()),
            format!("--web.listen-address=127.0.0.1:{theirs}"),
        ],
        &d.join("prometheus.log"),
    );
    let _server = flint_server(d, ours, &config);
    let logs = [d.join("flint.log"), d.join("prometheus.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    let get = |port: u16, ep: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&http_get(port, &format!("/api/v1/{ep}"))?).ok()
    };
    // Both have evaluated every group and scraped both targets (so `bad` fails in both).
    let ready = |port: u16| {
        let v = get(port, "rules")?;
        let rules = v["data"]["groups"].as_array()?;
        let all_ran = rules.iter().all(|g| {
            g["rules"]
                .as_array()
                .is_some_and(|r| r.iter().all(|r| r["health"] != "unknown"))
        });
        let failing = v.to_string().contains("\"health\":\"err\"");
        (rules.len() == 2 && all_ran && failing).then_some(())
    };
    wait_for(30, "both servers evaluated", &logs, || {
        ready(theirs).and(ready(ours))
    });
    // Prometheus 3 leaves out groups a filter emptied; Debian's 2.42 still lists them, and
    // it has no `rule_name[]`/`rule_group[]`/`file[]`/`exclude_alerts` parameters yet.
    let without_empty_groups = |mut v: serde_json::Value| {
        let groups = v.get_mut("data").and_then(|d| d.get_mut("groups"));
        if let Some(groups) = groups.and_then(|g| g.as_array_mut()) {
            groups.retain(|g| g["rules"].as_array().is_some_and(|r| !r.is_empty()));
        }
        v
    };
    for ep in [
        "rules",
        "alerts",
        "alertmanagers",
        "rules?type=record",
        "rules?type=alert",
    ] {
        let a = get(theirs, ep).map(normalized).map(without_empty_groups);
        let b = get(ours, ep).map(normalized);
        assert_eq!(a, b, "/api/v1/{ep}");
    }
}

/// The pending alert's activation time, as RFC 3339.
fn pending_since(port: u16) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&http_get(port, "/api/v1/alerts")?).ok()?;
    let a = v["data"]["alerts"].as_array()?.first()?;
    (a["state"] == "pending").then(|| a["activeAt"].as_str().unwrap_or_default().to_string())
}

#[test]
fn for_state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("rules.yml"),
        "groups:\n- name: g\n  rules:\n  - alert: Slow\n    expr: vector(1)\n    for: 1h\n",
    )
    .expect("rules");
    let config = "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n";
    let port = free_port();
    let logs = [d.join("flint.log")];
    let logs: Vec<&Path> = logs.iter().map(|p| p.as_path()).collect();
    let first = {
        let _server = flint_server(d, port, config);
        let t = wait_for(20, "a pending alert", &logs, || pending_since(port));
        // Let ALERTS_FOR_STATE be written after the restore of the second evaluation.
        std::thread::sleep(Duration::from_secs(3));
        t
    };
    let _server = flint_server(d, port, config);
    let fresh = wait_for(20, "the alert after the restart", &logs, || {
        pending_since(port)
    });
    // After the restart's second evaluation the activation moves back to the first run's
    // (shifted by the outage, as upstream): earlier than the fresh one.
    let restored = wait_for(20, "the restored activation", &logs, || {
        pending_since(port).filter(|t| *t < fresh)
    });
    assert!(
        restored.as_str() >= first.as_str(),
        "{first} {restored} {fresh}"
    );
}
