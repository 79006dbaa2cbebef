//! One endpoint's HTTP side: the protocol headers, the request timeout, which answers are
//! worth retrying, and which protocol the endpoint speaks. A queue configured for remote
//! write 2.0 falls back to 1.0 for good when the receiver refuses the 2.0 content type
//! (415) or accepts a 2.0 request without the written-count headers every 2.0 receiver
//! sends (a 1.0 receiver decodes a 2.0 body as an empty 1.0 request and answers 204).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Whether requests go out as 2.0 (shared by the queue's shards).
    v2: Arc<AtomicBool>,
}

/// `protobuf_message` of remote write 2.0.
const PROTO_V2: &str = "io.prometheus.write.v2.Request";
/// The header a 2.0 receiver always answers with.
const SAMPLES_WRITTEN: &str = "X-Prometheus-Remote-Write-Samples-Written";

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
            v2: Arc::new(AtomicBool::new(cfg.protobuf_message == PROTO_V2)),
        })
    }

    /// Whether requests are encoded as remote write 2.0.
    pub fn v2(&self) -> bool {
        self.v2.load(Ordering::Relaxed)
    }

    /// Switches the endpoint to 1.0; whether it was on 2.0 until now.
    pub fn fall_back_to_v1(&self) -> bool {
        self.v2.swap(false, Ordering::Relaxed)
    }

    /// POSTs one snappy-compressed request encoded as 2.0 when `v2` (`attempt` counts
    /// retries, for the `Retry-Attempt` header upstream sends).
    pub async fn store(
        &self,
        body: bytes::Bytes,
        attempt: u32,
        v2: bool,
    ) -> Result<(), WriteError> {
        let rb = self
            .http
            .post_async(&self.url)
            .await
            .map_err(|e| WriteError::Recoverable {
                reason: e.to_string(),
                retry_after: None,
            })?;
        let (content_type, version) = if v2 {
            (
                "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                "2.0.0",
            )
        } else {
            ("application/x-protobuf", "0.1.0")
        };
        let mut rb = rb
            .header("Content-Encoding", "snappy")
            .header("Content-Type", content_type)
            .header("X-Prometheus-Remote-Write-Version", version);
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
            if v2 && !resp.headers().contains_key(SAMPLES_WRITTEN) {
                return Err(WriteError::NotV2(format!(
                    "the receiver answered {status} without {SAMPLES_WRITTEN}"
                )));
            }
            return Ok(());
        }
        if v2 && status == reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return Err(WriteError::NotV2(format!(
                "the receiver refused the 2.0 content type ({status})"
            )));
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
