//! Writing the API envelope: `{"status":"success","data":…,"warnings":[…],"infos":[…]}`,
//! `{"status":"error","errorType":…,"error":…}` and the empty `204 No Content`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::json::{write_serde, write_str};
use crate::api::{ApiError, ErrorType};

/// Warnings and infos of a response.
#[derive(Debug, Default, Clone)]
pub struct Notes {
    /// `warnings`.
    pub warnings: Vec<String>,
    /// `infos`.
    pub infos: Vec<String>,
}

impl Notes {
    /// Only warnings.
    pub fn warnings(warnings: Vec<String>) -> Self {
        Notes {
            warnings,
            infos: Vec::new(),
        }
    }
}

fn write_notes(out: &mut Vec<u8>, notes: &Notes) {
    for (key, list) in [("warnings", &notes.warnings), ("infos", &notes.infos)] {
        if list.is_empty() {
            continue;
        }
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":[");
        for (i, w) in list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, w);
        }
        out.push(b']');
    }
}

/// A JSON response with `status`.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A success whose `data` is written by `data`.
pub fn success_with(data: impl FnOnce(&mut Vec<u8>), notes: &Notes) -> Response {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(br#"{"status":"success","data":"#);
    data(&mut out);
    write_notes(&mut out, notes);
    out.push(b'}');
    json_response(StatusCode::OK, out)
}

/// A success with serializable `data`.
pub fn success<T: Serialize + ?Sized>(data: &T, notes: &Notes) -> Response {
    success_with(|out| write_serde(out, data), notes)
}

/// An error answer (with the warnings gathered before it failed).
pub fn error(err: &ApiError, notes: &Notes) -> Response {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(br#"{"status":"error","errorType":"#);
    write_str(&mut out, err.kind.as_str());
    out.extend_from_slice(br#","error":"#);
    write_str(&mut out, &err.message);
    write_notes(&mut out, notes);
    out.push(b'}');
    json_response(err.kind.status(), out)
}

/// `204 No Content`: what upstream answers when a call succeeds without data.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Turns an error into its response.
pub fn fail(err: ApiError) -> Response {
    error(&err, &Notes::default())
}

/// An `internal` error.
pub fn internal(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::Internal, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(r: Response) -> (StatusCode, String) {
        let status = r.status();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(b.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn envelopes() {
        let notes = Notes {
            warnings: vec!["w<".into()],
            infos: vec!["i".into()],
        };
        assert_eq!(
            body(success(&["a"], &notes)).await,
            (
                StatusCode::OK,
                r#"{"status":"success","data":["a"],"warnings":["w\u003c"],"infos":["i"]}"#.into()
            )
        );
        assert_eq!(
            body(fail(ApiError::bad_data("bad \"x\""))).await,
            (
                StatusCode::BAD_REQUEST,
                r#"{"status":"error","errorType":"bad_data","error":"bad \"x\""}"#.into()
            )
        );
    }
}
