//! `/status`: build information, uptime, the cluster and the loaded config.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::layout::{human, prefix, render};
use crate::api::ApiState;
use crate::cluster::ClusterStatus;
use crate::time::format_rfc3339;

#[derive(Template)]
#[template(path = "ui/status.html")]
struct StatusPage {
    p: String,
    nav: &'static str,
    /// (name, value) rows of build information.
    build: Vec<(&'static str, String)>,
    started: String,
    uptime: String,
    cluster: ClusterStatus,
    /// The config as `GET /api/v2/status` serves it (secrets masked).
    config: String,
}

/// GET `/status`.
pub(super) async fn page(State(st): State<ApiState>) -> Response {
    let v = &st.version;
    let build = vec![
        ("Version", v.version.clone()),
        ("Revision", v.revision.clone()),
        ("Branch", v.branch.clone()),
        ("Build user", v.build_user.clone()),
        ("Build date", v.build_date.clone()),
        ("Toolchain", v.toolchain.clone()),
    ];
    render(
        StatusCode::OK,
        &StatusPage {
            p: prefix(&st),
            nav: "status",
            build,
            started: format_rfc3339(st.started),
            uptime: human(st.clock.now() - st.started),
            cluster: st.peer.status(),
            config: st.cfg().to_yaml(),
        },
    )
}
