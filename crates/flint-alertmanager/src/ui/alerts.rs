//! `/` and `/alerts`: alerts grouped as the routing tree groups them.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::layout::{AlertRow, enc, pairs, prefix, render};
use crate::api::ApiState;
use crate::api::alerts::Filter;
use crate::matchers::parse_matchers;

/// One aggregation group on the page.
struct GroupRow {
    receiver: String,
    labels: Vec<(String, String)>,
    muted_by: Vec<String>,
    alerts: Vec<AlertRow>,
    /// Prefill for "silence the whole group": its labels as matchers.
    silence_link: String,
}

#[derive(Template)]
#[template(path = "ui/alerts.html")]
struct AlertsPage {
    p: String,
    nav: &'static str,
    filter: String,
    silenced: bool,
    inhibited: bool,
    error: String,
    groups: Vec<GroupRow>,
    alert_count: usize,
}

/// The page's query: `filter` (matchers), `silenced` and `inhibited` (checkboxes: present
/// and not `false` means shown).
struct Query {
    filter: String,
    silenced: bool,
    inhibited: bool,
}

fn parse_query(q: Option<&str>) -> Query {
    let mut out = Query {
        filter: String::new(),
        silenced: false,
        inhibited: false,
    };
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
        match &*k {
            "filter" => out.filter = v.into_owned(),
            "silenced" => out.silenced = v != "false",
            "inhibited" => out.inhibited = v != "false",
            _ => {}
        }
    }
    out
}

/// GET `/` and `/alerts`.
pub(super) async fn page(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let q = parse_query(q.as_deref());
    let p = prefix(&st);
    let mut page = AlertsPage {
        p: p.clone(),
        nav: "alerts",
        filter: q.filter.clone(),
        silenced: q.silenced,
        inhibited: q.inhibited,
        error: String::new(),
        groups: Vec::new(),
        alert_count: 0,
    };
    let matchers = match parse_matchers(&q.filter) {
        Ok(m) => m,
        Err(e) => {
            page.error = e.to_string();
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let now = st.clock.now();
    let f = Filter::new(matchers, q.silenced, q.inhibited);
    st.visit_groups(&f, |g| {
        let link: Vec<String> = g
            .info
            .labels
            .iter()
            .map(|l| {
                let m = flint_model::Matcher::equal(l.name.to_string(), l.value.to_string());
                format!("matcher={}", enc(&m.to_string()))
            })
            .collect();
        page.alert_count += g.alerts.len();
        page.groups.push(GroupRow {
            receiver: g.info.receiver.clone(),
            labels: pairs(&g.info.labels),
            muted_by: g.muted_by,
            alerts: g
                .alerts
                .iter()
                .map(|(a, s)| AlertRow::new(a, s, &p, now))
                .collect(),
            silence_link: format!("{p}/silences/new?{}", link.join("&")),
        });
    });
    render(StatusCode::OK, &page)
}
