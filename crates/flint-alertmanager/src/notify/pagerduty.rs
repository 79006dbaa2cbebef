//! PagerDuty Events API v2 (trigger/resolve with a dedup key from the group key) and the
//! legacy v1 API for `service_key`.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::http::JsonBody;
use super::template::{Tmpl, group_key_hash, truncate};
use super::{Notifier, NotifyCtx, http};
use crate::alert::Alert;
use crate::config::http::HttpClientConfig;
use crate::config::receiver::pagerduty::PagerdutyConfig;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// A configured PagerDuty integration.
#[derive(Debug)]
pub struct Pagerduty {
    conf: PagerdutyConfig,
    http: HttpClientConfig,
    client: reqwest::Client,
    tmpl: Arc<Tmpl>,
}

impl Pagerduty {
    /// Builds the client.
    pub fn new(conf: &PagerdutyConfig, tmpl: Arc<Tmpl>) -> Result<Self> {
        let http = conf.http_config.clone().unwrap_or_default();
        Ok(Pagerduty {
            client: http::client(&http)?,
            conf: conf.clone(),
            http,
            tmpl,
        })
    }

    fn key(&self) -> Result<(String, bool)> {
        let c = &self.conf;
        Ok(if !c.routing_key.is_empty() {
            (c.routing_key.expose().to_string(), true)
        } else if !c.routing_key_file.is_empty() {
            (http::secret_file(&c.routing_key_file)?, true)
        } else if !c.service_key.is_empty() {
            (c.service_key.expose().to_string(), false)
        } else {
            (http::secret_file(&c.service_key_file)?, false)
        })
    }

    /// The v2 event for `alerts`.
    pub fn payload(
        &self,
        ctx: &NotifyCtx<'_>,
        alerts: &[Arc<Alert>],
        routing_key: &str,
    ) -> Result<Json> {
        let data = Tmpl::data(ctx, alerts);
        let t = |s: &str| self.tmpl.text("pagerduty", s, &data);
        let c = &self.conf;
        let resolved = alerts.iter().all(|a| a.resolved_at(ctx.flush.now));
        let mut ev = Map::new();
        ev.insert("routing_key".into(), json!(routing_key));
        ev.insert(
            "event_action".into(),
            json!(if resolved { "resolve" } else { "trigger" }),
        );
        ev.insert(
            "dedup_key".into(),
            json!(group_key_hash(&ctx.flush.group_key)),
        );
        if resolved {
            return Ok(Json::Object(ev));
        }
        let mut details = Map::new();
        for (k, v) in &c.details {
            let v = match v {
                Json::String(s) => Json::String(t(s)?),
                other => other.clone(),
            };
            details.insert(k.clone(), v);
        }
        let (summary, _) = truncate(&t(&c.description)?, 1024);
        let severity = t(&c.severity)?;
        let mut payload = Map::new();
        payload.insert("summary".into(), json!(summary));
        payload.insert("source".into(), json!(t(&c.source)?));
        payload.insert(
            "severity".into(),
            json!(if severity.is_empty() {
                "error".to_string()
            } else {
                severity
            }),
        );
        payload.insert("custom_details".into(), Json::Object(details));
        for (k, v) in [
            ("component", &c.component),
            ("group", &c.group),
            ("class", &c.class),
        ] {
            let v = t(v)?;
            if !v.is_empty() {
                payload.insert(k.into(), json!(v));
            }
        }
        ev.insert("payload".into(), Json::Object(payload));
        let client = t(&c.client)?;
        if !client.is_empty() {
            ev.insert("client".into(), json!(client));
        }
        let client_url = t(&c.client_url)?;
        if !client_url.is_empty() {
            ev.insert("client_url".into(), json!(client_url));
        }
        let mut images = Vec::new();
        for i in &c.images {
            images.push(json!({"src": t(&i.src)?, "alt": t(&i.alt)?, "href": t(&i.href)?}));
        }
        if !images.is_empty() {
            ev.insert("images".into(), Json::Array(images));
        }
        let mut links = Vec::new();
        for l in &c.links {
            links.push(json!({"href": t(&l.href)?, "text": t(&l.text)?}));
        }
        if !links.is_empty() {
            ev.insert("links".into(), Json::Array(links));
        }
        Ok(Json::Object(ev))
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let (key, v2) = self.key()?;
        let body = if v2 {
            self.payload(ctx, alerts, &key)?
        } else {
            // Events API v1.
            let data = Tmpl::data(ctx, alerts);
            let resolved = alerts.iter().all(|a| a.resolved_at(ctx.flush.now));
            json!({
                "service_key": key,
                "event_type": if resolved { "resolve" } else { "trigger" },
                "incident_key": group_key_hash(&ctx.flush.group_key),
                "description": truncate(&self.tmpl.text("pagerduty", &self.conf.description, &data)?, 1024).0,
                "client": self.tmpl.text("pagerduty", &self.conf.client, &data)?,
                "client_url": self.tmpl.text("pagerduty", &self.conf.client_url, &data)?,
            })
        };
        let url = self
            .conf
            .url
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default();
        let req = self.client.post(url).json_body(&body);
        http::send("pagerduty", http::authorize(&self.http, req)?)
            .await
            .map(|_| ())
    }
}

impl Notifier for Pagerduty {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
