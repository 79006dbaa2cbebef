//! Scrape loops against a local target: labels, report series, staleness, cache.

use std::sync::{Arc, Mutex};

use flint_model::is_stale_nan;

use crate::harness::{Recorder, job, scrape_loop, serve, value};

#[tokio::test]
async fn scrapes_reports_and_marks_stale() {
    let body = Arc::new(Mutex::new(
        "# TYPE a counter\na_total{x=\"1\"} 1\nb 2\n".to_string(),
    ));
    let addr = serve(body.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(
        job(
            "job_name: j\nmetric_relabel_configs: [{source_labels: [__name__], regex: dropme, action: drop}]",
        ),
        &addr,
        &rec,
    );
    assert_eq!(
        t.labels.to_string(),
        format!("{{instance=\"{addr}\", job=\"j\"}}")
    );
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "up"), Some(1.0));
    assert_eq!(value(&s, "scrape_samples_scraped"), Some(2.0));
    assert_eq!(value(&s, "scrape_series_added"), Some(2.0));
    let a = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("a_total"))
        .unwrap();
    assert_eq!(a.0.get("job"), Some("j"));
    assert_eq!(a.0.get("x"), Some("1"));
    assert_eq!(t.health().health.as_str(), "up");
    assert!(
        t.metadata()
            .iter()
            .any(|m| m.metric == "a" && m.metric_type == "counter")
    );
    // Steady state: nothing new in the cache.
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "scrape_series_added"), Some(0.0));
    // `b` vanishes: a stale marker; `dropme` is dropped by metric relabeling.
    *body.lock().unwrap() = "a_total{x=\"1\"} 2\ndropme 1\n".into();
    l.scrape_once().await;
    let s = rec.take();
    let b = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("b"))
        .unwrap();
    assert!(is_stale_nan(b.2));
    assert!(s.iter().all(|(l, _, _)| l.metric_name() != Some("dropme")));
    assert_eq!(
        value(&s, "scrape_samples_post_metric_relabeling"),
        Some(1.0)
    );
    assert_eq!(l.cached_series(), 2);
}

#[tokio::test]
async fn honor_labels_and_timestamps() {
    let body = Arc::new(Mutex::new("m{job=\"inner\"} 1 1000\n".to_string()));
    let addr = serve(body.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    let s = rec.take();
    let m = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("m"))
        .unwrap();
    assert_eq!(m.0.get("job"), Some("j"));
    assert_eq!(m.0.get("exported_job"), Some("inner"));
    assert_eq!(m.1, 1000);
    let (mut l, _) = scrape_loop(
        job("job_name: j\nhonor_labels: true\nhonor_timestamps: false"),
        &addr,
        &rec,
    );
    l.scrape_once().await;
    let s = rec.take();
    let m = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("m"))
        .unwrap();
    assert_eq!(m.0.get("job"), Some("inner"));
    assert_ne!(m.1, 1000);
}

#[tokio::test]
async fn openmetrics_and_limits() {
    let addr = serve(Arc::new(Mutex::new("a 1\nb 2\nc 3\n".into())))
        .await
        .to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j\nmetrics_path: /om"), &addr, &rec);
    l.scrape_once().await;
    let s = rec.take();
    let c = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("c_total"))
        .unwrap();
    assert_eq!((c.1, c.2), (123_500, 3.0));
    let (mut l, t) = scrape_loop(job("job_name: j\nsample_limit: 2"), &addr, &rec);
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "up"), Some(0.0));
    assert_eq!(s.len(), 5, "only the report series: {s:?}");
    assert_eq!(t.health().last_error, "sample limit exceeded");
    let (mut l, t) = scrape_loop(job("job_name: j\nlabel_limit: 2"), &addr, &rec);
    l.scrape_once().await;
    assert!(
        t.health().last_error.starts_with("label_limit exceeded"),
        "{}",
        t.health().last_error
    );
}

#[tokio::test]
async fn offsets_are_stable_and_within_the_interval() {
    let rec = Recorder::default();
    let (l, t) = scrape_loop(
        job("job_name: j\nscrape_interval: 10s"),
        "127.0.0.1:1",
        &rec,
    );
    let now = std::time::SystemTime::now();
    let a = l.offset(now);
    assert!(a <= t.interval);
    assert_eq!(a, l.offset(now));
}

#[tokio::test]
async fn labels_are_rebuilt_when_the_storage_forgets_a_series() {
    let body = Arc::new(Mutex::new("a{x=\"1\"} 1\nb 2\n".to_string()));
    let addr = serve(body.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j"), &addr, &rec);
    l.scrape_once().await;
    l.scrape_once().await;
    rec.take();
    rec.forget_refs();
    *body.lock().unwrap() = "a{x=\"1\"} 3\n".into();
    l.scrape_once().await;
    let s = rec.take();
    let a = s
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("a"))
        .unwrap();
    assert_eq!(
        (a.0.get("x"), a.0.get("job"), a.2),
        (Some("1"), Some("j"), 3.0)
    );
    // The storage forgot `b` too: there is nothing left to mark stale.
    assert!(s.iter().all(|(l, _, _)| l.metric_name() != Some("b")));
}

/// Regression: series touched by a failed scrape must still be appended by the next one.
#[tokio::test]
async fn a_rolled_back_scrape_does_not_hide_series_from_the_next() {
    let body = Arc::new(Mutex::new("a 1\nb 2\nc 3\n".to_string()));
    let addr = serve(body.clone()).await.to_string();
    let rec = Recorder::default();
    let (mut l, _) = scrape_loop(job("job_name: j\nsample_limit: 2"), &addr, &rec);
    l.scrape_once().await;
    assert_eq!(value(&rec.take(), "up"), Some(0.0));
    *body.lock().unwrap() = "b 5\na 4\n".into();
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "up"), Some(1.0));
    assert_eq!((value(&s, "a"), value(&s, "b")), (Some(4.0), Some(5.0)));
    // A reordered body still maps every sample to its own series.
    *body.lock().unwrap() = "a 6\nb 7\n".into();
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!((value(&s, "a"), value(&s, "b")), (Some(6.0), Some(7.0)));
    assert_eq!(value(&s, "scrape_series_added"), Some(0.0));
}

#[tokio::test]
async fn scrapes_with_an_oauth2_token() {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/token",
            post(|| async {
                (
                    [("content-type", "application/json")],
                    r#"{"access_token":"t0k","expires_in":3600}"#,
                )
            }),
        )
        .route(
            "/metrics",
            get(|h: HeaderMap| async move {
                if h.get("authorization").is_some_and(|v| v == "Bearer t0k") {
                    "m 1\n".into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(
        job(&format!(
            "job_name: j\noauth2: {{client_id: c, client_secret: s, token_url: 'http://{addr}/token'}}"
        )),
        &addr.to_string(),
        &rec,
    );
    l.scrape_once().await;
    assert_eq!(t.health().last_error, "");
    assert_eq!(value(&rec.take(), "m"), Some(1.0));
}
