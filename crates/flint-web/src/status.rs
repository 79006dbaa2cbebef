//! `/api/v1/status/config` and `/api/v1/status/flags`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use crate::api::ApiResponse;
use crate::state::AppState;

/// The status routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status/config", get(config))
        .route("/api/v1/status/flags", get(flags))
}

#[derive(Serialize)]
struct ConfigData {
    yaml: String,
}

async fn config(State(s): State<AppState>) -> ApiResponse<ConfigData> {
    ApiResponse::ok(ConfigData {
        yaml: s.config().to_yaml(),
    })
}

async fn flags(State(s): State<AppState>) -> ApiResponse<BTreeMap<String, String>> {
    ApiResponse::ok((*s.flags).clone())
}
