//! `/api/v1/targets`, `/api/v1/targets/metadata`, `/api/v1/metadata`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use flint_model::{Labels, Matcher};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, ApiResponse, ApiResult};
use crate::selector::parse_matchers;
use crate::state::AppState;
use crate::time::{ZERO, rfc3339};

/// The target routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/targets", get(targets))
        .route("/api/v1/targets/metadata", get(targets_metadata))
        .route("/api/v1/metadata", get(metadata))
}

fn label_map(l: &Labels) -> BTreeMap<String, String> {
    l.iter()
        .map(|l| (l.name.to_string(), l.value.to_string()))
        .collect()
}

#[derive(Debug, Deserialize)]
struct TargetsQuery {
    state: Option<String>,
    #[serde(rename = "scrapePool")]
    scrape_pool: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActiveTarget {
    discovered_labels: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    scrape_pool: String,
    scrape_url: String,
    global_url: String,
    last_error: String,
    last_scrape: String,
    last_scrape_duration: f64,
    health: &'static str,
    scrape_interval: String,
    scrape_timeout: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DroppedTarget {
    discovered_labels: BTreeMap<String, String>,
    scrape_pool: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetsData {
    active_targets: Vec<ActiveTarget>,
    dropped_targets: Vec<DroppedTarget>,
    dropped_target_counts: BTreeMap<String, usize>,
}

/// The scrape URL as seen from elsewhere (Prometheus's `globalUrl`): a loopback host is
/// replaced by this machine's host name.
fn global_url(url: &str) -> String {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let host = HOST.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default()
    });
    if host.is_empty() {
        return url.to_string();
    }
    for lo in ["://localhost:", "://127.0.0.1:", "://[::1]:"] {
        if let Some(i) = url.find(lo) {
            return format!("{}://{host}:{}", &url[..i], &url[i + lo.len()..]);
        }
    }
    url.to_string()
}

async fn targets(
    State(s): State<AppState>,
    Query(q): Query<TargetsQuery>,
) -> ApiResponse<TargetsData> {
    let state = q.state.as_deref().unwrap_or("any").to_ascii_lowercase();
    let (show_active, show_dropped) = match state.as_str() {
        "active" => (true, false),
        "dropped" => (false, true),
        _ => (true, true),
    };
    let mut data = TargetsData {
        active_targets: Vec::new(),
        dropped_targets: Vec::new(),
        dropped_target_counts: BTreeMap::new(),
    };
    for jt in s.scrape.targets().await {
        if q.scrape_pool.as_ref().is_some_and(|p| p != &jt.job) {
            continue;
        }
        if show_active {
            for t in &jt.active {
                let h = t.health();
                data.active_targets.push(ActiveTarget {
                    discovered_labels: label_map(&t.discovered),
                    labels: label_map(&t.labels),
                    scrape_pool: jt.job.clone(),
                    scrape_url: t.url.clone(),
                    global_url: global_url(&t.url),
                    last_error: h.last_error.clone(),
                    last_scrape: h.last_scrape.map_or_else(|| ZERO.to_string(), rfc3339),
                    last_scrape_duration: h.last_scrape_duration.as_secs_f64(),
                    health: h.health.as_str(),
                    scrape_interval: flint_config::Duration::from(t.interval).to_string(),
                    scrape_timeout: flint_config::Duration::from(t.timeout).to_string(),
                });
            }
        }
        if show_dropped {
            data.dropped_target_counts
                .insert(jt.job.clone(), jt.dropped_total);
            for d in &jt.dropped {
                data.dropped_targets.push(DroppedTarget {
                    discovered_labels: label_map(&d.discovered),
                    scrape_pool: jt.job.clone(),
                });
            }
        }
    }
    ApiResponse::ok(data)
}

#[derive(Debug, Deserialize)]
struct TargetMetadataQuery {
    match_target: Option<String>,
    metric: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
struct TargetMetadata {
    target: BTreeMap<String, String>,
    metric: String,
    #[serde(rename = "type")]
    metric_type: String,
    help: String,
    unit: String,
}

fn matchers(q: Option<&str>) -> Result<Vec<Matcher>, ApiError> {
    match q {
        None | Some("") => Ok(Vec::new()),
        Some(s) => parse_matchers(s).map_err(ApiError::bad_data),
    }
}

fn matches(l: &Labels, ms: &[Matcher]) -> bool {
    ms.iter().all(|m| m.matches(l.get(m.name()).unwrap_or("")))
}

async fn targets_metadata(
    State(s): State<AppState>,
    Query(q): Query<TargetMetadataQuery>,
) -> ApiResult<Vec<TargetMetadata>> {
    let ms = matchers(q.match_target.as_deref())?;
    let limit = q.limit.filter(|l| *l >= 0).map(|l| l as usize);
    let mut out = Vec::new();
    'outer: for jt in s.scrape.targets().await {
        for t in &jt.active {
            if !matches(&t.labels, &ms) {
                continue;
            }
            for m in t.metadata().iter() {
                if q.metric.as_ref().is_some_and(|want| want != &m.metric) {
                    continue;
                }
                if limit.is_some_and(|l| out.len() >= l) {
                    break 'outer;
                }
                out.push(TargetMetadata {
                    target: label_map(&t.labels),
                    metric: m.metric.clone(),
                    metric_type: m.metric_type.clone(),
                    help: m.help.clone(),
                    unit: m.unit.clone(),
                });
            }
        }
    }
    Ok(ApiResponse::ok(out))
}

#[derive(Debug, Deserialize)]
struct MetadataQuery {
    metric: Option<String>,
    limit: Option<i64>,
    limit_per_metric: Option<i64>,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone)]
struct Meta {
    #[serde(rename = "type")]
    metric_type: String,
    help: String,
    unit: String,
}

async fn metadata(
    State(s): State<AppState>,
    Query(q): Query<MetadataQuery>,
) -> ApiResponse<BTreeMap<String, Vec<Meta>>> {
    let limit = q.limit.filter(|l| *l > 0).map(|l| l as usize);
    let per_metric = q.limit_per_metric.filter(|l| *l > 0).map(|l| l as usize);
    let mut out: BTreeMap<String, Vec<Meta>> = BTreeMap::new();
    for jt in s.scrape.targets().await {
        for t in &jt.active {
            for m in t.metadata().iter() {
                if q.metric.as_ref().is_some_and(|want| want != &m.metric) {
                    continue;
                }
                let entry = Meta {
                    metric_type: m.metric_type.clone(),
                    help: m.help.clone(),
                    unit: m.unit.clone(),
                };
                let list = out.entry(m.metric.clone()).or_default();
                if !list.contains(&entry) && per_metric.is_none_or(|p| list.len() < p) {
                    list.push(entry);
                }
            }
        }
    }
    if let Some(l) = limit {
        out = out.into_iter().take(l).collect();
    }
    ApiResponse::ok(out)
}
