//! The server's web UI: server-side rendered pages (askama templates under
//! `templates/ui/`), charts drawn as SVG on the server, and one small script (`ui.js`) for
//! what needs interaction (hover values, query history, legend toggles). Every page reads
//! without JavaScript.
//!
//! | page | what it shows |
//! |---|---|
//! | `/query` (`/graph`) | an expression with the parser's error position, its table or graph, the parsed tree |
//! | `/targets` | targets by scrape pool: health, last scrape, duration, error, labels before and after relabeling |
//! | `/service-discovery` | per pool, every discovered target's labels and what relabeling made of them |
//! | `/rules` | rule groups with each rule's query, health, error, evaluation time |
//! | `/alerts` | alerting rules with their state and active alerts (labels, active since, value, annotations) |
//! | `/status` | runtime and build information; `/flags`, `/config` (secrets hidden), `/tsdb-status` (cardinality) |
//!
//! `/` redirects to `/query`. Links carry the external URL's path, so the UI works under a
//! route prefix.

mod explain;
mod graph;
mod query;
mod rules;
mod status;
mod targets;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::query_api::QueryApi;
use crate::rules_api::AlertingApi;
use crate::state::AppState;

/// What the pages read: the server's state, the query side and the rule side.
#[derive(Clone, Debug)]
pub struct Ui {
    /// Targets, config, flags.
    pub app: AppState,
    /// The engine, storage and TSDB.
    pub query: QueryApi,
    /// Rules and alerts.
    pub alerting: AlertingApi,
}

impl Ui {
    /// The path links start with (the external URL's path, `""` for the root).
    fn prefix(&self) -> String {
        url_path(&self.app.external_url).to_string()
    }
}

/// The UI's routes, with their state applied.
pub fn routes(ui: Ui) -> Router {
    let home = format!("{}/query", ui.prefix());
    Router::new()
        .route("/", get(move || async move { Redirect::to(&home) }))
        .route("/query", get(query::page))
        .route("/graph", get(query::page))
        .route("/targets", get(targets::targets))
        .route("/service-discovery", get(targets::discovery))
        .route("/rules", get(rules::rules))
        .route("/alerts", get(rules::alerts))
        .route("/status", get(status::status))
        .route("/flags", get(status::flags))
        .route("/config", get(status::config))
        .route("/tsdb-status", get(status::tsdb))
        .route("/ui/ui.js", get(script))
        .route("/ui/style.css", get(style))
        .with_state(ui)
}

/// The path part of an external URL, without a trailing slash (`""` for the root).
pub fn url_path(external_url: &str) -> &str {
    let rest = external_url
        .split_once("://")
        .map_or(external_url, |(_, r)| r);
    rest.find('/')
        .map_or("", |i| &rest[i..])
        .trim_end_matches('/')
}

/// A rendered template as a response (a rendering failure is a 500 with its reason).
fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering the page: {e}"),
        )
            .into_response(),
    }
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../templates/ui/ui.js"),
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../templates/ui/style.css"),
    )
        .into_response()
}

/// `up{job="x"}` for a series (`{}` when it has no labels at all).
pub(crate) fn series_name(l: &flint_model::Labels) -> String {
    let name = l.metric_name().unwrap_or("");
    let rest = flint_model::Labels::from_pairs(
        l.iter()
            .filter(|x| &*x.name != "__name__")
            .map(|x| (x.name.clone(), x.value.clone())),
    );
    if rest.is_empty() && !name.is_empty() {
        return name.to_string();
    }
    format!("{name}{rest}")
}

/// A label set as `(name, value)` pairs for templates.
pub(crate) fn pairs(l: &flint_model::Labels) -> Vec<(String, String)> {
    l.iter()
        .map(|x| (x.name.to_string(), x.value.to_string()))
        .collect()
}

/// `3m12s ago`-style age of a time, for "last scrape" and "active since" columns.
pub(crate) fn ago(t: std::time::SystemTime) -> String {
    match std::time::SystemTime::now().duration_since(t) {
        Ok(d) => {
            let s = d.as_secs();
            let text = match s {
                0..60 => format!("{:.1}s", d.as_secs_f64()),
                60..3600 => format!("{}m{}s", s / 60, s % 60),
                3600..86400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
                _ => format!("{}d{}h", s / 86400, s % 86400 / 3600),
            };
            format!("{text} ago")
        }
        Err(_) => "in the future".into(),
    }
}

/// A link to the query page for `expr` (graph tab), percent-encoded.
pub(crate) fn graph_link(prefix: &str, expr: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    format!("{prefix}/query?expr={q}&tab=graph")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_external_urls() {
        assert_eq!(url_path("http://localhost:9090"), "");
        assert_eq!(url_path("http://localhost:9090/"), "");
        assert_eq!(url_path("https://example.org/prom/"), "/prom");
    }

    #[test]
    fn series_names() {
        use flint_model::Labels;
        assert_eq!(series_name(&Labels::from_pairs([("__name__", "up")])), "up");
        assert_eq!(
            series_name(&Labels::from_pairs([("__name__", "up"), ("job", "a")])),
            "up{job=\"a\"}"
        );
        assert_eq!(
            series_name(&Labels::from_pairs([("job", "a")])),
            "{job=\"a\"}"
        );
        assert_eq!(
            graph_link("/p", "a{b=\"c\"}"),
            "/p/query?expr=a%7Bb%3D%22c%22%7D&tab=graph"
        );
    }
}
