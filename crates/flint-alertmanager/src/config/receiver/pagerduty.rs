//! `pagerduty_configs` and `opsgenie_configs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::secret::{Secret, Url};

fn d_description() -> String {
    r#"{{ template "pagerduty.default.description" .}}"#.into()
}
fn d_client() -> String {
    r#"{{ template "pagerduty.default.client" . }}"#.into()
}
fn d_client_url() -> String {
    r#"{{ template "pagerduty.default.clientURL" . }}"#.into()
}

/// PagerDuty Events API v2 (or v1 with `service_key`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PagerdutyConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub service_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_key_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub routing_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub routing_key_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default = "d_client")]
    pub client: String,
    #[serde(default = "d_client_url")]
    pub client_url: String,
    #[serde(default = "d_description")]
    pub description: String,
    #[serde(default)]
    pub details: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PagerdutyImage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<PagerdutyLink>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub class: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub component: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::config::duration::Duration>,
}

/// An image attached to an event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PagerdutyImage {
    #[serde(default)]
    pub src: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alt: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub href: String,
}

/// A link attached to an event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PagerdutyLink {
    #[serde(default)]
    pub href: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

impl PagerdutyConfig {
    /// Upstream's checks and default details.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.routing_key.is_empty()
            && self.service_key.is_empty()
            && self.routing_key_file.is_empty()
            && self.service_key_file.is_empty()
        {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        if !self.routing_key.is_empty() && !self.routing_key_file.is_empty() {
            return Err("at most one of routing_key & routing_key_file must be configured".into());
        }
        if !self.service_key.is_empty() && !self.service_key_file.is_empty() {
            return Err("at most one of service_key & service_key_file must be configured".into());
        }
        if self.source.is_empty() {
            self.source = self.client.clone();
        }
        for (k, v) in [
            (
                "firing",
                r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#,
            ),
            (
                "resolved",
                r#"{{ template "pagerduty.default.instances" .Alerts.Resolved }}"#,
            ),
            ("num_firing", "{{ .Alerts.Firing | len }}"),
            ("num_resolved", "{{ .Alerts.Resolved | len }}"),
        ] {
            self.details
                .entry(k.into())
                .or_insert_with(|| serde_json::Value::String(v.into()));
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        if self.url.is_none() {
            self.url = Some(
                g.pagerduty_url
                    .clone()
                    .ok_or("no global PagerDuty URL set")?,
            );
        }
        Ok(())
    }
}

fn d_og_message() -> String {
    r#"{{ template "opsgenie.default.message" . }}"#.into()
}
fn d_og_description() -> String {
    r#"{{ template "opsgenie.default.description" . }}"#.into()
}
fn d_og_source() -> String {
    r#"{{ template "opsgenie.default.source" . }}"#.into()
}

/// OpsGenie Alert API.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OpsGenieConfig {
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
    #[serde(default = "d_og_message")]
    pub message: String,
    #[serde(default = "d_og_description")]
    pub description: String,
    #[serde(default = "d_og_source")]
    pub source: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responders: Vec<OpsGenieResponder>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actions: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority: String,
    #[serde(default)]
    pub update_alerts: bool,
}

/// Who gets an OpsGenie alert.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OpsGenieResponder {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, rename = "type")]
    pub kind: String,
}

impl OpsGenieConfig {
    /// Upstream's checks.
    pub fn validate(&mut self) -> Result<(), String> {
        if !self.api_key.is_empty() && !self.api_key_file.is_empty() {
            return Err("at most one of api_key & api_key_file must be configured".into());
        }
        for r in &mut self.responders {
            if r.id.is_empty() && r.username.is_empty() && r.name.is_empty() {
                return Err(format!(
                    "opsGenieConfig responder {r:?} has to have at least one of id, username or name specified"
                ));
            }
            if !r.kind.contains("{{") {
                r.kind = r.kind.to_ascii_lowercase();
                if !matches!(
                    r.kind.as_str(),
                    "team" | "teams" | "user" | "escalation" | "schedule"
                ) {
                    return Err(format!(
                        "opsGenieConfig responder {r:?} type does not match valid options ^(team|teams|user|escalation|schedule)$"
                    ));
                }
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
                .opsgenie_api_url
                .clone()
                .ok_or("no global OpsGenie URL set")?,
        };
        self.api_url = Some(url.with_trailing_slash());
        if self.api_key.is_empty() && self.api_key_file.is_empty() {
            if g.opsgenie_api_key.is_empty() && g.opsgenie_api_key_file.is_empty() {
                return Err("no global OpsGenie API Key set either inline or in a file".into());
            }
            self.api_key = g.opsgenie_api_key.clone();
            self.api_key_file = g.opsgenie_api_key_file.clone();
        }
        Ok(())
    }
}
