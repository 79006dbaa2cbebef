//! `/api/v2/silences` and `/api/v2/silence/{id}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flint_model::{MatchType, Matcher};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiState, bad_request};
use crate::error::Error;
use crate::matchers::parse_matchers;
use crate::silence::{Silence, SilenceState};
use crate::time::{ZERO_TIME, format_rfc3339, parse_rfc3339};

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiMatcher {
    name: String,
    value: String,
    is_regex: bool,
    #[serde(default = "yes")]
    is_equal: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence {
    #[serde(default)]
    id: String,
    matchers: Vec<ApiMatcher>,
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
}

fn to_matcher(m: ApiMatcher) -> Result<Matcher, String> {
    let t = match (m.is_regex, m.is_equal) {
        (false, true) => MatchType::Equal,
        (false, false) => MatchType::NotEqual,
        (true, true) => MatchType::RegexMatch,
        (true, false) => MatchType::RegexNoMatch,
    };
    Matcher::new(t, m.name, m.value).map_err(|e| e.to_string())
}

fn gettable(s: &Silence, now: i64) -> serde_json::Value {
    let matchers: Vec<ApiMatcher> = s
        .matchers
        .iter()
        .map(|m| ApiMatcher {
            name: m.name().to_string(),
            value: m.value().to_string(),
            is_regex: m.match_type().is_regex(),
            is_equal: matches!(m.match_type(), MatchType::Equal | MatchType::RegexMatch),
        })
        .collect();
    json!({
        "id": s.id,
        "status": {"state": s.state(now).as_str()},
        "updatedAt": format_rfc3339(s.updated_at),
        "comment": s.comment,
        "createdBy": s.created_by,
        "endsAt": format_rfc3339(s.ends_at),
        "matchers": matchers,
        "startsAt": format_rfc3339(s.starts_at),
    })
}

/// Whether a silence has, for each filter matcher, a matcher on that label whose value the
/// filter accepts (upstream's `CheckSilenceMatchesFilterLabels`).
pub(crate) fn matches_filter(s: &Silence, filter: &[Matcher]) -> bool {
    filter.iter().all(|f| {
        s.matchers
            .iter()
            .any(|m| m.name() == f.name() && f.matches(m.value()))
    })
}

/// Sorts as `GET /api/v2/silences` answers: active first (soonest end first), then pending
/// (soonest start), then expired (latest end first).
pub(crate) fn sort_silences(sils: &mut [Silence], now: i64) {
    sils.sort_by(|a, b| {
        let (sa, sb) = (a.state(now), b.state(now));
        sa.cmp(&sb).then_with(|| match sa {
            SilenceState::Active => a.ends_at.cmp(&b.ends_at),
            SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
            SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
        })
    });
}

/// GET `/api/v2/silences`: active first (soonest end first), then pending (soonest start),
/// then expired (latest end first).
pub(super) async fn list(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let mut filter = Vec::new();
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        if k == "filter" {
            match parse_matchers(&v) {
                Ok(m) => filter.extend(m),
                Err(e) => return bad_request(&e.to_string()),
            }
        }
    }
    let now = st.clock.now();
    let mut sils: Vec<Silence> = st
        .silences
        .list()
        .into_iter()
        .filter(|s| matches_filter(s, &filter))
        .collect();
    sort_silences(&mut sils, now);
    Json(sils.iter().map(|s| gettable(s, now)).collect::<Vec<_>>()).into_response()
}

/// POST `/api/v2/silences`.
pub(super) async fn post(State(st): State<ApiState>, body: Bytes) -> Response {
    let p: PostableSilence = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(&format!("parsing silence body: {e}")),
    };
    let matchers = match p
        .matchers
        .into_iter()
        .map(to_matcher)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(m) => m,
        Err(e) => {
            return bad_request(&format!(
                "failed to convert API silence to internal silence: {e}"
            ));
        }
    };
    let (Some(starts), Some(ends)) = (parse_rfc3339(&p.starts_at), parse_rfc3339(&p.ends_at))
    else {
        return bad_request(
            "failed to convert API silence to internal silence: invalid timestamps",
        );
    };
    let sil = Silence {
        id: p.id,
        matchers,
        starts_at: starts,
        ends_at: ends,
        updated_at: ZERO_TIME,
        created_by: p.created_by,
        comment: p.comment,
    };
    match st.store_silence(sil) {
        Ok(id) => Json(json!({"silenceID": id})).into_response(),
        Err(StoreError::NotFound(e)) => (StatusCode::NOT_FOUND, Json(e)).into_response(),
        Err(StoreError::Invalid(e)) => bad_request(&e),
    }
}

/// Why a silence was not stored.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// The silence to update does not exist (404).
    NotFound(String),
    /// Validation failed (400); upstream's message.
    Invalid(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(m) | StoreError::Invalid(m) => f.write_str(m),
        }
    }
}

impl ApiState {
    /// Creates or updates a silence as `POST /api/v2/silences` does: upstream's checks of the
    /// time range, then the store's validation and update semantics (an update that cannot
    /// be applied in place expires the old silence and creates a new ID).
    pub(crate) fn store_silence(&self, sil: Silence) -> Result<String, StoreError> {
        if sil.starts_at >= sil.ends_at {
            return Err(StoreError::Invalid(
                "Failed to create silence: start time must be before end time".into(),
            ));
        }
        if sil.ends_at < self.clock.now() {
            return Err(StoreError::Invalid(
                "Failed to create silence: end time can't be in the past".into(),
            ));
        }
        self.silences.set(sil).map_err(|e| match e {
            Error::SilenceNotFound(_) => StoreError::NotFound(e.to_string()),
            e => StoreError::Invalid(e.to_string()),
        })
    }
}

/// GET `/api/v2/silence/{id}`.
pub(super) async fn get(State(st): State<ApiState>, Path(id): Path<String>) -> Response {
    match st.silences.get(&id) {
        Some(s) => Json(gettable(&s, st.clock.now())).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// DELETE `/api/v2/silence/{id}`.
pub(super) async fn delete(State(st): State<ApiState>, Path(id): Path<String>) -> Response {
    match st.silences.expire(&id) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(Error::SilenceNotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, Json(e.to_string())).into_response(),
    }
}
