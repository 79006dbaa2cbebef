//! The server's HTTP side: Prometheus HTTP API v1, lifecycle endpoints, `/metrics`, the web UI.
//!
//! [`router`] composes one sub-router per area over a shared [`AppState`]:
//! [`lifecycle`] (`/-/healthy`, `/-/ready`, `/-/reload`, `/-/quit`), [`targets`]
//! (`/api/v1/targets`, `/api/v1/targets/metadata`, `/api/v1/metadata`), [`status`]
//! (`/api/v1/status/config`, `/api/v1/status/flags`) and `/metrics`. Further areas (the
//! query API) add their own module with a `routes()` function and one line in [`router`].
//! [`query_api`] (queries, series, labels, TSDB status, admin, `/federate`) has its own
//! state and is merged into the server's router.
//! [`rules_api`] (`/api/v1/rules`, `/api/v1/alerts`, `/api/v1/alertmanagers`) likewise, and
//! [`ui`] (the pages, `/` redirecting to `/query`) over all three.
//! Every API answer uses [`api::ApiResponse`] / [`api::ApiError`], Prometheus's
//! `status`/`data`/`errorType`/`error`/`warnings` envelope.
#![deny(missing_docs)]

pub mod api;
pub mod lifecycle;
pub mod prefix;
pub mod query_api;
pub mod rules_api;
pub mod selector;
pub mod starting;
pub mod state;
pub mod status;
pub mod targets;
pub mod time;
pub mod ui;

use axum::Router;
use axum::extract::State;
use axum::http::Request;
use axum::response::IntoResponse;
use tokio_util::sync::CancellationToken;

pub use state::{AppState, ReloadRequest};

/// The whole HTTP interface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(lifecycle::routes())
        .merge(targets::routes())
        .merge(status::routes())
        .route("/metrics", axum::routing::get(metrics))
        .with_state(state)
}

async fn metrics(State(s): State<AppState>, req: Request<axum::body::Body>) -> impl IntoResponse {
    let resp = flint_client::http::respond(&s.registry, &req);
    let (parts, body) = resp.into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
}

/// Serves `router` on `listener` until `cancel` fires (graceful: open requests finish).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}
