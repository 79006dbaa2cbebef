//! API v2 answers and upstream's 400 messages.

use serde_json::{Value, json};

use crate::harness::{Server, alert, client};

const CFG: &str = "route: {receiver: r, group_wait: 1h}\nreceivers: [{name: r}, {name: other}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_alerts_get_upstream_messages() {
    let s = Server::start(CFG).await;
    let (code, body) = s.post_alerts(&json!([{"labels": {}}])).await;
    assert_eq!(
        (code, body.as_str()),
        (400, "\"at least one label pair required\"")
    );
    let (code, body) = s
        .post_alerts(&json!([{"labels": {"a": "b"}, "startsAt": "2024-01-02T00:00:00Z", "endsAt": "2024-01-01T00:00:00Z"}]))
        .await;
    assert_eq!(
        (code, body.as_str()),
        (400, "\"start time must be before end time\"")
    );
    // Valid alerts in the same batch are still stored.
    let (code, _) = s
        .post_alerts(&json!([{"labels": {}}, alert(&[("alertname", "ok")], None)]))
        .await;
    assert_eq!(code, 400);
    let all = s.get("/api/v2/alerts").await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    // As upstream, answering a query evaluates silences and inhibitions: the alert is active.
    assert_eq!(all[0]["status"]["state"], "active");
    assert_eq!(all[0]["receivers"], json!([{"name": "r"}]));
    // Escaped strings are decoded.
    let (code, _) = s
        .post_alerts(&json!([{"labels": {"alertname": "q\"uote\n", "x": ""}}]))
        .await;
    assert_eq!(code, 200);
    let q = s.get("/api/v2/alerts?filter=alertname%3D~%22q.*%22").await;
    assert_eq!(q[0]["labels"], json!({"alertname": "q\"uote\n"}));
    let (code, _) = s.post_alerts(&json!({"not": "a list"})).await;
    assert_eq!(code, 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_validation_and_lifecycle() {
    let s = Server::start(CFG).await;
    let c = client();
    let post = |body: Value| {
        let c = c.clone();
        let url = format!("{}/api/v2/silences", s.url);
        async move {
            let r = c.post(url).json(&body).send().await.expect("post");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let m = json!([{"name": "a", "value": "b", "isRegex": false}]);
    let (code, body) = post(json!({"matchers": m, "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z", "createdBy": "x", "comment": "y"})).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "\"Failed to create silence: start time must be before end time\""
        )
    );
    let (code, body) = post(json!({"matchers": m, "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2020-01-02T00:00:00Z", "createdBy": "x", "comment": "y"})).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "\"Failed to create silence: end time can't be in the past\""
        )
    );
    let (code, body) = post(json!({"matchers": [{"name": "a", "value": "", "isRegex": false}], "startsAt": "2029-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z", "createdBy": "x", "comment": "y"})).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "\"invalid silence: at least one matcher must not match the empty string\""
        )
    );
    let (code, body) = post(json!({"matchers": m, "startsAt": "2029-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z", "createdBy": "x", "comment": "y"})).await;
    assert_eq!(code, 200, "{body}");
    let id = serde_json::from_str::<Value>(&body).expect("json")["silenceID"]
        .as_str()
        .expect("id")
        .to_string();
    let got = s.get(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(got["status"]["state"], "pending");
    assert_eq!(
        got["matchers"][0],
        json!({"name": "a", "value": "b", "isRegex": false, "isEqual": true})
    );
    let (code, _) = post(json!({"id": "nope", "matchers": m, "startsAt": "2029-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z", "createdBy": "x", "comment": "y"})).await;
    assert_eq!(code, 404);
    let r = c
        .get(format!("{}/api/v2/silence/nope", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
    let r = c
        .delete(format!("{}/api/v2/silence/{id}", s.url))
        .send()
        .await
        .expect("del");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        s.get(&format!("/api/v2/silence/{id}")).await["status"]["state"],
        "expired"
    );
    let receivers = s.get("/api/v2/receivers").await;
    assert_eq!(receivers, json!([{"name": "r"}, {"name": "other"}]));
    let status = s.get("/api/v2/status").await;
    assert_eq!(status["cluster"]["status"], "disabled");
    for p in ["/-/healthy", "/-/ready"] {
        assert_eq!(
            c.get(format!("{}{p}", s.url))
                .send()
                .await
                .expect("get")
                .status()
                .as_u16(),
            200
        );
    }
    s.stop().await;
}

/// `GET /api/v2/alerts`, `/alerts/groups` and `/silences` answer like Alertmanager 0.25 for the
/// same state (fields 0.25 knows; volatile timestamps and IDs aside).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_match_upstream() {
    let cfg = "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 1h\nreceivers: [{name: r}]\n";
    let Some(up) = crate::harness::Upstream::start(cfg, "http://localhost:9093").await else {
        return;
    };
    let s = Server::start(cfg).await;
    let alerts = json!([
        {"labels": {"alertname": "A", "x": "1"}, "annotations": {"s": "t"}, "startsAt": "2030-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z", "generatorURL": "http://g/"},
        {"labels": {"alertname": "A", "x": "2"}, "startsAt": "2030-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z"},
    ]);
    let sil = json!({"matchers": [{"name": "x", "value": "2", "isRegex": false}], "startsAt": "2030-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z", "createdBy": "me", "comment": "c"});
    let c = client();
    for base in [&up.url, &s.url] {
        c.post(format!("{base}/api/v2/alerts"))
            .json(&alerts)
            .send()
            .await
            .expect("alerts");
        c.post(format!("{base}/api/v2/silences"))
            .json(&sil)
            .send()
            .await
            .expect("silence");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let get = |base: String, path: &'static str| {
        let c = c.clone();
        async move {
            c.get(format!("{base}{path}"))
                .send()
                .await
                .expect("get")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    fn scrub(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in ["updatedAt", "id", "mutedBy"] {
                    m.remove(k);
                }
                if let Some(Value::Array(ids)) = m.get_mut("silencedBy") {
                    *ids = ids.iter().map(|_| json!("<id>")).collect();
                }
                m.values_mut().for_each(scrub);
            }
            Value::Array(a) => a.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    for path in [
        "/api/v2/alerts",
        "/api/v2/alerts/groups",
        "/api/v2/silences",
        "/api/v2/receivers",
    ] {
        let mut want = get(up.url.clone(), path).await;
        let mut got = get(s.url.clone(), path).await;
        scrub(&mut want);
        scrub(&mut got);
        assert_eq!(got, want, "{path}");
    }
    up.stop();
    s.stop().await;
}
