//! `/rules` and `/alerts`.

use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use flint_rules::Rule;
use serde::Deserialize;

use super::{Ui, ago, graph_link, pairs, render};
use crate::query_api::json::format_float;

type Pairs = Vec<(String, String)>;

/// One rule as the pages show it.
pub struct RuleRow {
    anchor: String,
    name: String,
    alerting: bool,
    query: String,
    graph: String,
    health: &'static str,
    error: String,
    eval_time: String,
    last_eval: String,
    hold: String,
    state: &'static str,
    labels: Pairs,
    annotations: Pairs,
    alerts: Vec<AlertRow>,
}

/// One active alert of a rule.
pub struct AlertRow {
    state: &'static str,
    labels: Pairs,
    annotations: Pairs,
    active_since: String,
    value: String,
}

/// One rule group.
pub struct GroupRow {
    name: String,
    file: String,
    interval: String,
    last_eval: String,
    eval_time: String,
    rules: Vec<RuleRow>,
}

/// The anchor of a rule on the rules page (`rule-<group>-<index>`).
fn anchor(group: usize, rule: usize) -> String {
    format!("rule-{group}-{rule}")
}

fn rule_row(prefix: &str, anchor: String, r: &Rule) -> RuleRow {
    let st = r.status();
    let (query, hold, state, annotations, alerts) = match r {
        Rule::Alerting(a) => (
            a.expr.canonical(),
            flint_config::Duration::from(Duration::from_millis(a.hold_ms.max(0) as u64))
                .to_string(),
            a.state().as_str(),
            pairs(&a.annotations),
            a.active_alerts()
                .iter()
                .map(|x| AlertRow {
                    state: x.state.as_str(),
                    labels: pairs(&x.labels),
                    annotations: pairs(&x.annotations),
                    active_since: ago(crate::time::from_millis(x.active_at)),
                    value: format_float(x.value),
                })
                .collect(),
        ),
        Rule::Recording(rr) => (
            rr.expr.canonical(),
            String::new(),
            "",
            Vec::new(),
            Vec::new(),
        ),
    };
    RuleRow {
        anchor,
        name: r.name().to_string(),
        alerting: matches!(r, Rule::Alerting(_)),
        graph: graph_link(prefix, &query),
        query,
        health: st.health.as_str(),
        error: st.last_error.unwrap_or_default(),
        eval_time: format!("{:.3}s", st.evaluation_time.as_secs_f64()),
        last_eval: st.last_evaluation.map_or_else(|| "never".into(), ago),
        hold,
        state,
        labels: pairs(r.labels()),
        annotations,
        alerts,
    }
}

/// Every group with its rules (`alerting_only` keeps alerting rules and drops empty groups).
fn groups(ui: &Ui, alerting_only: bool) -> Vec<GroupRow> {
    let prefix = ui.prefix();
    let groups = ui
        .alerting
        .rules
        .as_ref()
        .map(|m| m.groups())
        .unwrap_or_default();
    groups
        .iter()
        .enumerate()
        .map(|(gi, g)| GroupRow {
            name: g.name().to_string(),
            file: g.file().to_string(),
            interval: flint_config::Duration::from(g.interval()).to_string(),
            last_eval: g.last_evaluation().map_or_else(|| "never".into(), ago),
            eval_time: format!("{:.3}s", g.evaluation_time().as_secs_f64()),
            rules: g
                .rules()
                .iter()
                .enumerate()
                .filter(|(_, r)| !alerting_only || matches!(r, Rule::Alerting(_)))
                .map(|(ri, r)| rule_row(&prefix, anchor(gi, ri), r))
                .collect(),
        })
        .filter(|g| !alerting_only || !g.rules.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "ui/rules.html")]
struct RulesPage {
    p: String,
    nav: &'static str,
    groups: Vec<GroupRow>,
}

/// `GET /rules`.
pub async fn rules(State(ui): State<Ui>) -> Response {
    render(&RulesPage {
        p: ui.prefix(),
        nav: "rules",
        groups: groups(&ui, false),
    })
}

/// Filters of the alerts page.
#[derive(Debug, Default, Deserialize)]
pub struct AlertFilter {
    /// `firing`, `pending` or `inactive`; empty for all.
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "ui/alerts.html")]
struct AlertsPage {
    p: String,
    nav: &'static str,
    groups: Vec<GroupRow>,
    state: String,
    counts: [usize; 3],
}

/// `GET /alerts`.
pub async fn alerts(State(ui): State<Ui>, Query(f): Query<AlertFilter>) -> Response {
    let mut groups = groups(&ui, true);
    let mut counts = [0; 3];
    for r in groups.iter().flat_map(|g| &g.rules) {
        match r.state {
            "firing" => counts[0] += 1,
            "pending" => counts[1] += 1,
            _ => counts[2] += 1,
        }
    }
    if !f.state.is_empty() {
        for g in &mut groups {
            g.rules.retain(|r| r.state == f.state);
        }
        groups.retain(|g| !g.rules.is_empty());
    }
    render(&AlertsPage {
        p: ui.prefix(),
        nav: "alerts",
        groups,
        state: f.state,
        counts,
    })
}
