//! `/-/healthy`, `/-/ready`, `/-/reload`, `/-/quit`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

/// The lifecycle routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload).put(reload))
        .route("/-/quit", post(quit).put(quit))
}

pub(crate) async fn healthy() -> impl IntoResponse {
    (StatusCode::OK, "Prometheus Server is Healthy.\n")
}

async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    if s.is_ready() {
        (StatusCode::OK, "Prometheus Server is Ready.\n")
    } else {
        not_ready()
    }
}

/// The answer of every gated endpoint before the server is ready.
pub(crate) fn not_ready() -> (StatusCode, &'static str) {
    (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
}

async fn reload(State(s): State<AppState>) -> impl IntoResponse {
    if !s.lifecycle {
        return (
            StatusCode::FORBIDDEN,
            "Lifecycle API is not enabled.".to_string(),
        );
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    if s.reload.send(tx).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down".to_string());
    }
    match rx.await {
        Ok(Ok(())) => (StatusCode::OK, String::new()),
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}"),
        ),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down".to_string()),
    }
}

async fn quit(State(s): State<AppState>) -> impl IntoResponse {
    if !s.lifecycle {
        return (StatusCode::FORBIDDEN, "Lifecycle API is not enabled.");
    }
    s.quit.cancel();
    (StatusCode::OK, "Requesting termination... Goodbye!")
}
