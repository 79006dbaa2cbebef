//! `/api/v1/rules` (filters `type`, `rule_name[]`, `rule_group[]`, `file[]`, `match[]`,
//! `exclude_alerts`, pagination with `group_limit`/`group_next_token`), `/api/v1/alerts`
//! and `/api/v1/alertmanagers`, shaped as Prometheus shapes them.
//!
//! [`routes`] builds a router with its own state; merge it with [`crate::router`].

use std::collections::HashSet;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use flint_model::{Labels, Matcher};
use flint_rules::alerting::Alert;
use flint_rules::{Group, Rule};
use serde::{Serialize, Serializer};

use crate::api::{ApiError, ApiResponse, ApiResult};
use crate::selector::parse_matchers;
use crate::time::{ZERO, from_millis, rfc3339};

/// What the alerting endpoints read. Either part may be missing (agent mode, tests).
#[derive(Debug, Clone, Default)]
pub struct AlertingApi {
    /// The rule manager.
    pub rules: Option<flint_rules::Manager>,
    /// The notifier.
    pub notifier: Option<flint_notifier::Manager>,
}

/// The routes, with their state applied.
pub fn routes(api: AlertingApi) -> Router {
    Router::new()
        .route("/api/v1/rules", get(rules))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alertmanagers", get(alertmanagers))
        .with_state(api)
}

/// A float as Go's `encoding/json` writes it (`60`, not `60.0`).
struct GoFloat(f64);

impl Serialize for GoFloat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

/// A label set as a JSON object.
struct LabelMap<'a>(&'a Labels);

impl Serialize for LabelMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|l| (&*l.name, &*l.value)))
    }
}

fn time_ms(ms: i64) -> String {
    rfc3339(from_millis(ms))
}

fn time_opt(t: Option<SystemTime>) -> String {
    t.map_or_else(|| ZERO.to_string(), rfc3339)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiAlert<'a> {
    labels: LabelMap<'a>,
    annotations: LabelMap<'a>,
    state: &'static str,
    active_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_firing_since: Option<String>,
    value: String,
}

/// `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `2.5e-03`.
fn go_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

fn api_alert(a: &Alert) -> ApiAlert<'_> {
    ApiAlert {
        labels: LabelMap(&a.labels),
        annotations: LabelMap(&a.annotations),
        state: a.state.as_str(),
        active_at: time_ms(a.active_at),
        keep_firing_since: a.keep_firing_since.map(time_ms),
        value: go_e(a.value),
    }
}

/// Owned copies of what one rule shows, so the JSON borrows from them.
struct RuleView {
    rule: Rule,
    alerts: Vec<Alert>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiAlertingRule<'a> {
    state: &'static str,
    name: &'a str,
    query: String,
    duration: GoFloat,
    keep_firing_for: GoFloat,
    labels: LabelMap<'a>,
    annotations: LabelMap<'a>,
    alerts: Option<Vec<ApiAlert<'a>>>,
    health: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    evaluation_time: GoFloat,
    last_evaluation: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiRecordingRule<'a> {
    name: &'a str,
    query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<LabelMap<'a>>,
    health: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    evaluation_time: GoFloat,
    last_evaluation: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ApiRule<'a> {
    Alerting(ApiAlertingRule<'a>),
    Recording(ApiRecordingRule<'a>),
}

fn rule_json<'a>(v: &'a RuleView, exclude_alerts: bool) -> ApiRule<'a> {
    let status = v.rule.status();
    let health = status.health.as_str();
    let last_error = status.last_error.clone();
    let evaluation_time = GoFloat(status.evaluation_time.as_secs_f64());
    let last_evaluation = time_opt(status.last_evaluation);
    match &v.rule {
        Rule::Alerting(a) => ApiRule::Alerting(ApiAlertingRule {
            state: a.state().as_str(),
            name: &a.name,
            query: a.expr.canonical(),
            duration: GoFloat(a.hold_ms as f64 / 1000.0),
            keep_firing_for: GoFloat(a.keep_firing_for_ms as f64 / 1000.0),
            labels: LabelMap(&a.labels),
            annotations: LabelMap(&a.annotations),
            alerts: (!exclude_alerts).then(|| v.alerts.iter().map(api_alert).collect()),
            health,
            last_error,
            evaluation_time,
            last_evaluation,
            kind: "alerting",
        }),
        Rule::Recording(r) => ApiRule::Recording(ApiRecordingRule {
            name: &r.name,
            query: r.expr.canonical(),
            labels: (!r.labels.is_empty()).then_some(LabelMap(&r.labels)),
            health,
            last_error,
            evaluation_time,
            last_evaluation,
            kind: "recording",
        }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiGroup<'a> {
    name: &'a str,
    file: &'a str,
    rules: Vec<ApiRule<'a>>,
    interval: GoFloat,
    limit: i64,
    evaluation_time: GoFloat,
    last_evaluation: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDiscovery<'a> {
    groups: Vec<ApiGroup<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_next_token: Option<String>,
}

/// The query string's parameters, in order, percent-decoded (`+` is a space).
fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let decode = |s: &str| -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let escaped = (b[i] == b'%' && i + 2 < b.len())
                .then(|| Some(hex(b[i + 1])? * 16 + hex(b[i + 2])?))
                .flatten();
            match (b[i], escaped) {
                (b'+', _) => out.push(b' '),
                (_, Some(v)) => {
                    out.push(v);
                    i += 2;
                }
                (c, None) => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The parsed filters of `/api/v1/rules`.
#[derive(Default)]
struct Filters {
    names: HashSet<String>,
    groups: HashSet<String>,
    files: HashSet<String>,
    matchers: Vec<Vec<Matcher>>,
    alerts: bool,
    recording: bool,
    exclude_alerts: bool,
    limit: usize,
    next_token: Option<String>,
}

fn invalid(param: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_data(format!("invalid parameter {param:?}: {e}"))
}

impl Filters {
    fn parse(q: Option<&str>) -> Result<Self, ApiError> {
        let mut f = Filters::default();
        let mut typ = String::new();
        for (k, v) in query_pairs(q) {
            match k.as_str() {
                "rule_name[]" => drop(f.names.insert(v)),
                "rule_group[]" => drop(f.groups.insert(v)),
                "file[]" => drop(f.files.insert(v)),
                "match[]" => f
                    .matchers
                    .push(parse_matchers(&v).map_err(|e| invalid("match[]", e))?),
                "type" => typ = v.to_lowercase(),
                "exclude_alerts" => {
                    f.exclude_alerts = parse_bool(&v).ok_or_else(|| {
                        invalid(
                            "exclude_alerts",
                            format!("strconv.ParseBool: parsing {v:?}: invalid syntax"),
                        )
                    })?;
                }
                "group_limit" => {
                    let n: i64 = v.parse().map_err(|_| {
                        invalid(
                            "group_limit",
                            format!("strconv.ParseInt: parsing {v:?}: invalid syntax"),
                        )
                    })?;
                    if n <= 0 {
                        return Err(invalid(
                            "group_limit",
                            "group_limit needs to be greater than 0",
                        ));
                    }
                    f.limit = n as usize;
                }
                "group_next_token" => f.next_token = Some(v),
                _ => {}
            }
        }
        if !typ.is_empty() && typ != "alert" && typ != "record" {
            return Err(invalid("type", format!("not supported value {typ:?}")));
        }
        if f.next_token.is_some() && f.limit == 0 {
            return Err(invalid(
                "group_next_token",
                "group_limit needs to be present in order to paginate over the groups",
            ));
        }
        f.alerts = typ.is_empty() || typ == "alert";
        f.recording = typ.is_empty() || typ == "record";
        Ok(f)
    }

    fn keeps_group(&self, g: &Group) -> bool {
        (self.groups.is_empty() || self.groups.contains(g.name()))
            && (self.files.is_empty() || self.files.contains(g.file()))
    }

    fn keeps_rule(&self, r: &Rule) -> bool {
        let kind_ok = match r {
            Rule::Alerting(_) => self.alerts,
            Rule::Recording(_) => self.recording,
        };
        let labels = r.labels();
        let matches = self.matchers.is_empty()
            || self.matchers.iter().any(|set| {
                set.iter()
                    .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
            });
        kind_ok && matches && (self.names.is_empty() || self.names.contains(r.name()))
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The opaque pagination token of a group.
fn group_token(g: &Group) -> String {
    format!(
        "{:016x}",
        Labels::from_pairs([("file", g.file()), ("name", g.name())]).stable_hash()
    )
}

async fn rules(
    State(api): State<AlertingApi>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let f = Filters::parse(q.as_deref())?;
    let groups = api.rules.as_ref().map(|m| m.groups()).unwrap_or_default();
    let views: Vec<(&Group, Vec<RuleView>)> = groups
        .iter()
        .filter(|g| f.keeps_group(g))
        .map(|g| {
            let views = g
                .rules()
                .iter()
                .filter(|r| f.keeps_rule(r))
                .map(|r| RuleView {
                    alerts: match r {
                        Rule::Alerting(a) => a.active_alerts(),
                        Rule::Recording(_) => Vec::new(),
                    },
                    rule: r.clone(),
                })
                .collect();
            (g.as_ref(), views)
        })
        .collect();
    let start = match &f.next_token {
        Some(t) => views
            .iter()
            .position(|(g, _)| group_token(g) == *t)
            .ok_or_else(|| invalid("group_next_token", "group_next_token wasn't found"))?,
        None => 0,
    };
    let mut out = RuleDiscovery {
        groups: Vec::new(),
        group_next_token: None,
    };
    for (g, rules) in views.iter().skip(start) {
        if rules.is_empty() {
            continue;
        }
        if f.limit > 0 && out.groups.len() == f.limit {
            out.group_next_token = Some(group_token(g));
            break;
        }
        out.groups.push(ApiGroup {
            name: g.name(),
            file: g.file(),
            rules: rules
                .iter()
                .map(|v| rule_json(v, f.exclude_alerts))
                .collect(),
            interval: GoFloat(g.interval().as_secs_f64()),
            limit: g.limit(),
            evaluation_time: GoFloat(g.evaluation_time().as_secs_f64()),
            last_evaluation: time_opt(g.last_evaluation()),
        });
    }
    Ok(ApiResponse::ok(&out).into_response())
}

#[derive(Serialize)]
struct AlertDiscovery<'a> {
    alerts: Vec<ApiAlert<'a>>,
}

async fn alerts(State(api): State<AlertingApi>) -> Response {
    let rules = api
        .rules
        .as_ref()
        .map(|m| m.alerting_rules())
        .unwrap_or_default();
    let all: Vec<Alert> = rules.iter().flat_map(|r| r.active_alerts()).collect();
    let alerts = all.iter().map(api_alert).collect();
    ApiResponse::ok(AlertDiscovery { alerts }).into_response()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AlertmanagerDiscovery {
    active_alertmanagers: Vec<Url>,
    dropped_alertmanagers: Vec<Url>,
}

#[derive(Serialize)]
struct Url {
    url: String,
}

async fn alertmanagers(State(api): State<AlertingApi>) -> ApiResult<AlertmanagerDiscovery> {
    let (active, dropped) = api
        .notifier
        .as_ref()
        .map(|n| n.alertmanagers())
        .unwrap_or_default();
    let urls = |v: Vec<String>| v.into_iter().map(|url| Url { url }).collect();
    Ok(ApiResponse::ok(AlertmanagerDiscovery {
        active_alertmanagers: urls(active),
        dropped_alertmanagers: urls(dropped),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(go_e(1.0), "1e+00");
        assert_eq!(go_e(0.0025), "2.5e-03");
        assert_eq!(
            serde_json::to_string(&GoFloat(60.0)).ok().as_deref(),
            Some("60")
        );
        assert_eq!(
            serde_json::to_string(&GoFloat(0.25)).ok().as_deref(),
            Some("0.25")
        );
        assert_eq!(time_ms(1500), "1970-01-01T00:00:01.5Z");
    }

    #[test]
    fn query_strings_and_filters() {
        let p = query_pairs(Some("rule_name%5B%5D=a+b&type=Alert&x"));
        assert_eq!(p[0], ("rule_name[]".into(), "a b".into()));
        let f = Filters::parse(Some("type=alert&match[]={severity=\"page\"}")).ok();
        assert!(
            f.as_ref()
                .is_some_and(|f| f.alerts && !f.recording && f.matchers.len() == 1)
        );
        let e = Filters::parse(Some("type=foo")).err().map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some("invalid parameter \"type\": not supported value \"foo\"")
        );
        assert!(Filters::parse(Some("group_limit=0")).is_err());
        assert!(Filters::parse(Some("group_next_token=x")).is_err());
        assert!(Filters::parse(Some("exclude_alerts=maybe")).is_err());
    }
}
