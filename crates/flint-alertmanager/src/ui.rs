//! The Alertmanager's web UI: server-side rendered HTML (askama templates under
//! `templates/ui/`), one inline stylesheet, and a few lines of inline script only where it
//! saves a round trip (adding matcher rows). Every page reads without JavaScript and every
//! form is a plain HTML form (POST, then a 303 redirect).
//!
//! | page | what it shows |
//! |---|---|
//! | `/`, `/alerts` | alerts as the routing tree groups them (receiver, group labels), with a matcher filter and switches for silenced / inhibited alerts |
//! | `/silences` | silences split into active, pending and expired |
//! | `/silences/new` | the silence form (`?matcher=` repeated or `?filter=` prefill it); "Preview" lists the alerts it would mute |
//! | `/silences/{id}` | one silence and the alerts it mutes; `POST /silences/{id}/expire` ends it |
//! | `/silences/{id}/edit` | the form for an existing silence (upstream's update semantics) |
//! | `/status` | version, uptime, cluster and peers, the loaded config (secrets masked) |
//!
//! Links and redirects carry the external URL's path, so the UI works behind a route prefix.

mod alerts;
mod form;
mod layout;
mod silences;
mod status;

use axum::Router;
use axum::routing::{get, post};

use crate::api::ApiState;

/// The UI's routes (state applied by the caller, prefix nesting too).
pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/", get(alerts::page))
        .route("/alerts", get(alerts::page))
        .route("/silences", get(silences::list))
        .route("/silences/new", get(form::new_form).post(form::submit_new))
        .route("/silences/{id}", get(silences::view))
        .route("/silences/{id}/expire", post(silences::expire))
        .route(
            "/silences/{id}/edit",
            get(form::edit_form).post(form::submit_edit),
        )
        .route("/status", get(status::page))
}

/// The alerts page as a method router (for `{prefix}/` under a route prefix).
pub(crate) fn home() -> axum::routing::MethodRouter<ApiState> {
    get(alerts::page)
}

/// The path part of an external URL, without a trailing slash (`""` for the root).
pub(crate) fn url_path(external_url: &str) -> &str {
    let rest = external_url
        .split_once("://")
        .map_or(external_url, |(_, r)| r);
    rest.find('/')
        .map_or("", |i| &rest[i..])
        .trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_external_urls() {
        assert_eq!(url_path("http://localhost:9093"), "");
        assert_eq!(url_path("http://localhost:9093/"), "");
        assert_eq!(url_path("https://example.org/am/"), "/am");
        assert_eq!(url_path(""), "");
    }
}
