//! Every query-API endpoint's answers checked against upstream's OpenAPI description
//! (`../shared/testdata/prometheus-api/openapi_3.1_golden.yaml`, Prometheus 3.14): the
//! schema of the success (or error) body, required fields, no extra fields.

use serde_json::Value;

use super::query_support::{BASE, enc, get, openmetrics, post_form, start_flint};

struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Spec {
        let path = flint_testkit::testdata_dir()
            .join("prometheus-api")
            .join("openapi_3.1_golden.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        Spec {
            doc: serde_saphyr::from_str(&text).unwrap(),
        }
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                self.resolve(&self.doc["components"]["schemas"][name])
            }
            None => s,
        }
    }

    /// The schema of `path`'s `method` answer with `status` ("200" or "default").
    fn response(&self, path: &str, method: &str, status: &str) -> &Value {
        let r = &self.doc["paths"][path][method]["responses"][status];
        assert!(!r.is_null(), "no {status} response for {method} {path}");
        self.resolve(&r["content"]["application/json"]["schema"])
    }

    /// Checks `v` against `schema`; returns the problems found.
    fn check(&self, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        let schema = self.resolve(schema);
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = schema.get(key).and_then(Value::as_array) {
                let ok = alts.iter().any(|a| {
                    let mut e = Vec::new();
                    self.check(a, v, at, &mut e);
                    e.is_empty()
                });
                if !ok {
                    errs.push(format!("{at}: matches none of {key}: {v}"));
                }
                return;
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !values.contains(v)
        {
            errs.push(format!("{at}: {v} not in {values:?}"));
        }
        let Some(ty) = schema.get("type").and_then(Value::as_str) else {
            return;
        };
        let type_ok = match ty {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => true,
        };
        if !type_ok {
            errs.push(format!("{at}: expected {ty}, got {v}"));
            return;
        }
        if let Some(a) = v.as_array() {
            self.check_array(schema, a, at, errs);
        }
        if let Some(o) = v.as_object() {
            self.check_object(schema, o, at, errs);
        }
    }

    fn check_array(&self, schema: &Value, a: &[Value], at: &str, errs: &mut Vec<String>) {
        let n = a.len() as u64;
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
            || schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
        {
            errs.push(format!("{at}: {n} items out of bounds"));
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in a.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), errs);
            }
        }
    }

    fn check_object(
        &self,
        schema: &Value,
        o: &serde_json::Map<String, Value>,
        at: &str,
        errs: &mut Vec<String>,
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = req.as_str().unwrap_or_default();
            if !o.contains_key(k) {
                errs.push(format!("{at}: missing required {k}"));
            }
        }
        for (k, val) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.check(s, val, &format!("{at}.{k}"), errs),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(format!("{at}: unexpected field {k}"));
                }
                None => {}
            }
        }
    }
}

async fn check(spec: &Spec, base: &str, path: &str, query: &str, method: &str, status: &str) {
    let url = format!("{base}/api/v1{path}");
    let (code, body) = if method == "post" {
        post_form(&url, query).await
    } else {
        get(&format!("{url}?{query}")).await
    };
    let want_ok = status == "200";
    assert_eq!(
        code == 200,
        want_ok,
        "{method} {path}?{query}: {code} {body}"
    );
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    let spec_path = if path.starts_with("/label/") {
        "/label/{name}/values"
    } else {
        path
    };
    let schema = spec.response(spec_path, method, status);
    let mut errs = Vec::new();
    spec.check(schema, &v, "$", &mut errs);
    assert!(
        errs.is_empty(),
        "{method} {path}?{query}: {errs:#?}\n{body}"
    );
}

#[tokio::test]
async fn answers_match_the_openapi_schemas() {
    let spec = Spec::load();
    let flint = start_flint(&openmetrics(), true).await;
    let b = &flint.url;
    let t = BASE + 1800;
    let (s, e) = (BASE + 600, BASE + 1200);
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("/query", format!("query=up&time={t}"), "get", "200"),
        (
            "/query",
            format!("query={}&time={t}&stats=all", enc("temperature")),
            "get",
            "200",
        ),
        (
            "/query",
            format!("query={}&time={t}", enc("req_duration_seconds_count[1m]")),
            "get",
            "200",
        ),
        (
            "/query",
            format!("query=scalar(vector(1))&time={t}"),
            "get",
            "200",
        ),
        // Not checked: a string result, which the spec describes as two strings while
        // Prometheus (and Flint) answer `[<number>, "<string>"]`.
        (
            "/query",
            format!("query={}&time={t}&limit=2", enc("temperature")),
            "post",
            "200",
        ),
        ("/query", "query=1%2B".into(), "get", "default"),
        (
            "/query_range",
            format!("query=temperature&start={s}&end={e}&step=60&stats=1"),
            "get",
            "200",
        ),
        (
            "/query_range",
            format!("query=temperature&start={s}&end={e}&step=60"),
            "post",
            "200",
        ),
        (
            "/query_range",
            "query=up&start=x&end=1&step=1".into(),
            "get",
            "default",
        ),
        (
            "/query_exemplars",
            format!("query=temperature&start={s}&end={e}"),
            "get",
            "200",
        ),
        (
            "/format_query",
            format!("query={}", enc("sum(rate(x[5m]))by(job)")),
            "get",
            "200",
        ),
        ("/format_query", "query=sum(".into(), "get", "default"),
        (
            "/parse_query",
            format!(
                "query={}",
                enc("sum by (a) (rate(x{y=\"z\"}[5m] @ start())) > bool 1")
            ),
            "get",
            "200",
        ),
        (
            "/parse_query",
            format!("query={}", enc("-max_over_time(x[10m:1m] offset 5m)")),
            "post",
            "200",
        ),
        ("/labels", String::new(), "get", "200"),
        (
            "/labels",
            format!("match[]={}&limit=1", enc("temperature")),
            "post",
            "200",
        ),
        (
            "/label/job/values",
            format!("start={s}&end={e}"),
            "get",
            "200",
        ),
        (
            "/series",
            format!("match[]=temperature&start={s}&end={e}"),
            "get",
            "200",
        ),
        (
            "/series",
            format!("match[]=temperature&match[]={}", enc("{k=\"gap\"}")),
            "post",
            "200",
        ),
        ("/series", String::new(), "get", "default"),
        ("/status/buildinfo", String::new(), "get", "200"),
        ("/status/runtimeinfo", String::new(), "get", "200"),
        ("/status/tsdb", String::new(), "get", "200"),
        ("/status/walreplay", String::new(), "get", "200"),
        ("/admin/tsdb/snapshot", String::new(), "post", "200"),
        (
            "/admin/tsdb/snapshot",
            "skip_head=x".into(),
            "put",
            "default",
        ),
    ];
    for (path, q, method, status) in cases {
        if method == "put" {
            let url = format!("{b}/api/v1{path}?{q}");
            let r = super::query_support::client()
                .put(&url)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400);
            continue;
        }
        check(&spec, b, path, &q, method, status).await;
    }
}
