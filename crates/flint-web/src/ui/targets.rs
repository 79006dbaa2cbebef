//! `/targets` and `/service-discovery`.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Ui, ago, pairs, render};

/// Filters of the targets page.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pool: String,
    /// `unhealthy` hides healthy targets.
    #[serde(default)]
    health: String,
}

/// One target row.
pub struct TargetRow {
    url: String,
    health: &'static str,
    labels: Vec<(String, String)>,
    discovered: Vec<(String, String)>,
    last_scrape: String,
    duration: String,
    error: String,
    interval: String,
}

/// One scrape pool.
pub struct Pool {
    job: String,
    up: usize,
    targets: Vec<TargetRow>,
    dropped: usize,
}

#[derive(Template)]
#[template(path = "ui/targets.html")]
struct TargetsPage {
    p: String,
    nav: &'static str,
    pools: Vec<Pool>,
    pool_names: Vec<String>,
    pool: String,
    unhealthy_only: bool,
}

/// `GET /targets`.
pub async fn targets(State(ui): State<Ui>, Query(f): Query<Filter>) -> Response {
    let all = ui.app.scrape.targets().await;
    let pool_names = all.iter().map(|j| j.job.clone()).collect();
    let unhealthy_only = f.health == "unhealthy";
    let pools = all
        .iter()
        .filter(|j| f.pool.is_empty() || j.job == f.pool)
        .map(|j| {
            let rows: Vec<TargetRow> = j
                .active
                .iter()
                .map(|t| {
                    let h = t.health();
                    TargetRow {
                        url: t.url.clone(),
                        health: h.health.as_str(),
                        labels: pairs(&t.labels),
                        discovered: pairs(&t.discovered),
                        last_scrape: h.last_scrape.map_or_else(|| "never".into(), ago),
                        duration: format!("{:.3}s", h.last_scrape_duration.as_secs_f64()),
                        error: h.last_error.clone(),
                        interval: flint_config::Duration::from(t.interval).to_string(),
                    }
                })
                .collect();
            Pool {
                job: j.job.clone(),
                up: rows.iter().filter(|r| r.health == "up").count(),
                targets: rows
                    .into_iter()
                    .filter(|r| !unhealthy_only || r.health != "up")
                    .collect(),
                dropped: j.dropped_total,
            }
        })
        .collect();
    render(&TargetsPage {
        p: ui.prefix(),
        nav: "targets",
        pools,
        pool_names,
        pool: f.pool,
        unhealthy_only,
    })
}

/// One discovered target: its labels before relabeling and after (none when dropped).
pub struct Discovered {
    discovered: Vec<(String, String)>,
    target: Option<Vec<(String, String)>>,
}

/// One pool's discovered targets.
pub struct SdPool {
    job: String,
    active: usize,
    total: usize,
    targets: Vec<Discovered>,
}

#[derive(Template)]
#[template(path = "ui/sd.html")]
struct SdPage {
    p: String,
    nav: &'static str,
    pools: Vec<SdPool>,
}

/// `GET /service-discovery`.
pub async fn discovery(State(ui): State<Ui>) -> Response {
    let pools = ui
        .app
        .scrape
        .targets()
        .await
        .iter()
        .map(|j| {
            let mut targets: Vec<Discovered> = j
                .active
                .iter()
                .map(|t| Discovered {
                    discovered: pairs(&t.discovered),
                    target: Some(pairs(&t.labels)),
                })
                .collect();
            targets.extend(j.dropped.iter().map(|d| Discovered {
                discovered: pairs(&d.discovered),
                target: None,
            }));
            SdPool {
                job: j.job.clone(),
                active: j.active.len(),
                total: j.active.len() + j.dropped_total,
                targets,
            }
        })
        .collect();
    render(&SdPage {
        p: ui.prefix(),
        nav: "sd",
        pools,
    })
}
