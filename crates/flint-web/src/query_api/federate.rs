//! `/federate`: the newest sample (within the lookback delta) of every series matching the
//! `match[]` selectors, as an exposition in the negotiated format, with the external labels
//! (and an empty `instance`) added where the series lacks them, as upstream does.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flint_expfmt::family::{Metric, MetricValue};
use flint_expfmt::{MetricFamily, negotiate};
use flint_model::{Labels, Matcher, MetricType};
use flint_storage::merge::MergeSeriesSet;
use flint_storage::{Querier, SelectHints, SeriesSet, ValueType};

use super::form::Form;
use super::{QueryApi, blocking, now_ms};

/// `GET /federate`.
pub async fn federate(State(api): State<QueryApi>, headers: HeaderMap, form: Form) -> Response {
    let mut sets = Vec::new();
    for s in form.values("match[]") {
        match flint_promql::parser::parse_metric_selector(s) {
            Ok(m) => sets.push(m),
            Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
        }
    }
    let format = negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let mut external: BTreeMap<String, String> = api.external_labels().into_iter().collect();
    external.entry("instance".into()).or_default();
    blocking(move || {
        let maxt = now_ms();
        let lookback = api.opts().engine.options().lookback_delta.as_millis() as i64;
        let mint = maxt - lookback;
        let samples = match api.opts().storage.querier(mint, maxt) {
            Ok(q) => latest(q.as_ref(), &sets, mint, maxt),
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        };
        let families = families(samples, &external);
        let mut body = Vec::new();
        let mut enc = flint_expfmt::encode::encoder_for(format, &mut body);
        flint_expfmt::family::encode_families(&families, enc.as_mut());
        drop(enc);
        let mut resp = (StatusCode::OK, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        resp
    })
    .await
}

/// The newest float sample at or before `maxt` of every matching series (stale markers
/// excluded), sorted by metric name then labels.
fn latest(q: &dyn Querier, sets: &[Vec<Matcher>], mint: i64, maxt: i64) -> Vec<(Labels, i64, f64)> {
    if sets.is_empty() {
        return Vec::new();
    }
    let hints = SelectHints {
        start: mint,
        end: maxt,
        ..SelectHints::default()
    };
    let parts: Vec<Box<dyn SeriesSet + '_>> = sets
        .iter()
        .map(|m| q.select(true, Some(&hints), m))
        .collect();
    let mut set = MergeSeriesSet::new(parts);
    let mut out = Vec::new();
    while let Some(Ok(s)) = set.next_series() {
        let mut it = s.iterator();
        let mut last = None;
        let mut vt = it.seek(mint);
        while vt != ValueType::None {
            let t = it.at_t();
            if t > maxt {
                break;
            }
            // Native histograms are not federated in the text formats; a newer histogram
            // sample hides an older float one, as upstream's "latest sample" does.
            last = (vt == ValueType::Float).then(|| it.at());
            vt = it.next();
        }
        if let Some((t, v)) = last
            && !flint_model::value::is_stale_nan(v)
        {
            out.push((s.labels().clone(), t, v));
        }
    }
    out.sort_by(|a, b| {
        a.0.metric_name()
            .cmp(&b.0.metric_name())
            .then_with(|| a.0.cmp(&b.0))
    });
    out
}

/// Untyped families, one per metric name; nameless series are skipped.
fn families(
    samples: Vec<(Labels, i64, f64)>,
    external: &BTreeMap<String, String>,
) -> Vec<MetricFamily> {
    let mut out: Vec<MetricFamily> = Vec::new();
    for (labels, t, v) in samples {
        let Some(name) = labels.metric_name() else {
            continue;
        };
        if out.last().is_none_or(|f| f.name != name) {
            out.push(MetricFamily {
                name: name.to_owned(),
                metric_type: MetricType::Unknown,
                ..MetricFamily::default()
            });
        }
        let mut pairs: Vec<(String, String)> = labels
            .iter()
            .filter(|l| &*l.name != "__name__")
            .map(|l| (l.name.to_string(), l.value.to_string()))
            .collect();
        for (k, v) in external {
            if !labels.contains(k) {
                pairs.push((k.clone(), v.clone()));
            }
        }
        if let Some(f) = out.last_mut() {
            f.metrics.push(Metric {
                labels: pairs,
                timestamp_ms: Some(t),
                value: MetricValue::Unknown(v),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_with_external_labels() {
        let ext = BTreeMap::from([
            ("instance".to_string(), String::new()),
            ("dc".into(), "x".into()),
        ]);
        let samples = vec![
            (
                Labels::from_pairs([("__name__", "a"), ("k", "v")]),
                1000,
                1.5,
            ),
            (
                Labels::from_pairs([("__name__", "a"), ("dc", "own")]),
                1000,
                2.0,
            ),
            (
                Labels::from_pairs([("__name__", "b"), ("instance", "h")]),
                2000,
                f64::NAN,
            ),
            (Labels::from_pairs([("k", "nameless")]), 2000, 1.0),
        ];
        let fams = families(samples, &ext);
        let mut body = Vec::new();
        let mut enc = flint_expfmt::encode::encoder_for(flint_expfmt::Format::Text, &mut body);
        flint_expfmt::family::encode_families(&fams, enc.as_mut());
        drop(enc);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "# TYPE a untyped\na{k=\"v\",dc=\"x\",instance=\"\"} 1.5 1000\na{dc=\"own\",instance=\"\"} 2 1000\n# TYPE b untyped\nb{instance=\"h\",dc=\"x\"} NaN 2000\n"
        );
    }
}
