//! `--web.route-prefix`: every route served under the prefix, and `/` redirecting to it
//! (302), as Prometheus does.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// `prefix` as Prometheus normalizes it: one leading slash, none trailing (`/` for none).
pub fn normalize(prefix: &str) -> String {
    format!("/{}", prefix.trim_matches('/'))
}

/// `router` served under `prefix` (unchanged for `/`).
pub fn under(router: Router, prefix: &str) -> Router {
    let prefix = normalize(prefix);
    if prefix == "/" {
        return router;
    }
    let target = prefix.clone();
    Router::new().nest(&prefix, router).route(
        "/",
        get(move || {
            let target = target.clone();
            async move { (StatusCode::FOUND, [(header::LOCATION, target)]).into_response() }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("prom/"), "/prom");
        assert_eq!(normalize("/a/b/"), "/a/b");
    }
}
