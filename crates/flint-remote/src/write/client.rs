//! One endpoint's HTTP side: the protocol headers, the request timeout, and which answers
//! are worth retrying.

use std::time::Duration;

use flint_config::remote::RemoteWriteConfig;
use flint_discovery::client::HttpClient;

use crate::error::{WriteError, error_chain};

/// Sends compressed `WriteRequest`s to one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct WriteClient {
    url: String,
    http: HttpClient,
    headers: Vec<(String, String)>,
    retry_on_429: bool,
}

impl WriteClient {
    /// The client for `cfg` (named `name` in errors).
    pub fn new(name: &str, cfg: &RemoteWriteConfig) -> Result<Self, WriteError> {
        let http = crate::http::client(&cfg.http_client(), cfg.remote_timeout.std()).map_err(
            |source| WriteError::Client {
                name: name.to_string(),
                source,
            },
        )?;
        Ok(WriteClient {
            url: cfg.url.clone().unwrap_or_default(),
            http,
            headers: crate::http::headers(&cfg.headers),
            retry_on_429: cfg.queue_config.retry_on_rate_limit,
        })
    }

    /// POSTs one snappy-compressed request (`attempt` counts retries, for the
    /// `Retry-Attempt` header upstream sends).
    pub async fn store(&self, body: bytes::Bytes, attempt: u32) -> Result<(), WriteError> {
        let rb = self
            .http
            .post_async(&self.url)
            .await
            .map_err(|e| WriteError::Recoverable {
                reason: e.to_string(),
                retry_after: None,
            })?;
        let mut rb = rb
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        if attempt > 0 {
            rb = rb.header("Retry-Attempt", attempt.to_string());
        }
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        let resp = rb
            .body(body)
            .send()
            .await
            .map_err(|e| WriteError::Recoverable {
                reason: format!("Post {:?}: {}", self.url, error_chain(&e)),
                retry_after: None,
            })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.unwrap_or_default();
        let reason = format!(
            "server returned HTTP status {status}: {}",
            crate::http::first_line(&text)
        );
        if status.is_server_error() || (status.as_u16() == 429 && self.retry_on_429) {
            Err(WriteError::Recoverable {
                reason,
                retry_after,
            })
        } else {
            Err(WriteError::Permanent(reason))
        }
    }
}
