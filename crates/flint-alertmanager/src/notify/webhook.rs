//! The webhook integration: POSTs the group as JSON, payload version 4, as upstream.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::data::Data;
use super::{Notifier, NotifyCtx, http, notify_error};
use crate::alert::Alert;
use crate::config::http::HttpClientConfig;
use crate::config::receiver::webhook::WebhookConfig;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// Payload version 4.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The template data (receiver, status, alerts, labels, external URL), flattened.
    #[serde(flatten)]
    pub data: Data,
    /// Always `"4"`.
    pub version: &'static str,
    /// The group key.
    pub group_key: String,
    /// Alerts left out because of `max_alerts`.
    pub truncated_alerts: u64,
}

/// A configured webhook.
#[derive(Debug)]
pub struct Webhook {
    url: Option<String>,
    url_file: String,
    max_alerts: u64,
    timeout: Option<Duration>,
    http: HttpClientConfig,
    client: reqwest::Client,
}

impl Webhook {
    /// Builds the client.
    pub fn new(c: &WebhookConfig) -> Result<Self> {
        let http = c.http_config.clone().unwrap_or_default();
        Ok(Webhook {
            url: c.url.as_ref().and_then(|u| u.url()).map(|u| u.to_string()),
            url_file: c.url_file.clone(),
            max_alerts: c.max_alerts,
            timeout: c.timeout.map(|d| d.0).filter(|d| !d.is_zero()),
            client: http::client(&http)?,
            http,
        })
    }

    /// The JSON body for `alerts`.
    pub fn payload(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Message {
        let n = alerts.len() as u64;
        let keep = if self.max_alerts > 0 && n > self.max_alerts {
            self.max_alerts as usize
        } else {
            alerts.len()
        };
        let f = ctx.flush;
        let mut data = Data::new(
            ctx.receiver,
            &f.group_labels,
            alerts,
            ctx.external_url,
            f.now,
        );
        data.alerts.truncate(keep);
        Message {
            data,
            version: "4",
            group_key: f.group_key.to_string(),
            truncated_alerts: n - keep as u64,
        }
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let url = match &self.url {
            Some(u) => u.clone(),
            None => http::secret_file(&self.url_file)
                .map_err(|e| notify_error("webhook", e.to_string(), false))?,
        };
        let body = serde_json::to_vec(&self.payload(ctx, alerts))
            .map_err(|e| notify_error("webhook", e.to_string(), false))?;
        let mut req = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(t) = self.timeout {
            req = req.timeout(t);
        }
        let req = http::authorize(&self.http, req)?;
        http::send("webhook", req).await.map(|_| ())
    }
}

impl Notifier for Webhook {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
