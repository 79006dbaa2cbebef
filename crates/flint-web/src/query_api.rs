//! The query side of the HTTP API v1 and `/federate`, over a PromQL [`Engine`] and a
//! [`Queryable`] storage:
//!
//! | module | endpoints |
//! |---|---|
//! | `eval` | `/api/v1/query`, `/api/v1/query_range` (GET and POST form) |
//! | `meta` | `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/<name>/values`, `/api/v1/query_exemplars` |
//! | `parse` | `/api/v1/format_query`, `/api/v1/parse_query` |
//! | `status` | `/api/v1/status/{buildinfo,runtimeinfo,tsdb,walreplay}` |
//! | `admin` | `/api/v1/admin/tsdb/{delete_series,clean_tombstones,snapshot}` (with `--web.enable-admin-api`) |
//! | `federate` | `/federate` |
//!
//! Answers are byte-compatible with Prometheus's: the envelope, error types and HTTP
//! statuses, error texts, float and timestamp formatting (see `json`). Storage and the
//! engine are blocking, so handlers run them on tokio's blocking pool; a query whose client
//! goes away is cancelled.
//!
//! [`routes`] builds a router with its own state; merge it with [`crate::router`]:
//!
//! ```ignore
//! let app = flint_web::router(state).merge(flint_web::query_api::routes(api));
//! ```

mod admin;
mod ast_json;
mod eval;
mod federate;
mod form;
pub mod json;
mod meta;
mod params;
mod parse;
mod remote;
mod respond;
mod result_json;
mod status;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use flint_client::metrics::gauge::Gauge;
use flint_config::Config;
use flint_promql::Engine;
use flint_storage::Queryable;
use flint_tsdb::{Db, ReplayProgress};
use serde::Serialize;

use crate::api::{ApiError, ErrorType};

pub(crate) use eval::MAX_POINTS;
pub use form::Form;
pub use params::{MAX_TIME, MIN_TIME, parse_duration, parse_time};
pub(crate) use status::{Stat, runtime_info, tsdb_status, walreplay_answer};

/// Build information for `/api/v1/status/buildinfo` (Prometheus's field names).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    /// Version.
    pub version: String,
    /// VCS revision.
    pub revision: String,
    /// VCS branch.
    pub branch: String,
    /// Who built it.
    pub build_user: String,
    /// When.
    pub build_date: String,
    /// Compiler version (`goVersion` upstream; Flint reports rustc's).
    pub go_version: String,
}

/// What the query API needs.
#[derive(Clone)]
pub struct QueryApiOptions {
    /// The PromQL engine (`--query.*` flags).
    pub engine: Engine,
    /// What queries read.
    pub storage: Arc<dyn Queryable>,
    /// The local TSDB, for its status and the admin endpoints.
    pub db: Option<Db>,
    /// `--web.enable-admin-api`.
    pub enable_admin: bool,
    /// Readiness: while false the endpoints answer `503 Service Unavailable`.
    pub ready: Arc<AtomicBool>,
    /// The running config (external labels for `/federate`).
    pub config: Arc<RwLock<Arc<Config>>>,
    /// Build information.
    pub build_info: BuildInfo,
    /// When the server started.
    pub start_time: SystemTime,
    /// `storageRetention` of the runtime information (`15d`, `15d or 512MiB`).
    pub storage_retention: String,
    /// `prometheus_config_last_reload_successful`.
    pub reload_success: Gauge,
    /// `prometheus_config_last_reload_success_timestamp_seconds`.
    pub reload_time: Gauge,
    /// Progress of the WAL replay (`/api/v1/status/walreplay`).
    pub replay: ReplayProgress,
    /// The remote-write receiver (`--web.enable-remote-write-receiver`); without it
    /// `/api/v1/write` answers 404.
    pub remote_write: Option<flint_remote::WriteReceiver>,
    /// `--storage.remote.read-sample-limit`: most samples one remote-read request returns.
    pub remote_read_sample_limit: usize,
    /// `--storage.remote.read-max-bytes-in-frame`: the chunk bytes one streamed remote-read
    /// frame holds before the next frame starts.
    pub remote_read_max_bytes_in_frame: usize,
}

impl QueryApiOptions {
    /// Options with everything but the engine and storage defaulted (ready, no TSDB, no
    /// admin API, empty config).
    pub fn new(engine: Engine, storage: Arc<dyn Queryable>) -> Self {
        QueryApiOptions {
            engine,
            storage,
            db: None,
            enable_admin: false,
            ready: Arc::new(AtomicBool::new(true)),
            config: Arc::new(RwLock::new(Arc::new(Config::default()))),
            build_info: BuildInfo::default(),
            start_time: SystemTime::now(),
            storage_retention: String::new(),
            reload_success: Gauge::with_value(1.0),
            reload_time: Gauge::default(),
            replay: ReplayProgress::new(),
            remote_write: None,
            remote_read_sample_limit: 50_000_000,
            remote_read_max_bytes_in_frame: 1_048_576,
        }
    }
}

/// The query API's shared state. Cheap to clone.
#[derive(Clone)]
pub struct QueryApi {
    inner: Arc<QueryApiOptions>,
}

impl std::fmt::Debug for QueryApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryApi")
            .field("admin", &self.inner.enable_admin)
            .finish_non_exhaustive()
    }
}

impl QueryApi {
    /// The API over `opts`.
    pub fn new(opts: QueryApiOptions) -> Self {
        QueryApi {
            inner: Arc::new(opts),
        }
    }

    pub(crate) fn opts(&self) -> &QueryApiOptions {
        &self.inner
    }

    /// External labels of the running config.
    fn external_labels(&self) -> Vec<(String, String)> {
        let cfg = self
            .inner
            .config
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_default();
        cfg.global
            .external_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The query API's routes, ready to merge into the server's router.
pub fn routes<S: Clone + Send + Sync + 'static>(api: QueryApi) -> Router<S> {
    let gated = Router::new()
        .route("/api/v1/query", get(eval::query).post(eval::query))
        .route(
            "/api/v1/query_range",
            get(eval::query_range).post(eval::query_range),
        )
        .route(
            "/api/v1/query_exemplars",
            get(meta::exemplars).post(meta::exemplars),
        )
        .route("/api/v1/series", get(meta::series).post(meta::series))
        .route("/api/v1/labels", get(meta::labels).post(meta::labels))
        .route("/api/v1/label/{name}/values", get(meta::label_values))
        .route(
            "/api/v1/format_query",
            get(parse::format_query).post(parse::format_query),
        )
        .route(
            "/api/v1/parse_query",
            get(parse::parse_query).post(parse::parse_query),
        )
        .route("/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/api/v1/status/runtimeinfo", get(status::runtimeinfo))
        .route("/api/v1/status/tsdb", get(status::tsdb))
        .merge(admin::routes())
        .merge(remote::routes())
        .route("/federate", get(federate::federate))
        .route_layer(middleware::from_fn_with_state(api.clone(), when_ready));
    Router::new()
        .merge(gated)
        // Polled during startup, so not behind the readiness gate (as upstream).
        .route("/api/v1/status/walreplay", get(status::walreplay))
        .route_layer(middleware::from_fn(compress))
        .with_state(api)
}

/// Bodies of at least this many bytes are gzipped for clients that accept it.
const GZIP_MIN_BYTES: usize = 1024;

/// Upstream's `CompressionHandler`: gzip when the client accepts it.
async fn compress(req: Request, next: Next) -> Response {
    let gzip_ok = flint_client::http::accepts_gzip(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let resp = next.run(req).await;
    if !gzip_ok || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if bytes.len() < GZIP_MIN_BYTES {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    match flint_client::http::gzip(&bytes) {
        Some(z) => {
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(z))
        }
        None => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// Upstream's `testReady`: `503 Service Unavailable` until the server is ready.
async fn when_ready(State(api): State<QueryApi>, req: Request, next: Next) -> Response {
    if api.opts().ready.load(Ordering::SeqCst) {
        next.run(req).await
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
    }
}

/// Runs blocking work (storage, evaluation, encoding) off the async threads.
async fn blocking<F>(f: F) -> Response
where
    F: FnOnce() -> Response + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => respond::fail(respond::internal(format!("request failed: {e}"))),
    }
}

/// Maps an engine error to the API error upstream's `returnAPIError` gives.
fn engine_error(e: &flint_promql::Error) -> ApiError {
    use flint_promql::ErrorKind;
    let kind = match e.kind() {
        ErrorKind::BadData => ErrorType::BadData,
        ErrorKind::Execution => ErrorType::Execution,
        ErrorKind::Timeout => ErrorType::Timeout,
        ErrorKind::Canceled => ErrorType::Canceled,
        ErrorKind::Internal => storage_error_type(e),
    };
    ApiError::new(kind, e.to_string())
}

fn storage_error_type(e: &flint_promql::Error) -> ErrorType {
    match e {
        flint_promql::Error::Storage(flint_storage::StorageError::NotReady(_)) => {
            ErrorType::Unavailable
        }
        _ => ErrorType::Internal,
    }
}

/// Maps a storage error: not ready is `unavailable`, the rest `internal`.
fn storage_error(e: &flint_storage::StorageError) -> ApiError {
    let kind = match e {
        flint_storage::StorageError::NotReady(_) => ErrorType::Unavailable,
        flint_storage::StorageError::Canceled => ErrorType::Canceled,
        _ => ErrorType::Internal,
    };
    ApiError::new(kind, e.to_string())
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
