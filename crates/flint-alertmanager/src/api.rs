//! API v2 (what `amtool`, Prometheus and Grafana talk to) plus the lifecycle endpoints and
//! `/metrics`, on axum.

pub(crate) mod alerts;
mod json;
pub(crate) mod silences;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::metrics::Metrics;
use crate::silence::Silences;
use crate::store::{Marker, Store};
use crate::time::{Clock, Millis, format_rfc3339};

/// A reload request: answered with the outcome.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// Build information for `/api/v2/status`.
#[derive(Debug, Clone, Default)]
pub struct VersionInfo {
    /// Version.
    pub version: String,
    /// Revision.
    pub revision: String,
    /// Branch.
    pub branch: String,
    /// Who built it.
    pub build_user: String,
    /// When.
    pub build_date: String,
    /// Toolchain (`goVersion` in the API).
    pub toolchain: String,
}

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// Alerts.
    pub store: Arc<Store>,
    /// Alert states.
    pub marker: Arc<Marker>,
    /// Silences.
    pub silences: Arc<Silences>,
    /// The current inhibitor.
    pub inhibitor: Arc<RwLock<Arc<crate::inhibit::Inhibitor>>>,
    /// Groups and the route tree.
    pub dispatcher: Dispatcher,
    /// Wall clock.
    pub clock: Clock,
    /// Metrics.
    pub metrics: Metrics,
    /// The running config.
    pub config: Arc<RwLock<Arc<Config>>>,
    /// Start time.
    pub started: Millis,
    /// Whether `/-/ready` says so.
    pub ready: Arc<AtomicBool>,
    /// Where reload requests go.
    pub reload: mpsc::Sender<ReloadRequest>,
    /// Build information.
    pub version: VersionInfo,
    /// This peer in the cluster.
    pub peer: Arc<dyn crate::notify::Peer>,
    /// `--web.external-url`: the UI's links start with its path.
    pub external_url: String,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

impl ApiState {
    pub(crate) fn cfg(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Recomputes silences and inhibitions of `alerts` now, as upstream's API does before
    /// answering, so a new silence shows at once.
    pub(crate) fn refresh_status(&self, alerts: &[Arc<crate::alert::Alert>], now: Millis) {
        let inhibitor = self
            .inhibitor
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for a in alerts {
            let by = inhibitor.mutes(&a.labels, a.fingerprint, now);
            self.marker.set_inhibited(
                a.fingerprint,
                by.map(|f| vec![f.to_hex()]).unwrap_or_default(),
            );
            self.marker.set_silenced(
                a.fingerprint,
                self.silences.mutes(a.fingerprint, &a.labels, now),
            );
        }
    }

    fn resolve_timeout(&self) -> u128 {
        self.cfg().global.resolve_timeout.0.as_millis()
    }
}

/// A 400 answer whose body is the message as a JSON string, as upstream's.
pub(crate) fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(msg)).into_response()
}

/// The router (API v2, lifecycle endpoints, `/metrics` and the [web UI](crate::ui)), with
/// every path under `route_prefix` (`/` for none).
pub fn router(state: ApiState, route_prefix: &str) -> Router {
    let prefix = route_prefix.trim_end_matches('/');
    let api = Router::new()
        .route("/api/v2/alerts", get(alerts::list).post(alerts::post))
        .route("/api/v2/alerts/groups", get(alerts::groups))
        .route("/api/v2/silences", get(silences::list).post(silences::post))
        .route(
            "/api/v2/silence/{id}",
            get(silences::get).delete(silences::delete),
        )
        .route("/api/v2/status", get(status))
        .route("/api/v2/receivers", get(receivers))
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload).put(reload))
        .route("/metrics", get(metrics))
        .merge(crate::ui::routes())
        .with_state(state.clone())
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20));
    if prefix.is_empty() {
        api
    } else {
        // The nested `/` answers the bare prefix; `{prefix}/` is the UI's home as well.
        Router::new()
            .route(&format!("{prefix}/"), crate::ui::home())
            .with_state(state)
            .nest(prefix, api)
    }
}

async fn healthy() -> &'static str {
    "OK"
}

async fn ready(State(st): State<ApiState>) -> Response {
    if st.ready.load(Ordering::Acquire) {
        "OK".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
    }
}

async fn reload(State(st): State<ApiState>) -> Response {
    let (tx, rx) = oneshot::channel();
    if st.reload.send(tx).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match rx.await {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}"),
        )
            .into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response(),
    }
}

async fn status(State(st): State<ApiState>) -> Response {
    let v = &st.version;
    Json(json!({
        "cluster": st.peer.status(),
        "versionInfo": {
            "version": v.version, "revision": v.revision, "branch": v.branch,
            "buildUser": v.build_user, "buildDate": v.build_date, "goVersion": v.toolchain,
        },
        "config": {"original": st.cfg().to_yaml()},
        "uptime": format_rfc3339(st.started),
    }))
    .into_response()
}

async fn receivers(State(st): State<ApiState>) -> Response {
    let names: Vec<_> = st
        .cfg()
        .receivers
        .iter()
        .map(|r| json!({"name": r.name}))
        .collect();
    Json(names).into_response()
}

async fn metrics(State(st): State<ApiState>, headers: HeaderMap) -> Response {
    refresh_gauges(&st);
    let h = |n| {
        headers
            .get(n)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    flint_client::http::encode_response(
        &st.metrics.registry,
        h(header::ACCEPT),
        h(header::ACCEPT_ENCODING),
    )
    .map(axum::body::Body::from)
}

/// Gauges computed at scrape time.
fn refresh_gauges(st: &ApiState) {
    let m = &st.metrics;
    let alerts = st.store.list();
    let now = st.clock.now();
    let live = alerts
        .iter()
        .filter(|a| !a.resolved_at(now))
        .map(|a| a.fingerprint);
    let [active, suppressed, unprocessed] = st.marker.count(live);
    for (state, n) in [
        ("active", active),
        ("suppressed", suppressed),
        ("unprocessed", unprocessed),
    ] {
        if let Ok(g) = m.alerts.with_label_values(&[state]) {
            g.set(n as f64);
        }
    }
    let [a, p, e] = st.silences.count_by_state();
    for (state, n) in [("active", a), ("pending", p), ("expired", e)] {
        if let Ok(g) = m.silences.with_label_values(&[state]) {
            g.set(n as f64);
        }
    }
    m.aggregation_groups.set(st.dispatcher.group_count() as f64);
}
