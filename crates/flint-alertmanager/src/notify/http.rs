//! HTTP clients for integrations, built from `http_config`, and shared response handling.

use std::time::Duration;

use crate::config::http::HttpClientConfig;
use crate::error::{Error, Result};

/// The `User-Agent` integrations send.
pub const USER_AGENT: &str = concat!("Alertmanager/", env!("CARGO_PKG_VERSION"), " (Flint)");

/// Idle keep-alive connections kept per receiver host, as Go's default transport keeps
/// (`DefaultMaxIdleConnsPerHost`). A flush of many groups opens one connection per
/// concurrent notification; without a bound every one of them stays pooled with its
/// read and write buffers (about 2 MiB after a 100-group burst), for no gain at the
/// rate notifications go out.
const IDLE_CONNS_PER_HOST: usize = 2;

fn read_file(path: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| Error::io(path, e))
}

fn config_err(msg: impl std::fmt::Display) -> Error {
    Error::Config(format!("http_config: {msg}"))
}

/// Builds a client from `http_config`: TLS, proxy, redirects.
pub fn client(cfg: &HttpClientConfig) -> Result<reqwest::Client> {
    let tls = flint_discovery::client::tls::client_config(&cfg.tls_config.to_common())
        .map_err(config_err)?;
    let mut b = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(IDLE_CONNS_PER_HOST);
    if !cfg.follow_redirects {
        b = b.redirect(reqwest::redirect::Policy::none());
    }
    if !cfg.enable_http2 {
        b = b.http1_only();
    }
    match &cfg.proxy_url {
        _ if cfg.proxy_from_environment => {}
        Some(url) => {
            let headers = cfg
                .proxy_connect_header
                .iter()
                .flat_map(|(n, vs)| vs.iter().map(move |v| (n.as_str(), v.expose())));
            let no_proxy = cfg.no_proxy.as_deref().unwrap_or_default();
            b = b
                .proxy(flint_discovery::client::proxy(url, no_proxy, headers).map_err(config_err)?);
        }
        None => b = b.no_proxy(),
    }
    b.build().map_err(config_err)
}

/// Adds the configured authentication and headers to a request.
pub fn authorize(
    cfg: &HttpClientConfig,
    mut req: reqwest::RequestBuilder,
) -> Result<reqwest::RequestBuilder> {
    if let Some(ba) = &cfg.basic_auth {
        let user = if ba.username_file.is_empty() {
            ba.username.clone()
        } else {
            read_file(&ba.username_file)?
        };
        let pass = if ba.password_file.is_empty() {
            ba.password.expose().to_string()
        } else {
            read_file(&ba.password_file)?
        };
        req = req.basic_auth(user, Some(pass));
    }
    let bearer = |kind: &str, cred: String| format!("{kind} {cred}");
    if let Some(a) = &cfg.authorization {
        let cred = if a.credentials_file.is_empty() {
            a.credentials.expose().to_string()
        } else {
            read_file(&a.credentials_file)?
        };
        let kind = if a.kind.is_empty() {
            "Bearer"
        } else {
            a.kind.as_str()
        };
        req = req.header(reqwest::header::AUTHORIZATION, bearer(kind, cred));
    } else if !cfg.bearer_token.is_empty() || !cfg.bearer_token_file.is_empty() {
        let cred = if cfg.bearer_token_file.is_empty() {
            cfg.bearer_token.expose().to_string()
        } else {
            read_file(&cfg.bearer_token_file)?
        };
        req = req.header(reqwest::header::AUTHORIZATION, bearer("Bearer", cred));
    }
    for (name, vals) in &cfg.http_headers {
        for v in &vals.values {
            req = req.header(name.as_str(), v.as_str());
        }
        for v in &vals.secrets {
            req = req.header(name.as_str(), v.expose());
        }
        for f in &vals.files {
            req = req.header(name.as_str(), read_file(f)?);
        }
    }
    Ok(req)
}

/// Upstream's retry rule for HTTP answers: 2xx is success; 5xx and 429 are worth retrying;
/// other codes are permanent.
pub fn check_status(integration: &str, status: reqwest::StatusCode, body: &str) -> Result<()> {
    if status.is_success() {
        return Ok(());
    }
    let retryable = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    let snippet: String = body.chars().take(256).collect();
    Err(super::notify_error(
        integration,
        format!("unexpected status code {}: {snippet}", status.as_u16()),
        retryable,
    ))
}

/// Sends a prepared request and checks the answer; transport errors are retryable.
pub async fn send(integration: &str, req: reqwest::RequestBuilder) -> Result<String> {
    let resp = req
        .send()
        .await
        .map_err(|e| super::notify_error(integration, format!("request failed: {e}"), true))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    check_status(integration, status, &body)?;
    Ok(body)
}

/// Reads a `*_file` secret (trimmed).
pub fn secret_file(path: &str) -> Result<String> {
    read_file(path)
}

/// JSON bodies without reqwest's `json` feature.
pub trait JsonBody {
    /// Sets `Content-Type: application/json` and the serialised body.
    fn json_body(self, v: &serde_json::Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, v: &serde_json::Value) -> Self {
        self.header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(v).unwrap_or_default())
    }
}
