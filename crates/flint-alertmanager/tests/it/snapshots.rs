//! Snapshot files are upstream's format: Flint loads the `silences` and `nflog` files a real
//! Alertmanager (Debian's 0.25) wrote, so migrating keeps silences and re-pages nobody.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flint_alertmanager::nflog::{Nflog, ReceiverKey};
use flint_alertmanager::silence::{Limits, Silences};
use flint_alertmanager::time::Clock;
use serde_json::{Value, json};

use crate::harness::{Recorder, alert, client, receiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_silences_and_nflog_written_by_alertmanager() {
    let Some(bin) = flint_testkit::find_program("prometheus-alertmanager") else {
        return;
    };
    let rec = Recorder::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 100ms\nreceivers:\n{}",
        receiver("r", &rec, "")
    );
    std::fs::write(dir.path().join("am.yml"), cfg).expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = Command::new(bin)
        .arg(format!(
            "--config.file={}",
            dir.path().join("am.yml").display()
        ))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let url = format!("http://127.0.0.1:{port}");
    let c = client();
    let end = Instant::now() + Duration::from_secs(20);
    while c
        .get(format!("{url}/-/ready"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
        && Instant::now() < end
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.post(format!("{url}/api/v2/alerts"))
        .json(&json!([alert(&[("alertname", "Up")], None)]))
        .send()
        .await
        .expect("post");
    let sent = rec.wait_for(1, Duration::from_secs(10)).await;
    let r: Value = c
        .post(format!("{url}/api/v2/silences"))
        .json(&json!({"matchers": [{"name": "alertname", "value": "Up.*", "isRegex": true}], "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z", "createdBy": "upstream", "comment": "from 0.25"}))
        .send().await.expect("silence").json().await.expect("json");
    // SIGTERM: Alertmanager writes its snapshots on shutdown.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    assert_eq!(sent.len(), 1);
    let id = r["silenceID"].as_str().expect("id");

    let data = dir.path().join("data");
    let sil = Silences::new(
        Clock::system(),
        3_600_000,
        Limits::default(),
        Some(data.join("silences")),
    );
    assert_eq!(sil.load_snapshot().expect("load silences"), 1);
    let s = sil.get(id).expect("silence loaded");
    assert_eq!(s.created_by, "upstream");
    assert_eq!(s.matchers[0].to_string(), "alertname=~\"Up.*\"");

    let log = Nflog::new(Clock::system(), 3_600_000, Some(data.join("nflog")));
    assert_eq!(log.load_snapshot().expect("load nflog"), 1);
    let key = ReceiverKey {
        group_name: "r".into(),
        integration: "webhook".into(),
        idx: 0,
    };
    let e = log
        .query("{}:{alertname=\"Up\"}", &key)
        .expect("nflog entry for the group");
    // Upstream records XXH64 label hashes; ours must be the same number.
    let labels = flint_model::Labels::from_pairs([("alertname", "Up")]);
    let a = flint_alertmanager::alert::Alert {
        fingerprint: flint_alertmanager::alert::Fingerprint::of(&labels),
        labels,
        annotations: std::sync::Arc::from(Vec::new()),
        starts_at: 0,
        ends_at: 0,
        generator_url: std::sync::Arc::from(""),
        updated_at: 0,
        timeout: false,
    };
    assert_eq!(e.firing, vec![a.nflog_hash()]);
}
