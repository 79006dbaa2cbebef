//! Chat integrations: `telegram_configs`, `discord_configs`, `msteams_configs`,
//! `msteamsv2_configs`, `webex_configs`, `rocketchat_configs`, `mattermost_configs`.

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::secret::{Secret, SecretUrl, Url};

fn t(name: &str) -> String {
    format!(r#"{{{{ template "{name}" . }}}}"#)
}

fn d_tg_message() -> String {
    t("telegram.default.message")
}
fn d_tg_parse_mode() -> String {
    "HTML".into()
}

/// Telegram bot messages.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TelegramConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub bot_token: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bot_token_file: String,
    #[serde(default)]
    pub chat_id: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chat_id_file: String,
    #[serde(default)]
    pub message_thread_id: i64,
    #[serde(default = "d_tg_message")]
    pub message: String,
    #[serde(default)]
    pub disable_notifications: bool,
    #[serde(default = "d_tg_parse_mode")]
    pub parse_mode: String,
}

impl TelegramConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if !self.bot_token.is_empty() && !self.bot_token_file.is_empty() {
            return Err("at most one of bot_token & bot_token_file must be configured".into());
        }
        if self.chat_id == 0 && self.chat_id_file.is_empty() {
            return Err("missing chat_id on telegram_config".into());
        }
        if !matches!(
            self.parse_mode.as_str(),
            "" | "Markdown" | "MarkdownV2" | "HTML"
        ) {
            return Err("unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into());
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        if self.api_url.is_none() {
            self.api_url = g.telegram_api_url.clone();
        }
        if self.bot_token.is_empty() && self.bot_token_file.is_empty() {
            if g.telegram_bot_token.is_empty() && g.telegram_bot_token_file.is_empty() {
                return Err("missing bot_token or bot_token_file on telegram_config".into());
            }
            self.bot_token = g.telegram_bot_token.clone();
            self.bot_token_file = g.telegram_bot_token_file.clone();
        }
        Ok(())
    }
}

fn d_dc_title() -> String {
    t("discord.default.title")
}
fn d_dc_message() -> String {
    t("discord.default.message")
}

/// Discord webhook messages.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DiscordConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webhook_url_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(default = "d_dc_title")]
    pub title: String,
    #[serde(default = "d_dc_message")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub avatar_url: String,
}

/// The webhook URL checks shared by Discord, Teams and Mattermost.
fn one_url(url: bool, file: bool, name: &str) -> Result<(), String> {
    match (url, file) {
        (false, false) => Err(format!("no {name} webhook URL or URLFile provided")),
        (true, true) => {
            Err("at most one of webhook_url & webhook_url_file must be configured".into())
        }
        _ => Ok(()),
    }
}

impl DiscordConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        one_url(
            self.webhook_url.is_some(),
            !self.webhook_url_file.is_empty(),
            "discord",
        )
    }
}

fn d_ms_title() -> String {
    t("msteams.default.title")
}
fn d_ms_summary() -> String {
    t("msteams.default.summary")
}
fn d_ms_text() -> String {
    t("msteams.default.text")
}
fn d_ms2_title() -> String {
    t("msteamsv2.default.title")
}
fn d_ms2_text() -> String {
    t("msteamsv2.default.text")
}

/// Microsoft Teams through an Office 365 connector webhook.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MsTeamsConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webhook_url_file: String,
    #[serde(default = "d_ms_title")]
    pub title: String,
    #[serde(default = "d_ms_summary")]
    pub summary: String,
    #[serde(default = "d_ms_text")]
    pub text: String,
}

impl MsTeamsConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        one_url(
            self.webhook_url.is_some(),
            !self.webhook_url_file.is_empty(),
            "msteams",
        )
    }
}

/// Microsoft Teams through a Power Automate workflow (adaptive cards).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MsTeamsV2Config {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webhook_url_file: String,
    #[serde(default = "d_ms2_title")]
    pub title: String,
    #[serde(default = "d_ms2_text")]
    pub text: String,
}

impl MsTeamsV2Config {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        one_url(
            self.webhook_url.is_some(),
            !self.webhook_url_file.is_empty(),
            "msteamsv2",
        )
    }
}

/// Cisco Webex messages.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct WebexConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default)]
    pub room_id: String,
}

impl WebexConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.room_id.is_empty() {
            return Err("missing room_id on webex_config".into());
        }
        if self
            .http_config
            .as_ref()
            .is_none_or(|h| h.authorization.is_none())
        {
            return Err("missing webex_configs.http_config.authorization".into());
        }
        Ok(())
    }
}

/// Rocket.Chat messages (parsed; not sent yet).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RocketchatConfig {
    #[serde(default)]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub token: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub token_id: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_id_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub color: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub emoji: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title_link: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<serde_json::Value>,
    #[serde(default)]
    pub short_fields: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub thumb_url: String,
    #[serde(default)]
    pub link_names: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<serde_json::Value>,
}

impl RocketchatConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if !self.token.is_empty() && !self.token_file.is_empty() {
            return Err("at most one of token & token_file must be configured".into());
        }
        if !self.token_id.is_empty() && !self.token_id_file.is_empty() {
            return Err("at most one of token_id & token_id_file must be configured".into());
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        if self.api_url.is_none() {
            self.api_url = g.rocketchat_api_url.clone();
        }
        if self.token_id.is_empty() && self.token_id_file.is_empty() {
            if g.rocketchat_token_id.is_empty() && g.rocketchat_token_id_file.is_empty() {
                return Err("no global Rocketchat TokenID set either inline or in a file".into());
            }
            self.token_id = g.rocketchat_token_id.clone();
            self.token_id_file = g.rocketchat_token_id_file.clone();
        }
        if self.token.is_empty() && self.token_file.is_empty() {
            if g.rocketchat_token.is_empty() && g.rocketchat_token_file.is_empty() {
                return Err("no global Rocketchat Token set either inline or in a file".into());
            }
            self.token = g.rocketchat_token.clone();
            self.token_file = g.rocketchat_token_file.clone();
        }
        Ok(())
    }
}

/// Mattermost incoming-webhook messages (parsed; not sent yet).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MattermostConfig {
    #[serde(default = "super::yes")]
    pub send_resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webhook_url_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon_emoji: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub props: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<serde_json::Value>,
}

impl MattermostConfig {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.webhook_url.is_some() && !self.webhook_url_file.is_empty() {
            return Err("at most one of webhook_url & webhook_url_file must be configured".into());
        }
        Ok(())
    }

    /// Fills what is unset from `global`.
    pub fn apply_global(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.http_config.is_none() {
            self.http_config = Some(g.http_config.clone());
        }
        if self.webhook_url.is_none() && self.webhook_url_file.is_empty() {
            if g.mattermost_webhook_url.is_none() && g.mattermost_webhook_url_file.is_empty() {
                return Err(
                    "no global Mattermost Webhook URL set either inline or in a file".into(),
                );
            }
            self.webhook_url = g.mattermost_webhook_url.clone();
            self.webhook_url_file = g.mattermost_webhook_url_file.clone();
        }
        Ok(())
    }
}
