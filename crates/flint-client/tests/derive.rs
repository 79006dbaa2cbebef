//! `#[derive(LabelSet)]`: names, renames, value types and use as a family key.

#![allow(clippy::unwrap_used)] // setup in tests may panic

use flint_client::labels::LabelValue;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::Family;
use flint_client::{LabelSet, Registry};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Method {
    Get,
    Post,
}

impl LabelValue for Method {
    fn with_str(&self, f: &mut dyn FnMut(&str)) {
        f(match self {
            Method::Get => "GET",
            Method::Post => "POST",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
struct Labels {
    method: Method,
    #[label(rename = "status_code")]
    code: u16,
    path: String,
    cached: bool,
    shard: i64,
}

fn labels(method: Method, code: u16) -> Labels {
    Labels {
        method,
        code,
        path: "/a\"b".into(),
        cached: false,
        shard: -3,
    }
}

#[test]
fn derived_names_and_values() {
    assert_eq!(
        Labels::label_names(),
        ["method", "status_code", "path", "cached", "shard"]
    );
    let mut pairs = Vec::new();
    labels(Method::Post, 404).visit(&mut |n, v| pairs.push(format!("{n}={v}")));
    assert_eq!(
        pairs,
        [
            "method=POST",
            "status_code=404",
            "path=/a\"b",
            "cached=false",
            "shard=-3"
        ]
    );
}

#[test]
fn derived_sets_key_families_and_are_escaped_on_output() {
    let family = Family::<Labels, Counter>::default();
    family.get_or_create(&labels(Method::Get, 200)).inc();
    family.get_or_create(&labels(Method::Get, 200)).inc();
    family.get_or_create(&labels(Method::Post, 500)).inc();
    let registry = Registry::new();
    registry.register("requests", "Requests.", family).unwrap();
    let text = registry.encode_text();
    assert!(
        text.contains("requests_total{method=\"GET\",status_code=\"200\",path=\"/a\\\"b\",cached=\"false\",shard=\"-3\"} 2\n"),
        "{text}"
    );
}
