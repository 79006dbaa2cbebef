//! Fetching one scrape: request headers, timeout, bounded body, gzip.

use std::io::Read;
use std::time::Duration;

use flint_discovery::client::HttpClient;

use crate::error::{Error, Result};

/// Upper bound on a decompressed body when no `body_size_limit` is set (a gzip bomb must
/// not take the server down).
pub const DEFAULT_MAX_BODY: u64 = 512 << 20;

/// Buffers a loop keeps between scrapes, so a steady scrape allocates no body memory.
#[derive(Debug, Default)]
pub struct Buffers {
    /// The body as received.
    pub raw: Vec<u8>,
    /// The uncompressed body (the result).
    pub body: Vec<u8>,
}

/// Free [`Buffers`] of a pool's loops.
#[derive(Debug, Default)]
pub struct BufferPool(std::sync::Mutex<Vec<Buffers>>);

/// Buffers larger than this are not kept (a one-off huge body should not stay resident).
const MAX_KEPT: usize = 16 << 20;

impl BufferPool {
    /// A free pair of buffers (new ones when none is free).
    pub fn take(&self) -> Buffers {
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }

    /// Returns buffers for the next scrape.
    pub fn give(&self, b: Buffers) {
        if b.raw.capacity() + b.body.capacity() > MAX_KEPT {
            return;
        }
        if let Ok(mut v) = self.0.lock() {
            v.push(b);
        }
    }
}

/// Fetches `url` within `timeout`, asking for `accept` and gzip when `compression`; the
/// uncompressed body lands in `buf.body`. Returns the `Content-Type`.
pub async fn fetch(
    client: &HttpClient,
    url: &str,
    accept: &str,
    timeout: Duration,
    compression: bool,
    body_limit: u64,
    buf: &mut Buffers,
) -> Result<String> {
    let limit = if body_limit == 0 {
        DEFAULT_MAX_BODY
    } else {
        body_limit
    };
    let req = client
        .get_async(url)
        .await?
        .header(reqwest::header::ACCEPT, accept)
        .header(
            "X-Prometheus-Scrape-Timeout-Seconds",
            format!("{}", timeout.as_secs_f64()),
        )
        .header(
            reqwest::header::ACCEPT_ENCODING,
            if compression { "gzip" } else { "identity" },
        );
    let work = async {
        let mut resp = req
            .send()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(Error::Status(resp.status().to_string()));
        }
        let headers = resp.headers();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let gzip = headers
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let raw = &mut buf.raw;
        raw.clear();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?
        {
            raw.extend_from_slice(&chunk);
            // The compressed size bounds the uncompressed one from below.
            if raw.len() as u64 > limit {
                return Err(Error::BodySizeLimit);
            }
        }
        buf.body.clear();
        if gzip {
            gunzip_into(raw, limit, &mut buf.body)?;
        } else {
            std::mem::swap(raw, &mut buf.body);
        }
        Ok(content_type)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout),
    }
}

/// Decompresses at most `limit` bytes into `out`.
pub fn gunzip_into(raw: &[u8], limit: u64, out: &mut Vec<u8>) -> Result<()> {
    let mut dec = flate2::read::MultiGzDecoder::new(raw).take(limit + 1);
    dec.read_to_end(out)
        .map_err(|e| Error::Gzip(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(Error::BodySizeLimit);
    }
    Ok(())
}
