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
