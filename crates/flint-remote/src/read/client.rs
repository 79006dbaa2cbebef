//! The HTTP side of one `remote_read` entry: a `ReadRequest` of one query out, its
//! SAMPLES answer back.

use flint_config::remote::RemoteReadConfig;
use flint_discovery::client::{ClientOptions, HttpClient};
use prost::Message;

use crate::error::{RemoteReadError, error_chain};
use crate::prompb::{Query, QueryResult, ReadRequest, ReadResponse};

/// The SAMPLES response type, the one this client asks for.
const SAMPLES: i32 = 0;
/// Bytes of an error answer kept for the message.
const ERROR_BODY_LIMIT: usize = 1024;

/// Sends read requests to one endpoint.
#[derive(Debug, Clone)]
pub struct ReadClient {
    name: String,
    url: String,
    http: HttpClient,
    headers: Vec<(String, String)>,
    timeout: std::time::Duration,
}

impl ReadClient {
    /// The client for `cfg`, called `name` in errors and warnings.
    pub fn new(name: &str, cfg: &RemoteReadConfig) -> Result<Self, RemoteReadError> {
        let opts = ClientOptions {
            user_agent: format!("Prometheus/{} (Flint)", env!("CARGO_PKG_VERSION")),
            timeout: Some(cfg.remote_timeout.std()),
        };
        let http = HttpClient::new(&cfg.http_client(), &opts).map_err(|source| {
            RemoteReadError::Client {
                name: name.to_string(),
                source,
            }
        })?;
        Ok(ReadClient {
            name: name.to_string(),
            url: cfg.url.clone().unwrap_or_default(),
            http,
            headers: cfg
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            timeout: cfg.remote_timeout.std(),
        })
    }

    /// The request timeout (`remote_timeout`).
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    /// The entry's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs one query remotely.
    pub async fn read(&self, query: Query) -> Result<QueryResult, RemoteReadError> {
        let fail = |reason: String| RemoteReadError::Request {
            name: self.name.clone(),
            reason,
        };
        let req = ReadRequest {
            queries: vec![query],
            accepted_response_types: vec![SAMPLES],
        };
        let body = snap::raw::Encoder::new()
            .compress_vec(&req.encode_to_vec())
            .map_err(|e| fail(format!("compressing the request: {e}")))?;
        let mut rb = self
            .http
            .post_async(&self.url)
            .await
            .map_err(|e| fail(e.to_string()))?
            .header("Content-Encoding", "snappy")
            .header("Accept-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Read-Version", "0.1.0");
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        let resp = rb
            .body(body)
            .send()
            .await
            .map_err(|e| fail(format!("error sending request: {}", error_chain(&e))))?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| fail(format!("error reading response: {}", error_chain(&e))))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            let first = text.lines().next().unwrap_or("");
            let cut = first
                .char_indices()
                .nth(ERROR_BODY_LIMIT)
                .map_or(first.len(), |(i, _)| i);
            return Err(fail(format!(
                "remote server {} returned HTTP status {status}: {}",
                self.url,
                &first[..cut]
            )));
        }
        if content_type.starts_with("application/x-streamed-protobuf") {
            return Err(fail(format!(
                "unexpected streamed response (content type {content_type}) to a SAMPLES request"
            )));
        }
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&bytes)
            .map_err(|e| fail(format!("error reading response: snappy: {e}")))?;
        let mut resp = ReadResponse::decode(raw.as_slice())
            .map_err(|e| fail(format!("unable to unmarshal response body: {e}")))?;
        match resp.results.len() {
            1 => Ok(resp.results.swap_remove(0)),
            n => Err(fail(format!("responses: want 1, got {n}"))),
        }
    }
}
