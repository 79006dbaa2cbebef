//! The same requests against Flint and Debian's `prometheus` (2.42) over the same backfilled
//! data: status codes and JSON compared field by field.
//!
//! Differences that come from 2.42-vs-3.x (Flint follows 3.x) are asserted as differences,
//! each named in [`KNOWN`], not skipped.

use serde_json::Value;

use super::query_compare::{diff, sort_vector, zero_timings};
use super::query_support::{BASE, enc, get, openmetrics, post_form, start_flint, start_prometheus};

/// Where Flint (3.x) and Prometheus 2.42 answer differently on purpose.
const KNOWN: &[(&str, &str)] = &[
    (
        "/api/v1/query_range?query=up%5B1m%5D",
        "2.42 leaves `invalid parameter \"query\": ` off range-query parse errors",
    ),
    (
        "/api/v1/query?query=rate(temperature",
        "3.x adds the info `metric might not be a counter`; 2.42 has no infos",
    ),
    (
        "/api/v1/label/a-b/values",
        "3.x accepts UTF-8 label names; 2.42 rejects `a-b`",
    ),
    ("/api/v1/parse_query", "3.x only; 2.42 answers 404"),
    (
        "/api/v1/query?query=temperature&limit=2",
        "3.x only; 2.42 ignores `limit`",
    ),
    (
        "/api/v1/series?match[]=up(",
        "upstream's selector-only grammar words the error differently",
    ),
];

fn known(req: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(prefix, _)| req.starts_with(prefix))
        .map(|(_, why)| *why)
}

async fn fetch(base: &str, req: &str) -> (u16, String) {
    match req.strip_prefix("POST ") {
        Some(r) => {
            let (path, body) = r.split_once('?').unwrap_or((r, ""));
            post_form(&format!("{base}{path}"), body).await
        }
        None => get(&format!("{base}{req}")).await,
    }
}

/// Only the keys and value types (for answers whose values are per-process).
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::String(_) => Value::from("string"),
        Value::Number(_) => Value::from(0),
        other => other.clone(),
    }
}

#[tokio::test]
async fn answers_match_prometheus() {
    let om = openmetrics();
    let Some(prom) = start_prometheus(&om).await else {
        return;
    };
    let flint = start_flint(&om, true).await;
    let t = BASE + 1807;
    let (s, e) = (BASE + 607, BASE + 2407);
    let mut reqs: Vec<String> = [
        "query?query=build_info&time=T",
        "query?query=special%5B2m%5D&time=T",
        "query?query=temperature&time=T.5&stats=all",
        "query?query=sum%20by%20(job)%20(rate(http_requests_total%5B5m%5D))&time=T",
        "query?query=scalar(sum(temperature))&time=T",
        "query?query=%22a%3Cb%22&time=T",
        "query?query=nothing&time=T",
        "query?query=1%2B&time=T",
        "query?query=up&time=abc",
        "query?query=up&time=T&timeout=xx",
        "query?query=rate(temperature%5B5m%5D)&time=T",
        "query?query=temperature&limit=2&time=T",
        "query_range?query=temperature%7Brack%3D%22r1%22%7D&start=S&end=E&step=60",
        "query_range?query=special&start=S&end=E&step=15",
        "query_range?query=up&start=0&end=1000000&step=1",
        "query_range?query=up&start=10&end=1&step=1",
        "query_range?query=up&start=10&end=11&step=0",
        "query_range?query=up&start=a&end=1&step=1",
        "query_range?query=up&start=1&end=2&step=1e300",
        "query_range?query=up%5B1m%5D&start=10&end=11&step=1",
        "query_exemplars?query=temperature",
        "query_exemplars?query=up&start=5&end=1",
        "query_exemplars?query=up(",
        "series?match[]=sparse",
        "series?match[]=sparse&match[]=%7Bk%3D%22gap%22%7D&start=S&end=E",
        "series",
        "series?match[]=%7Bjob%3D~%22.*%22%7D",
        "series?match[]=up&start=x",
        "series?match[]=up(",
        "labels",
        "labels?match[]=sparse",
        "label/job/values",
        "label/__name__/values?start=S&end=E",
        "label/a-b/values",
        "format_query?query=sum(rate(x%5B5m%5D))by(job)",
        "format_query?query=sum(",
        "parse_query?query=up",
        "status/buildinfo",
        "status/runtimeinfo",
        "status/walreplay",
        "status/tsdb",
    ]
    .iter()
    .map(|r| {
        format!("/api/v1/{r}")
            .replace("=T", &format!("={t}"))
            .replace("=S", &format!("={s}"))
            .replace("=E", &format!("={e}"))
    })
    .collect();
    reqs.push(format!("POST /api/v1/query?query=build_info&time={t}"));
    reqs.push(format!(
        "POST /api/v1/query_range?query={}&start={s}&end={e}&step=300",
        enc("sum(temperature)")
    ));
    reqs.push(format!("POST /api/v1/series?match[]=sparse&start={s}"));
    let mut checked = 0;
    for req in &reqs {
        let (fc, fb) = fetch(&flint.url, req).await;
        let (pc, pb) = fetch(&prom.url, req).await;
        if let Some(why) = known(req) {
            assert!(
                (fc, &fb) != (pc, &pb),
                "{req} now agrees; drop it from KNOWN ({why})"
            );
            continue;
        }
        assert_eq!(
            fc, pc,
            "{req}: status {fc} vs {pc}\nflint: {fb}\nprometheus: {pb}"
        );
        let (Ok(mut fv), Ok(mut pv)) = (
            serde_json::from_str::<Value>(&fb),
            serde_json::from_str::<Value>(&pb),
        ) else {
            assert_eq!(fb, pb, "{req}");
            continue;
        };
        for v in [&mut fv, &mut pv] {
            sort_vector(v);
            zero_timings(v);
        }
        if req.contains("/status/") {
            // Per-process values: compare the shape; 3.x adds runtime fields 2.42 lacks.
            let (fs, ps) = (shape(&fv), shape(&pv));
            for (k, v) in ps["data"].as_object().into_iter().flatten() {
                assert_eq!(
                    &fs["data"][k], v,
                    "{req}: field {k}\nflint: {fb}\nprometheus: {pb}"
                );
            }
        } else if let Some(d) = diff(&fv, &pv, "$") {
            panic!("{req}: {d}\nflint: {fb}\nprometheus: {pb}");
        }
        checked += 1;
    }
    // Admin: the same effects.
    for req in [
        "POST /api/v1/admin/tsdb/snapshot?skip_head=x",
        "POST /api/v1/admin/tsdb/delete_series",
        "POST /api/v1/admin/tsdb/delete_series?match[]=sparse",
        "POST /api/v1/admin/tsdb/clean_tombstones",
        "/api/v1/series?match[]=sparse",
    ] {
        let (f, p) = (fetch(&flint.url, req).await, fetch(&prom.url, req).await);
        assert_eq!(f, p, "{req}");
        checked += 1;
    }
    let (fc, fb) = fetch(&flint.url, "POST /api/v1/admin/tsdb/snapshot").await;
    let (pc, pb) = fetch(&prom.url, "POST /api/v1/admin/tsdb/snapshot").await;
    assert_eq!(
        (fc, shape(&serde_json::from_str(&fb).unwrap())),
        (pc, shape(&serde_json::from_str(&pb).unwrap()))
    );
    eprintln!(
        "query API vs prometheus: {checked} answers identical, {} known differences",
        KNOWN.len()
    );
}
