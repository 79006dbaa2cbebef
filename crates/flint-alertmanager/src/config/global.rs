//! The `global` block: defaults every receiver inherits.

use serde::{Deserialize, Serialize};

use super::duration::Duration;
use super::http::{HttpClientConfig, TlsConfig};
use super::secret::{Secret, SecretUrl, Url};

fn url(s: &str) -> Option<Url> {
    Url::parse(s).ok()
}

// Defaults newer than Alertmanager 0.25 are left out of the printed config, so older
// `amtool`s (Debian's) can load what `/api/v2/status` serves.
fn is_default_tls(t: &TlsConfig) -> bool {
    *t == TlsConfig::default()
}

fn is_default_slack_app_url(u: &Option<Url>) -> bool {
    u.is_none() || *u == url("https://slack.com/api/chat.postMessage")
}

fn is_default_rocketchat_url(u: &Option<Url>) -> bool {
    u.is_none() || *u == url("https://open.rocket.chat/")
}

/// `global`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct GlobalConfig {
    /// Time after which an alert without `endsAt` is declared resolved if not updated.
    pub resolve_timeout: Duration,
    /// Default `http_config` of HTTP integrations.
    pub http_config: HttpClientConfig,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_from: String,
    pub smtp_hello: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_smarthost: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_auth_username: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub smtp_auth_password: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_auth_password_file: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub smtp_auth_secret: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_auth_secret_file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub smtp_auth_identity: String,
    pub smtp_require_tls: bool,
    #[serde(skip_serializing_if = "is_default_tls")]
    pub smtp_tls_config: TlsConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_force_implicit_tls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_api_url: Option<SecretUrl>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub slack_api_url_file: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub slack_app_token: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub slack_app_token_file: String,
    #[serde(skip_serializing_if = "is_default_slack_app_url")]
    pub slack_app_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagerduty_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub opsgenie_api_key: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub opsgenie_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub wechat_api_secret: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub wechat_api_secret_file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub wechat_api_corp_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub victorops_api_key: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub victorops_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub telegram_bot_token: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub telegram_bot_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webex_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jira_api_url: Option<Url>,
    #[serde(skip_serializing_if = "is_default_rocketchat_url")]
    pub rocketchat_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub rocketchat_token: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rocketchat_token_file: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub rocketchat_token_id: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rocketchat_token_id_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mattermost_webhook_url: Option<SecretUrl>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mattermost_webhook_url_file: String,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            resolve_timeout: Duration::from_secs(300),
            http_config: HttpClientConfig::default(),
            smtp_from: String::new(),
            smtp_hello: "localhost".into(),
            smtp_smarthost: String::new(),
            smtp_auth_username: String::new(),
            smtp_auth_password: Secret::default(),
            smtp_auth_password_file: String::new(),
            smtp_auth_secret: Secret::default(),
            smtp_auth_secret_file: String::new(),
            smtp_auth_identity: String::new(),
            smtp_require_tls: true,
            smtp_tls_config: TlsConfig::default(),
            smtp_force_implicit_tls: None,
            slack_api_url: None,
            slack_api_url_file: String::new(),
            slack_app_token: Secret::default(),
            slack_app_token_file: String::new(),
            slack_app_url: url("https://slack.com/api/chat.postMessage"),
            pagerduty_url: url("https://events.pagerduty.com/v2/enqueue"),
            opsgenie_api_url: url("https://api.opsgenie.com/"),
            opsgenie_api_key: Secret::default(),
            opsgenie_api_key_file: String::new(),
            wechat_api_url: url("https://qyapi.weixin.qq.com/cgi-bin/"),
            wechat_api_secret: Secret::default(),
            wechat_api_secret_file: String::new(),
            wechat_api_corp_id: String::new(),
            victorops_api_url: url(
                "https://alert.victorops.com/integrations/generic/20131114/alert/",
            ),
            victorops_api_key: Secret::default(),
            victorops_api_key_file: String::new(),
            telegram_api_url: url("https://api.telegram.org"),
            telegram_bot_token: Secret::default(),
            telegram_bot_token_file: String::new(),
            webex_api_url: url("https://webexapis.com/v1/messages"),
            jira_api_url: None,
            rocketchat_api_url: url("https://open.rocket.chat/"),
            rocketchat_token: Secret::default(),
            rocketchat_token_file: String::new(),
            rocketchat_token_id: Secret::default(),
            rocketchat_token_id_file: String::new(),
            mattermost_webhook_url: None,
            mattermost_webhook_url_file: String::new(),
        }
    }
}

impl GlobalConfig {
    /// The inline-versus-file conflicts upstream rejects, in upstream's order and words.
    pub fn validate(&self) -> Result<(), String> {
        let pairs: [(bool, bool, &str); 11] = [
            (
                self.slack_api_url.is_some(),
                !self.slack_api_url_file.is_empty(),
                "slack_api_url & slack_api_url_file",
            ),
            (
                !self.slack_app_token.is_empty(),
                !self.slack_app_token_file.is_empty(),
                "slack_app_token & slack_app_token_file",
            ),
            (
                !self.opsgenie_api_key.is_empty(),
                !self.opsgenie_api_key_file.is_empty(),
                "opsgenie_api_key & opsgenie_api_key_file",
            ),
            (
                !self.victorops_api_key.is_empty(),
                !self.victorops_api_key_file.is_empty(),
                "victorops_api_key & victorops_api_key_file",
            ),
            (
                !self.smtp_auth_password.is_empty(),
                !self.smtp_auth_password_file.is_empty(),
                "smtp_auth_password & smtp_auth_password_file",
            ),
            (
                !self.smtp_auth_secret.is_empty(),
                !self.smtp_auth_secret_file.is_empty(),
                "smtp_auth_secret & smtp_auth_secret_file",
            ),
            (
                !self.rocketchat_token.is_empty(),
                !self.rocketchat_token_file.is_empty(),
                "rocketchat_token & rocketchat_token_file",
            ),
            (
                !self.rocketchat_token_id.is_empty(),
                !self.rocketchat_token_id_file.is_empty(),
                "rocketchat_token_id & rocketchat_token_id_file",
            ),
            (
                !self.telegram_bot_token.is_empty(),
                !self.telegram_bot_token_file.is_empty(),
                "telegram_bot_token & telegram_bot_token_file",
            ),
            (
                !self.wechat_api_secret.is_empty(),
                !self.wechat_api_secret_file.is_empty(),
                "wechat_api_secret & wechat_api_secret_file",
            ),
            (
                self.mattermost_webhook_url.is_some(),
                !self.mattermost_webhook_url_file.is_empty(),
                "mattermost_webhook_url & mattermost_webhook_url_file",
            ),
        ];
        for (a, b, what) in pairs {
            if a && b {
                return Err(format!("at most one of {what} must be configured"));
            }
        }
        let has_slack_url = self.slack_api_url.is_some() || !self.slack_api_url_file.is_empty();
        let has_slack_token =
            !self.slack_app_token.is_empty() || !self.slack_app_token_file.is_empty();
        // A token with the chat.postMessage URL is the old way to configure a bot token.
        let url_is_post_message = self
            .slack_api_url
            .as_ref()
            .and_then(|u| u.url())
            .is_some_and(|u| u.as_str().contains("chat.postMessage"));
        if has_slack_url && has_slack_token && !url_is_post_message {
            return Err("at most one of slack_api_url/slack_api_url_file & slack_app_token/slack_app_token_file must be configured".into());
        }
        if !self.smtp_smarthost.is_empty() {
            super::receiver::email::check_host_port(&self.smtp_smarthost)?;
        }
        self.http_config.validate()
    }
}
