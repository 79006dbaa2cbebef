//! Black-box behaviour with a time-scaled config (sub-second group timers): notification
//! times are asserted within a tolerance.

use std::time::Duration;

use flint_alertmanager::time::format_rfc3339;
use serde_json::{Value, json};

use crate::harness::{Recorder, Server, alert, names, receiver};

// Generous: CI machines are shared; the intervals below are chosen so this still tells
// group_wait, group_interval and repeat apart.
const TOL: Duration = Duration::from_millis(600);

fn near(got: Duration, want_ms: u64) -> bool {
    let want = Duration::from_millis(want_ms);
    got + TOL >= want && got <= want + TOL
}

fn now_rfc3339() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    format_rfc3339(ms)
}

fn cfg(rec: &Recorder, route_extra: &str, receivers_extra: &str, tail: &str) -> String {
    format!(
        "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 300ms\n  group_interval: 1s\n  repeat_interval: 1h\n{route_extra}receivers:\n{}{receivers_extra}{tail}",
        receiver("default", rec, "")
    )
}

async fn sleep(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouping_wait_interval_batching_and_resolve() {
    let rec = Recorder::start().await;
    let s = Server::start(&cfg(&rec, "", "", "")).await;
    let t0 = rec.now();
    s.post_alerts(&json!([
        alert(&[("alertname", "A"), ("i", "1")], None),
        alert(&[("alertname", "A"), ("i", "2")], None)
    ]))
    .await;
    let got = rec.wait_for(1, Duration::from_secs(3)).await;
    assert_eq!(got.len(), 1);
    assert!(
        near(got[0].at - t0, 300),
        "first flush at {:?}",
        got[0].at - t0
    );
    assert_eq!(names(&got[0]), ["A:firing", "A:firing"]);
    assert_eq!(got[0].body["version"], "4");
    assert_eq!(got[0].body["groupKey"], "{}:{alertname=\"A\"}");
    assert_eq!(got[0].body["groupLabels"], json!({"alertname": "A"}));
    assert_eq!(got[0].body["commonLabels"], json!({"alertname": "A"}));
    assert_eq!(got[0].body["commonAnnotations"], json!({"summary": "s"}));
    assert_eq!(got[0].body["receiver"], "default");
    assert_eq!(got[0].body["truncatedAlerts"], 0);
    // A late alert waits for the next group_interval.
    sleep(200).await;
    s.post_alerts(&json!([alert(&[("alertname", "A"), ("i", "3")], None)]))
        .await;
    let got = rec.wait_for(2, Duration::from_secs(3)).await;
    assert_eq!(got.len(), 2);
    assert!(near(got[1].at - t0, 1300), "batch at {:?}", got[1].at - t0);
    assert_eq!(got[1].body["alerts"].as_array().map(Vec::len), Some(3));
    // Nothing changes: no notification at the next interval (repeat is 1h).
    sleep(1200).await;
    assert_eq!(rec.got().len(), 2);
    // Resolve one: sent at the next flush, marked resolved.
    s.post_alerts(&json!([alert(
        &[("alertname", "A"), ("i", "1")],
        Some(&now_rfc3339())
    )]))
    .await;
    let got = rec.wait_for(3, Duration::from_secs(3)).await;
    assert_eq!(got.len(), 3);
    assert!(
        names(&got[2]).contains(&"A:resolved".to_string()),
        "{:?}",
        names(&got[2])
    );
    assert_eq!(got[2].body["status"], "firing");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_interval_and_send_resolved_false() {
    let rec = Recorder::start().await;
    let config = format!(
        "route:\n  receiver: quiet\n  group_by: [alertname]\n  group_wait: 200ms\n  group_interval: 500ms\n  repeat_interval: 1500ms\nreceivers:\n{}",
        receiver("quiet", &rec, "        send_resolved: false\n")
    );
    let s = Server::start(&config).await;
    let t0 = rec.now();
    s.post_alerts(&json!([alert(&[("alertname", "R")], None)]))
        .await;
    let got = rec.wait_for(2, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(1400) && gap <= Duration::from_millis(2600),
        "repeat after {gap:?}"
    );
    assert!(near(got[0].at - t0, 200));
    // Resolved with send_resolved: false: nothing more arrives.
    s.post_alerts(&json!([alert(&[("alertname", "R")], Some(&now_rfc3339()))]))
        .await;
    sleep(1500).await;
    assert_eq!(rec.got().len(), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_mute_and_unmute() {
    let rec = Recorder::start().await;
    let s =
        Server::start(&cfg(&rec, "", "", "").replace("repeat_interval: 1h", "repeat_interval: 1s"))
            .await;
    let c = crate::harness::client();
    let end = format_rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64 + 3_600_000)
            .unwrap_or(0),
    );
    let r: Value = c
        .post(format!("{}/api/v2/silences", s.url))
        .json(&json!({"matchers": [{"name": "alertname", "value": "S", "isRegex": false}], "startsAt": now_rfc3339(), "endsAt": end, "createdBy": "t", "comment": "c"}))
        .send().await.expect("post").json().await.expect("json");
    let id = r["silenceID"].as_str().expect("id").to_string();
    s.post_alerts(&json!([alert(&[("alertname", "S")], None)]))
        .await;
    sleep(1500).await;
    assert!(rec.got().is_empty(), "silenced alert notified");
    let alerts = s.get("/api/v2/alerts").await;
    assert_eq!(alerts[0]["status"]["state"], "suppressed");
    assert_eq!(alerts[0]["status"]["silencedBy"][0], id.as_str());
    let del = c
        .delete(format!("{}/api/v2/silence/{id}", s.url))
        .send()
        .await
        .expect("delete");
    assert_eq!(del.status().as_u16(), 200);
    let got = rec.wait_for(1, Duration::from_secs(3)).await;
    assert_eq!(got.len(), 1, "unmuted alert not notified");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inhibition_with_equal_and_continue() {
    let rec = Recorder::start().await;
    let routes = "  routes:\n    - receiver: pager\n      matchers: [team=ops]\n      continue: true\n    - receiver: chat\n      matchers: [team=ops]\n";
    let extra = format!(
        "{}{}",
        receiver("pager", &rec, ""),
        receiver("chat", &rec, "")
    );
    let inhibit = "inhibit_rules:\n  - source_matchers: [severity=critical]\n    target_matchers: [severity=warning]\n    equal: [cluster]\n";
    let s = Server::start(&cfg(&rec, routes, &extra, inhibit)).await;
    s.post_alerts(&json!([
        alert(
            &[
                ("alertname", "Crit"),
                ("severity", "critical"),
                ("cluster", "a"),
                ("team", "ops")
            ],
            None
        ),
        alert(
            &[
                ("alertname", "Warn"),
                ("severity", "warning"),
                ("cluster", "a"),
                ("team", "ops")
            ],
            None
        ),
        alert(
            &[
                ("alertname", "Warn"),
                ("severity", "warning"),
                ("cluster", "b"),
                ("team", "ops")
            ],
            None
        ),
    ]))
    .await;
    sleep(1000).await;
    let got = rec.got();
    let mut seen: Vec<(String, Vec<String>)> =
        got.iter().map(|r| (r.path.clone(), names(r))).collect();
    seen.sort();
    // Both continue-routes notify; cluster a's warning is inhibited, cluster b's is not.
    assert_eq!(
        seen,
        vec![
            ("chat".to_string(), vec!["Crit:firing".to_string()]),
            ("chat".to_string(), vec!["Warn:firing".to_string()]),
            ("pager".to_string(), vec!["Crit:firing".to_string()]),
            ("pager".to_string(), vec!["Warn:firing".to_string()]),
        ]
    );
    let warn: Vec<&Received> = got.iter().filter(|r| names(r) == ["Warn:firing"]).collect();
    assert!(
        warn.iter()
            .all(|r| r.body["alerts"][0]["labels"]["cluster"] == "b")
    );
    let groups = s
        .get("/api/v2/alerts?filter=cluster%3D%22a%22&filter=severity%3D%22warning%22")
        .await;
    assert_eq!(groups[0]["status"]["state"], "suppressed");
    assert_eq!(
        groups[0]["status"]["inhibitedBy"].as_array().map(Vec::len),
        Some(1)
    );
    s.stop().await;
}

use crate::harness::Received;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_and_active_time_intervals_with_time_zone() {
    let rec = Recorder::start().await;
    let routes = "  routes:\n    - receiver: muted\n      matchers: [r=muted]\n      mute_time_intervals: [always]\n    - receiver: inactive\n      matchers: [r=inactive]\n      active_time_intervals: [never]\n    - receiver: active\n      matchers: [r=active]\n      active_time_intervals: [always]\n";
    let extra = format!(
        "{}{}{}",
        receiver("muted", &rec, ""),
        receiver("inactive", &rec, ""),
        receiver("active", &rec, "")
    );
    let tail = "time_intervals:\n  - name: always\n    time_intervals:\n      - weekdays: ['sunday:saturday']\n        times: [{start_time: '00:00', end_time: '24:00'}]\n        location: Asia/Tokyo\n  - name: never\n    time_intervals:\n      - years: ['1999']\n        location: America/New_York\n";
    let s = Server::start(&cfg(&rec, routes, &extra, tail)).await;
    s.post_alerts(&json!([
        alert(&[("alertname", "M"), ("r", "muted")], None),
        alert(&[("alertname", "I"), ("r", "inactive")], None),
        alert(&[("alertname", "A"), ("r", "active")], None),
    ]))
    .await;
    sleep(1000).await;
    let paths: Vec<String> = rec.got().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["active"]);
    let groups = s.get("/api/v2/alerts/groups").await;
    let muted: Vec<&Value> = groups
        .as_array()
        .map(|g| {
            g.iter()
                .filter(|g| g["receiver"]["name"] == "muted")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        muted[0]["alerts"][0]["status"]["mutedBy"][0], "always",
        "{groups}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_in_the_middle_neither_duplicates_nor_loses() {
    let rec = Recorder::start().await;
    let config = cfg(&rec, "", "", "");
    let s = Server::start(&config).await;
    let a = json!([alert(&[("alertname", "P")], None)]);
    s.post_alerts(&a).await;
    assert_eq!(rec.wait_for(1, Duration::from_secs(3)).await.len(), 1);
    let dir = s.dir.clone();
    let tmp = s.stop().await;
    // Same data directory: the nflog snapshot says "already sent".
    let s = Server::start_in(&dir, &config).await;
    // The sender re-sends its alerts, plus a new one.
    s.post_alerts(&a).await;
    s.post_alerts(&json!([alert(&[("alertname", "Q")], None)]))
        .await;
    let got = rec.wait_for(2, Duration::from_secs(3)).await;
    sleep(1200).await;
    let got_all = rec.got();
    assert_eq!(
        got_all.len(),
        2,
        "{:?}",
        got_all.iter().map(names).collect::<Vec<_>>()
    );
    assert_eq!(names(&got[1]), ["Q:firing"]);
    s.stop().await;
    drop(tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_group_timing_and_bad_config_keeps_running_one() {
    let rec = Recorder::start().await;
    let config = cfg(&rec, "", "", "")
        .replace("group_interval: 1s", "group_interval: 2s")
        .replace("repeat_interval: 1h", "repeat_interval: 1s");
    let s = Server::start(&config).await;
    let t0 = rec.now();
    s.post_alerts(&json!([alert(&[("alertname", "G")], None)]))
        .await;
    rec.wait_for(1, Duration::from_secs(3)).await;
    sleep(500).await;
    assert_eq!(s.reload(&config).await, 200);
    assert_eq!(s.reload("route: {}\n").await, 500);
    let status = s.get("/api/v2/status").await;
    assert!(
        status["config"]["original"]
            .as_str()
            .unwrap_or("")
            .contains("receiver: default")
    );
    let got = rec.wait_for(2, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 2);
    // The repeat comes on the group's own schedule (300ms + 2s), not right after the reload.
    assert!(near(got[1].at - t0, 2300), "second at {:?}", got[1].at - t0);
    let metrics = crate::harness::client()
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        metrics.contains("alertmanager_config_last_reload_successful 0"),
        "{metrics}"
    );
    s.stop().await;
}
