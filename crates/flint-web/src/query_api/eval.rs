//! `/api/v1/query` and `/api/v1/query_range`.

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use flint_promql::{QueryOptions, QueryResult, QueryValue};
use tokio_util::sync::CancellationToken;

use super::form::Form;
use super::params::{
    duration_param, invalid_param, limit_param, parse_duration, parse_time, time_param,
};
use super::respond::{self, Notes};
use super::result_json::write_query_data;
use super::{QueryApi, blocking, engine_error, now_ms};
use crate::api::ApiError;

/// Most points a range query may return per series.
pub(crate) const MAX_POINTS: i128 = 11_000;
/// Most warnings (and infos) an answer lists.
const MAX_ANNOTATIONS: usize = 10;

/// What both kinds of query share: the text, limits and options.
struct Common {
    query: String,
    limit: usize,
    stats: bool,
    opts: QueryOptions,
}

/// `timeout` and `lookback_delta`, the parameters both query kinds read after their times.
fn common(form: &Form, limit: usize) -> Result<Common, ApiError> {
    let timeout = duration_param(form, "timeout")?
        .map(|ns| Duration::from_nanos(u64::try_from(ns).unwrap_or(0).max(1)));
    let lookback = match form.value("lookback_delta") {
        "" => None,
        v => {
            let ns = parse_duration(v).map_err(|e| {
                ApiError::bad_data(format!("error parsing lookback delta duration: {e}"))
            })?;
            (ns > 0).then(|| Duration::from_nanos(ns as u64))
        }
    };
    Ok(Common {
        query: form.value("query").to_owned(),
        limit,
        stats: !form.value("stats").is_empty(),
        opts: QueryOptions {
            lookback_delta: lookback,
            timeout,
            cancel: None,
        },
    })
}

/// `GET|POST /api/v1/query`.
pub async fn query(State(api): State<QueryApi>, form: Form) -> Response {
    let parsed = limit_param(&form).and_then(|limit| {
        let t = time_param(&form, "time", now_ms())?;
        Ok((t, common(&form, limit)?))
    });
    let (t, c) = match parsed {
        Ok(p) => p,
        Err(e) => return respond::fail(e),
    };
    run(api, c, move |api, c| {
        api.opts()
            .engine
            .instant_query_with(api.opts().storage.as_ref(), &c.query, t, &c.opts)
    })
    .await
}

/// `GET|POST /api/v1/query_range`.
pub async fn query_range(State(api): State<QueryApi>, form: Form) -> Response {
    let (start, end, step, c) = match range_params(&form) {
        Ok(p) => p,
        Err(e) => return respond::fail(e),
    };
    run(api, c, move |api, c| {
        api.opts().engine.range_query_with(
            api.opts().storage.as_ref(),
            &c.query,
            start,
            end,
            step,
            &c.opts,
        )
    })
    .await
}

/// Start, end and step (milliseconds) with upstream's checks, in upstream's order.
fn range_params(form: &Form) -> Result<(i64, i64, i64, Common), ApiError> {
    let limit = limit_param(form)?;
    let start = parse_time(form.value("start")).map_err(|e| invalid_param("start", e))?;
    let end = parse_time(form.value("end")).map_err(|e| invalid_param("end", e))?;
    if end < start {
        return Err(invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step_ns = parse_duration(form.value("step")).map_err(|e| invalid_param("step", e))?;
    if step_ns <= 0 {
        return Err(invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    // Go's Duration arithmetic: the span saturates at the largest duration.
    let span_ns = ((end as i128 - start as i128) * 1_000_000).min(i64::MAX as i128);
    if span_ns / step_ns as i128 > MAX_POINTS {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let step = (step_ns / 1_000_000).max(1);
    Ok((start, end, step, common(form, limit)?))
}

/// Evaluates on the blocking pool, cancelling when the client goes away, and writes the
/// answer there too (large results are expensive to encode).
async fn run<F>(api: QueryApi, mut c: Common, eval: F) -> Response
where
    F: FnOnce(&QueryApi, &Common) -> flint_promql::Result<QueryResult> + Send + 'static,
{
    let cancel = CancellationToken::new();
    c.opts.cancel = Some(cancel.clone());
    // Dropped with this future when the connection closes: cancels the evaluation.
    let _guard = cancel.drop_guard();
    blocking(move || match eval(&api, &c) {
        Ok(res) => answer(res, &c),
        Err(e) => {
            let err = engine_error(&e);
            let err = if err.kind == crate::api::ErrorType::BadData {
                invalid_param("query", &err.message)
            } else {
                err
            };
            respond::fail(err)
        }
    })
    .await
}

fn answer(mut res: QueryResult, c: &Common) -> Response {
    let (mut warnings, infos) = res.annotations.render(&c.query, MAX_ANNOTATIONS);
    if c.limit > 0 && truncate(&mut res.value, c.limit) {
        warnings.push("results truncated due to limit".into());
    }
    let stats = c.stats.then_some(&res.stats);
    respond::success_with(
        |out| write_query_data(out, &res.value, stats),
        &Notes { warnings, infos },
    )
}

/// Keeps at most `limit` series of a vector or matrix; whether any were dropped.
fn truncate(v: &mut QueryValue, limit: usize) -> bool {
    match v {
        QueryValue::Vector(s) if s.len() > limit => s.truncate(limit),
        QueryValue::Matrix(s) if s.len() > limit => s.truncate(limit),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(q: &str) -> Result<(i64, i64, i64), String> {
        range_params(&Form::parse(b"", Some(q)))
            .map(|(a, b, c, _)| (a, b, c))
            .map_err(|e| e.message)
    }

    #[test]
    fn range_checks_in_upstream_order() {
        assert_eq!(range("start=1&end=2&step=0.5"), Ok((1000, 2000, 500)));
        assert_eq!(range("start=1&end=2&step=1m"), Ok((1000, 2000, 60_000)));
        assert_eq!(
            range("end=2&step=1").unwrap_err(),
            r#"invalid parameter "start": cannot parse "" to a valid timestamp"#
        );
        assert_eq!(
            range("start=10&end=1&step=x").unwrap_err(),
            r#"invalid parameter "end": end timestamp must not be before start time"#
        );
        assert_eq!(
            range("start=1&end=2&step=-1").unwrap_err(),
            r#"invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer"#
        );
        assert!(range("start=0&end=11000&step=1").is_ok());
        assert_eq!(
            range("start=0&end=11001&step=1").unwrap_err(),
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
        );
        assert!(
            range("start=1&end=2&step=1&lookback_delta=x")
                .unwrap_err()
                .starts_with("error parsing lookback delta duration: ")
        );
    }
}
