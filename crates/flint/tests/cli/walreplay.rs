//! `/api/v1/status/walreplay` after restarts: the segments the start-up replay read.

use super::alerting::flint_server;
use super::support::{free_port, http_get, wait_for};

#[test]
fn walreplay_reports_the_segments_replayed_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("flint.log");
    let port = free_port();
    let config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    \
         static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    );
    // The replay status answers from the start, so it is read once the server is ready.
    let status = || -> Option<serde_json::Value> {
        http_get(port, "/-/ready").filter(|b| b.contains("Ready"))?;
        let v: serde_json::Value =
            serde_json::from_str(&http_get(port, "/api/v1/status/walreplay")?).ok()?;
        (v["status"] == "success").then(|| v["data"].clone())
    };
    // Each start opens a new segment; the third start replays the two before it. The
    // servers are killed (SIGKILL) in between, as after a crash.
    for _ in 0..2 {
        let _server = flint_server(dir.path(), port, &config);
        wait_for(20, "the server", &[log.as_path()], status);
    }
    let _server = flint_server(dir.path(), port, &config);
    let data = wait_for(20, "the server", &[log.as_path()], status);
    assert_eq!(data, serde_json::json!({"min": 0, "max": 1, "current": 1}));
}
