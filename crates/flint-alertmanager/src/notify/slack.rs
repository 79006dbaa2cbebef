//! Slack: an attachment per notification, through an incoming webhook or `chat.postMessage`.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::http::JsonBody;
use super::template::{Tmpl, truncate};
use super::{Notifier, NotifyCtx, http, notify_error};
use crate::alert::Alert;
use crate::config::http::HttpClientConfig;
use crate::config::receiver::slack::SlackConfig;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// A configured Slack integration.
#[derive(Debug)]
pub struct Slack {
    conf: SlackConfig,
    http: HttpClientConfig,
    client: reqwest::Client,
    tmpl: Arc<Tmpl>,
}

fn put(m: &mut Map<String, Json>, k: &str, v: String) {
    if !v.is_empty() {
        m.insert(k.into(), Json::String(v));
    }
}

impl Slack {
    /// Builds the client.
    pub fn new(conf: &SlackConfig, tmpl: Arc<Tmpl>) -> Result<Self> {
        let http = conf.http_config.clone().unwrap_or_default();
        Ok(Slack {
            client: http::client(&http)?,
            conf: conf.clone(),
            http,
            tmpl,
        })
    }

    /// The JSON body.
    pub fn payload(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<Json> {
        let data = Tmpl::data(ctx, alerts);
        let t = |s: &str| self.tmpl.text("slack", s, &data);
        let c = &self.conf;
        let (title, cut) = truncate(&t(&c.title)?, 1024);
        if cut {
            tracing::warn!(receiver = ctx.receiver, "Truncated Slack title.");
        }
        let mut att = Map::new();
        put(&mut att, "title", title);
        put(&mut att, "title_link", t(&c.title_link)?);
        put(&mut att, "pretext", t(&c.pretext)?);
        put(&mut att, "text", t(&c.text)?);
        put(&mut att, "fallback", t(&c.fallback)?);
        put(&mut att, "callback_id", t(&c.callback_id)?);
        put(&mut att, "image_url", t(&c.image_url)?);
        put(&mut att, "thumb_url", t(&c.thumb_url)?);
        put(&mut att, "footer", t(&c.footer)?);
        put(&mut att, "color", t(&c.color)?);
        let mrkdwn: Vec<Json> = if c.mrkdwn_in.is_empty() {
            ["fallback", "pretext", "text"]
                .iter()
                .map(|s| json!(s))
                .collect()
        } else {
            c.mrkdwn_in.iter().map(|s| json!(s)).collect()
        };
        att.insert("mrkdwn_in".into(), Json::Array(mrkdwn));
        if !c.fields.is_empty() {
            let mut fields = Vec::new();
            for f in &c.fields {
                fields.push(json!({"title": t(&f.title)?, "value": t(&f.value)?, "short": f.short.unwrap_or(c.short_fields)}));
            }
            att.insert("fields".into(), Json::Array(fields));
        }
        if !c.actions.is_empty() {
            let mut actions = Vec::new();
            for a in &c.actions {
                let mut m = Map::new();
                put(&mut m, "type", t(&a.kind)?);
                put(&mut m, "text", t(&a.text)?);
                put(&mut m, "url", t(&a.url)?);
                put(&mut m, "style", t(&a.style)?);
                put(&mut m, "name", t(&a.name)?);
                put(&mut m, "value", t(&a.value)?);
                actions.push(Json::Object(m));
            }
            att.insert("actions".into(), Json::Array(actions));
        }
        let mut req = Map::new();
        put(&mut req, "channel", t(&c.channel)?);
        put(&mut req, "username", t(&c.username)?);
        put(&mut req, "icon_emoji", t(&c.icon_emoji)?);
        put(&mut req, "icon_url", t(&c.icon_url)?);
        if c.link_names {
            req.insert("link_names".into(), json!(true));
        }
        req.insert("attachments".into(), json!([att]));
        Ok(Json::Object(req))
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let body = self.payload(ctx, alerts)?;
        let c = &self.conf;
        let token = if !c.app_token.is_empty() {
            Some(c.app_token.expose().to_string())
        } else if !c.app_token_file.is_empty() {
            Some(http::secret_file(&c.app_token_file)?)
        } else {
            None
        };
        let url = match (&token, &c.app_url, c.api_url.as_ref().and_then(|u| u.url())) {
            (Some(_), Some(app), _) => app.to_string(),
            (_, _, Some(u)) => u.to_string(),
            _ if !c.api_url_file.is_empty() => http::secret_file(&c.api_url_file)?,
            _ => return Err(notify_error("slack", "no API URL", false)),
        };
        let mut req = self.client.post(url).json_body(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(t) = c.timeout.map(|d| d.0).filter(|d| !d.is_zero()) {
            req = req.timeout(t);
        }
        let answer = http::send("slack", http::authorize(&self.http, req)?).await?;
        // The Web API answers 200 with {"ok": false, "error": ...} on failure.
        if let Ok(j) = serde_json::from_str::<Json>(&answer)
            && j.get("ok") == Some(&Json::Bool(false))
        {
            let err = j
                .get("error")
                .and_then(Json::as_str)
                .unwrap_or("unknown error");
            return Err(notify_error(
                "slack",
                format!("error response from Slack: {err}"),
                false,
            ));
        }
        Ok(())
    }
}

impl Notifier for Slack {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
