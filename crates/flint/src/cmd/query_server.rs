//! The query side of `flint server`: the PromQL engine from the `--query.*` flags and the
//! query API's options.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use flint_client::metrics::gauge::Gauge;
use flint_promql::{Engine, EngineOptions};
use flint_tsdb::Db;
use flint_web::query_api::{BuildInfo, QueryApi, QueryApiOptions};

use super::server::ServerArgs;

fn flag_duration(name: &str, v: &str) -> anyhow::Result<Duration> {
    v.parse::<flint_config::Duration>()
        .map(|d| d.std())
        .map_err(|e| anyhow::anyhow!(e.0))
        .with_context(|| format!("invalid --{name} {v:?}"))
}

/// Engine options from `--query.lookback-delta`, `--query.timeout`, `--query.max-samples`
/// and `--query.max-concurrency`.
pub fn engine_options(args: &ServerArgs) -> anyhow::Result<EngineOptions> {
    let lookback = flag_duration("query.lookback-delta", &args.lookback_delta)?;
    anyhow::ensure!(
        !lookback.is_zero(),
        "--query.lookback-delta must be positive"
    );
    Ok(EngineOptions {
        lookback_delta: lookback,
        timeout: flag_duration("query.timeout", &args.query_timeout)?,
        max_samples: usize::try_from(args.query_max_samples).unwrap_or(usize::MAX),
        max_concurrency: (args.query_max_concurrency as usize).max(1),
        ..EngineOptions::default()
    })
}

/// `storageRetention` as Prometheus shows it: `15d`, `512MiB`, or `15d or 512MiB`.
fn retention(args: &ServerArgs) -> String {
    let time = args.retention_time.or(args.retention_deprecated);
    let fmt = |d: Duration| flint_config::Duration::from(d).to_string();
    let size = args
        .retention_size
        .map(|b| flint_config::ByteSize(b).to_string());
    match (time, size) {
        (None, None) => fmt(flint_tsdb::db::DEFAULT_RETENTION),
        (Some(t), None) => fmt(t),
        (None, Some(s)) => s,
        (Some(t), Some(s)) => format!("{} or {s}", fmt(t)),
    }
}

fn build_info() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        revision: env!("FLINT_GIT_REVISION").to_owned(),
        branch: String::new(),
        build_user: String::new(),
        build_date: env!("FLINT_BUILD_DATE").to_owned(),
        go_version: env!("FLINT_RUSTC_VERSION").to_owned(),
    }
}

/// What the server hands the query API.
pub struct Wiring<'a> {
    /// The flags.
    pub args: &'a ServerArgs,
    /// The engine.
    pub engine: Engine,
    /// The TSDB.
    pub db: Db,
    /// What queries read: the TSDB merged with the `remote_read` endpoints.
    pub storage: Arc<dyn flint_storage::Queryable>,
    /// Readiness, shared with the lifecycle endpoints.
    pub ready: Arc<AtomicBool>,
    /// The running config.
    pub config: Arc<std::sync::RwLock<Arc<flint_config::Config>>>,
    /// `prometheus_config_last_reload_successful`.
    pub reload_success: Gauge,
    /// `prometheus_config_last_reload_success_timestamp_seconds`.
    pub reload_time: Gauge,
    /// What the WAL replay at start read.
    pub replay: flint_tsdb::ReplayProgress,
    /// Where the remote-write receiver registers its metrics.
    pub registry: &'a flint_client::Registry,
}

/// The query API over the server's TSDB.
pub fn api(w: Wiring<'_>) -> QueryApi {
    let mut opts = QueryApiOptions::new(w.engine, w.storage);
    opts.remote_write = w
        .args
        .enable_remote_write_receiver
        .then(|| flint_remote::WriteReceiver::new(Arc::new(w.db.clone()), w.registry));
    opts.remote_read_sample_limit = match w.args.remote_read_sample_limit {
        0 => usize::MAX,
        n => n,
    };
    opts.remote_read_max_bytes_in_frame = w.args.remote_read_max_bytes_in_frame.max(1);
    opts.db = Some(w.db);
    opts.enable_admin = w.args.enable_admin_api;
    opts.ready = w.ready;
    opts.config = w.config;
    opts.build_info = build_info();
    opts.start_time = SystemTime::now();
    opts.storage_retention = retention(w.args);
    opts.reload_success = w.reload_success;
    opts.reload_time = w.reload_time;
    opts.replay = w.replay;
    QueryApi::new(opts)
}
