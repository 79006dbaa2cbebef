//! `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/<name>/values` and
//! `/api/v1/query_exemplars`.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::Response;
use flint_model::{Labels, Matcher};
use flint_storage::merge::MergeSeriesSet;
use flint_storage::{Querier, SelectHints, SeriesSet};

use super::form::Form;
use super::json::{write_labels, write_str};
use super::params::{
    MAX_TIME, MIN_TIME, invalid_param, limit_param, parse_matcher_sets, time_param,
};
use super::respond::{self, Notes};
use super::{QueryApi, blocking, storage_error};
use crate::api::{ApiError, ErrorType};

const TRUNCATED: &str = "results truncated due to limit";

/// Start and end (defaulting to the whole time range).
fn range(form: &Form) -> Result<(i64, i64), ApiError> {
    Ok((
        time_param(form, "start", MIN_TIME)?,
        time_param(form, "end", MAX_TIME)?,
    ))
}

/// What storages are asked for to tell "exactly `limit`" from "more than `limit`".
fn hint_limit(limit: usize) -> usize {
    if limit == 0 {
        0
    } else {
        limit.saturating_add(1)
    }
}

/// `GET|POST /api/v1/series`.
pub async fn series(State(api): State<QueryApi>, form: Form) -> Response {
    let selectors = form.values("match[]");
    if selectors.is_empty() {
        return respond::fail(ApiError::bad_data("no match[] parameter provided"));
    }
    let parsed = limit_param(&form).and_then(|limit| {
        let (start, end) = range(&form)?;
        let sets = parse_matcher_sets(&selectors).map_err(|e| invalid_param("match[]", e))?;
        Ok((limit, start, end, sets))
    });
    let (limit, start, end, sets) = match parsed {
        Ok(p) => p,
        Err(e) => return respond::fail(e),
    };
    blocking(move || {
        let querier = match api.opts().storage.querier(start, end) {
            Ok(q) => q,
            Err(e) => return respond::fail(storage_error(&e)),
        };
        let hints = SelectHints {
            start,
            end,
            func: "series".into(),
            limit: hint_limit(limit),
            ..SelectHints::default()
        };
        match collect_series(querier.as_ref(), &hints, &sets, limit) {
            Ok((labels, warnings)) => respond::success_with(
                |out| {
                    out.push(b'[');
                    for (i, l) in labels.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        write_labels(out, l);
                    }
                    out.push(b']');
                },
                &Notes::warnings(warnings),
            ),
            Err((e, warnings)) => respond::error(&e, &Notes::warnings(warnings)),
        }
    })
    .await
}

type Collected<T> = Result<(T, Vec<String>), (ApiError, Vec<String>)>;

fn collect_series(
    q: &dyn Querier,
    hints: &SelectHints,
    sets: &[Vec<Matcher>],
    limit: usize,
) -> Collected<Vec<Labels>> {
    let mut set: Box<dyn SeriesSet + '_> = if sets.len() == 1 {
        q.select(false, Some(hints), &sets[0])
    } else {
        let parts = sets
            .iter()
            .map(|m| q.select(true, Some(hints), m))
            .collect();
        Box::new(MergeSeriesSet::new(parts))
    };
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        match s {
            Ok(s) => out.push(s.labels().clone()),
            Err(e) => return Err((storage_error(&e), set.warnings())),
        }
        if limit > 0 && out.len() > limit {
            break;
        }
    }
    let mut warnings = set.warnings();
    if limit > 0 && out.len() > limit {
        out.truncate(limit);
        warnings.push(TRUNCATED.into());
    }
    Ok((out, warnings))
}

/// `GET|POST /api/v1/labels`.
pub async fn labels(State(api): State<QueryApi>, form: Form) -> Response {
    names_or_values(api, form, None).await
}

/// `GET /api/v1/label/<name>/values`.
pub async fn label_values(
    State(api): State<QueryApi>,
    Path(name): Path<String>,
    form: Form,
) -> Response {
    let name = unescape_name(&name);
    if name.is_empty() {
        return respond::fail(ApiError::bad_data(format!(
            "invalid label name: {}",
            flint_model::quote::go_quote(&name)
        )));
    }
    names_or_values(api, form, Some(name)).await
}

/// Label names (`label` is `None`) or the values of `label`, over all match[] sets.
async fn names_or_values(api: QueryApi, form: Form, label: Option<String>) -> Response {
    let parsed = limit_param(&form).and_then(|limit| {
        let (start, end) = range(&form)?;
        let sets = parse_matcher_sets(&form.values("match[]")).map_err(ApiError::bad_data)?;
        Ok((limit, start, end, sets))
    });
    let (limit, start, end, mut sets) = match parsed {
        Ok(p) => p,
        Err(e) => return respond::fail(e),
    };
    if sets.is_empty() {
        sets.push(Vec::new());
    }
    blocking(move || {
        let querier = match api.opts().storage.querier(start, end) {
            Ok(q) => q,
            Err(e) => return respond::fail(storage_error(&e)),
        };
        let mut all = BTreeSet::new();
        let mut warnings = Vec::new();
        for m in &sets {
            let got = match &label {
                Some(name) => querier.label_values(name, m, hint_limit(limit)),
                None => querier.label_names(m, hint_limit(limit)),
            };
            match got {
                Ok((vals, w)) => {
                    all.extend(vals);
                    warnings.extend(w);
                }
                Err(e) => {
                    let err = ApiError::new(ErrorType::Execution, e.to_string());
                    return respond::error(&err, &Notes::warnings(warnings));
                }
            }
        }
        let mut vals: Vec<String> = all.into_iter().collect();
        if limit > 0 && vals.len() > limit {
            vals.truncate(limit);
            warnings.push(TRUNCATED.into());
        }
        respond::success_with(
            |out| {
                out.push(b'[');
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, v);
                }
                out.push(b']');
            },
            &Notes::warnings(warnings),
        )
    })
    .await
}

/// Undoes the `U__` escaping of UTF-8 label names in URLs (`U__a_2e_b` is `a.b`, `__` is
/// `_`); names that are not validly escaped are taken as they are.
fn unescape_name(name: &str) -> String {
    let Some(rest) = name.strip_prefix("U__") else {
        return name.to_owned();
    };
    let mut out = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'_') {
            chars.next();
            out.push('_');
            continue;
        }
        let mut hex = String::new();
        loop {
            match chars.next() {
                Some('_') => break,
                Some(h) if h.is_ascii_hexdigit() => hex.push(h),
                _ => return name.to_owned(),
            }
        }
        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
            Some(ch) => out.push(ch),
            None => return name.to_owned(),
        }
    }
    out
}

/// `GET|POST /api/v1/query_exemplars`. Flint keeps no exemplars yet, so a valid request
/// gets an empty list, as a Prometheus without exemplar storage answers.
pub async fn exemplars(State(_api): State<QueryApi>, form: Form) -> Response {
    let checked = range(&form).and_then(|(start, end)| {
        if end < start {
            return Err(ApiError::bad_data(
                "end timestamp must not be before start timestamp",
            ));
        }
        flint_promql::parser::parse(form.value("query"))
            .map_err(|e| ApiError::bad_data(e.to_string()))
    });
    let expr = match checked {
        Ok(e) => e,
        Err(e) => return respond::fail(e),
    };
    let mut selectors = 0;
    expr.walk(&mut |e| {
        if matches!(
            e,
            flint_promql::parser::Expr::Vector(_) | flint_promql::parser::Expr::Matrix(_)
        ) {
            selectors += 1;
        }
    });
    if selectors == 0 {
        return respond::no_content();
    }
    respond::success(&[] as &[u8], &Notes::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_names() {
        assert_eq!(unescape_name("job"), "job");
        assert_eq!(unescape_name("U__a_2e_b"), "a.b");
        assert_eq!(unescape_name("U__my__name"), "my_name");
        assert_eq!(unescape_name("U__bad_zz_"), "U__bad_zz_");
        assert_eq!(hint_limit(0), 0);
        assert_eq!(hint_limit(3), 4);
    }
}
