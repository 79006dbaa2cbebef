//! The web UI's pages over a real TSDB with data, a scrape manager and a config with a
//! secret: what each page shows, the parser's error marks, the graph's series paths.

use std::collections::BTreeMap;
use std::sync::Arc;

use flint_model::Labels;
use flint_promql::{Engine, EngineOptions};
use flint_storage::Appendable;
use flint_tsdb::{Db, DbOptions};
use flint_web::query_api::{QueryApi, QueryApiOptions};
use flint_web::serve;
use flint_web::ui::{Ui, routes};
use tokio_util::sync::CancellationToken;

struct Server {
    base: String,
    _dir: tempfile::TempDir,
}

async fn start(external_url: &str, prefix: &str) -> Server {
    let (state, _rx) = super::endpoints::app_state(
        "scrape_configs:\n  - job_name: web\n    basic_auth: {username: u, password: hunter2}\n",
        false,
        BTreeMap::from([("storage.tsdb.path".to_string(), "data/".to_string())]),
        external_url,
    )
    .await;
    state.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), DbOptions::default()).unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut app = db.appender();
    for i in 0..120 {
        let t = now - 3_600_000 + i * 30_000;
        for (job, v) in [("a", 1.0), ("b", 2.0), ("c", i as f64)] {
            app.append(
                None,
                &Labels::from_pairs([("__name__", "demo"), ("job", job)]),
                t,
                v,
            )
            .unwrap();
        }
    }
    app.commit().unwrap();
    let group = flint_discovery::TargetGroup {
        source: "0".into(),
        targets: vec![Labels::from_pairs([("__address__", "127.0.0.1:1")])],
        labels: Labels::empty(),
    };
    state
        .scrape
        .sync(std::collections::BTreeMap::from([(
            "web".to_string(),
            vec![group],
        )]))
        .await;
    let mut opts =
        QueryApiOptions::new(Engine::new(EngineOptions::default()), Arc::new(db.clone()));
    opts.db = Some(db);
    let ui = Ui {
        app: state,
        query: QueryApi::new(opts),
        alerting: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        flint_web::prefix::under(routes(ui), prefix),
        CancellationToken::new(),
    ));
    Server {
        base: format!("http://{addr}"),
        _dir: dir,
    }
}

async fn page(url: &str) -> (u16, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn query_page_table_graph_errors_and_tree() {
    let s = start("", "/").await;
    let b = &s.base;
    // An empty page is the form.
    let (code, body) = page(&format!("{b}/query")).await;
    assert_eq!(code, 200);
    assert!(body.contains("id=\"query-form\"") && !body.contains("result-table"));

    let (_, body) = page(&format!("{b}/query?expr={}", enc("demo"))).await;
    assert_eq!(body.matches("<tr><td><code>demo{job=").count(), 3, "{body}");
    assert!(
        body.contains("demo{job=&#34;c&#34;}") || body.contains("demo{job=&quot;c&quot;}"),
        "{body}"
    );

    let (_, body) = page(&format!(
        "{b}/query?expr={}&tab=graph&range=1h",
        enc("demo")
    ))
    .await;
    assert_eq!(body.matches("class=\"series\"").count(), 3, "{body}");
    assert_eq!(body.matches("<li data-series=").count(), 3);
    assert!(body.contains("id=\"graph-data\""));

    let (_, body) = page(&format!(
        "{b}/query?expr={}&tab=graph&range=1h&stacked=1",
        enc("sum by (job) (demo)")
    ))
    .await;
    assert_eq!(body.matches("class=\"series\"").count(), 3, "{body}");
    assert!(body.contains("aggregation (sum)"), "the tree is shown");

    // A parse error names its position and marks the bad part.
    let (code, body) = page(&format!("{b}/query?expr={}", enc("sum(demo"))).await;
    assert_eq!(code, 200);
    assert!(body.contains("id=\"parse-error\""), "{body}");
    assert!(body.contains("parse error at 1:"), "{body}");
    assert!(body.contains("<mark>"));
    // An evaluation error is shown too.
    let (_, body) = page(&format!("{b}/query?expr=demo&tab=graph&range=bogus")).await;
    assert!(body.contains("id=\"query-error\""), "{body}");
    // HTML in the expression is escaped.
    let (_, body) = page(&format!("{b}/query?expr={}", enc("demo{job=\"<b>\"}"))).await;
    assert!(!body.contains("<b>"), "{body}");
}

#[tokio::test]
async fn status_targets_and_config_pages() {
    let s = start("", "/").await;
    let b = &s.base;
    let (code, _) = page(&format!("{b}/")).await;
    assert_eq!(code, 303, "/ redirects to the query page");
    let (_, body) = page(&format!("{b}/targets")).await;
    assert!(
        body.contains("id=\"pool-web\"") && body.contains("http://127.0.0.1:1/metrics"),
        "{body}"
    );
    let (_, body) = page(&format!("{b}/service-discovery")).await;
    assert!(
        body.contains("__address__") && body.contains("id=\"sd-web\""),
        "{body}"
    );
    let (_, body) = page(&format!("{b}/config")).await;
    assert!(
        body.contains("&lt;secret&gt;") && !body.contains("hunter2"),
        "{body}"
    );
    let (_, body) = page(&format!("{b}/flags")).await;
    assert!(body.contains("storage.tsdb.path"));
    let (_, body) = page(&format!("{b}/status")).await;
    assert!(
        body.contains("id=\"runtime\"") && body.contains("startTime"),
        "{body}"
    );
    let (_, body) = page(&format!("{b}/tsdb-status")).await;
    assert!(body.contains("id=\"series-by-metric\""));
    assert!(
        body.contains("<td><code>demo</code></td><td>3</td>"),
        "{body}"
    );
    let (_, body) = page(&format!("{b}/rules")).await;
    assert!(body.contains("No rules loaded."));
    let (_, body) = page(&format!("{b}/alerts")).await;
    assert!(body.contains("No alerting rules"));
    let (code, js) = page(&format!("{b}/ui/ui.js")).await;
    assert!(code == 200 && js.contains("graph-data"));
}

#[tokio::test]
async fn links_carry_the_external_path() {
    let s = start("http://example.org/prom", "/prom").await;
    let (code, body) = page(&format!("{}/prom/targets", s.base)).await;
    assert_eq!(code, 200);
    assert!(body.contains("href=\"/prom/query\"") && body.contains("/prom/ui/style.css"));
}
