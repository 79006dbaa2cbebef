//! axum integration (feature `axum`): a `/metrics` handler and router.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;

use crate::Registry;

/// Handler serving `registry` with content negotiation and gzip.
///
/// ```
/// use axum::{Router, routing::get};
/// use flint_client::Registry;
/// let app: Router = Router::new()
///     .route("/metrics", get(flint_client::axum::metrics_handler))
///     .with_state(Registry::new());
/// ```
pub async fn metrics_handler(State(registry): State<Registry>, headers: HeaderMap) -> Response {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let resp = crate::http::encode_response(
        &registry,
        value(header::ACCEPT),
        value(header::ACCEPT_ENCODING),
    );
    resp.map(Body::from)
}

/// A router serving `registry` at `GET /metrics`; merge or nest it into your app.
///
/// ```
/// let app: axum::Router = flint_client::axum::router(flint_client::Registry::new());
/// ```
pub fn router<S>(registry: Registry) -> Router<S> {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(registry)
}
