//! `/status` (runtime and build information), `/flags`, `/config` and `/tsdb-status`.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ui, render};
use crate::query_api::{runtime_info, tsdb_status};

type Pairs = Vec<(String, String)>;

/// A serialized struct's fields as `(name, text)` rows.
fn rows(v: &impl Serialize) -> Pairs {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "ui/status.html")]
struct StatusPage {
    p: String,
    nav: &'static str,
    runtime: Pairs,
    build: Pairs,
    alertmanagers: Vec<(String, String)>,
}

/// `GET /status`.
pub async fn status(State(ui): State<Ui>) -> Response {
    let alertmanagers = ui
        .alerting
        .notifier
        .as_ref()
        .map(|n| n.alertmanagers().0)
        .unwrap_or_default()
        .into_iter()
        .map(|url| {
            // The Alertmanager's own UI lives at the root of its API URL.
            let base = url.split("/api/").next().unwrap_or(&url).to_string();
            (base, url)
        })
        .collect();
    render(&StatusPage {
        p: ui.prefix(),
        nav: "status",
        runtime: rows(&runtime_info(&ui.query)),
        build: rows(&ui.query.opts().build_info),
        alertmanagers,
    })
}

#[derive(Template)]
#[template(path = "ui/table.html")]
struct TablePage {
    p: String,
    nav: &'static str,
    title: &'static str,
    head: [&'static str; 2],
    rows: Pairs,
}

/// `GET /flags`.
pub async fn flags(State(ui): State<Ui>) -> Response {
    render(&TablePage {
        p: ui.prefix(),
        nav: "flags",
        title: "Command-line flags",
        head: ["Flag", "Value"],
        rows: ui
            .app
            .flags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "ui/config.html")]
struct ConfigPage {
    p: String,
    nav: &'static str,
    yaml: String,
}

/// `GET /config`: the running configuration, secrets shown as `<secret>`.
pub async fn config(State(ui): State<Ui>) -> Response {
    render(&ConfigPage {
        p: ui.prefix(),
        nav: "config",
        yaml: ui.app.config().to_yaml(),
    })
}

/// One cardinality list.
pub struct Stats {
    id: &'static str,
    title: &'static str,
    head: &'static str,
    rows: Pairs,
}

#[derive(Template)]
#[template(path = "ui/tsdb.html")]
struct TsdbPage {
    p: String,
    nav: &'static str,
    head: Pairs,
    lists: Vec<Stats>,
    limit: usize,
}

/// `?limit=` of the TSDB page.
#[derive(Debug, Default, Deserialize)]
pub struct Limit {
    limit: Option<usize>,
}

/// `GET /tsdb-status`: head statistics and the largest metrics, labels and label pairs by
/// series count.
pub async fn tsdb(State(ui): State<Ui>, Query(l): Query<Limit>) -> Response {
    let limit = l.limit.unwrap_or(10).clamp(1, 1000);
    let p = ui.prefix();
    let Some(db) = ui.query.opts().db.clone() else {
        return render(&TsdbPage {
            p,
            nav: "tsdb",
            head: vec![("storage".into(), "no local TSDB".into())],
            lists: Vec::new(),
            limit,
        });
    };
    let Ok(status) = tokio::task::spawn_blocking(move || tsdb_status(&db, limit)).await else {
        return render(&TsdbPage {
            p,
            nav: "tsdb",
            head: vec![("storage".into(), "reading the TSDB status failed".into())],
            lists: Vec::new(),
            limit,
        });
    };
    let list = |stats: &[crate::query_api::Stat]| -> Pairs {
        stats
            .iter()
            .map(|s| (s.name.clone(), s.value.to_string()))
            .collect()
    };
    let lists = vec![
        Stats {
            id: "series-by-metric",
            title: "Top metrics by series count",
            head: "Metric",
            rows: list(&status.series_count_by_metric_name),
        },
        Stats {
            id: "values-by-label",
            title: "Top labels by value count",
            head: "Label",
            rows: list(&status.label_value_count_by_label_name),
        },
        Stats {
            id: "memory-by-label",
            title: "Top labels by memory used (bytes)",
            head: "Label",
            rows: list(&status.memory_in_bytes_by_label_name),
        },
        Stats {
            id: "series-by-pair",
            title: "Top label pairs by series count",
            head: "Label pair",
            rows: list(&status.series_count_by_label_value_pair),
        },
    ];
    render(&TsdbPage {
        p,
        nav: "tsdb",
        head: rows(&status.head_stats),
        lists,
        limit,
    })
}
