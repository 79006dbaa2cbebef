//! What every page shares: rendering, redirects, links, and the alert view model.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use flint_model::{Labels, Matcher};

use crate::alert::Alert;
use crate::api::ApiState;
use crate::store::AlertStatus;
use crate::time::{Millis, format_rfc3339};

/// The path links start with (the external URL's path, `""` for the root).
pub(super) fn prefix(st: &ApiState) -> String {
    super::url_path(&st.external_url).to_string()
}

/// A rendered template with `status` (a rendering failure is a 500 with its reason).
pub(super) fn render<T: askama::Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => {
            tracing::error!(err = %e, "Rendering a UI page failed.");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("rendering the page: {e}"),
            )
                .into_response()
        }
    }
}

/// `303 See Other` to `location` (what a form POST answers on success).
pub(super) fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Percent-encodes a query parameter value.
pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A label set as `(name, value)` pairs for templates.
pub(super) fn pairs(l: &Labels) -> Vec<(String, String)> {
    l.iter()
        .map(|x| (x.name.to_string(), x.value.to_string()))
        .collect()
}

/// Matchers as `name="value"` strings for templates.
pub(super) fn matcher_strings(ms: &[Matcher]) -> Vec<String> {
    ms.iter().map(Matcher::to_string).collect()
}

/// A span of milliseconds as `3d4h`, `2h5m`, `4m10s` or `12s`.
pub(super) fn human(ms: Millis) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86400, s % 86400 / 3600),
    }
}

/// `in 2h5m` or `3m ago` relative to `now`.
pub(super) fn relative(t: Millis, now: Millis) -> String {
    if t >= now {
        format!("in {}", human(t - now))
    } else {
        format!("{} ago", human(now - t))
    }
}

/// One alert as the templates show it.
pub(super) struct AlertRow {
    /// Hex fingerprint.
    pub fingerprint: String,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    /// RFC 3339.
    pub starts_at: String,
    /// `3m ago`.
    pub age: String,
    /// `active`, `suppressed` or `unprocessed`.
    pub state: &'static str,
    /// (silence ID, link to its page).
    pub silenced_by: Vec<(String, String)>,
    /// Fingerprints of the inhibiting alerts.
    pub inhibited_by: Vec<String>,
    /// The alert's source, when it is an http(s) link.
    pub generator_url: String,
    /// The new-silence form prefilled with the alert's labels.
    pub silence_link: String,
}

impl AlertRow {
    /// The view of `a` in state `s`; links start with `p`.
    pub(super) fn new(a: &Arc<Alert>, s: &AlertStatus, p: &str, now: Millis) -> AlertRow {
        let query: Vec<String> = a
            .labels
            .iter()
            .map(|l| {
                let m = Matcher::equal(l.name.to_string(), l.value.to_string());
                format!("matcher={}", enc(&m.to_string()))
            })
            .collect();
        let url = &*a.generator_url;
        AlertRow {
            fingerprint: a.fingerprint.to_hex(),
            labels: pairs(&a.labels),
            annotations: a
                .annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            starts_at: format_rfc3339(a.starts_at),
            age: relative(a.starts_at, now),
            state: s.state(),
            silenced_by: s
                .silenced_by
                .iter()
                .map(|id| (id.clone(), format!("{p}/silences/{}", enc(id))))
                .collect(),
            inhibited_by: s.inhibited_by.clone(),
            generator_url: if url.starts_with("http://") || url.starts_with("https://") {
                url.to_string()
            } else {
                String::new()
            },
            silence_link: format!("{p}/silences/new?{}", query.join("&")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_spans() {
        assert_eq!(human(12_000), "12s");
        assert_eq!(human(250_000), "4m10s");
        assert_eq!(human(7_500_000), "2h5m");
        assert_eq!(human(3 * 86_400_000 + 4 * 3_600_000), "3d4h");
        assert_eq!(relative(1000, 61_000), "1m0s ago");
        assert_eq!(relative(61_000, 1000), "in 1m0s");
    }
}
