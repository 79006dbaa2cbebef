//! The silence form: `/silences/new` and `/silences/{id}/edit` (GET shows it, POST previews
//! or stores). Storing goes through the same checks as `POST /api/v2/silences`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use flint_model::{MatchType, Matcher};

use super::layout::{AlertRow, enc, prefix, render, see_other};
use super::silences::not_found;
use crate::api::ApiState;
use crate::api::silences::StoreError;
use crate::config::duration::Duration;
use crate::matchers::{matches_all, parse_matcher, parse_matchers};
use crate::silence::{Silence, SilenceState};
use crate::time::{Millis, ZERO_TIME, format_rfc3339, parse_rfc3339};

/// Empty matcher rows the form always offers (more with the page's script).
const SPARE_ROWS: usize = 3;

/// The operators in the matcher editor.
const OPS: [&str; 4] = ["=", "!=", "=~", "!~"];

/// One row of the matcher editor, as entered.
#[derive(Debug, Clone, Default, PartialEq)]
struct MatcherRow {
    name: String,
    op: String,
    value: String,
}

impl MatcherRow {
    fn of(m: &Matcher) -> MatcherRow {
        MatcherRow {
            name: m.name().to_string(),
            op: m.match_type().as_str().to_string(),
            value: m.value().to_string(),
        }
    }

    /// Whether the operator select shows `op`.
    fn is(&self, op: &str) -> bool {
        self.op == op || (self.op.is_empty() && op == "=")
    }

    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.value.is_empty()
    }
}

/// What the form holds, as entered (re-rendered unchanged on errors).
#[derive(Debug, Clone, Default)]
struct Values {
    rows: Vec<MatcherRow>,
    starts_at: String,
    ends_at: String,
    duration: String,
    created_by: String,
    comment: String,
}

impl Values {
    /// The defaults of a new silence with `matchers`.
    fn new(matchers: &[Matcher]) -> Values {
        Values {
            rows: matchers.iter().map(MatcherRow::of).collect(),
            duration: "2h".into(),
            ..Values::default()
        }
    }

    /// An existing silence; an expired one is recreated from now for two hours.
    fn of(s: &Silence, now: Millis) -> Values {
        let mut v = Values::new(&s.matchers);
        v.created_by = s.created_by.clone();
        v.comment = s.comment.clone();
        if s.state(now) != SilenceState::Expired {
            v.starts_at = format_rfc3339(s.starts_at);
            v.ends_at = format_rfc3339(s.ends_at);
            v.duration.clear();
        }
        v
    }

    /// Parses a submitted form body (repeated `matcher_*` fields line up by position).
    fn parse(body: &[u8]) -> (Values, String) {
        let mut v = Values::default();
        let (mut names, mut ops, mut vals) = (Vec::new(), Vec::new(), Vec::new());
        let mut action = String::new();
        for (k, val) in url::form_urlencoded::parse(body) {
            let val = val.into_owned();
            match &*k {
                "matcher_name" => names.push(val),
                "matcher_op" => ops.push(val),
                "matcher_value" => vals.push(val),
                "starts_at" => v.starts_at = val,
                "ends_at" => v.ends_at = val,
                "duration" => v.duration = val,
                "created_by" => v.created_by = val,
                "comment" => v.comment = val,
                "action" => action = val,
                _ => {}
            }
        }
        let n = names.len().max(ops.len()).max(vals.len());
        let at = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
        v.rows = (0..n)
            .map(|i| MatcherRow {
                name: at(&names, i),
                op: at(&ops, i),
                value: at(&vals, i),
            })
            .filter(|r| !r.is_blank())
            .collect();
        (v, action)
    }

    /// The matchers of the non-blank rows.
    fn matchers(&self) -> Result<Vec<Matcher>, String> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let name = r.name.trim();
                if name.is_empty() {
                    return Err(format!("matcher {}: the label name is empty", i + 1));
                }
                let t = match r.op.as_str() {
                    "=" | "" => MatchType::Equal,
                    "!=" => MatchType::NotEqual,
                    "=~" => MatchType::RegexMatch,
                    "!~" => MatchType::RegexNoMatch,
                    op => return Err(format!("matcher {}: unknown operator {op:?}", i + 1)),
                };
                Matcher::new(t, name, r.value.clone())
                    .map_err(|e| format!("matcher {}: {e}", i + 1))
            })
            .collect()
    }

    /// Start and end: an empty start is `now`; the end is either given or start + duration.
    fn times(&self, now: Millis) -> Result<(Millis, Millis), String> {
        let time = |s: &str, what: &str| {
            parse_rfc3339(s.trim()).ok_or_else(|| {
                format!("{what} {s:?} is not an RFC 3339 time like 2024-05-01T12:00:00Z")
            })
        };
        let starts = match self.starts_at.trim() {
            "" => now,
            s => time(s, "start")?,
        };
        match (self.ends_at.trim(), self.duration.trim()) {
            ("", "") => Err("set an end time or a duration".into()),
            (e, "") => time(e, "end"),
            ("", d) => {
                let d = Duration::parse(d).map_err(|e| format!("duration: {e}"))?;
                Ok(starts.saturating_add(d.std().as_millis() as Millis))
            }
            _ => Err("set either an end time or a duration, not both".into()),
        }
        .map(|ends| (starts, ends))
    }

    /// The silence to store, with upstream UI's required fields.
    fn silence(&self, id: &str, now: Millis) -> Result<Silence, String> {
        let matchers = self.matchers()?;
        let (starts_at, ends_at) = self.times(now)?;
        if self.created_by.trim().is_empty() {
            return Err("created by is required".into());
        }
        if self.comment.trim().is_empty() {
            return Err("comment is required".into());
        }
        Ok(Silence {
            id: id.to_string(),
            matchers,
            starts_at,
            ends_at,
            updated_at: ZERO_TIME,
            created_by: self.created_by.trim().to_string(),
            comment: self.comment.clone(),
        })
    }

    /// The rows to show: the entered ones and [`SPARE_ROWS`] empty ones.
    fn padded(mut self) -> Values {
        self.rows
            .extend(std::iter::repeat_n(MatcherRow::default(), SPARE_ROWS));
        self
    }
}

#[derive(Template)]
#[template(path = "ui/silence_form.html")]
struct FormPage {
    p: String,
    nav: &'static str,
    /// The silence being edited (empty for a new one).
    id: String,
    /// Where the form posts.
    action: String,
    v: Values,
    ops: [&'static str; 4],
    error: String,
    /// Whether the preview ran (its list may be empty).
    previewed: bool,
    preview: Vec<AlertRow>,
}

fn page(st: &ApiState, id: &str, v: Values) -> FormPage {
    let p = prefix(st);
    FormPage {
        action: if id.is_empty() {
            format!("{p}/silences/new")
        } else {
            format!("{p}/silences/{}/edit", enc(id))
        },
        p,
        nav: if id.is_empty() { "new" } else { "silences" },
        id: id.to_string(),
        v: v.padded(),
        ops: OPS,
        error: String::new(),
        previewed: false,
        preview: Vec::new(),
    }
}

/// GET `/silences/new`: `matcher=` (repeated) or `filter=` prefill the matchers.
pub(super) async fn new_form(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let mut matchers = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        let got = match &*k {
            "matcher" => parse_matcher(&v).map(|m| vec![m]),
            "filter" => parse_matchers(&v),
            _ => continue,
        };
        match got {
            Ok(m) => matchers.extend(m),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let mut pg = page(&st, "", Values::new(&matchers));
    pg.error = errors.join("; ");
    render(StatusCode::OK, &pg)
}

/// GET `/silences/{id}/edit`.
pub(super) async fn edit_form(State(st): State<ApiState>, Path(id): Path<String>) -> Response {
    match st.silences.get(&id) {
        Some(s) => render(
            StatusCode::OK,
            &page(&st, &id, Values::of(&s, st.clock.now())),
        ),
        None => not_found(&st, &id),
    }
}

/// POST `/silences/new`.
pub(super) async fn submit_new(State(st): State<ApiState>, body: Bytes) -> Response {
    submit(&st, "", &body)
}

/// POST `/silences/{id}/edit`.
pub(super) async fn submit_edit(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if st.silences.get(&id).is_none() {
        return not_found(&st, &id);
    }
    submit(&st, &id, &body)
}

/// Previews (`action=preview`) or stores the silence (anything else, `action=create`).
fn submit(st: &ApiState, id: &str, body: &[u8]) -> Response {
    let (v, action) = Values::parse(body);
    let now = st.clock.now();
    if action == "preview" {
        return preview(st, id, v, now);
    }
    let stored = v
        .silence(id, now)
        .map_err(StoreError::Invalid)
        .and_then(|s| st.store_silence(s));
    match stored {
        Ok(new_id) => see_other(&format!("{}/silences/{}", prefix(st), enc(&new_id))),
        Err(e) => {
            let status = match e {
                StoreError::NotFound(_) => StatusCode::NOT_FOUND,
                StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            };
            let mut pg = page(st, id, v);
            pg.error = e.to_string();
            render(status, &pg)
        }
    }
}

/// Re-renders the form with the firing alerts the matchers would mute.
fn preview(st: &ApiState, id: &str, v: Values, now: Millis) -> Response {
    let matchers = v.matchers();
    let mut pg = page(st, id, v);
    match matchers {
        Ok(ms) if ms.is_empty() => pg.error = "add a matcher to preview the alerts".into(),
        Ok(ms) => {
            let mut firing = st.store.list();
            firing.retain(|a| !a.resolved_at(now) && matches_all(&ms, &a.labels));
            firing.sort_by(|a, b| a.labels.cmp(&b.labels));
            st.refresh_status(&firing, now);
            let p = pg.p.clone();
            pg.preview = st.marker.with_statuses(|status| {
                firing
                    .iter()
                    .map(|a| AlertRow::new(a, &status(a.fingerprint), &p, now))
                    .collect()
            });
            pg.previewed = true;
        }
        Err(e) => pg.error = e,
    }
    let status = if pg.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(status, &pg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_700_000_000_000;

    fn form(body: &str) -> Values {
        Values::parse(body.as_bytes()).0
    }

    #[test]
    fn rows_line_up_and_blank_rows_drop() {
        let v = form(
            "matcher_name=a&matcher_op=%3D~&matcher_value=b.*&matcher_name=&matcher_op=%3D&matcher_value=&matcher_name=c&matcher_op=!%3D&matcher_value=d&action=create",
        );
        assert_eq!(v.rows.len(), 2);
        let ms = v.matchers().expect("valid");
        assert_eq!(
            ms.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            ["a=~\"b.*\"", "c!=\"d\""]
        );
        assert_eq!(Values::parse(b"action=preview").1, "preview");
    }

    #[test]
    fn bad_matchers_are_reported_by_row() {
        let e = form("matcher_name=a&matcher_op=%3D~&matcher_value=(")
            .matchers()
            .expect_err("bad regex");
        assert!(e.starts_with("matcher 1: "), "{e}");
        let e = form("matcher_name=&matcher_op=%3D&matcher_value=x")
            .matchers()
            .expect_err("no name");
        assert_eq!(e, "matcher 1: the label name is empty");
        let e = form("matcher_name=a&matcher_op=%3C&matcher_value=x")
            .matchers()
            .expect_err("op");
        assert_eq!(e, "matcher 1: unknown operator \"<\"");
    }

    #[test]
    fn times_from_end_or_duration() {
        let v = form("duration=2h");
        assert_eq!(v.times(NOW), Ok((NOW, NOW + 7_200_000)));
        let v = form("starts_at=2030-01-01T00:00:00Z&ends_at=2030-01-01T01:00:00.5Z");
        let (s, e) = v.times(NOW).expect("times");
        assert_eq!(e - s, 3_600_500);
        assert_eq!(
            form("").times(NOW),
            Err("set an end time or a duration".into())
        );
        assert!(form("ends_at=x&duration=1h").times(NOW).is_err());
        assert!(
            form("starts_at=tomorrow&duration=1h")
                .times(NOW)
                .is_err_and(|e| e.contains("RFC 3339"))
        );
        assert!(form("duration=2x").times(NOW).is_err());
    }

    #[test]
    fn author_and_comment_are_required() {
        let base = "matcher_name=a&matcher_op=%3D&matcher_value=b&duration=1h";
        assert_eq!(
            form(base).silence("", NOW).map(|_| ()),
            Err("created by is required".into())
        );
        assert_eq!(
            form(&format!("{base}&created_by=me"))
                .silence("", NOW)
                .map(|_| ()),
            Err("comment is required".into())
        );
        let s = form(&format!("{base}&created_by=me&comment=why"))
            .silence("x", NOW)
            .expect("valid");
        assert_eq!((s.id.as_str(), s.ends_at - s.starts_at), ("x", 3_600_000));
    }

    #[test]
    fn edit_values_round_trip() {
        let s = Silence {
            id: "id".into(),
            matchers: vec![Matcher::equal("a", "b")],
            starts_at: NOW - 1000,
            ends_at: NOW + 1000,
            updated_at: NOW,
            created_by: "me".into(),
            comment: "c".into(),
        };
        let v = Values::of(&s, NOW);
        assert_eq!(v.times(NOW), Ok((NOW - 1000, NOW + 1000)));
        assert_eq!(v.rows, vec![MatcherRow::of(&s.matchers[0])]);
        // An expired silence is offered again from now.
        let v = Values::of(&s, NOW + 5000);
        assert_eq!(
            v.times(NOW + 5000),
            Ok((NOW + 5000, NOW + 5000 + 7_200_000))
        );
    }
}
