//! What the remote-write and remote-read clients share: the HTTP client built from an
//! entry's `http_config`, its extra headers, and how an error answer is quoted.

use std::collections::BTreeMap;
use std::time::Duration;

use flint_discovery::client::{ClientOptions, HttpClient};

/// Characters of an error answer's first line kept in messages.
const ERROR_BODY_LIMIT: usize = 1024;

/// A client for one endpoint, with Prometheus's user agent and `timeout` per request.
pub(crate) fn client(
    cfg: &flint_config::http_client::HttpClientConfig,
    timeout: Duration,
) -> Result<HttpClient, flint_discovery::Error> {
    let opts = ClientOptions {
        user_agent: format!("Prometheus/{} (Flint)", env!("CARGO_PKG_VERSION")),
        timeout: Some(timeout),
    };
    HttpClient::new(cfg, &opts)
}

/// An entry's `headers` as pairs.
pub(crate) fn headers(h: &BTreeMap<String, String>) -> Vec<(String, String)> {
    h.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The first line of an error answer, cut at [`ERROR_BODY_LIMIT`] characters.
pub(crate) fn first_line(text: &str) -> &str {
    let first = text.lines().next().unwrap_or("");
    let cut = first
        .char_indices()
        .nth(ERROR_BODY_LIMIT)
        .map_or(first.len(), |(i, _)| i);
    &first[..cut]
}
