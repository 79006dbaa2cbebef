//! HTTP clients from `prometheus.yml` HTTP settings: TLS ([`tls`]: rustls with ring),
//! basic auth, `authorization`, OAuth2 client credentials ([`oauth2`]), custom headers,
//! proxies (`proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`),
//! redirects. Shared by HTTP SD, scraping and the notifier.

pub mod oauth2;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use flint_config::http_client::HttpClientConfig;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// A client plus the per-request settings (auth, headers) of one config.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    cfg: Arc<HttpClientConfig>,
    oauth2: Option<Arc<oauth2::TokenSource>>,
}

/// Options that are not part of the HTTP settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Whole-request timeout, if any (scrapes set their own per request).
    pub timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            user_agent: format!("Flint/{}", env!("CARGO_PKG_VERSION")),
            timeout: None,
        }
    }
}

fn read_trimmed(path: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|source| Error::ClientFile {
            path: path.to_string(),
            source,
        })
}

/// The proxy settings of a block.
struct ProxySettings<'a> {
    url: &'a str,
    no_proxy: &'a str,
    from_env: bool,
    connect_headers: &'a std::collections::BTreeMap<String, Vec<flint_config::Secret>>,
}

/// A proxy for every request, bypassed for the hosts of `no_proxy` (comma-separated), that
/// sends `connect_headers` with each `CONNECT`. Shared with the Alertmanager's receivers.
pub fn proxy<'a>(
    url: &str,
    no_proxy: &str,
    connect_headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<reqwest::Proxy> {
    let mut proxy =
        reqwest::Proxy::all(url).map_err(|e| Error::Client(format!("proxy_url: {e}")))?;
    if !no_proxy.is_empty() {
        proxy = proxy.no_proxy(reqwest::NoProxy::from_string(no_proxy));
    }
    let mut map = HeaderMap::new();
    for (name, value) in connect_headers {
        let bad = |e: &dyn std::fmt::Display| {
            Error::Client(format!("proxy_connect_header {name:?}: {e}"))
        };
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
        let v = HeaderValue::from_str(value).map_err(|e| bad(&e))?;
        map.append(n, v);
    }
    if !map.is_empty() {
        proxy = proxy.headers(map);
    }
    Ok(proxy)
}

fn with_proxy(b: reqwest::ClientBuilder, p: &ProxySettings<'_>) -> Result<reqwest::ClientBuilder> {
    if p.url.is_empty() {
        return Ok(if p.from_env { b } else { b.no_proxy() });
    }
    let headers = p
        .connect_headers
        .iter()
        .flat_map(|(n, vs)| vs.iter().map(move |v| (n.as_str(), v.expose())));
    Ok(b.proxy(proxy(p.url, p.no_proxy, headers)?))
}

fn base_builder(
    tls: &flint_config::tls::TlsConfig,
    opts: &ClientOptions,
) -> Result<reqwest::ClientBuilder> {
    let mut b = reqwest::Client::builder()
        .tls_backend_preconfigured(tls::client_config(tls)?)
        .user_agent(opts.user_agent.clone())
        .pool_max_idle_per_host(4);
    if let Some(t) = opts.timeout {
        b = b.timeout(t);
    }
    Ok(b)
}

impl HttpClient {
    /// Builds a client for `cfg`.
    pub fn new(cfg: &HttpClientConfig, opts: &ClientOptions) -> Result<Self> {
        let b = base_builder(&cfg.tls_config, opts)?.redirect(if cfg.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
        let b = with_proxy(
            b,
            &ProxySettings {
                url: &cfg.proxy_url,
                no_proxy: &cfg.no_proxy,
                from_env: cfg.proxy_from_environment,
                connect_headers: &cfg.proxy_connect_header,
            },
        )?;
        let client = b.build().map_err(|e| Error::Client(e.to_string()))?;
        let oauth2 = match &cfg.oauth2 {
            None => None,
            Some(o) => {
                let b = with_proxy(
                    base_builder(&o.tls_config, opts)?,
                    &ProxySettings {
                        url: &o.proxy_url,
                        no_proxy: &o.no_proxy,
                        from_env: o.proxy_from_environment,
                        connect_headers: &o.proxy_connect_header,
                    },
                )?;
                let tc = b.build().map_err(|e| Error::Client(e.to_string()))?;
                Some(Arc::new(oauth2::TokenSource::new(o.clone(), tc)))
            }
        };
        Ok(HttpClient {
            client,
            cfg: Arc::new(cfg.clone()),
            oauth2,
        })
    }

    /// A GET request with the config's credentials and headers (files read now, so rotated
    /// secrets are picked up; an OAuth2 token fetched when needed).
    pub async fn get_async(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request_async(reqwest::Method::GET, url).await
    }

    /// A POST request, as [`HttpClient::get_async`].
    pub async fn post_async(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request_async(reqwest::Method::POST, url).await
    }

    /// A request with the config's credentials and headers; with OAuth2 a token is fetched
    /// when there is no valid one.
    pub async fn request_async(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder> {
        let rb = self.base_request(method, url)?;
        Ok(match &self.oauth2 {
            Some(src) => rb.header(reqwest::header::AUTHORIZATION, src.header().await?),
            None => rb,
        })
    }

    /// A GET request with the config's credentials and headers. Without awaiting, OAuth2
    /// can only attach a token already fetched: prefer [`HttpClient::get_async`].
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST request, as [`HttpClient::get`].
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request(reqwest::Method::POST, url)
    }

    /// A request with the config's credentials and headers (an OAuth2 token only when one
    /// is cached: see [`HttpClient::request_async`]).
    pub fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder> {
        let rb = self.base_request(method, url)?;
        Ok(match self.oauth2.as_ref().and_then(|s| s.cached()) {
            Some(h) => rb.header(reqwest::header::AUTHORIZATION, h),
            None => rb,
        })
    }

    fn base_request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder> {
        let mut rb = self.client.request(method, url);
        let cfg = &self.cfg;
        if let Some(b) = &cfg.basic_auth {
            let user = if b.username_file.is_empty() {
                b.username.clone()
            } else {
                read_trimmed(&b.username_file)?
            };
            let pass = if b.password_file.is_empty() {
                b.password.expose().to_string()
            } else {
                read_trimmed(&b.password_file)?
            };
            rb = rb.basic_auth(user, Some(pass));
        }
        if let Some(a) = &cfg.authorization {
            let cred = if a.credentials_file.is_empty() {
                a.credentials.expose().to_string()
            } else {
                read_trimmed(&a.credentials_file)?
            };
            rb = rb.header(reqwest::header::AUTHORIZATION, format!("{} {cred}", a.kind));
        }
        for (name, h) in &cfg.http_headers {
            let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                continue;
            };
            let mut values: Vec<String> = h.values.clone();
            values.extend(h.secrets.iter().map(|s| s.expose().to_string()));
            for f in &h.files {
                values.push(read_trimmed(f)?);
            }
            for v in values {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    rb = rb.header(name.clone(), v);
                }
            }
        }
        Ok(rb)
    }
}
