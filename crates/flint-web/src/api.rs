//! Prometheus's JSON envelope: `{"status": "success", "data": …, "warnings": […]}` and
//! `{"status": "error", "errorType": …, "error": …}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A successful answer.
#[derive(Debug, Serialize)]
pub struct ApiResponse<T: Serialize> {
    /// Always `"success"`.
    pub status: &'static str,
    /// The payload.
    pub data: T,
    /// Warnings, left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Informational notices, left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub infos: Vec<String>,
}

impl<T: Serialize> ApiResponse<T> {
    /// A success with `data`.
    pub fn ok(data: T) -> Self {
        ApiResponse {
            status: "success",
            data,
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }

    /// Adds warnings.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }
}

impl<T: Serialize> IntoResponse for ApiResponse<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// Prometheus's `errorType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// Bad request parameters (400).
    BadData,
    /// Evaluation failed (422).
    Execution,
    /// Took too long (503).
    Timeout,
    /// Cancelled (503).
    Canceled,
    /// A server fault (500).
    Internal,
    /// Not ready or storage unavailable (503).
    Unavailable,
    /// Unknown endpoint or resource (404).
    NotFound,
}

impl ErrorType {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Internal => "internal",
            ErrorType::Unavailable => "unavailable",
            ErrorType::NotFound => "not_found",
        }
    }

    /// The HTTP status Prometheus answers with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Timeout | ErrorType::Canceled | ErrorType::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

/// A failed answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct ApiError {
    /// The kind.
    pub kind: ErrorType,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// An error of `kind`.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A `bad_data` error.
    pub fn bad_data(message: impl Into<String>) -> Self {
        Self::new(ErrorType::BadData, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    #[serde(rename = "errorType")]
    error_type: &'static str,
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: "error",
            error_type: self.kind.as_str(),
            error: &self.message,
        };
        (self.kind.status(), Json(body)).into_response()
    }
}

/// What API handlers return.
pub type ApiResult<T> = Result<ApiResponse<T>, ApiError>;
