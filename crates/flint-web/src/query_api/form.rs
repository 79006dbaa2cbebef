//! Request parameters as Go's `Request.Form` holds them: the values of a URL-encoded POST or
//! PUT body first, then those of the URL's query string.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

/// The parameters of one request, in Go's order (body before URL).
#[derive(Debug, Clone, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Parses a form body (if any) and a query string.
    pub fn parse(body: &[u8], query: Option<&str>) -> Self {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some(q) = query {
            pairs.extend(
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        Form { pairs }
    }

    /// The first value of `name`, `""` when absent (Go's `FormValue`).
    pub fn value(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (Go's `Form[name]`).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().map(str::to_owned);
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = if is_form {
            Bytes::from_request(req, state).await.map_err(|e| {
                ApiError::bad_data(format!("error parsing form values: {e}")).into_response()
            })?
        } else {
            Bytes::new()
        };
        Ok(Form::parse(&body, query.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_before_query() {
        let f = Form::parse(
            b"query=up&match%5B%5D=a",
            Some("query=odd&match[]=b&x=%7B%7D"),
        );
        assert_eq!(f.value("query"), "up");
        assert_eq!(f.values("match[]"), ["a", "b"]);
        assert_eq!(f.value("x"), "{}");
        assert_eq!(f.value("missing"), "");
    }
}
