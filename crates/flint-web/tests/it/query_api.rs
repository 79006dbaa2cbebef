//! The query API's answers: exact bodies, upstream's error texts and statuses, limits,
//! admin endpoints, readiness and `/federate`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use flint_model::Labels;
use flint_promql::{Engine, EngineOptions};
use flint_storage::Appendable;
use flint_storage::memory::MemStorage;
use flint_web::query_api::{QueryApi, QueryApiOptions, routes};
use tokio_util::sync::CancellationToken;

use super::query_support::{BASE, enc, get, openmetrics, post_form, start_flint};

#[tokio::test]
async fn queries_and_errors() {
    let f = start_flint(&openmetrics(), false).await;
    let b = &f.url;
    let t = BASE + 1800;
    let q = |s: &str| format!("{b}/api/v1/query?query={}&time={t}", enc(s));
    assert_eq!(
        get(&q(r#"temperature{dc="x",rack="r1"} > -1000"#)).await.0,
        200
    );
    let (code, body) = get(&q("build_info")).await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"__name__":"build_info","version":"\u003c1.0\u0026\"x\"\u003e"}},"value":[{t},"1"]}}]}}}}"#
        )
    );
    let (_, body) = get(&format!("{b}/api/v1/query?query=time()&time={t}.5")).await;
    assert_eq!(
        body,
        format!(
            r#"{{"status":"success","data":{{"resultType":"scalar","result":[{t}.500,"{t}.5"]}}}}"#
        )
    );
    let cases = [
        (
            "query=1%2B",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:3: parse error: unexpected end of input"}"#,
        ),
        (
            "query=up&time=abc",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"}"#,
        ),
        (
            "query=up&timeout=xx",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"xx\" to a valid duration"}"#,
        ),
        (
            "query=up&limit=-1",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": limit must be non-negative"}"#,
        ),
        (
            "",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"}"#,
        ),
    ];
    for (params, code, want) in cases {
        assert_eq!(
            get(&format!("{b}/api/v1/query?{params}")).await,
            (code, want.to_owned()),
            "{params}"
        );
    }
    let range = |p: &str| format!("{b}/api/v1/query_range?{p}");
    let cases = [
        (
            "query=up&start=0&end=1000000&step=1",
            r#"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"#,
        ),
        (
            "query=up&start=10&end=1&step=1",
            r#"invalid parameter \"end\": end timestamp must not be before start time"#,
        ),
        (
            "query=up&start=1&end=2&step=0",
            r#"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"#,
        ),
        (
            "query=up&start=1&end=2&step=1e300",
            r#"invalid parameter \"step\": cannot parse \"1e300\" to a valid duration. It overflows int64"#,
        ),
        (
            "query=up%5B1m%5D&start=1&end=2&step=1",
            r#"invalid parameter \"query\": invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"#,
        ),
    ];
    for (params, want) in cases {
        let (code, body) = get(&range(params)).await;
        assert_eq!(code, 400, "{params}");
        assert_eq!(
            body,
            format!(r#"{{"status":"error","errorType":"bad_data","error":"{want}"}}"#)
        );
    }
    // POST form values win over the URL's.
    let (_, body) = post_form(
        &format!("{b}/api/v1/query?query=special&time={t}"),
        &format!("query=build_info&time={t}"),
    )
    .await;
    assert!(body.contains("build_info"), "{body}");
    // Execution errors are 422.
    let (code, body) = get(&q(r#"label_replace(temperature, "rack", "", "", "")"#)).await;
    assert_eq!(code, 422, "{body}");
    assert!(body.contains(r#""errorType":"execution""#), "{body}");
    // limit truncates with a warning; stats are there when asked for.
    let (_, body) = get(&format!("{}&limit=3&stats=all", q("temperature"))).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 3);
    assert_eq!(v["warnings"][0], "results truncated due to limit");
    assert!(
        v["data"]["stats"]["samples"]["totalQueryableSamples"]
            .as_u64()
            .unwrap()
            >= 8
    );
    // Large answers are gzipped for clients that accept it.
    let r = super::query_support::client()
        .get(format!("{}&limit=0", q("temperature[10m]")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // Annotations become warnings and infos.
    let (_, body) = get(&q("rate(temperature[5m])")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["infos"][0]
            .as_str()
            .unwrap()
            .starts_with("PromQL info: metric might not be a counter"),
        "{body}"
    );
}

#[tokio::test]
async fn series_labels_and_values() {
    let f = start_flint(&openmetrics(), false).await;
    let b = &f.url;
    let (code, body) = get(&format!(
        "{b}/api/v1/series?match[]={}&match[]={}",
        enc("sparse"),
        enc(r#"{k="gap"}"#)
    ))
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":[{"__name__":"sparse","k":"ends"},{"__name__":"sparse","k":"gap"}]}"#
    );
    assert_eq!(
        get(&format!("{b}/api/v1/series")).await.1,
        r#"{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}"#
    );
    assert_eq!(
        get(&format!(
            "{b}/api/v1/series?match[]={}",
            enc(r#"{job=~".*"}"#)
        ))
        .await
        .1,
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"}"#
    );
    let (_, body) = get(&format!("{b}/api/v1/series?match[]=temperature&limit=2")).await;
    assert!(
        body.ends_with(r#""warnings":["results truncated due to limit"]}"#),
        "{body}"
    );
    assert_eq!(
        get(&format!("{b}/api/v1/labels?match[]=sparse")).await.1,
        r#"{"status":"success","data":["__name__","k"]}"#
    );
    assert_eq!(
        get(&format!("{b}/api/v1/label/job/values")).await.1,
        r#"{"status":"success","data":["api","web"]}"#
    );
    assert_eq!(
        get(&format!("{b}/api/v1/label/__name__/values?limit=2"))
            .await
            .1,
        r#"{"status":"success","data":["build_info","http_requests_total"],"warnings":["results truncated due to limit"]}"#
    );
    assert_eq!(
        get(&format!("{b}/api/v1/label/job/values?limit=x")).await.1,
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": strconv.Atoi: parsing \"x\": invalid syntax"}"#
    );
    // Outside the data's time range there is nothing.
    assert_eq!(
        get(&format!("{b}/api/v1/label/job/values?start=1&end=2"))
            .await
            .1,
        r#"{"status":"success","data":[]}"#
    );
    assert_eq!(
        get(&format!("{b}/api/v1/query_exemplars?query=1")).await.0,
        204
    );
    assert_eq!(
        get(&format!("{b}/api/v1/query_exemplars?query=up")).await.1,
        r#"{"status":"success","data":[]}"#
    );
    assert_eq!(
        get(&format!(
            "{b}/api/v1/format_query?query={}",
            enc("sum(rate(x[5m]))by(job)")
        ))
        .await
        .1,
        r#"{"status":"success","data":"sum by (job) (rate(x[5m]))"}"#
    );
}

#[tokio::test]
async fn admin_and_status() {
    let f = start_flint(&openmetrics(), true).await;
    let b = &f.url;
    let c = super::query_support::client();
    let (_, body) = get(&format!("{b}/api/v1/status/tsdb")).await;
    assert!(
        body.starts_with(r#"{"status":"success","data":{"headStats":{"numSeries":"#),
        "{body}"
    );
    assert_eq!(
        get(&format!("{b}/api/v1/status/tsdb?limit=0")).await.1,
        r#"{"status":"error","errorType":"bad_data","error":"limit must be a positive number"}"#
    );
    let r = c
        .post(format!("{b}/api/v1/admin/tsdb/snapshot"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let name = v["data"]["name"].as_str().unwrap();
    assert!(f.db.dir().join("snapshots").join(name).is_dir());
    let r = c
        .post(format!(
            "{b}/api/v1/admin/tsdb/delete_series?match[]=sparse"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        get(&format!("{b}/api/v1/series?match[]=sparse")).await.1,
        r#"{"status":"success","data":[]}"#
    );
    let r = c
        .put(format!("{b}/api/v1/admin/tsdb/clean_tombstones"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .post(format!("{b}/api/v1/admin/tsdb/delete_series"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let off = start_flint("# EOF\n", false).await;
    let r = c
        .post(format!("{}/api/v1/admin/tsdb/clean_tombstones", off.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}"#
    );
}

#[tokio::test]
async fn readiness_and_federation() {
    let storage = MemStorage::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut app = storage.appender();
    app.append(
        None,
        &Labels::from_pairs([("__name__", "up"), ("job", "a")]),
        now - 1000,
        1.0,
    )
    .unwrap();
    app.append(
        None,
        &Labels::from_pairs([("__name__", "odd"), ("k", "v")]),
        now - 2000,
        f64::NAN,
    )
    .unwrap();
    app.commit().unwrap();
    let ready = Arc::new(AtomicBool::new(false));
    let mut opts = QueryApiOptions::new(Engine::new(EngineOptions::default()), Arc::new(storage));
    opts.ready = ready.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    tokio::spawn(flint_web::serve(
        listener,
        routes::<()>(QueryApi::new(opts)),
        cancel.clone(),
    ));
    assert_eq!(
        get(&format!("{b}/api/v1/query?query=up")).await,
        (503, "Service Unavailable".into())
    );
    assert_eq!(get(&format!("{b}/api/v1/status/walreplay")).await.0, 200);
    ready.store(true, Ordering::SeqCst);
    let (code, body) = get(&format!("{b}/federate?match[]=up&match[]=odd")).await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        format!(
            "# TYPE odd untyped\nodd{{k=\"v\",instance=\"\"}} NaN {}\n# TYPE up untyped\nup{{job=\"a\",instance=\"\"}} 1 {}\n",
            now - 2000,
            now - 1000
        )
    );
    // Upstream reads match[] with a selector-only grammar and says `1:3: parse error:
    // unexpected "("`; our full parser reports the call it sees instead.
    let (code, body) = get(&format!("{b}/federate?match[]=up(")).await;
    assert_eq!(code, 400);
    assert!(
        body.starts_with("1:") && body.contains("parse error"),
        "{body}"
    );
    cancel.cancel();
}
