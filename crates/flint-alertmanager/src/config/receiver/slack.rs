//! `slack_configs`.

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::secret::{Secret, SecretUrl, Url};

macro_rules! tmpl_default {
    ($($f:ident = $v:literal;)*) => { $( fn $f() -> String { $v.into() } )* };
}

tmpl_default! {
    d_color = r#"{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}"#;
    d_username = r#"{{ template "slack.default.username" . }}"#;
    d_title = r#"{{ template "slack.default.title" . }}"#;
    d_title_link = r#"{{ template "slack.default.titlelink" . }}"#;
    d_icon_emoji = r#"{{ template "slack.default.iconemoji" . }}"#;
    d_icon_url = r#"{{ template "slack.default.iconurl" . }}"#;
    d_pretext = r#"{{ template "slack.default.pretext" . }}"#;
    d_text = r#"{{ template "slack.default.text" . }}"#;
    d_fallback = r#"{{ template "slack.default.fallback" . }}"#;
    d_callback_id = r#"{{ template "slack.default.callbackid" . }}"#;
    d_footer = r#"{{ template "slack.default.footer" . }}"#;
}

/// A Slack message through an incoming webhook or `chat.postMessage` with a bot token.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SlackConfig {
    #[serde(default)]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_url_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub app_token: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_token_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<Url>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    #[serde(default = "d_username")]
    pub username: String,
    #[serde(default = "d_color")]
    pub color: String,
    #[serde(default = "d_title")]
    pub title: String,
    #[serde(default = "d_title_link")]
    pub title_link: String,
    #[serde(default = "d_pretext")]
    pub pretext: String,
    #[serde(default = "d_text")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<SlackField>,
    #[serde(default)]
    pub short_fields: bool,
    #[serde(default = "d_footer")]
    pub footer: String,
    #[serde(default = "d_fallback")]
    pub fallback: String,
    #[serde(default = "d_callback_id")]
    pub callback_id: String,
    #[serde(default = "d_icon_emoji")]
    pub icon_emoji: String,
    #[serde(default = "d_icon_url")]
    pub icon_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub thumb_url: String,
    #[serde(default)]
    pub link_names: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mrkdwn_in: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<SlackAction>,
    #[serde(default)]
    pub update_message: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::config::duration::Duration>,
}

/// One attachment field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SlackField {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<bool>,
}

/// One attachment action (button).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SlackAction {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub style: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<SlackConfirm>,
}

/// A confirmation dialog of an action.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SlackConfirm {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ok_text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dismiss_text: String,
}

impl SlackConfig {
    /// Upstream's checks.
    pub fn validate(&mut self) -> Result<(), String> {
        for f in &self.fields {
            if f.title.is_empty() {
                return Err("missing title in Slack field configuration".into());
            }
            if f.value.is_empty() {
                return Err("missing value in Slack field configuration".into());
            }
        }
        for a in &mut self.actions {
            if a.kind.is_empty() {
                return Err("missing type in Slack action configuration".into());
            }
            if a.text.is_empty() {
                return Err("missing text in Slack action configuration".into());
            }
            if !a.url.is_empty() {
                a.name.clear();
                a.value.clear();
                a.confirm = None;
            } else if a.name.is_empty() {
                return Err("missing name or url in Slack action configuration".into());
            }
            if a.confirm.as_ref().is_some_and(|c| c.text.is_empty()) {
                return Err("missing text in Slack confirmation configuration".into());
            }
        }
        if self.api_url.is_some() && !self.api_url_file.is_empty() {
            return Err("at most one of api_url & api_url_file must be configured".into());
        }
        if !self.app_token.is_empty() && !self.app_token_file.is_empty() {
            return Err("at most one of app_token & app_token_file must be configured".into());
        }
        Ok(())
    }

    fn has_url(&self) -> bool {
        self.api_url.is_some() || !self.api_url_file.is_empty()
    }

    fn has_token(&self) -> bool {
        !self.app_token.is_empty() || !self.app_token_file.is_empty()
    }

    /// Fills what is unset from `global`; a receiver needs a webhook URL or an app token.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        let global_token = !g.slack_app_token.is_empty() || !g.slack_app_token_file.is_empty();
        let global_url = g.slack_api_url.is_some() || !g.slack_api_url_file.is_empty();
        let uses_auth_header = self
            .http_config
            .as_ref()
            .is_some_and(|h| h.authorization.is_some());
        if !self.has_url() && !self.has_token() {
            if global_token {
                self.app_token = g.slack_app_token.clone();
                self.app_token_file = g.slack_app_token_file.clone();
            }
            if global_url {
                self.api_url = g.slack_api_url.clone();
                self.api_url_file = g.slack_api_url_file.clone();
            }
            if !global_token && !global_url {
                return Err("no Slack API URL nor App token set either inline or in a file".into());
            }
        }
        if self.has_token() && self.app_url.is_none() {
            self.app_url = g.slack_app_url.clone();
        }
        if self.update_message {
            let webhook = self
                .api_url
                .as_ref()
                .and_then(|u| u.url())
                .is_some_and(|u| !u.as_str().contains("/api/chat.postMessage"));
            if webhook || (!self.has_token() && !uses_auth_header) {
                return Err("update_message requires a Slack app token (app_token) and the chat.postMessage API; incoming webhook URLs cannot update messages".into());
            }
        }
        Ok(())
    }
}
