//! `/api/v2/alerts` and `/api/v2/alerts/groups`.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use flint_model::{Labels, Matcher};
use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;

use super::{ApiState, bad_request, json};
use crate::alert::{Alert, Fingerprint};
use crate::matchers::{matches_all, parse_matchers};
use crate::time::{ZERO_TIME, parse_rfc3339};

/// Label or annotation pairs, borrowed from the request body where no unescaping is needed.
struct Pairs<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Pairs<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Pairs<'a>, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some((k, val)) = m.next_entry::<Borrowed<'a>, Borrowed<'a>>()? {
                    v.push((k.0, val.0));
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A string borrowed from the input when possible.
struct Borrowed<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Borrowed<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Borrowed<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Borrowed<'a>, E> {
                Ok(Borrowed(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Borrowed<'a>, E> {
                Ok(Borrowed(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Borrowed<'a>, E> {
                Ok(Borrowed(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct PostableAlert<'a> {
    #[serde(borrow)]
    labels: Pairs<'a>,
    #[serde(default, borrow)]
    annotations: Option<Pairs<'a>>,
    #[serde(default, rename = "startsAt")]
    starts_at: Option<String>,
    #[serde(default, rename = "endsAt")]
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL", borrow)]
    generator_url: Option<Borrowed<'a>>,
}

fn parse_time(s: &Option<String>, field: &str) -> Result<i64, String> {
    match s.as_deref() {
        None | Some("") => Ok(ZERO_TIME),
        Some(t) => parse_rfc3339(t)
            .ok_or_else(|| format!("{field} in body must be of type date-time: {t:?}")),
    }
}

/// POST `/api/v2/alerts`: validates each alert like upstream, stores the valid ones, and
/// answers 400 with the joined errors when any was invalid.
pub(super) async fn post(State(st): State<ApiState>, body: Bytes) -> Response {
    let posted: Vec<PostableAlert<'_>> = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(&format!("parsing alerts body: {e}")),
    };
    let now = st.clock.now();
    let resolve_timeout = st.resolve_timeout() as i64;
    let interner = st.store.interner();
    let mut valid = Vec::with_capacity(posted.len());
    let mut errors: Vec<String> = Vec::new();
    let (mut firing, mut resolved) = (0u64, 0u64);
    for p in posted {
        let starts = match parse_time(&p.starts_at, "startsAt") {
            Ok(t) => t,
            Err(e) => return bad_request(&e),
        };
        let ends = match parse_time(&p.ends_at, "endsAt") {
            Ok(t) => t,
            Err(e) => return bad_request(&e),
        };
        let (labels, annotations, generator_url) = interner.with(|intern| {
            let labels = Labels::from_pairs(p.labels.0.iter().map(|(k, v)| (intern(k), intern(v))));
            let annotations: std::sync::Arc<[_]> = p
                .annotations
                .as_ref()
                .map(|a| a.0.iter().map(|(k, v)| (intern(k), intern(v))).collect())
                .unwrap_or_else(|| std::sync::Arc::from(Vec::new()));
            let url = intern(p.generator_url.as_ref().map_or("", |u| &u.0));
            (labels, annotations, url)
        });
        let mut a = Alert {
            labels,
            annotations,
            starts_at: starts,
            ends_at: ends,
            generator_url,
            updated_at: now,
            timeout: false,
            fingerprint: Fingerprint(0),
        };
        if a.starts_at == ZERO_TIME {
            a.starts_at = if a.ends_at == ZERO_TIME {
                now
            } else {
                a.ends_at
            };
        }
        if a.ends_at == ZERO_TIME {
            a.timeout = true;
            a.ends_at = now + resolve_timeout;
        }
        if a.ends_at > now {
            firing += 1;
        } else {
            resolved += 1;
        }
        if let Err(e) = validate(&a) {
            st.metrics.alerts_invalid.inc();
            errors.push(e);
            continue;
        }
        a.fingerprint = Fingerprint::of(&a.labels);
        valid.push(a);
    }
    for (status, n) in [("firing", firing), ("resolved", resolved)] {
        if let Ok(c) = st.metrics.alerts_received.with_label_values(&[status]) {
            c.inc_by(n);
        }
    }
    st.store.put(valid);
    if !errors.is_empty() {
        return bad_request(&errors.join(";"));
    }
    StatusCode::OK.into_response()
}

/// Upstream's `Alert.Validate` (labels already dropped empty values, as upstream's API does).
fn validate(a: &Alert) -> Result<(), String> {
    if a.ends_at < a.starts_at {
        return Err("start time must be before end time".into());
    }
    for l in a.labels.iter() {
        if l.name.is_empty() {
            return Err("invalid label set: invalid name \"\"".into());
        }
    }
    if a.labels.is_empty() {
        return Err("at least one label pair required".into());
    }
    for (k, _) in a.annotations.iter() {
        if k.is_empty() {
            return Err("invalid annotations: invalid name \"\"".into());
        }
    }
    Ok(())
}

/// Filters shared by the alert endpoints and the UI.
pub(crate) struct Filter {
    matchers: Vec<Matcher>,
    receiver: Option<regex::Regex>,
    active: bool,
    silenced: bool,
    inhibited: bool,
    unprocessed: bool,
    muted: bool,
}

impl Filter {
    /// Keeps alerts matching `matchers`; silenced or inhibited ones only when asked.
    pub(crate) fn new(matchers: Vec<Matcher>, silenced: bool, inhibited: bool) -> Filter {
        Filter {
            matchers,
            receiver: None,
            active: true,
            silenced,
            inhibited,
            unprocessed: true,
            muted: true,
        }
    }

    /// Parses the API's query parameters (`filter`, `receiver`, `active`, `silenced`, ...).
    pub(super) fn parse(q: Option<&str>) -> Result<Filter, String> {
        let mut f = Filter::new(Vec::new(), true, true);
        for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            let flag = || {
                v.parse::<bool>()
                    .map_err(|_| format!("{k} in query must be of type boolean: {v:?}"))
            };
            match &*k {
                "filter" => f
                    .matchers
                    .extend(parse_matchers(&v).map_err(|e| e.to_string())?),
                "receiver" => {
                    f.receiver = Some(
                        regex::Regex::new(&format!("^(?:{v})$"))
                            .map_err(|e| format!("failed to parse receiver param: {e}"))?,
                    )
                }
                "active" => f.active = flag()?,
                "silenced" => f.silenced = flag()?,
                "inhibited" => f.inhibited = flag()?,
                "unprocessed" => f.unprocessed = flag()?,
                "muted" => f.muted = flag()?,
                _ => {}
            }
        }
        Ok(f)
    }

    fn keeps_status(&self, s: &crate::store::AlertStatus) -> bool {
        let state = s.state();
        !((!self.active && state == "active")
            || (!self.unprocessed && state == "unprocessed")
            || (!self.silenced && !s.silenced_by.is_empty())
            || (!self.inhibited && !s.inhibited_by.is_empty()))
    }
}

fn json_response(buf: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(buf),
    )
        .into_response()
}

/// GET `/api/v2/alerts`.
pub(super) async fn list(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let f = match Filter::parse(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let now = st.clock.now();
    let tree = st.dispatcher.tree();
    let mut alerts = st.store.list();
    alerts.retain(|a| !a.resolved_at(now));
    alerts.sort_unstable_by_key(|a| a.fingerprint.0);
    st.refresh_status(&alerts, now);
    let mut out = Vec::with_capacity(alerts.len() * 512 + 2);
    out.push(b'[');
    let mut first = true;
    st.marker.with_statuses(|status| {
        for a in &alerts {
            if a.resolved_at(now) || !matches_all(&f.matchers, &a.labels) {
                continue;
            }
            let routes = tree.matching(&a.labels);
            let mut receivers: Vec<&str> =
                routes.iter().map(|r| r.opts.receiver.as_str()).collect();
            receivers.dedup();
            if let Some(re) = &f.receiver
                && !receivers.iter().any(|r| re.is_match(r))
            {
                continue;
            }
            let s = status(a.fingerprint);
            if !f.keeps_status(&s) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            json::alert(&mut out, a, &receivers, &s, &[]);
        }
    });
    out.push(b']');
    json_response(out)
}

/// One aggregation group after filtering, as `GET /api/v2/alerts/groups` and the UI show it.
pub(crate) struct GroupView<'a> {
    /// The dispatcher's group.
    pub info: &'a crate::dispatch::GroupInfo,
    /// The alerts the filter keeps, with their state (never empty).
    pub alerts: Vec<(&'a Arc<Alert>, crate::store::AlertStatus)>,
    /// Time intervals muting the group.
    pub muted_by: Vec<String>,
}

impl ApiState {
    /// The dispatcher's aggregation groups sorted by (labels, receiver), silences and
    /// inhibitions evaluated now, filtered by `f`; `visit` sees each group with alerts left.
    pub(crate) fn visit_groups(&self, f: &Filter, mut visit: impl FnMut(GroupView<'_>)) {
        let now = self.clock.now();
        let mut groups = self.dispatcher.groups();
        groups.sort_by(|a, b| (&a.labels, &a.receiver).cmp(&(&b.labels, &b.receiver)));
        for g in &groups {
            self.refresh_status(&g.alerts, now);
        }
        self.marker.with_statuses(|status| {
            for g in &groups {
                if let Some(re) = &f.receiver
                    && !re.is_match(&g.receiver)
                {
                    continue;
                }
                let muted_by = self.marker.group_muted_by(&g.route_id, &g.group_key);
                if !f.muted && !muted_by.is_empty() {
                    continue;
                }
                let alerts: Vec<_> = g
                    .alerts
                    .iter()
                    .filter(|a| !a.resolved_at(now) && matches_all(&f.matchers, &a.labels))
                    .map(|a| (a, status(a.fingerprint)))
                    .filter(|(_, s)| f.keeps_status(s))
                    .collect();
                if !alerts.is_empty() {
                    visit(GroupView {
                        info: g,
                        alerts,
                        muted_by,
                    });
                }
            }
        });
    }
}

/// GET `/api/v2/alerts/groups`.
pub(super) async fn groups(State(st): State<ApiState>, RawQuery(q): RawQuery) -> Response {
    let f = match Filter::parse(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let mut out = Vec::new();
    out.push(b'[');
    let mut first_group = true;
    st.visit_groups(&f, |g| {
        if !first_group {
            out.push(b',');
        }
        first_group = false;
        out.extend_from_slice(b"{\"alerts\":[");
        for (i, (a, s)) in g.alerts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json::alert(&mut out, a, &[g.info.receiver.as_str()], s, &g.muted_by);
        }
        out.extend_from_slice(b"],\"labels\":");
        json::pairs(
            &mut out,
            g.info.labels.iter().map(|l| (&*l.name, &*l.value)),
        );
        out.extend_from_slice(b",\"receiver\":{\"name\":");
        json::str(&mut out, &g.info.receiver);
        out.extend_from_slice(b"}}");
    });
    out.push(b']');
    json_response(out)
}
