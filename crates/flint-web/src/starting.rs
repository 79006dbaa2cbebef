//! What the server answers while it starts, before the TSDB has replayed its WAL: healthy,
//! not ready (503 on every other path, as upstream answers before it is ready), and the
//! replay's progress at `/api/v1/status/walreplay`, so a long replay can be watched.
//!
//! The server binds its listener first, serves this router on a clone of it during the
//! replay, and then hands the listener to the full router.

use axum::Router;
use axum::routing::get;
use flint_tsdb::ReplayProgress;

use crate::lifecycle::{healthy, not_ready};
use crate::query_api::walreplay_answer;

/// The router served during startup, under `prefix` (as the full one will be).
pub fn router(replay: ReplayProgress, prefix: &str) -> Router {
    let inner = Router::new()
        .route("/-/healthy", get(healthy).head(healthy))
        .route(
            "/api/v1/status/walreplay",
            get(move || {
                let replay = replay.clone();
                async move { walreplay_answer(&replay) }
            }),
        )
        .fallback(|| async { not_ready() });
    crate::prefix::under(inner, prefix)
}
