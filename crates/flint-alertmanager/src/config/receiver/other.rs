//! Integrations that load and validate but are not sent yet: `victorops_configs`,
//! `pushover_configs`, `wechat_configs`, `sns_configs`, `jira_configs`, `incidentio_configs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::secret::{Secret, SecretUrl, Url};

/// VictorOps (Splunk On-Call) REST endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct VictorOpsConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub api_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_key_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default)]
    pub routing_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state_message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity_display_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub monitoring_tool: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

impl VictorOpsConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.routing_key.is_empty() {
            return Err("missing Routing key in VictorOps config".into());
        }
        if !self.api_key.is_empty() && !self.api_key_file.is_empty() {
            return Err("at most one of api_key & api_key_file must be configured".into());
        }
        for f in [
            "routing_key",
            "message_type",
            "state_message",
            "entity_display_name",
            "monitoring_tool",
            "entity_id",
            "entity_state",
        ] {
            if self.custom_fields.contains_key(f) {
                return Err(format!(
                    "victorOps config contains custom field {f} which cannot be used as it conflicts with the fixed/static fields"
                ));
            }
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        let url = match self.api_url.take() {
            Some(u) => u,
            None => g
                .victorops_api_url
                .clone()
                .ok_or("no global VictorOps URL set")?,
        };
        self.api_url = Some(url.with_trailing_slash());
        if self.api_key.is_empty() && self.api_key_file.is_empty() {
            if g.victorops_api_key.is_empty() && g.victorops_api_key_file.is_empty() {
                return Err("no global VictorOps API Key set".into());
            }
            self.api_key = g.victorops_api_key.clone();
            self.api_key_file = g.victorops_api_key_file.clone();
        }
        Ok(())
    }
}

/// Pushover.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PushoverConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub user_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_key_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub token: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url_title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sound: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub retry: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expire: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ttl: String,
    #[serde(default)]
    pub html: bool,
    #[serde(default)]
    pub monospace: bool,
}

impl PushoverConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        let pairs = [
            (
                self.user_key.is_empty(),
                self.user_key_file.is_empty(),
                "user_key",
                "user_key_file",
            ),
            (
                self.token.is_empty(),
                self.token_file.is_empty(),
                "token",
                "token_file",
            ),
        ];
        for (a, b, an, bn) in pairs {
            if a && b {
                return Err(format!("one of {an} or {bn} must be configured"));
            }
            if !a && !b {
                return Err(format!("at most one of {an} & {bn} must be configured"));
            }
        }
        if self.html && self.monospace {
            return Err("at most one of monospace & html must be configured".into());
        }
        for d in [&self.retry, &self.expire, &self.ttl] {
            if !d.is_empty() {
                crate::config::duration::parse_go_duration(d)?;
            }
        }
        Ok(())
    }
}

/// WeChat Work.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct WechatConfig {
    #[serde(default)]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub api_secret: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_secret_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub corp_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_party: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_tag: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agent_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_type: String,
}

impl WechatConfig {
    /// Upstream's checks.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.message_type.is_empty() {
            self.message_type = "text".into();
        }
        if !matches!(self.message_type.as_str(), "text" | "markdown") {
            return Err(format!(
                "weChat message type {:?} does not match valid options ^(text|markdown)$",
                self.message_type
            ));
        }
        if !self.api_secret.is_empty() && !self.api_secret_file.is_empty() {
            return Err("at most one of api_secret & api_secret_file must be configured".into());
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        let url = match self.api_url.take() {
            Some(u) => u,
            None => g.wechat_api_url.clone().ok_or("no global Wechat URL set")?,
        };
        self.api_url = Some(url.with_trailing_slash());
        if self.api_secret.is_empty() && self.api_secret_file.is_empty() {
            if g.wechat_api_secret.is_empty() && g.wechat_api_secret_file.is_empty() {
                return Err("no global Wechat ApiSecret set".into());
            }
            self.api_secret = g.wechat_api_secret.clone();
            self.api_secret_file = g.wechat_api_secret_file.clone();
        }
        if self.corp_id.is_empty() {
            if g.wechat_api_corp_id.is_empty() {
                return Err("no global Wechat CorpID set".into());
            }
            self.corp_id = g.wechat_api_corp_id.clone();
        }
        Ok(())
    }
}

/// Amazon SNS.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SnsConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<SigV4Config>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub topic_arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone_number: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// AWS Signature v4 settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SigV4Config {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_key: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub secret_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub profile: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub external_id: String,
    #[serde(default)]
    pub use_fips_sts_endpoint: bool,
}

impl SnsConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.target_arn.is_empty() && self.topic_arn.is_empty() && self.phone_number.is_empty() {
            return Err(
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config"
                    .into(),
            );
        }
        let n = [&self.target_arn, &self.topic_arn, &self.phone_number]
            .iter()
            .filter(|s| !s.is_empty())
            .count();
        if n > 1 {
            return Err(
                "must provide only one of a Target ARN, Topic ARN, or Phone Number for SNS config"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Jira issues.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct JiraConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_type: String,
    #[serde(default)]
    pub project: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority: String,
    #[serde(default)]
    pub issue_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reopen_transition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resolve_transition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wont_fix_resolution: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_duration: Option<crate::config::duration::Duration>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl JiraConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.project.is_empty() {
            return Err("missing project in jira_config".into());
        }
        if self.issue_type.is_empty() {
            return Err("missing issue_type in jira_config".into());
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        if self.api_url.is_none() {
            self.api_url = Some(
                g.jira_api_url
                    .clone()
                    .ok_or("no global Jira Cloud URL set")?,
            );
        }
        Ok(())
    }
}

/// incident.io alert sources.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct IncidentioConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub alert_source_token: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alert_source_token_file: String,
    #[serde(default)]
    pub max_alerts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::config::duration::Duration>,
}

impl IncidentioConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.url, self.url_file.is_empty()) {
            (None, true) => return Err("one of url or url_file must be configured".into()),
            (Some(_), false) => {
                return Err("at most one of url & url_file must be configured".into());
            }
            _ => {}
        }
        if !self.alert_source_token.is_empty() && !self.alert_source_token_file.is_empty() {
            return Err(
                "at most one of alert_source_token & alert_source_token_file must be configured"
                    .into(),
            );
        }
        Ok(())
    }
}
