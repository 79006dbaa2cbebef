//! `/api/v1/status/{buildinfo,runtimeinfo,tsdb,walreplay}`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::form::Form;
use super::respond::{self, Notes};
use super::{QueryApi, blocking};
use crate::api::ApiError;
use crate::time::rfc3339;

/// `GET /api/v1/status/buildinfo`.
pub async fn buildinfo(State(api): State<QueryApi>) -> Response {
    respond::success(&api.opts().build_info, &Notes::default())
}

/// Upstream's `RuntimeInfo`, with Go's names (Flint's equivalents where Go's make no sense).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeInfo {
    start_time: String,
    #[serde(rename = "CWD")]
    cwd: String,
    hostname: String,
    server_time: String,
    reload_config_success: bool,
    last_config_time: String,
    corruption_count: i64,
    goroutine_count: usize,
    #[serde(rename = "GOMAXPROCS")]
    gomaxprocs: usize,
    #[serde(rename = "GOMEMLIMIT")]
    gomemlimit: i64,
    #[serde(rename = "GOGC")]
    gogc: String,
    #[serde(rename = "GODEBUG")]
    godebug: String,
    storage_retention: String,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

/// `GET /api/v1/status/runtimeinfo`.
pub async fn runtimeinfo(State(api): State<QueryApi>) -> Response {
    respond::success(&runtime_info(&api), &Notes::default())
}

/// The runtime information (also shown on the UI's status page).
pub(crate) fn runtime_info(api: &QueryApi) -> impl Serialize + use<> {
    let o = api.opts();
    let reload_secs = o.reload_time.get();
    let last_config = UNIX_EPOCH + Duration::from_secs(reload_secs.max(0.0) as u64);
    RuntimeInfo {
        start_time: rfc3339(o.start_time),
        cwd: std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        hostname: hostname(),
        server_time: rfc3339(SystemTime::now()),
        reload_config_success: o.reload_success.get() == 1.0,
        last_config_time: rfc3339(last_config),
        corruption_count: 0,
        goroutine_count: tokio::runtime::Handle::try_current()
            .map_or(0, |h| h.metrics().num_alive_tasks()),
        gomaxprocs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        gomemlimit: i64::MAX,
        gogc: String::new(),
        godebug: String::new(),
        storage_retention: o.storage_retention.clone(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HeadStats {
    num_series: u64,
    num_label_pairs: u64,
    chunk_count: u64,
    min_time: i64,
    max_time: i64,
}

#[derive(Serialize)]
pub(crate) struct Stat {
    pub(crate) name: String,
    pub(crate) value: u64,
}

/// `/api/v1/status/tsdb`'s data (also the UI's TSDB page).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TsdbStatus {
    pub(crate) head_stats: HeadStats,
    pub(crate) series_count_by_metric_name: Vec<Stat>,
    pub(crate) label_value_count_by_label_name: Vec<Stat>,
    pub(crate) memory_in_bytes_by_label_name: Vec<Stat>,
    pub(crate) series_count_by_label_value_pair: Vec<Stat>,
}

fn stats(v: Vec<flint_tsdb::head::NameCount>) -> Vec<Stat> {
    v.into_iter()
        .map(|n| Stat {
            name: n.name,
            value: n.value,
        })
        .collect()
}

/// `GET /api/v1/status/tsdb`: head cardinality with the `limit` (default 10) largest
/// entries per list.
pub async fn tsdb(State(api): State<QueryApi>, form: Form) -> Response {
    let limit = match form.value("limit") {
        "" => 10,
        s => match super::params::parse_go_int(s) {
            Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return respond::fail(ApiError::bad_data("limit must be a positive number"));
            }
        },
    };
    let Some(db) = api.opts().db.clone() else {
        return respond::fail(respond::internal("no local TSDB"));
    };
    blocking(move || respond::success(&tsdb_status(&db, limit), &Notes::default())).await
}

/// Head cardinality with the `limit` largest entries per list (also shown by the UI).
pub(crate) fn tsdb_status(db: &flint_tsdb::Db, limit: usize) -> TsdbStatus {
    let h = db.status(limit).head;
    TsdbStatus {
        head_stats: HeadStats {
            num_series: h.num_series,
            num_label_pairs: h.num_label_pairs,
            chunk_count: h.chunk_count,
            min_time: h.min_time,
            max_time: h.max_time,
        },
        series_count_by_metric_name: stats(h.series_count_by_metric_name),
        label_value_count_by_label_name: stats(h.label_value_count_by_label_name),
        memory_in_bytes_by_label_name: stats(h.memory_in_bytes_by_label_name),
        series_count_by_label_value_pair: stats(h.series_count_by_label_value_pair),
    }
}

#[derive(Serialize)]
struct WalReplay {
    min: i64,
    max: i64,
    current: i64,
}

/// `GET /api/v1/status/walreplay`: segments of the WAL replay (first, last, current).
pub async fn walreplay(State(api): State<QueryApi>) -> Response {
    walreplay_answer(&api.opts().replay)
}

/// The `/api/v1/status/walreplay` answer for `replay` (also served while starting).
pub(crate) fn walreplay_answer(replay: &flint_tsdb::ReplayProgress) -> Response {
    let s = replay.status();
    let clamp = |v: i64| v.max(0);
    respond::success(
        &WalReplay {
            min: clamp(s.min),
            max: clamp(s.max),
            current: clamp(s.current),
        },
        &Notes::default(),
    )
}
