//! `/silences` (the list), `/silences/{id}` (one silence and what it mutes) and
//! `POST /silences/{id}/expire`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::layout::{AlertRow, enc, matcher_strings, prefix, relative, render, see_other};
use crate::api::ApiState;
use crate::api::silences::{matches_filter, sort_silences};
use crate::error::Error;
use crate::matchers::{matches_all, parse_matchers};
use crate::silence::{Silence, SilenceState};
use crate::time::{Millis, format_rfc3339};

/// One silence as the templates show it.
pub(super) struct SilenceRow {
    pub id: String,
    pub state: &'static str,
    pub matchers: Vec<String>,
    pub created_by: String,
    pub comment: String,
    pub starts_at: String,
    pub ends_at: String,
    pub updated_at: String,
    /// `ends in 2h` / `ended 3m ago` / `starts in 1h`.
    pub when: String,
    pub href: String,
    pub edit_href: String,
    pub expire_href: String,
}

impl SilenceRow {
    pub(super) fn new(s: &Silence, p: &str, now: Millis) -> SilenceRow {
        let state = s.state(now);
        let href = format!("{p}/silences/{}", enc(&s.id));
        SilenceRow {
            id: s.id.clone(),
            state: state.as_str(),
            matchers: matcher_strings(&s.matchers),
            created_by: s.created_by.clone(),
            comment: s.comment.clone(),
            starts_at: format_rfc3339(s.starts_at),
            ends_at: format_rfc3339(s.ends_at),
            updated_at: format_rfc3339(s.updated_at),
            when: match state {
                SilenceState::Pending => format!("starts {}", relative(s.starts_at, now)),
                SilenceState::Active => format!("ends {}", relative(s.ends_at, now)),
                SilenceState::Expired => format!("ended {}", relative(s.ends_at, now)),
            },
            edit_href: format!("{href}/edit"),
            expire_href: format!("{href}/expire"),
            href,
        }
    }

    /// Whether the silence can still be expired.
    pub(super) fn expirable(&self) -> bool {
        self.state != "expired"
    }
}

#[derive(Template)]
#[template(path = "ui/silences.html")]
struct ListPage {
    p: String,
    nav: &'static str,
    /// The `filter` query parameter (matchers the silences' matchers must satisfy).
    filter: String,
    error: String,
    /// (state, heading, silences), in the order active, pending, expired.
    sections: Vec<(&'static str, &'static str, Vec<SilenceRow>)>,
}

/// GET `/silences` (`?filter=` as `GET /api/v2/silences` takes it).
pub(super) async fn list(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let p = prefix(&st);
    let now = st.clock.now();
    let filter = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (matchers, error) = match parse_matchers(&filter) {
        Ok(m) => (m, String::new()),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let mut sils = st.silences.list();
    sils.retain(|s| error.is_empty() && matches_filter(s, &matchers));
    sort_silences(&mut sils, now);
    let mut sections = vec![
        ("active", "Active", Vec::new()),
        ("pending", "Pending", Vec::new()),
        ("expired", "Expired", Vec::new()),
    ];
    for s in &sils {
        let i = match s.state(now) {
            SilenceState::Active => 0,
            SilenceState::Pending => 1,
            SilenceState::Expired => 2,
        };
        sections[i].2.push(SilenceRow::new(s, &p, now));
    }
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(
        status,
        &ListPage {
            p,
            nav: "silences",
            filter,
            error,
            sections,
        },
    )
}

#[derive(Template)]
#[template(path = "ui/silence.html")]
struct ViewPage {
    p: String,
    nav: &'static str,
    s: SilenceRow,
    /// Whether `alerts` are muted by the silence now (active) or only match it (pending).
    muting: bool,
    alerts: Vec<AlertRow>,
}

#[derive(Template)]
#[template(path = "ui/not_found.html")]
struct NotFound {
    p: String,
    nav: &'static str,
    id: String,
}

/// The 404 page for an unknown silence.
pub(super) fn not_found(st: &ApiState, id: &str) -> Response {
    render(
        StatusCode::NOT_FOUND,
        &NotFound {
            p: prefix(st),
            nav: "silences",
            id: id.to_string(),
        },
    )
}

/// GET `/silences/{id}`.
pub(super) async fn view(State(st): State<ApiState>, Path(id): Path<String>) -> Response {
    let Some(sil) = st.silences.get(&id) else {
        return not_found(&st, &id);
    };
    let p = prefix(&st);
    let now = st.clock.now();
    let state = sil.state(now);
    let mut alerts = Vec::new();
    if state != SilenceState::Expired {
        let mut firing = st.store.list();
        firing.retain(|a| !a.resolved_at(now) && matches_all(&sil.matchers, &a.labels));
        firing.sort_by(|a, b| a.labels.cmp(&b.labels));
        st.refresh_status(&firing, now);
        st.marker.with_statuses(|status| {
            for a in &firing {
                let s = status(a.fingerprint);
                if state == SilenceState::Pending || s.silenced_by.contains(&sil.id) {
                    alerts.push(AlertRow::new(a, &s, &p, now));
                }
            }
        });
    }
    render(
        StatusCode::OK,
        &ViewPage {
            s: SilenceRow::new(&sil, &p, now),
            p,
            nav: "silences",
            muting: state == SilenceState::Active,
            alerts,
        },
    )
}

/// POST `/silences/{id}/expire`, then back to the list.
pub(super) async fn expire(State(st): State<ApiState>, Path(id): Path<String>) -> Response {
    match st.silences.expire(&id) {
        Ok(()) => see_other(&format!("{}/silences", prefix(&st))),
        Err(Error::SilenceNotFound(_)) => not_found(&st, &id),
        // Already expired: nothing to do, the list shows it.
        Err(e) => {
            tracing::debug!(id = %id, err = %e, "Expiring a silence from the UI failed.");
            see_other(&format!("{}/silences", prefix(&st)))
        }
    }
}
