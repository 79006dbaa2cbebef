//! `webhook_configs`.

use serde::{Deserialize, Serialize};

use crate::config::duration::Duration;
use crate::config::http::HttpClientConfig;
use crate::config::secret::SecretUrl;

/// A generic webhook: the group is POSTed as JSON (payload version 4).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Notify about resolved alerts (default true).
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    /// HTTP client settings; the global ones when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// The URL to POST to. Printed in the clear, as Alertmanager 0.25 (and its `amtool`,
    /// which cannot load a masked webhook URL) does.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "plain_url"
    )]
    pub url: Option<SecretUrl>,
    /// A file holding the URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url_file: String,
    /// At most this many alerts per message (0: all).
    #[serde(default)]
    pub max_alerts: u64,
    /// Timeout of one request (0: none beyond the group's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

fn plain_url<S: serde::Serializer>(u: &Option<SecretUrl>, s: S) -> Result<S::Ok, S::Error> {
    match u.as_ref().and_then(|u| u.url()) {
        Some(u) => s.serialize_str(u.as_str()),
        None => s.serialize_str(crate::config::secret::SECRET_TOKEN),
    }
}

impl WebhookConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.url, self.url_file.is_empty()) {
            (None, true) => Err("one of url or url_file must be configured".into()),
            (Some(_), false) => Err("at most one of url & url_file must be configured".into()),
            _ => Ok(()),
        }
    }
}
