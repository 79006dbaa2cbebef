//! Rendering benchmarks: an Alertmanager email (HTML) and Slack title for a group of 100 alerts,
//! and a Prometheus alert annotation; parse once, render many.
//!
//! After the criterion runs, the same renders are timed side by side with Go's `html/template`
//! and `text/template` (through `tests/golang/harness.go`) when a Go toolchain is installed,
//! and the ratios are printed.

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use flint_template::alertmanager::{self, Data, Kv, Templates};
use flint_template::prometheus::{AlertData, AlertTemplate, Env};
use flint_template::{Time, Value};
use serde_json::json;

const ALERTS: usize = 100;
const EMAIL: &str = r#"{{ template "email.default.html" . }}"#;
const SLACK: &str = r#"{{ template "slack.default.title" . }}"#;
const OPSGENIE: &str = r#"{{ template "opsgenie.default.description" . }}"#;
const ANNOTATION: &str = "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes (current value: {{ $value | humanize }}).";

fn labels(i: usize) -> Vec<(String, String)> {
    vec![
        ("alertname".into(), "InstanceDown".into()),
        ("instance".into(), format!("node-{i:03}.example.com:9100")),
        ("job".into(), "node".into()),
        ("severity".into(), "critical".into()),
        ("team".into(), "infra".into()),
    ]
}

fn annotations(i: usize) -> Vec<(String, String)> {
    vec![
        ("summary".into(), format!("Instance node-{i:03} down")),
        (
            "description".into(),
            "The node exporter has been unreachable for 5 minutes.".into(),
        ),
    ]
}

fn starts(i: usize) -> i64 {
    1_704_164_645 + i as i64
}

fn data() -> Value {
    let alerts = (0..ALERTS)
        .map(|i| {
            alertmanager::alert(
                if i % 10 == 9 { "resolved" } else { "firing" },
                labels(i).into_iter().collect(),
                annotations(i).into_iter().collect(),
                Time::from_unix_nanos(i128::from(starts(i)) * 1_000_000_000)
                    .unwrap_or_else(Time::zero),
                Time::zero(),
                "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
                &format!("{i:016x}"),
            )
        })
        .collect();
    let group: Kv = [("alertname", "InstanceDown")].into_iter().collect();
    Data::new("team-infra", group, alerts, "http://alertmanager:9093").into_value()
}

fn go_data() -> serde_json::Value {
    let alerts: Vec<_> = (0..ALERTS)
        .map(|i| {
            let ts = jiff::Timestamp::from_second(starts(i)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            json!({
                "status": if i % 10 == 9 { "resolved" } else { "firing" },
                "labels": labels(i).into_iter().map(|(k, v)| (k, json!(v))).collect::<serde_json::Map<_, _>>(),
                "annotations": annotations(i).into_iter().map(|(k, v)| (k, json!(v))).collect::<serde_json::Map<_, _>>(),
                "startsAt": ts.to_string(),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
                "fingerprint": format!("{i:016x}"),
            })
        })
        .collect();
    json!({"am": {"receiver": "team-infra", "externalURL": "http://alertmanager:9093",
        "groupLabels": {"alertname": "InstanceDown"}, "alerts": alerts}})
}

fn alert_data() -> AlertData {
    AlertData {
        labels: labels(7).into_iter().collect(),
        external_labels: [("cluster".to_string(), "eu1".to_string())]
            .into_iter()
            .collect(),
        external_url: "http://prometheus:9090".to_string(),
        value: 0.0,
    }
}

fn bench(c: &mut Criterion) {
    let t = Templates::defaults().unwrap_or_else(|e| panic!("{e}"));
    let d = data();
    c.bench_function("am_email_html_100_alerts", |b| {
        b.iter(|| black_box(t.execute_html(EMAIL, &d).map(|s| s.len()).unwrap_or(0)))
    });
    c.bench_function("am_slack_title_100_alerts", |b| {
        b.iter(|| black_box(t.execute_text(SLACK, &d).map(|s| s.len()).unwrap_or(0)))
    });
    c.bench_function("am_opsgenie_description_100_alerts", |b| {
        b.iter(|| black_box(t.execute_text(OPSGENIE, &d).map(|s| s.len()).unwrap_or(0)))
    });
    c.bench_function("am_data_build_100_alerts", |b| b.iter(|| black_box(data())));
    let a = AlertTemplate::parse("InstanceDown", ANNOTATION).unwrap_or_else(|e| panic!("{e}"));
    let ad = alert_data();
    let env = Env::default();
    c.bench_function("prom_annotation_expand", |b| {
        b.iter(|| black_box(a.expand(&ad, &env).map(|s| s.len()).unwrap_or(0)))
    });
    c.bench_function("prom_annotation_parse", |b| {
        b.iter(|| black_box(AlertTemplate::parse("InstanceDown", ANNOTATION).is_ok()))
    });
    c.bench_function("am_parse_default_templates", |b| {
        b.iter(|| black_box(Templates::defaults().is_ok()))
    });
}

/// Mean nanoseconds per call of `f` over `n` calls.
fn time_ns(n: u32, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn go_harness() -> Option<PathBuf> {
    let go = which("go")?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/go-harness-bench");
    std::fs::create_dir_all(&dir).ok()?;
    let bin = dir.join("harness");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golang/harness.go");
    let ok = Command::new(go)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(src)
        .env("GO111MODULE", "off")
        .env("GOCACHE", dir.join("cache"))
        .status()
        .ok()?
        .success();
    ok.then_some(bin)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Go's ns/op for each (text, html) render of the default templates with the same data.
fn go_times(renders: &[(&str, bool)], iters: u32) -> Option<Vec<f64>> {
    let bin = go_harness()?;
    let data = go_data();
    let cases: Vec<_> = renders
        .iter()
        .map(|(text, html)| {
            json!({"name": "", "text": text, "html": html, "funcs": "am", "missingkey": "zero", "data": data,
                "files": [{"name": "default.tmpl", "text": alertmanager::DEFAULT_TEMPLATES}]})
        })
        .collect();
    let mut child = Command::new(bin)
        .env("HARNESS_BENCH_ITERS", iters.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(serde_json::to_string(&cases).ok()?.as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    let res: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).ok()?;
    res.iter().map(|r| r["ns_per_op"].as_f64()).collect()
}

fn side_by_side() {
    let t = Templates::defaults().unwrap_or_else(|e| panic!("{e}"));
    let d = data();
    let renders = [(EMAIL, true), (SLACK, false), (OPSGENIE, false)];
    let iters = 300;
    let ours: Vec<f64> = renders
        .iter()
        .map(|(text, html)| {
            time_ns(iters, || {
                let r = if *html {
                    t.execute_html(text, &d)
                } else {
                    t.execute_text(text, &d)
                };
                black_box(r.map(|s| s.len()).unwrap_or(0));
            })
        })
        .collect();
    let go = go_times(&renders, iters);
    let mut report =
        String::from("\nside by side (mean per render, 100 alerts, same template file and data)\n");
    for (i, (text, html)) in renders.iter().enumerate() {
        let name = format!(
            "{} {}",
            if *html { "html" } else { "text" },
            text.trim_matches(|c| c == '{' || c == '}' || c == ' ')
        );
        match go.as_ref().and_then(|g| g.get(i)) {
            Some(g) => report.push_str(&format!(
                "  {name:<52} flint {:>9.1} µs   go {:>9.1} µs   go/flint {:.2}x\n",
                ours[i] / 1e3,
                g / 1e3,
                g / ours[i]
            )),
            None => report.push_str(&format!(
                "  {name:<52} flint {:>9.1} µs   go (not installed)\n",
                ours[i] / 1e3
            )),
        }
    }
    eprint!("{report}");
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    side_by_side();
}
