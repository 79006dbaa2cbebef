//! High availability with real processes on loopback: one notification per group across
//! three peers, silences shared, failover, restart, intents, and a partition in network
//! namespaces. Figures (duplicates, convergence) are printed for the bench notes.

mod partition;
pub mod peer;

use std::time::Duration;

use serde_json::json;

use crate::harness::{Recorder, alert, receiver};
use peer::{PEER_TIMEOUT_MS, PeerProc, Spec, wait_cluster};

/// group_wait 200ms; the group_interval must exceed the wait stage's delays (2 × 300ms).
pub fn config(rec: &Recorder, group_interval: &str, repeat: &str) -> String {
    format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 200ms\n  group_interval: {group_interval}\n  repeat_interval: {repeat}\nreceivers:\n{}",
        receiver("r", rec, "")
    )
}

/// Starts three peers (the first one joined by the others) in fresh directories.
pub async fn three(cfg: &str, tmp: &tempfile::TempDir) -> Vec<PeerProc> {
    let mut peers: Vec<PeerProc> = Vec::new();
    for i in 0..3 {
        let spec = Spec {
            dir: tmp.path().join(format!("p{i}")),
            ip: "127.0.0.1".into(),
            web_ip: "127.0.0.1".into(),
            peers: peers
                .first()
                .map(|p| vec![p.cluster_addr.clone()])
                .unwrap_or_default(),
            netns: None,
        };
        peers.push(PeerProc::start(spec, cfg, json!({})).await);
    }
    let refs: Vec<&PeerProc> = peers.iter().collect();
    assert!(
        wait_cluster(&refs, 3, Duration::from_secs(15)).await,
        "cluster did not form: {:?}",
        peers.iter().map(PeerProc::log).collect::<Vec<_>>()
    );
    peers
}

/// Notifications received per group (`alertname` of the group labels), with their times.
fn by_group(rec: &Recorder, group: &str) -> Vec<Duration> {
    rec.got()
        .iter()
        .filter(|r| r.body["groupLabels"]["alertname"] == group)
        .map(|r| r.at)
        .collect()
}

/// The smallest gap between consecutive notifications (a duplicate shows as a tiny gap).
fn min_gap(times: &[Duration]) -> Option<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).min()
}

async fn post_all(peers: &[PeerProc], alerts: &serde_json::Value) {
    for p in peers {
        p.post_alerts(alerts).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_peers_send_one_notification_per_group_per_interval() {
    let rec = Recorder::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let peers = three(&config(&rec, "1500ms", "2500ms"), &tmp).await;
    let t0 = rec.now();
    post_all(
        &peers,
        &json!([
            alert(&[("alertname", "G1"), ("i", "1")], None),
            alert(&[("alertname", "G2"), ("i", "1")], None),
        ]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(6800)).await;
    for g in ["G1", "G2"] {
        let times = by_group(&rec, g);
        let gap = min_gap(&times).unwrap_or_default();
        eprintln!(
            "cluster figures: steady_notifications={} steady_expected=3 steady_min_gap_ms={}",
            times.len(),
            gap.as_millis()
        );
        // At ~0.2s, then re-sent once 2.5s passed, on the 1.5s interval grid: 0.2, 3.2, 6.2.
        assert_eq!(times.len(), 3, "{g}: {times:?} (t0 {t0:?})");
        assert!(
            gap > Duration::from_secs(2),
            "{g}: duplicate, gaps {times:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_created_on_one_peer_mutes_the_others() {
    let rec = Recorder::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let peers = three(&config(&rec, "1500ms", "1h"), &tmp).await;
    let now =
        flint_alertmanager::time::format_rfc3339(flint_alertmanager::time::Clock::system().now());
    let sil = json!({
        "matchers": [{"name": "alertname", "value": "Muted", "isRegex": false, "isEqual": true}],
        "startsAt": now, "endsAt": "2099-01-01T00:00:00Z", "createdBy": "t", "comment": "c"
    });
    let t = std::time::Instant::now();
    let r = crate::harness::client()
        .post(format!("{}/api/v2/silences", peers[0].url))
        .json(&sil)
        .send()
        .await
        .expect("post silence");
    assert_eq!(r.status().as_u16(), 200);
    // It shows on B and C within a few gossip intervals.
    let (mut seen, c) = (false, crate::harness::client());
    while t.elapsed() < Duration::from_secs(3) && !seen {
        seen = true;
        for p in &peers[1..] {
            let got: serde_json::Value =
                match c.get(format!("{}/api/v2/silences", p.url)).send().await {
                    Ok(r) => r.json().await.unwrap_or_default(),
                    Err(_) => serde_json::Value::Null,
                };
            seen &= got.as_array().map(Vec::len) == Some(1);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "silence did not reach every peer");
    eprintln!(
        "cluster figures: silence_propagation_ms={}",
        t.elapsed().as_millis()
    );
    post_all(
        &peers,
        &json!([
            alert(&[("alertname", "Muted")], None),
            alert(&[("alertname", "Loud")], None),
        ]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(by_group(&rec, "Muted").len(), 0);
    assert_eq!(
        by_group(&rec, "Loud").len(),
        1,
        "{:?}",
        by_group(&rec, "Loud")
    );
}

/// The peer at position 0 (the lowest name).
fn first(peers: &[PeerProc]) -> usize {
    (0..peers.len())
        .min_by_key(|&i| peers[i].name.clone())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_first_peer_hands_over_within_a_peer_timeout() {
    let rec = Recorder::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let mut peers = three(&config(&rec, "1500ms", "1h"), &tmp).await;
    post_all(
        &peers,
        &json!([alert(&[("alertname", "K"), ("i", "1")], None)]),
    )
    .await;
    assert_eq!(rec.wait_for(1, Duration::from_secs(3)).await.len(), 1);
    let dead = peers.remove(first(&peers));
    dead.kill();
    // A new alert in the group: the next flush is sent by a survivor, once.
    let t = rec.now();
    post_all(
        &peers,
        &json!([alert(&[("alertname", "K"), ("i", "2")], None)]),
    )
    .await;
    let got = rec.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2, "no takeover");
    let took = got[1].at - t;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    eprintln!(
        "cluster figures: takeover_ms={} takeover_extra_notifications={}",
        took.as_millis(),
        rec.got().len() - 2
    );
    // Next flush within one group_interval, plus at most one peer-timeout of waiting.
    assert!(
        took < Duration::from_millis(1500 + PEER_TIMEOUT_MS + 700),
        "takeover took {took:?}"
    );
    assert_eq!(got[1].body["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(rec.got().len(), 2, "duplicate after takeover");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_peer_rejoins_and_resends_nothing() {
    let rec = Recorder::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = config(&rec, "1500ms", "1h");
    let mut peers = three(&cfg, &tmp).await;
    let alerts = json!([alert(&[("alertname", "R")], None)]);
    post_all(&peers, &alerts).await;
    assert_eq!(rec.wait_for(1, Duration::from_secs(3)).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Restart the first peer: it loads its snapshot, rejoins and pulls the others' state.
    let i = first(&peers);
    let mut spec = peers.remove(i).stop();
    spec.peers = vec![peers[0].cluster_addr.clone()];
    let back = PeerProc::start(spec, &cfg, json!({})).await;
    peers.push(back);
    let refs: Vec<&PeerProc> = peers.iter().collect();
    assert!(
        wait_cluster(&refs, 3, Duration::from_secs(15)).await,
        "no rejoin"
    );
    // Prometheus re-sends its alerts to the restarted peer: nothing new goes out.
    post_all(&peers, &alerts).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    eprintln!("cluster figures: restart_resent={}", rec.got().len() - 1);
    assert_eq!(rec.got().len(), 1, "resent after restart: {:?}", rec.got());
}

/// The first three attempts fail; returns (attempts, deliveries) after it recovered.
async fn failing_webhook(group_interval: &str) -> (usize, usize) {
    let rec = Recorder::start().await;
    rec.script(&[(500, Duration::ZERO); 3]);
    let tmp = tempfile::tempdir().expect("tmp");
    let peers = three(&config(&rec, group_interval, "1h"), &tmp).await;
    post_all(&peers, &json!([alert(&[("alertname", "F")], None)])).await;
    let got = rec.wait_for(1, Duration::from_secs(6)).await;
    assert_eq!(got.len(), 1, "never delivered");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let n = rec.got().len();
    eprintln!(
        "cluster figures: failing_interval={group_interval} failing_attempts={} failing_delivered={n}",
        rec.attempts()
    );
    (rec.attempts(), n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_then_recovering_webhook_is_notified_once() {
    // The first peer's retries (within a 6s interval) outlast the outage: the others wait.
    let (attempts, delivered) = failing_webhook("6s").await;
    assert_eq!(delivered, 1, "duplicate delivery across peers");
    assert_eq!(attempts, 4, "only the first peer tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_failing_past_the_interval_is_taken_over_once() {
    // The first peer gives up at its 1.5s deadline and releases its intent: one of the
    // others takes over (in turn, not both), and the receiver gets one notification.
    let (_, delivered) = failing_webhook("1500ms").await;
    assert_eq!(delivered, 1, "duplicate delivery across peers");
}
