//! `email_configs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::http::TlsConfig;
use crate::config::secret::Secret;

/// Mail through an SMTP smarthost.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EmailConfig {
    /// Notify about resolved alerts (default false).
    #[serde(default)]
    pub send_resolved: bool,
    /// Recipient(s), a template.
    #[serde(default)]
    pub to: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hello: String,
    /// `host:port`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub smarthost: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_username: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub auth_password: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_password_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub auth_secret: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_secret_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_identity: String,
    /// Extra headers (templates); names are canonicalised.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// HTML body template.
    #[serde(default = "default_html")]
    pub html: String,
    /// Text body template (none by default).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_tls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_implicit_tls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threading: Option<serde_json::Value>,
}

fn default_html() -> String {
    r#"{{ template "email.default.html" . }}"#.into()
}

/// Upstream's `HostPort` check: `host:port` with a non-empty port.
pub fn check_host_port(s: &str) -> Result<(), String> {
    let (_, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("address {s}: missing port in address"))?;
    if port.is_empty() {
        return Err(format!("address {s:?}: port cannot be empty"));
    }
    Ok(())
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: `content-type` → `Content-Type`.
pub fn canonical_header(h: &str) -> String {
    let mut upper = true;
    h.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

impl EmailConfig {
    /// Upstream's checks; canonicalises header names.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.to.is_empty() {
            return Err("missing to address in email config".into());
        }
        let mut normalized = BTreeMap::new();
        for (h, v) in std::mem::take(&mut self.headers) {
            let n = canonical_header(&h);
            if normalized.insert(n.clone(), v).is_some() {
                return Err(format!("duplicate header {n:?} in email config"));
            }
        }
        self.headers = normalized;
        if !self.smarthost.is_empty() {
            check_host_port(&self.smarthost)?;
        }
        if !self.auth_password.is_empty() && !self.auth_password_file.is_empty() {
            return Err(
                "at most one of auth_password & auth_password_file must be configured".into(),
            );
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.tls_config.is_none() {
            self.tls_config = Some(g.smtp_tls_config.clone());
        }
        if self.smarthost.is_empty() {
            if g.smtp_smarthost.is_empty() {
                return Err("no global SMTP smarthost set".into());
            }
            self.smarthost = g.smtp_smarthost.clone();
        }
        if self.from.is_empty() {
            if g.smtp_from.is_empty() {
                return Err("no global SMTP from set".into());
            }
            self.from = g.smtp_from.clone();
        }
        if self.hello.is_empty() {
            self.hello = g.smtp_hello.clone();
        }
        if self.auth_username.is_empty() {
            self.auth_username = g.smtp_auth_username.clone();
        }
        if self.auth_password.is_empty() && self.auth_password_file.is_empty() {
            self.auth_password = g.smtp_auth_password.clone();
            self.auth_password_file = g.smtp_auth_password_file.clone();
        }
        if self.auth_secret.is_empty() && self.auth_secret_file.is_empty() {
            self.auth_secret = g.smtp_auth_secret.clone();
            self.auth_secret_file = g.smtp_auth_secret_file.clone();
        }
        if self.auth_identity.is_empty() {
            self.auth_identity = g.smtp_auth_identity.clone();
        }
        if self.require_tls.is_none() {
            self.require_tls = Some(g.smtp_require_tls);
        }
        if self.force_implicit_tls.is_none() {
            self.force_implicit_tls = g.smtp_force_implicit_tls;
        }
        Ok(())
    }
}
