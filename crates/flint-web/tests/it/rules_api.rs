//! `/api/v1/rules`, `/api/v1/alerts` and `/api/v1/alertmanagers` over real rule groups.

use std::sync::Arc;

use flint_model::Labels;
use flint_rules::manager::{Manager, ManagerOptions, RulesConfig};
use flint_rules::query::EngineQuery;
use flint_rules::sink::NoSink;
use flint_storage::Appendable;
use flint_storage::memory::MemStorage;
use flint_web::rules_api::{AlertingApi, routes};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const RULES: &str = "groups:
- name: alerts
  interval: 30s
  limit: 5
  rules:
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    labels: {severity: page}
    annotations: {summary: 'Instance {{ $labels.instance }} down'}
  - alert: Never
    expr: vector(1) == 2
- name: records
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - record: bad
    expr: up + on() up
";

async fn start() -> (String, Manager, flint_notifier::Manager) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let storage = MemStorage::new();
    let mut app = storage.appender();
    for (inst, v) in [("a:1", 0.0), ("b:1", 1.0)] {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "node"), ("instance", inst)]);
        app.append(None, &l, 0, v).unwrap();
    }
    app.commit().unwrap();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("flint-web-rules-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.yml");
    std::fs::write(&file, RULES).unwrap();
    let storage = Arc::new(storage);
    let m = Manager::new(ManagerOptions::new(
        Arc::new(EngineQuery::with_default_engine(storage.clone())),
        storage.clone(),
        storage,
        Arc::new(NoSink),
    ));
    let cfg = RulesConfig {
        files: vec![file.display().to_string()],
        evaluation_interval: std::time::Duration::from_secs(60),
        ..RulesConfig::default()
    };
    m.update(&cfg).await.unwrap();
    for g in m.groups() {
        g.eval(10_000);
    }
    let notifier = flint_notifier::Manager::new(flint_notifier::Options::default());
    let cfg = flint_config::load_str(
        "alerting:\n  alertmanagers:\n  - static_configs: [{targets: ['am:9093']}]\n    relabel_configs:\n    - {source_labels: [__address__], regex: nope, action: drop}\n",
        flint_config::LoadOptions::default(),
    )
    .unwrap();
    notifier.apply_config(&cfg).unwrap();
    let api = AlertingApi {
        rules: Some(m.clone()),
        notifier: Some(notifier.clone()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(flint_web::serve(
        listener,
        routes(api),
        CancellationToken::new(),
    ));
    (format!("http://{addr}"), m, notifier)
}

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn rules_endpoint_shapes_and_filters() {
    let (base, m, _) = start().await;
    let file = m.groups()[0].file().to_string();
    let (status, body) = get(&format!("{base}/api/v1/rules")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "success");
    let groups = body["data"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let g = &groups[0];
    assert_eq!(g["name"], "alerts");
    assert_eq!(g["file"], file);
    assert_eq!(g["interval"], json!(30));
    assert_eq!(g["limit"], json!(5));
    let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    let down = &g["rules"][0];
    assert_eq!(down["state"], "pending");
    assert_eq!(down["name"], "InstanceDown");
    assert_eq!(down["query"], "up == 0");
    assert_eq!(down["duration"], json!(300));
    assert_eq!(down["keepFiringFor"], json!(0));
    assert_eq!(down["labels"], json!({"severity": "page"}));
    assert_eq!(
        down["annotations"],
        json!({"summary": "Instance {{ $labels.instance }} down"})
    );
    assert_eq!(down["health"], "ok");
    assert_eq!(down["type"], "alerting");
    assert!(down.get("lastError").is_none());
    let alert = &down["alerts"][0];
    assert_eq!(
        alert["labels"],
        json!({"alertname": "InstanceDown", "instance": "a:1", "job": "node", "severity": "page"})
    );
    assert_eq!(
        alert["annotations"],
        json!({"summary": "Instance a:1 down"})
    );
    assert_eq!(alert["state"], "pending");
    assert_eq!(alert["activeAt"], "1970-01-01T00:00:10Z");
    assert_eq!(alert["value"], "0e+00");
    assert_eq!(g["rules"][1]["state"], "inactive");
    assert_eq!(g["rules"][1]["alerts"], json!([]));
    let rec = &groups[1]["rules"];
    assert_eq!(rec[0]["type"], "recording");
    assert!(rec[0].get("labels").is_none(), "empty labels are left out");
    assert_eq!(rec[1]["health"], "err");
    assert!(
        rec[1]["lastError"]
            .as_str()
            .unwrap()
            .contains("many-to-many")
    );

    let (_, body) = get(&format!("{base}/api/v1/rules?type=record")).await;
    assert_eq!(body["data"]["groups"].as_array().unwrap().len(), 1);
    let (_, body) = get(&format!(
        "{base}/api/v1/rules?rule_name[]=Never&rule_name[]=bad"
    ))
    .await;
    let names: Vec<&str> = body["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| {
            g["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap())
        })
        .collect();
    assert_eq!(names, ["Never", "bad"]);
    let (_, body) = get(&format!(
        "{base}/api/v1/rules?rule_group[]=records&file[]={file}"
    ))
    .await;
    assert_eq!(body["data"]["groups"][0]["name"], "records");
    let (_, body) = get(&format!("{base}/api/v1/rules?file[]=/other.yml")).await;
    assert_eq!(body["data"]["groups"], json!([]));
    let (_, body) = get(&format!(
        "{base}/api/v1/rules?match[]={{severity=\"page\"}}"
    ))
    .await;
    assert_eq!(
        body["data"]["groups"][0]["rules"].as_array().unwrap().len(),
        1
    );
    let (_, body) = get(&format!("{base}/api/v1/rules?exclude_alerts=true")).await;
    assert_eq!(body["data"]["groups"][0]["rules"][0]["alerts"], Value::Null);
    let (_, body) = get(&format!("{base}/api/v1/rules?group_limit=1")).await;
    let token = body["data"]["groupNextToken"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["groups"].as_array().unwrap().len(), 1);
    let (_, body) = get(&format!(
        "{base}/api/v1/rules?group_limit=1&group_next_token={token}"
    ))
    .await;
    assert_eq!(body["data"]["groups"][0]["name"], "records");
    assert!(body["data"].get("groupNextToken").is_none());
    let (status, body) = get(&format!("{base}/api/v1/rules?type=bogus")).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorType"], "bad_data");
    assert_eq!(
        body["error"],
        "invalid parameter \"type\": not supported value \"bogus\""
    );
}

#[tokio::test]
async fn alerts_and_alertmanagers() {
    let (base, _, _) = start().await;
    let (status, body) = get(&format!("{base}/api/v1/alerts")).await;
    assert_eq!(status, 200);
    let alerts = body["data"]["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["state"], "pending");
    assert_eq!(alerts[0]["labels"]["instance"], "a:1");
    let (_, body) = get(&format!("{base}/api/v1/alertmanagers")).await;
    assert_eq!(
        body["data"],
        json!({"activeAlertmanagers": [], "droppedAlertmanagers": []}),
        "nothing discovered before the notifier runs"
    );
}
