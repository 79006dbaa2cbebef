//! `flint` with no arguments: server, Alertmanager and the log receiver in one process, the
//! self-monitoring Watchdog alert travelling the whole path, and a clean Ctrl-C.

use std::process::Command;
use std::time::{Duration, Instant};

use super::support::{free_port, http_get, spawn, wait_for};

#[test]
fn all_in_one_scrapes_both_roles_notifies_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("flint.log");
    let (web, am) = (free_port(), free_port());
    let mut child = spawn(
        env!("CARGO_BIN_EXE_flint").as_ref(),
        &[
            format!("--web.listen-address=127.0.0.1:{web}"),
            format!("--alertmanager.listen-address=127.0.0.1:{am}"),
            format!("--storage.path={}", data.display()),
        ],
        &log,
    );
    let logs = [log.as_path()];
    // Both targets (the server itself and the Alertmanager) are scraped and up.
    wait_for(40, "both targets up", &logs, || {
        let body = http_get(web, "/api/v1/targets")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let active = v["data"]["activeTargets"].as_array()?;
        let up = active.iter().filter(|t| t["health"] == "up").count();
        (active.len() == 2 && up == 2).then_some(())
    });
    // The always-firing Watchdog rule reaches the embedded Alertmanager...
    wait_for(40, "Watchdog in the Alertmanager", &logs, || {
        http_get(am, "/api/v2/alerts")?
            .contains("\"Watchdog\"")
            .then_some(())
    });
    // ...and its default receiver writes the notification to the log.
    wait_for(40, "the Watchdog notification in the log", &logs, || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.lines()
            .any(|l| l.contains("Notification.") && l.contains("alertname=Watchdog"))
            .then_some(())
    });
    let page = http_get(web, "/query?expr=up").unwrap_or_default();
    assert!(
        page.contains("<form") && page.contains("id=\"result-table\""),
        "{page}"
    );
    let cfg = std::fs::read_to_string(data.join("all-in-one/prometheus.yml")).expect("config");
    assert!(cfg.contains(&format!("127.0.0.1:{am}")), "{cfg}");

    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "no clean stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "exit {status:?}\n{text}");
    assert!(data.join("wal").is_dir(), "the TSDB lives in the data dir");
    assert!(
        data.join("alertmanager/nflog").is_file(),
        "the Alertmanager snapshots its nflog under data/alertmanager\n{text}"
    );
}
