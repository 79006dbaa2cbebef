//! Snapshot files are upstream's format: Flint loads the `silences` and `nflog` files a real
//! Alertmanager (Debian's 0.25) wrote, so migrating keeps silences and re-pages nobody.

use std::time::Duration;

use flint_alertmanager::nflog::{Nflog, ReceiverKey};
use flint_alertmanager::silence::{Limits, Silences};
use flint_alertmanager::time::Clock;
use serde_json::{Value, json};

use crate::harness::{Recorder, alert, client, receiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_silences_and_nflog_written_by_alertmanager() {
    let rec = Recorder::start().await;
    let cfg = format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 100ms\nreceivers:\n{}",
        receiver("r", &rec, "")
    );
    let Some(up) = crate::harness::Upstream::start(&cfg, "http://localhost:9093").await else {
        return;
    };
    let url = up.url.clone();
    let c = client();
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
    let dir = up.stop();
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
