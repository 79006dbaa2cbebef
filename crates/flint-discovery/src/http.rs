//! `http_sd_configs`: target groups from a JSON endpoint, polled every `refresh_interval`.

use flint_config::{HttpSdConfig, StaticConfig};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::{ClientOptions, HttpClient};
use crate::discoverer::{Discoverer, RunFuture};
use crate::error::{Error, Result};
use crate::metrics::HttpMetrics;
use crate::targetgroup::TargetGroup;

/// The label naming the SD URL.
pub const URL_LABEL: &str = "__meta_url";

/// Polls one HTTP SD endpoint.
#[derive(Debug)]
pub struct HttpDiscoverer {
    cfg: HttpSdConfig,
    client: HttpClient,
    metrics: HttpMetrics,
    last_count: usize,
}

impl HttpDiscoverer {
    /// A discoverer for `cfg`.
    pub fn new(cfg: HttpSdConfig, metrics: HttpMetrics) -> Result<Self> {
        let opts = ClientOptions {
            timeout: Some(
                cfg.refresh_interval
                    .std()
                    .max(std::time::Duration::from_secs(1)),
            ),
            ..ClientOptions::default()
        };
        let client = HttpClient::new(&cfg.http_client(), &opts)?;
        Ok(HttpDiscoverer {
            cfg,
            client,
            metrics,
            last_count: 0,
        })
    }

    async fn fetch(&self) -> Result<Vec<TargetGroup>> {
        let url = &self.cfg.url;
        let err = |message: String| Error::Http {
            url: url.clone(),
            message,
        };
        let resp = self
            .client
            .get_async(url)
            .await?
            .header(
                "X-Prometheus-Refresh-Interval-Seconds",
                self.cfg.refresh_interval.std().as_secs_f64().to_string(),
            )
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(err(format!(
                "server returned HTTP status {}",
                resp.status()
            )));
        }
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !ct
            .split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        {
            return Err(err(format!("unsupported content type {ct:?}")));
        }
        let body = resp.bytes().await.map_err(|e| err(e.to_string()))?;
        let groups: Vec<Option<StaticConfig>> =
            serde_json::from_slice(&body).map_err(|e| err(e.to_string()))?;
        let mut out = Vec::with_capacity(groups.len());
        for (i, g) in groups.iter().enumerate() {
            let g = g
                .as_ref()
                .ok_or_else(|| err("nil target group item found".into()))?;
            out.push(TargetGroup::from_static(
                format!("{url}:{i}"),
                g,
                &[(URL_LABEL, url.as_str())],
            ));
        }
        Ok(out)
    }
}

impl Discoverer for HttpDiscoverer {
    fn run(
        mut self: Box<Self>,
        cancel: CancellationToken,
        tx: mpsc::Sender<Vec<TargetGroup>>,
    ) -> RunFuture {
        Box::pin(async move {
            let mut ticker = tokio::time::interval(
                self.cfg
                    .refresh_interval
                    .std()
                    .max(std::time::Duration::from_millis(10)),
            );
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let mut groups = tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = self.fetch() => match r {
                        Ok(g) => g,
                        Err(e) => {
                            self.metrics.failures.inc();
                            tracing::error!(error = %e, "Unable to refresh target groups");
                            continue;
                        }
                    },
                };
                let n = groups.len();
                groups.extend(
                    (n..self.last_count)
                        .map(|i| TargetGroup::empty(format!("{}:{i}", self.cfg.url))),
                );
                self.last_count = n;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = tx.send(groups) => if r.is_err() { return },
                }
            }
        })
    }
}
