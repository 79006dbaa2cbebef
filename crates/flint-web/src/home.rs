//! `/`: a plain HTML page pointing at what the server offers (until the full UI exists),
//! with a query form. Links honour the external URL's path, so it works under a prefix.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use crate::state::AppState;

/// The home route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// The path part of an external URL, without a trailing slash (`""` for the root).
fn url_path(external_url: &str) -> &str {
    let rest = external_url
        .split_once("://")
        .map_or(external_url, |(_, r)| r);
    rest.find('/')
        .map_or("", |i| &rest[i..])
        .trim_end_matches('/')
}

const LINKS: &[(&str, &str)] = &[
    ("/api/v1/query?query=up", "Instant query: up"),
    ("/api/v1/targets", "Scrape targets and their health"),
    ("/api/v1/rules", "Recording and alerting rules"),
    ("/api/v1/alerts", "Active alerts"),
    ("/api/v1/alertmanagers", "Alertmanagers alerts are sent to"),
    (
        "/api/v1/status/config",
        "Loaded configuration (secrets hidden)",
    ),
    ("/api/v1/status/flags", "Command-line flags"),
    ("/api/v1/status/tsdb", "TSDB cardinality"),
    ("/api/v1/status/buildinfo", "Build information"),
    ("/metrics", "The server's own metrics"),
];

async fn home(State(s): State<AppState>) -> Html<String> {
    let p = url_path(&s.external_url);
    let links: String = LINKS
        .iter()
        .map(|(href, text)| {
            format!("<li><a href=\"{p}{href}\">{text}</a> <code>{href}</code></li>\n")
        })
        .collect();
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Flint</title>\
         <style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em}}\
         input[type=text]{{width:70%}}code{{color:#555}}</style></head><body>\n\
         <h1>Flint</h1>\n<p>A Prometheus-compatible server. Point Grafana's Prometheus data \
         source, <code>promtool query</code> or <code>flint query</code> at this address; \
         the graphical UI is not built yet.</p>\n\
         <form action=\"{p}/api/v1/query\" method=\"get\"><label for=\"q\">PromQL</label> \
         <input type=\"text\" id=\"q\" name=\"query\" value=\"up\"> \
         <button type=\"submit\">Query</button></form>\n<ul>\n{links}</ul>\n</body></html>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::url_path;

    #[test]
    fn paths_of_external_urls() {
        assert_eq!(url_path("http://localhost:9090"), "");
        assert_eq!(url_path("http://localhost:9090/"), "");
        assert_eq!(url_path("https://example.org/prom/"), "/prom");
    }
}
