//! The notification pipeline, as stages: settle → inhibit → active/mute time intervals →
//! silence → fan-out per integration [wait (peer position) → dedup via nflog → retry with
//! backoff → record in nflog].

pub mod chat;
pub mod data;
pub mod email;
pub mod http;
mod intent;
pub mod opsgenie;
pub mod pagerduty;
pub mod slack;
mod stages;
pub mod template;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::alert::Alert;
use crate::config::Config;
use crate::dispatch::{BoxFuture, FlushCtx, Flusher};
use crate::error::{Error, Result};
use crate::inhibit::Inhibitor;
use crate::metrics::Metrics;
use crate::nflog::{Nflog, ReceiverKey};
use crate::silence::Silences;
use crate::store::Marker;
use crate::time::Clock;
use crate::timeinterval::TimeInterval;
pub use data::Data;

/// What an integration gets to send one notification.
#[derive(Debug)]
pub struct NotifyCtx<'a> {
    /// The flush.
    pub flush: &'a FlushCtx,
    /// The receiver's name.
    pub receiver: &'a str,
    /// The Alertmanager's external URL.
    pub external_url: &'a str,
}

/// Sends notifications for one configured integration.
pub trait Notifier: Send + Sync + 'static {
    /// Sends one notification; errors say whether a retry may help.
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>>;
}

/// One configured integration of a receiver.
pub struct Integration {
    /// Upstream's integration name (`webhook`, `email`, …).
    pub name: &'static str,
    /// Index among the receiver's integrations of that name.
    pub idx: u32,
    /// Whether resolved alerts are sent.
    pub send_resolved: bool,
    /// The sender.
    pub notifier: Arc<dyn Notifier>,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.name, self.idx)
    }
}

/// This peer in the cluster (see [`crate::cluster`]); without clustering, [`Standalone`].
pub trait Peer: Send + Sync + 'static {
    /// This peer's position (0 sends first).
    fn position(&self) -> u32;

    /// This peer's name; empty without clustering (then no intents are recorded).
    fn name(&self) -> &str {
        ""
    }

    /// Whether a peer of this name is an active member.
    fn is_member(&self, _name: &str) -> bool {
        false
    }

    /// Resolves once the cluster has settled (at once without clustering).
    fn wait_settled(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// The cluster for `/api/v2/status`.
    fn status(&self) -> crate::cluster::ClusterStatus {
        crate::cluster::ClusterStatus::disabled()
    }
}

/// A single, unclustered peer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Standalone;

impl Peer for Standalone {
    fn position(&self) -> u32 {
        0
    }
}

/// Shared services the stages use.
pub struct Deps {
    /// Alert states for the API.
    pub marker: Arc<Marker>,
    /// Inhibition rules.
    pub inhibitor: Arc<Inhibitor>,
    /// Silences.
    pub silences: Arc<Silences>,
    /// The notification log.
    pub nflog: Arc<Nflog>,
    /// Metrics.
    pub metrics: Metrics,
    /// Wall clock.
    pub clock: Clock,
    /// This peer in the cluster.
    pub peer: Arc<dyn Peer>,
    /// Delay per peer position in the wait stage.
    pub peer_timeout: Duration,
    /// The external URL.
    pub external_url: String,
}

/// The pipeline for every receiver of one config.
pub struct Pipeline {
    receivers: HashMap<String, Vec<Integration>>,
    intervals: HashMap<String, Vec<TimeInterval>>,
    deps: Arc<Deps>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("receivers", &self.receivers)
            .finish()
    }
}

impl Pipeline {
    /// Builds the integrations of every receiver in `cfg`.
    pub fn new(cfg: &Config, deps: Arc<Deps>) -> Result<Self> {
        cfg.check_supported()?;
        let tmpl = Arc::new(template::Tmpl::new(cfg)?);
        let mut receivers = HashMap::new();
        for r in &cfg.receivers {
            receivers.insert(r.name.clone(), integrations(r, &tmpl)?);
        }
        let intervals = cfg
            .named_intervals()
            .map(|n| (n.name.clone(), n.time_intervals.clone()))
            .collect();
        Ok(Pipeline {
            receivers,
            intervals,
            deps,
        })
    }

    /// The receivers' integrations, for `/api/v2/receivers` and metrics.
    pub fn receivers(&self) -> impl Iterator<Item = (&String, &Vec<Integration>)> {
        self.receivers.iter()
    }

    async fn run(&self, ctx: &FlushCtx, alerts: Vec<Arc<Alert>>) -> bool {
        let receiver = ctx.route.opts.receiver.as_str();
        let Some(integrations) = self.receivers.get(receiver) else {
            return true;
        };
        // Settle: a clustered peer waits for the gossip to settle before its first pass.
        self.deps.peer.wait_settled().await;
        let Some(alerts) = stages::mute(self, ctx, alerts) else {
            return true;
        };
        let nctx = NotifyCtx {
            flush: ctx,
            receiver,
            external_url: &self.deps.external_url,
        };
        let results = futures_join(
            integrations
                .iter()
                .map(|i| stages::integration(self, &nctx, i, &alerts)),
        )
        .await;
        results.into_iter().all(|ok| ok)
    }
}

fn add(
    list: &mut Vec<Integration>,
    name: &'static str,
    idx: usize,
    send_resolved: bool,
    notifier: Arc<dyn Notifier>,
) {
    list.push(Integration {
        name,
        idx: idx as u32,
        send_resolved,
        notifier,
    });
}

/// Builds every implemented integration of a receiver.
fn integrations(
    r: &crate::config::Receiver,
    tmpl: &Arc<template::Tmpl>,
) -> Result<Vec<Integration>> {
    use chat::{Chat, Kind};
    let mut list = Vec::new();
    for (i, c) in r.webhook_configs.iter().enumerate() {
        add(
            &mut list,
            "webhook",
            i,
            c.send_resolved,
            Arc::new(webhook::Webhook::new(c)?),
        );
    }
    for (i, c) in r.email_configs.iter().enumerate() {
        add(
            &mut list,
            "email",
            i,
            c.send_resolved,
            Arc::new(email::Email::new(c, tmpl.clone())),
        );
    }
    for (i, c) in r.slack_configs.iter().enumerate() {
        add(
            &mut list,
            "slack",
            i,
            c.send_resolved,
            Arc::new(slack::Slack::new(c, tmpl.clone())?),
        );
    }
    for (i, c) in r.pagerduty_configs.iter().enumerate() {
        add(
            &mut list,
            "pagerduty",
            i,
            c.send_resolved,
            Arc::new(pagerduty::Pagerduty::new(c, tmpl.clone())?),
        );
    }
    for (i, c) in r.opsgenie_configs.iter().enumerate() {
        add(
            &mut list,
            "opsgenie",
            i,
            c.send_resolved,
            Arc::new(opsgenie::OpsGenie::new(c, tmpl.clone())?),
        );
    }
    for (i, c) in r.discord_configs.iter().enumerate() {
        add(
            &mut list,
            "discord",
            i,
            c.send_resolved,
            Arc::new(Chat::new(Kind::Discord(c.clone()), tmpl.clone())?),
        );
    }
    for (i, c) in r.msteams_configs.iter().enumerate() {
        add(
            &mut list,
            "msteams",
            i,
            c.send_resolved,
            Arc::new(Chat::new(Kind::MsTeams(c.clone()), tmpl.clone())?),
        );
    }
    for (i, c) in r.msteamsv2_configs.iter().enumerate() {
        add(
            &mut list,
            "msteamsv2",
            i,
            c.send_resolved,
            Arc::new(Chat::new(Kind::MsTeamsV2(c.clone()), tmpl.clone())?),
        );
    }
    for (i, c) in r.telegram_configs.iter().enumerate() {
        add(
            &mut list,
            "telegram",
            i,
            c.send_resolved,
            Arc::new(Chat::new(Kind::Telegram(c.clone()), tmpl.clone())?),
        );
    }
    Ok(list)
}

/// Runs futures concurrently and collects their outputs in order.
async fn futures_join<F: std::future::Future<Output = bool> + Send>(
    futs: impl Iterator<Item = F>,
) -> Vec<bool> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out = vec![false; set.len()];
    let mut pending: Vec<usize> = (0..set.len()).collect();
    std::future::poll_fn(|cx| {
        pending.retain(|&i| match set[i].as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[i] = v;
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out
}

impl Flusher for Pipeline {
    fn flush<'a>(&'a self, ctx: &'a FlushCtx, alerts: Vec<Arc<Alert>>) -> BoxFuture<'a, bool> {
        Box::pin(self.run(ctx, alerts))
    }
}

/// The nflog key of an integration.
pub fn receiver_key(receiver: &str, i: &Integration) -> ReceiverKey {
    ReceiverKey {
        group_name: receiver.to_string(),
        integration: i.name.to_string(),
        idx: i.idx,
    }
}

/// A retryable or permanent notification error.
pub fn notify_error(integration: &str, message: impl Into<String>, retryable: bool) -> Error {
    Error::Notify {
        integration: integration.to_string(),
        message: message.into(),
        retryable,
    }
}
