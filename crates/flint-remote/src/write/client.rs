//! One endpoint's HTTP side: the protocol headers, the request timeout, and which answers
//! are worth retrying.

use std::time::Duration;

use flint_config::remote::RemoteWriteConfig;
use flint_discovery::client::{ClientOptions, HttpClient};

use crate::error::{WriteError, error_chain};

/// Sends compressed `WriteRequest`s to one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct WriteClient {
    url: String,
    http: HttpClient,
    headers: Vec<(String, String)>,
    retry_on_429: bool,
}

/// Bytes of an error answer kept for the log.
const ERROR_BODY_LIMIT: usize = 1024;

impl WriteClient {
    /// The client for `cfg` (named `name` in errors).
    pub fn new(name: &str, cfg: &RemoteWriteConfig) -> Result<Self, WriteError> {
        let opts = ClientOptions {
            user_agent: format!("Prometheus/{} (Flint)", env!("CARGO_PKG_VERSION")),
            timeout: Some(cfg.remote_timeout.std()),
        };
        let http =
            HttpClient::new(&cfg.http_client(), &opts).map_err(|source| WriteError::Client {
                name: name.to_string(),
                source,
            })?;
        Ok(WriteClient {
            url: cfg.url.clone().unwrap_or_default(),
            http,
            headers: cfg
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
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
        let first = text.lines().next().unwrap_or("");
        let cut = first
            .char_indices()
            .nth(ERROR_BODY_LIMIT)
            .map_or(first.len(), |(i, _)| i);
        let reason = format!("server returned HTTP status {status}: {}", &first[..cut]);
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
