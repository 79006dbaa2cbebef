//! `/api/v1/format_query` and `/api/v1/parse_query`.

use axum::extract::State;
use axum::response::Response;

use super::QueryApi;
use super::ast_json::translate;
use super::form::Form;
use super::params::invalid_param;
use super::respond::{self, Notes};

/// `GET|POST /api/v1/format_query`: the query pretty-printed as upstream's `Prettify`.
pub async fn format_query(State(_api): State<QueryApi>, form: Form) -> Response {
    match flint_promql::parser::parse(form.value("query")) {
        Ok(e) => respond::success(&e.pretty(), &Notes::default()),
        Err(e) => respond::fail(invalid_param("query", e)),
    }
}

/// `GET|POST /api/v1/parse_query`: the syntax tree as JSON.
pub async fn parse_query(State(_api): State<QueryApi>, form: Form) -> Response {
    match flint_promql::parser::parse(form.value("query")) {
        Ok(e) => respond::success(&translate(&e), &Notes::default()),
        Err(e) => respond::fail(invalid_param("query", e)),
    }
}
