//! HTTP client settings shared by every HTTP integration (Prometheus's `http_config`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// `http_config`: authentication, TLS, proxy and redirects of an HTTP integration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpClientConfig {
    /// `basic_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// `authorization` (type + credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// `oauth2` (parsed; not supported yet at run time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<serde_json::Value>,
    /// Deprecated `bearer_token`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub bearer_token: Secret,
    /// Deprecated `bearer_token_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bearer_token_file: String,
    /// `tls_config`.
    #[serde(default)]
    pub tls_config: TlsConfig,
    /// `proxy_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// `no_proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    /// `proxy_from_environment`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proxy_from_environment: bool,
    /// `proxy_connect_header`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
    /// `follow_redirects` (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// `enable_http2` (default true).
    #[serde(default = "yes")]
    pub enable_http2: bool,
    /// `http_headers`: extra headers on every request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub http_headers: BTreeMap<String, HeaderValues>,
}

fn yes() -> bool {
    true
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            tls_config: TlsConfig::default(),
            proxy_url: None,
            no_proxy: None,
            proxy_from_environment: false,
            proxy_connect_header: BTreeMap::new(),
            follow_redirects: true,
            enable_http2: true,
            http_headers: BTreeMap::new(),
        }
    }
}

/// `basic_auth`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// `username`.
    #[serde(default)]
    pub username: String,
    /// `username_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username_file: String,
    /// `password`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub password: Secret,
    /// `password_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_file: String,
}

/// `authorization`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// `type` (default `Bearer`).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `credentials`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub credentials: Secret,
    /// `credentials_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
}

/// Values of one `http_headers` entry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderValues {
    /// Plain values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Secret values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Files holding values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// `tls_config`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// `ca` (PEM text).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca: String,
    /// `ca_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    /// `cert` (PEM text).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// `cert_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    /// `key` (PEM text).
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub key: Secret,
    /// `key_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    /// `server_name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    /// `insecure_skip_verify`.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// `min_version` (`TLS12`, `TLS13`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    /// `max_version`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max_version: String,
}

impl TlsConfig {
    /// Upstream's checks: at most one of each inline/file pair, cert and key together.
    pub fn validate(&self) -> Result<(), String> {
        for (a, b, an, bn) in [
            (&self.ca, &self.ca_file, "ca", "ca_file"),
            (&self.cert, &self.cert_file, "cert", "cert_file"),
            (
                &self.key.expose().to_string(),
                &self.key_file,
                "key",
                "key_file",
            ),
        ] {
            if !a.is_empty() && !b.is_empty() {
                return Err(format!("at most one of {an} and {bn} must be configured"));
            }
        }
        let has_cert = !self.cert.is_empty() || !self.cert_file.is_empty();
        let has_key = !self.key.is_empty() || !self.key_file.is_empty();
        if has_cert && !has_key {
            return Err("exactly one of key or key_file must be configured when a client certificate is configured".into());
        }
        if has_key && !has_cert {
            return Err("exactly one of cert or cert_file must be configured when a client key is configured".into());
        }
        match self.to_common().version_problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// The common (`prometheus.yml`) form, so receivers share the server's version checks
    /// and rustls set-up: CA, client certificate, `server_name`, `min_version`/`max_version`.
    pub fn to_common(&self) -> flint_config::tls::TlsConfig {
        flint_config::tls::TlsConfig {
            ca: self.ca.clone(),
            ca_file: self.ca_file.clone(),
            cert: self.cert.clone(),
            cert_file: self.cert_file.clone(),
            key: flint_config::Secret::new(self.key.expose()),
            key_file: self.key_file.clone(),
            server_name: self.server_name.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
            min_version: self.min_version.clone(),
            max_version: self.max_version.clone(),
            ..Default::default()
        }
    }
}

impl HttpClientConfig {
    /// Upstream's checks (`HTTPClientConfig.Validate`).
    pub fn validate(&self) -> Result<(), String> {
        let has_bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            return Err(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            );
        }
        if self.basic_auth.is_some() && has_bearer {
            return Err(
                "at most one of basic_auth, bearer_token & bearer_token_file must be configured"
                    .into(),
            );
        }
        if let Some(b) = &self.basic_auth {
            if !b.username.is_empty() && !b.username_file.is_empty() {
                return Err(
                    "at most one of basic_auth username & username_file must be configured".into(),
                );
            }
            if !b.password.is_empty() && !b.password_file.is_empty() {
                return Err(
                    "at most one of basic_auth password & password_file must be configured".into(),
                );
            }
        }
        if let Some(a) = &self.authorization {
            if has_bearer {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if !a.credentials.is_empty() && !a.credentials_file.is_empty() {
                return Err("at most one of authorization credentials & credentials_file must be configured".into());
            }
            if a.kind.eq_ignore_ascii_case("basic") {
                return Err(
                    "authorization type cannot be set to \"basic\", use \"basic_auth\" instead"
                        .into(),
                );
            }
        }
        let auths = [
            self.basic_auth.is_some(),
            self.authorization.is_some(),
            self.oauth2.is_some(),
        ];
        if auths.iter().filter(|b| **b).count() > 1 {
            return Err(
                "at most one of basic_auth, oauth2 & authorization must be configured".into(),
            );
        }
        if self.proxy_from_environment && self.proxy_url.is_some() {
            return Err(
                "if proxy_from_environment is configured, proxy_url must not be configured".into(),
            );
        }
        self.tls_config.validate()
    }
}
