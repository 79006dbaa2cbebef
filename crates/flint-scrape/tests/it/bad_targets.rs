//! Misbehaving targets: each scrape sets `up` 0 with the error, appends nothing else.

use std::sync::{Arc, Mutex};

use crate::harness::{Recorder, job, scrape_loop, serve, value};

#[tokio::test]
async fn every_bad_target_is_down_with_its_error() {
    let addr = serve(Arc::new(Mutex::new(String::new()))).await.to_string();
    for (path, extra, want) in [
        ("/malformed", "", "invalid"),
        (
            "/slow",
            "scrape_timeout: 200ms",
            "context deadline exceeded",
        ),
        ("/big", "body_size_limit: 1KB", "body size limit exceeded"),
        ("/bomb", "body_size_limit: 1MB", "body size limit exceeded"),
        ("/bomb", "", ""),
        ("/500", "", "server returned HTTP status 500"),
        ("/html", "", "unsupported Content-Type"),
        ("/nothing-here", "", "404"),
    ] {
        let rec = Recorder::default();
        let cfg = job(&format!("job_name: j\nmetrics_path: {path}\n{extra}"));
        let (mut l, t) = scrape_loop(cfg, &addr, &rec);
        l.scrape_once().await;
        let s = rec.take();
        assert_eq!(value(&s, "up"), Some(0.0), "{path}");
        assert_eq!(s.len(), 5, "{path}: only report series expected, got {s:?}");
        let h = t.health();
        assert_eq!(h.health.as_str(), "down", "{path}");
        assert!(
            h.last_error.contains(want),
            "{path}: {:?} lacks {want:?}",
            h.last_error
        );
    }
    // A refused connection.
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(job("job_name: j"), "127.0.0.1:9", &rec);
    l.scrape_once().await;
    assert_eq!(value(&rec.take(), "up"), Some(0.0));
    assert!(!t.health().last_error.is_empty());
}

#[tokio::test]
async fn a_failed_scrape_marks_previous_series_stale() {
    let body = Arc::new(Mutex::new("a 1\n".to_string()));
    let addr = serve(body.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    rec.take();
    *body.lock().unwrap() = "a{ broken".into();
    l.scrape_once().await;
    let s = rec.take();
    let a = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("a"))
        .unwrap();
    assert!(flint_model::is_stale_nan(a.2));
}

#[tokio::test]
async fn failed_scrapes_go_to_the_failure_log() {
    let addr = serve(Default::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("failures.log");
    let cfg = job(&format!(
        "job_name: j\nmetrics_path: /500\nscrape_failure_log_file: '{}'",
        file.display()
    ));
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(cfg, &addr.to_string(), &rec);
    l.scrape_once().await;
    l.scrape_once().await;
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0]["msg"],
        "server returned HTTP status 500 Internal Server Error"
    );
    assert_eq!(lines[0]["target"], t.url.as_str());
    assert!(text.starts_with("{\"time\":"), "slog's key order: {text}");
}
