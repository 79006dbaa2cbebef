//! The HTTP client settings Prometheus inlines into scrape, SD, Alertmanager and remote
//! configs (`basic_auth`, `authorization`, `oauth2`, `tls_config`, proxies, headers).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::tls::TlsConfig;

/// `basic_auth`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasicAuth {
    /// User name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// File holding the user name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username_file: String,
    /// User name from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username_ref: String,
    /// Password.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub password: Secret,
    /// File holding the password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password_file: String,
    /// Password from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password_ref: String,
}

/// `authorization`: an `Authorization: <type> <credentials>` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Authorization {
    /// The scheme; `Bearer` by default.
    #[serde(rename = "type")]
    pub kind: String,
    /// The credentials.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub credentials: Secret,
    /// File holding the credentials.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
    /// Credentials from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub credentials_ref: String,
}

impl Default for Authorization {
    fn default() -> Self {
        Authorization {
            kind: "Bearer".into(),
            credentials: Secret::default(),
            credentials_file: String::new(),
            credentials_ref: String::new(),
        }
    }
}

/// `oauth2`: client-credentials flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuth2 {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub client_secret: Secret,
    /// File holding the client secret.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_secret_file: String,
    /// Client secret from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_secret_ref: String,
    /// Scopes to request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The token endpoint.
    pub token_url: String,
    /// Extra parameters for the token request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_params: BTreeMap<String, String>,
    /// TLS toward the token endpoint.
    #[serde(skip_serializing_if = "TlsConfig::is_default")]
    pub tls_config: TlsConfig,
    /// Proxy toward the token endpoint.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub proxy_url: String,
    /// Hosts not to proxy.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub no_proxy: String,
    /// Take the proxy from the environment.
    #[serde(skip_serializing_if = "is_false")]
    pub proxy_from_environment: bool,
    /// Headers for proxy CONNECT requests.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

/// One entry of `http_headers`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpHeader {
    /// Plain values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Secret values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Files whose contents are values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// The HTTP client settings of one component, gathered from the inlined fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HttpClientConfig {
    /// `basic_auth`.
    pub basic_auth: Option<BasicAuth>,
    /// `authorization` (a deprecated `bearer_token`/`bearer_token_file` is folded in here).
    pub authorization: Option<Authorization>,
    /// `oauth2`.
    pub oauth2: Option<OAuth2>,
    /// `tls_config`.
    pub tls_config: TlsConfig,
    /// `proxy_url`.
    pub proxy_url: String,
    /// `no_proxy`.
    pub no_proxy: String,
    /// `proxy_from_environment`.
    pub proxy_from_environment: bool,
    /// `proxy_connect_header`.
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
    /// `follow_redirects` (default true).
    pub follow_redirects: bool,
    /// `enable_http2`; `None` means the component's default.
    pub enable_http2: Option<bool>,
    /// `http_headers`.
    pub http_headers: BTreeMap<String, HttpHeader>,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

pub(crate) fn default_true() -> bool {
    true
}

/// The inlined fields as they appear in YAML, before [`HttpClientConfig`] is built.
#[allow(missing_docs)]
pub(crate) struct InlineHttp<'a> {
    pub basic_auth: &'a Option<BasicAuth>,
    pub authorization: &'a Option<Authorization>,
    pub oauth2: &'a Option<OAuth2>,
    pub bearer_token: &'a Secret,
    pub bearer_token_file: &'a str,
    pub tls_config: &'a TlsConfig,
    pub proxy_url: &'a str,
    pub no_proxy: &'a str,
    pub proxy_from_environment: bool,
    pub proxy_connect_header: &'a BTreeMap<String, Vec<Secret>>,
    pub follow_redirects: bool,
    pub enable_http2: Option<bool>,
    pub http_headers: &'a BTreeMap<String, HttpHeader>,
}

impl InlineHttp<'_> {
    /// Problems in Prometheus's words and order (`HTTPClientConfig.Validate`).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            out.push("at most one of bearer_token & bearer_token_file must be configured".into());
        }
        if (self.basic_auth.is_some() || self.oauth2.is_some()) && bearer {
            out.push(
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                    .into(),
            );
        }
        if let Some(b) = self.basic_auth {
            if !b.username.is_empty() && !b.username_file.is_empty() {
                out.push("at most one of basic_auth username, username_file & username_ref must be configured".into());
            }
            let pw = [
                !b.password.is_empty(),
                !b.password_file.is_empty(),
                !b.password_ref.is_empty(),
            ];
            if pw.iter().filter(|x| **x).count() > 1 {
                out.push("at most one of basic_auth password, password_file & password_ref must be configured".into());
            }
        }
        if let Some(a) = self.authorization {
            if bearer {
                out.push(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if !a.credentials.is_empty() && !a.credentials_file.is_empty() {
                out.push("at most one of authorization credentials & credentials_file must be configured".into());
            }
            if a.kind.eq_ignore_ascii_case("basic") {
                out.push(
                    r#"authorization type cannot be set to "basic", use "basic_auth" instead"#
                        .into(),
                );
            }
        }
        let auths = [
            self.basic_auth.is_some(),
            self.oauth2.is_some(),
            self.authorization.is_some(),
        ];
        if auths.iter().filter(|x| **x).count() > 1 {
            out.push("at most one of basic_auth, oauth2 & authorization must be configured".into());
        }
        if let Some(o) = self.oauth2 {
            if o.client_id.is_empty() {
                out.push("oauth2 client_id must be configured".into());
            }
            if o.token_url.is_empty() {
                out.push("oauth2 token_url must be configured".into());
            }
            let s = [
                !o.client_secret.is_empty(),
                !o.client_secret_file.is_empty(),
                !o.client_secret_ref.is_empty(),
            ];
            if s.iter().filter(|x| **x).count() > 1 {
                out.push("at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured".into());
            }
            out.extend(o.tls_config.problems());
        }
        out.extend(proxy_problems(
            self.proxy_url,
            self.no_proxy,
            self.proxy_from_environment,
        ));
        out.extend(self.tls_config.problems());
        out
    }

    /// The gathered form (bearer token folded into `authorization`, as upstream's Validate).
    pub(crate) fn build(&self) -> HttpClientConfig {
        let mut authorization = self.authorization.clone();
        if authorization.is_none()
            && (!self.bearer_token.is_empty() || !self.bearer_token_file.is_empty())
        {
            authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: self.bearer_token.clone(),
                credentials_file: self.bearer_token_file.to_string(),
                credentials_ref: String::new(),
            });
        }
        HttpClientConfig {
            basic_auth: self.basic_auth.clone(),
            authorization,
            oauth2: self.oauth2.clone(),
            tls_config: self.tls_config.clone(),
            proxy_url: self.proxy_url.to_string(),
            no_proxy: self.no_proxy.to_string(),
            proxy_from_environment: self.proxy_from_environment,
            proxy_connect_header: self.proxy_connect_header.clone(),
            follow_redirects: self.follow_redirects,
            enable_http2: self.enable_http2,
            http_headers: self.http_headers.clone(),
        }
    }
}

fn proxy_problems(proxy_url: &str, no_proxy: &str, from_env: bool) -> Vec<String> {
    let mut out = Vec::new();
    if from_env && !proxy_url.is_empty() {
        out.push(
            "if proxy_from_environment is configured, proxy_url must not be configured".into(),
        );
    }
    if from_env && !no_proxy.is_empty() {
        out.push("if proxy_from_environment is configured, no_proxy must not be configured".into());
    }
    if !no_proxy.is_empty() && proxy_url.is_empty() {
        out.push("if no_proxy is configured, proxy_url must also be configured".into());
    }
    if !proxy_url.is_empty() && url::Url::parse(proxy_url).is_err() {
        out.push(format!("invalid proxy_url {proxy_url:?}"));
    }
    out
}

impl HttpClientConfig {
    /// Files this client reads (password, credentials, certificates), for `check config`.
    pub fn files(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(b) = &self.basic_auth {
            out.extend([b.username_file.as_str(), b.password_file.as_str()]);
        }
        if let Some(a) = &self.authorization {
            out.push(a.credentials_file.as_str());
        }
        if let Some(o) = &self.oauth2 {
            out.push(o.client_secret_file.as_str());
        }
        out.extend([
            self.tls_config.ca_file.as_str(),
            self.tls_config.cert_file.as_str(),
            self.tls_config.key_file.as_str(),
        ]);
        for h in self.http_headers.values() {
            out.extend(h.files.iter().map(String::as_str));
        }
        out.retain(|f| !f.is_empty());
        out
    }
}

/// Declares a config struct with Prometheus's inlined field groups appended: `http` (the
/// HTTP client fields, plus `fn http_client()` and `fn http_problems()`), `sd` (every
/// `*_sd_configs` field plus `static_configs`, and `fn sd_configs()`).
///
/// Inlining (instead of `#[serde(flatten)]`) keeps `deny_unknown_fields` and positions.
macro_rules! config_struct {
    (
        [$($group:ident),*]
        $(#[$m:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::http_client::config_struct!(@acc $name [$($group),*] [$(#[$m])* pub struct $name] [$($body)*]);
    };
    (@acc $name:ident [http $(, $rest:ident)*] $head:tt [$($body:tt)*]) => {
        impl $name {
            /// The HTTP client settings of this block.
            pub fn http_client(&self) -> $crate::http_client::HttpClientConfig {
                self.inline_http().build()
            }

            /// Problems with the HTTP client settings.
            pub fn http_problems(&self) -> Vec<String> {
                self.inline_http().problems()
            }

            fn inline_http(&self) -> $crate::http_client::InlineHttp<'_> {
                $crate::http_client::InlineHttp {
                    basic_auth: &self.basic_auth,
                    authorization: &self.authorization,
                    oauth2: &self.oauth2,
                    bearer_token: &self.bearer_token,
                    bearer_token_file: &self.bearer_token_file,
                    tls_config: &self.tls_config,
                    proxy_url: &self.proxy_url,
                    no_proxy: &self.no_proxy,
                    proxy_from_environment: self.proxy_from_environment,
                    proxy_connect_header: &self.proxy_connect_header,
                    follow_redirects: self.follow_redirects,
                    enable_http2: self.enable_http2,
                    http_headers: &self.http_headers,
                }
            }

            /// Resolves the HTTP client's relative file names against `dir`.
            pub(crate) fn http_set_directory(&mut self, dir: &std::path::Path) {
                let j = $crate::load::join_dir;
                if let Some(b) = &mut self.basic_auth {
                    j(dir, &mut b.username_file);
                    j(dir, &mut b.password_file);
                }
                if let Some(a) = &mut self.authorization {
                    j(dir, &mut a.credentials_file);
                }
                if let Some(o) = &mut self.oauth2 {
                    j(dir, &mut o.client_secret_file);
                    for f in o.tls_config.files_mut() {
                        j(dir, f);
                    }
                }
                j(dir, &mut self.bearer_token_file);
                for f in self.tls_config.files_mut() {
                    j(dir, f);
                }
                for h in self.http_headers.values_mut() {
                    for f in &mut h.files {
                        j(dir, f);
                    }
                }
            }
        }
        $crate::http_client::config_struct!(@acc $name [$($rest),*] $head [$($body)*
            /// `basic_auth`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub basic_auth: Option<$crate::http_client::BasicAuth>,
            /// `authorization`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub authorization: Option<$crate::http_client::Authorization>,
            /// `oauth2`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub oauth2: Option<$crate::http_client::OAuth2>,
            /// Deprecated `bearer_token`.
            #[serde(skip_serializing_if = "crate::secret::Secret::is_empty")]
            pub bearer_token: $crate::secret::Secret,
            /// Deprecated `bearer_token_file`.
            #[serde(skip_serializing_if = "String::is_empty")]
            pub bearer_token_file: String,
            /// `tls_config`.
            pub tls_config: $crate::tls::TlsConfig,
            /// `proxy_url`.
            #[serde(skip_serializing_if = "String::is_empty")]
            pub proxy_url: String,
            /// `no_proxy`.
            #[serde(skip_serializing_if = "String::is_empty")]
            pub no_proxy: String,
            /// `proxy_from_environment`.
            #[serde(skip_serializing_if = "crate::http_client::is_false")]
            pub proxy_from_environment: bool,
            /// `proxy_connect_header`.
            #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
            pub proxy_connect_header: std::collections::BTreeMap<String, Vec<$crate::secret::Secret>>,
            /// `follow_redirects` (default true).
            #[serde(default = "crate::http_client::default_true")]
            pub follow_redirects: bool,
            /// `enable_http2`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub enable_http2: Option<bool>,
            /// `http_headers`.
            #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
            pub http_headers: std::collections::BTreeMap<String, $crate::http_client::HttpHeader>,
        ]);
    };
    (@acc $name:ident [sd $(, $rest:ident)*] $head:tt [$($body:tt)*]) => {
        $crate::http_client::config_struct!(@sd $name [$($rest),*] $head [$($body)*] [
            azure_sd_configs, aws_sd_configs, consul_sd_configs, digitalocean_sd_configs,
            docker_sd_configs, dockerswarm_sd_configs, ec2_sd_configs, ecs_sd_configs,
            elasticache_sd_configs, eureka_sd_configs, gce_sd_configs, hetzner_sd_configs,
            ionos_sd_configs, kubernetes_sd_configs, kuma_sd_configs, lightsail_sd_configs,
            linode_sd_configs, marathon_sd_configs, msk_sd_configs, nerve_sd_configs,
            nomad_sd_configs, oci_sd_configs, openstack_sd_configs, outscale_sd_configs,
            ovhcloud_sd_configs, puppetdb_sd_configs, rds_sd_configs, scaleway_sd_configs,
            serverset_sd_configs, stackit_sd_configs, triton_sd_configs, uyuni_sd_configs,
            vultr_sd_configs
        ]);
    };
    (@sd $name:ident [$($rest:ident),*] $head:tt [$($body:tt)*] [$($u:ident),*]) => {
        impl $name {
            /// SD mechanisms present in this block that Flint does not implement yet, with
            /// their positions.
            pub fn unsupported_sd(&self) -> Vec<(&'static str, usize, usize)> {
                let mut out = Vec::new();
                $(
                    if let Some(l) = &self.$u {
                        out.push((stringify!($u), l.line, l.column));
                    }
                )*
                out
            }
        }
        $crate::sd::sd_impls!($name);
        $crate::http_client::config_struct!(@acc $name [$($rest),*] $head [$($body)*
            /// `static_configs`.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub static_configs: Vec<$crate::located::Located<Option<$crate::sd::StaticConfig>>>,
            /// `file_sd_configs`.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub file_sd_configs: Vec<$crate::located::Located<Option<$crate::sd::FileSdConfig>>>,
            /// `http_sd_configs`.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub http_sd_configs: Vec<$crate::located::Located<Option<$crate::sd::HttpSdConfig>>>,
            /// `dns_sd_configs`.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub dns_sd_configs: Vec<$crate::located::Located<Option<$crate::sd::DnsSdConfig>>>,
            $(
                /// An SD mechanism Flint does not implement yet (parsed, then rejected).
                #[serde(skip_serializing)]
                pub $u: Option<$crate::located::Located<$crate::sd::Unsupported>>,
            )*
        ]);
    };
    (@acc $name:ident [] [$($head:tt)*] [$($body:tt)*]) => {
        $($head)* { $($body)* }
    };
}
pub(crate) use config_struct;
