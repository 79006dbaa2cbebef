//! Chat integrations posting one JSON message: Discord, Microsoft Teams (connector cards and
//! workflow adaptive cards) and Telegram.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::http::JsonBody;
use super::template::{Tmpl, truncate};
use super::{Notifier, NotifyCtx, http, notify_error};
use crate::alert::Alert;
use crate::config::http::HttpClientConfig;
use crate::config::receiver::chat::{
    DiscordConfig, MsTeamsConfig, MsTeamsV2Config, TelegramConfig,
};
use crate::config::secret::SecretUrl;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// Which service a [`Chat`] integration talks to.
#[derive(Debug)]
pub enum Kind {
    /// Discord webhooks.
    Discord(DiscordConfig),
    /// Teams Office 365 connector.
    MsTeams(MsTeamsConfig),
    /// Teams workflow (adaptive card).
    MsTeamsV2(MsTeamsV2Config),
    /// Telegram bot API.
    Telegram(TelegramConfig),
}

/// A configured chat integration.
#[derive(Debug)]
pub struct Chat {
    kind: Kind,
    http: HttpClientConfig,
    client: reqwest::Client,
    tmpl: Arc<Tmpl>,
}

fn webhook(url: &Option<SecretUrl>, file: &str) -> Result<String> {
    match url.as_ref().and_then(|u| u.url()) {
        Some(u) => Ok(u.to_string()),
        None => http::secret_file(file),
    }
}

impl Chat {
    /// Builds the client.
    pub fn new(kind: Kind, tmpl: Arc<Tmpl>) -> Result<Self> {
        let http = match &kind {
            Kind::Discord(c) => c.http_config.clone(),
            Kind::MsTeams(c) => c.http_config.clone(),
            Kind::MsTeamsV2(c) => c.http_config.clone(),
            Kind::Telegram(c) => c.http_config.clone(),
        }
        .unwrap_or_default();
        Ok(Chat {
            client: http::client(&http)?,
            kind,
            http,
            tmpl,
        })
    }

    /// The upstream integration name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Discord(_) => "discord",
            Kind::MsTeams(_) => "msteams",
            Kind::MsTeamsV2(_) => "msteamsv2",
            Kind::Telegram(_) => "telegram",
        }
    }

    /// The URL and JSON body of the message.
    pub fn request(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<(String, Json)> {
        let data = Tmpl::data(ctx, alerts);
        let name = self.name();
        let t = |s: &str| self.tmpl.text(name, s, &data);
        let firing = alerts.iter().any(|a| !a.resolved_at(ctx.flush.now));
        Ok(match &self.kind {
            Kind::Discord(c) => {
                let mut body = json!({
                    "embeds": [{
                        "title": truncate(&t(&c.title)?, 256).0,
                        "description": truncate(&t(&c.message)?, 4096).0,
                        "color": if firing { 0x992D22 } else { 0x2ECC71 },
                    }],
                });
                for (k, v) in [
                    ("content", &c.content),
                    ("username", &c.username),
                    ("avatar_url", &c.avatar_url),
                ] {
                    let v = t(v)?;
                    if !v.is_empty() {
                        body[k] = json!(if k == "content" {
                            truncate(&v, 2000).0
                        } else {
                            v
                        });
                    }
                }
                (webhook(&c.webhook_url, &c.webhook_url_file)?, body)
            }
            Kind::MsTeams(c) => (
                webhook(&c.webhook_url, &c.webhook_url_file)?,
                json!({
                    "@context": "http://schema.org/extensions",
                    "type": "MessageCard",
                    "title": t(&c.title)?,
                    "summary": t(&c.summary)?,
                    "text": t(&c.text)?,
                    "themeColor": if firing { "8C1A1A" } else { "2DC72D" },
                }),
            ),
            Kind::MsTeamsV2(c) => {
                let text = t(&c.text)?;
                let title = t(&c.title)?;
                (
                    webhook(&c.webhook_url, &c.webhook_url_file)?,
                    json!({
                        "type": "message",
                        "attachments": [{
                            "contentType": "application/vnd.microsoft.card.adaptive",
                            "content": {
                                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                "type": "AdaptiveCard",
                                "version": "1.2",
                                "body": [
                                    {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true,
                                     "style": "heading", "color": if firing { "Attention" } else { "Good" }},
                                    {"type": "TextBlock", "text": text, "wrap": true},
                                ],
                                "msteams": {"width": "full"},
                            },
                        }],
                    }),
                )
            }
            Kind::Telegram(c) => {
                let token = if c.bot_token.is_empty() {
                    http::secret_file(&c.bot_token_file)?
                } else {
                    c.bot_token.expose().to_string()
                };
                let base = c
                    .api_url
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let text = if c.parse_mode == "HTML" {
                    self.tmpl.html(name, &c.message, &data)?
                } else {
                    t(&c.message)?
                };
                let mut body = json!({
                    "chat_id": c.chat_id,
                    "text": truncate(&text, 4096).0,
                    "disable_notification": c.disable_notifications,
                });
                if !c.parse_mode.is_empty() {
                    body["parse_mode"] = json!(c.parse_mode);
                }
                if c.message_thread_id != 0 {
                    body["message_thread_id"] = json!(c.message_thread_id);
                }
                (
                    format!("{}/bot{token}/sendMessage", base.trim_end_matches('/')),
                    body,
                )
            }
        })
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let (url, body) = self.request(ctx, alerts)?;
        let req = http::authorize(&self.http, self.client.post(url).json_body(&body))?;
        let answer = http::send(self.name(), req).await?;
        if let Kind::Telegram(_) = self.kind
            && let Ok(j) = serde_json::from_str::<Json>(&answer)
            && j.get("ok") == Some(&Json::Bool(false))
        {
            let d = j
                .get("description")
                .and_then(Json::as_str)
                .unwrap_or("unknown error");
            return Err(notify_error("telegram", d.to_string(), false));
        }
        Ok(())
    }
}

impl Notifier for Chat {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
