//! `receivers`: named sets of integrations.

pub mod chat;
pub mod email;
pub mod other;
pub mod pagerduty;
pub mod slack;
pub mod webhook;

use serde::{Deserialize, Serialize};

use super::global::GlobalConfig;
use chat::{
    DiscordConfig, MattermostConfig, MsTeamsConfig, MsTeamsV2Config, RocketchatConfig,
    TelegramConfig, WebexConfig,
};
use email::EmailConfig;
use other::{
    IncidentioConfig, JiraConfig, PushoverConfig, SnsConfig, VictorOpsConfig, WechatConfig,
};
use pagerduty::{OpsGenieConfig, PagerdutyConfig};
use slack::SlackConfig;
use webhook::WebhookConfig;

fn yes() -> bool {
    true
}

macro_rules! receiver {
    ($($field:ident: $ty:ty => $name:literal,)*) => {
        /// A receiver: a name and the integrations that notify it.
        #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct Receiver {
            /// The unique name routes refer to.
            #[serde(default)]
            pub name: String,
            $(
                #[doc = concat!("`", stringify!($field), "`.")]
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub $field: Vec<$ty>,
            )*
        }

        impl Receiver {
            /// The integrations this receiver uses, by upstream name, with their count.
            pub fn integrations(&self) -> Vec<(&'static str, usize)> {
                let mut v = Vec::new();
                $( if !self.$field.is_empty() { v.push(($name, self.$field.len())); } )*
                v
            }
        }
    };
}

receiver! {
    discord_configs: DiscordConfig => "discord",
    email_configs: EmailConfig => "email",
    incidentio_configs: IncidentioConfig => "incidentio",
    pagerduty_configs: PagerdutyConfig => "pagerduty",
    slack_configs: SlackConfig => "slack",
    webhook_configs: WebhookConfig => "webhook",
    opsgenie_configs: OpsGenieConfig => "opsgenie",
    wechat_configs: WechatConfig => "wechat",
    pushover_configs: PushoverConfig => "pushover",
    victorops_configs: VictorOpsConfig => "victorops",
    sns_configs: SnsConfig => "sns",
    telegram_configs: TelegramConfig => "telegram",
    webex_configs: WebexConfig => "webex",
    msteams_configs: MsTeamsConfig => "msteams",
    msteamsv2_configs: MsTeamsV2Config => "msteamsv2",
    jira_configs: JiraConfig => "jira",
    rocketchat_configs: RocketchatConfig => "rocketchat",
    mattermost_configs: MattermostConfig => "mattermost",
}

fn http_default(
    h: &mut Option<super::http::HttpClientConfig>,
    g: &GlobalConfig,
) -> Result<(), String> {
    match h {
        Some(h) => h.validate(),
        None => {
            *h = Some(g.http_config.clone());
            Ok(())
        }
    }
}

impl Receiver {
    /// Validates each integration and fills its defaults from `global`, as upstream does
    /// while loading.
    pub fn resolve(&mut self, g: &GlobalConfig) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("missing name in receiver".into());
        }
        for c in &mut self.webhook_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.email_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.slack_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.pagerduty_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.opsgenie_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.wechat_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.victorops_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.pushover_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.sns_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.telegram_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.discord_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.webex_configs {
            c.validate()?;
            if c.api_url.is_none() {
                c.api_url = Some(g.webex_api_url.clone().ok_or("no global Webex URL set")?);
            }
        }
        for c in &mut self.msteams_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.msteamsv2_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        for c in &mut self.jira_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.rocketchat_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.mattermost_configs {
            c.validate()?;
            c.apply_global(g)?;
        }
        for c in &mut self.incidentio_configs {
            c.validate()?;
            http_default(&mut c.http_config, g)?;
        }
        Ok(())
    }
}
