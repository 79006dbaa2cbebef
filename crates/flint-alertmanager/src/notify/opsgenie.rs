//! OpsGenie Alert API: create an alert per group (alias from the group key), close it when
//! the group resolves.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::http::JsonBody;
use super::template::{Tmpl, group_key_hash, truncate};
use super::{Notifier, NotifyCtx, http};
use crate::alert::Alert;
use crate::config::http::HttpClientConfig;
use crate::config::receiver::pagerduty::OpsGenieConfig;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// A configured OpsGenie integration.
#[derive(Debug)]
pub struct OpsGenie {
    conf: OpsGenieConfig,
    http: HttpClientConfig,
    client: reqwest::Client,
    tmpl: Arc<Tmpl>,
}

impl OpsGenie {
    /// Builds the client.
    pub fn new(conf: &OpsGenieConfig, tmpl: Arc<Tmpl>) -> Result<Self> {
        let http = conf.http_config.clone().unwrap_or_default();
        Ok(OpsGenie {
            client: http::client(&http)?,
            conf: conf.clone(),
            http,
            tmpl,
        })
    }

    /// The URL and body: create (`POST v2/alerts`) or close (`POST v2/alerts/{alias}/close`).
    pub fn request(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<(String, Json)> {
        let data = Tmpl::data(ctx, alerts);
        let t = |s: &str| self.tmpl.text("opsgenie", s, &data);
        let c = &self.conf;
        let base = c
            .api_url
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default();
        let alias = group_key_hash(&ctx.flush.group_key);
        let resolved = alerts.iter().all(|a| a.resolved_at(ctx.flush.now));
        if resolved {
            return Ok((
                format!("{base}v2/alerts/{alias}/close?identifierType=alias"),
                json!({"source": t(&c.source)?}),
            ));
        }
        let mut details = Map::new();
        for l in ctx.flush.group_labels.iter() {
            details.insert(l.name.to_string(), json!(&*l.value));
        }
        for (k, v) in &c.details {
            details.insert(k.clone(), json!(t(v)?));
        }
        let mut body = json!({
            "alias": alias,
            "message": truncate(&t(&c.message)?, 130).0,
            "description": truncate(&t(&c.description)?, 15000).0,
            "details": details,
            "source": t(&c.source)?,
        });
        let mut responders = Vec::new();
        for r in &c.responders {
            let mut m = Map::new();
            for (k, v) in [("id", &r.id), ("name", &r.name), ("username", &r.username)] {
                let v = t(v)?;
                if !v.is_empty() {
                    m.insert(k.into(), json!(v));
                }
            }
            m.insert("type".into(), json!(t(&r.kind)?));
            responders.push(Json::Object(m));
        }
        if !responders.is_empty() {
            body["responders"] = Json::Array(responders);
        }
        let tags = t(&c.tags)?;
        if !tags.is_empty() {
            body["tags"] = json!(
                tags.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            );
        }
        let actions = t(&c.actions)?;
        if !actions.is_empty() {
            body["actions"] = json!(
                actions
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            );
        }
        for (k, v) in [
            ("note", &c.note),
            ("priority", &c.priority),
            ("entity", &c.entity),
        ] {
            let v = t(v)?;
            if !v.is_empty() {
                body[k] = json!(v);
            }
        }
        Ok((format!("{base}v2/alerts"), body))
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let (url, body) = self.request(ctx, alerts)?;
        let key = if self.conf.api_key.is_empty() {
            http::secret_file(&self.conf.api_key_file)?
        } else {
            self.conf.api_key.expose().to_string()
        };
        let req = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, format!("GenieKey {key}"))
            .json_body(&body);
        http::send("opsgenie", http::authorize(&self.http, req)?)
            .await
            .map(|_| ())
    }
}

impl Notifier for OpsGenie {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
