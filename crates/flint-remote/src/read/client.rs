//! The HTTP side of one `remote_read` entry: a `ReadRequest` of one query out; its answer
//! back, streamed XOR chunks when the endpoint speaks them (Prometheus does; they are
//! smaller and the endpoint need not hold the whole answer), else SAMPLES.

use flint_config::remote::RemoteReadConfig;
use flint_discovery::client::HttpClient;
use prost::Message;

use crate::error::{RemoteReadError, error_chain};
use crate::prompb::{
    ChunkedReadResponse, Label, Query, QueryResult, ReadRequest, ReadResponse, Sample, TimeSeries,
};

/// The SAMPLES response type.
const SAMPLES: i32 = 0;
/// The STREAMED_XOR_CHUNKS response type, asked for first.
const STREAMED_XOR_CHUNKS: i32 = 1;
/// The `Chunk.type` of an XOR chunk.
const XOR: i32 = 1;

/// Sends read requests to one endpoint.
#[derive(Debug, Clone)]
pub struct ReadClient {
    name: String,
    url: String,
    http: HttpClient,
    headers: Vec<(String, String)>,
    timeout: std::time::Duration,
    /// `chunked_read_limit`: the largest frame accepted (0: no limit).
    frame_limit: u64,
}

impl ReadClient {
    /// The client for `cfg`, called `name` in errors and warnings.
    pub fn new(name: &str, cfg: &RemoteReadConfig) -> Result<Self, RemoteReadError> {
        let http = crate::http::client(&cfg.http_client(), cfg.remote_timeout.std()).map_err(
            |source| RemoteReadError::Client {
                name: name.to_string(),
                source,
            },
        )?;
        Ok(ReadClient {
            name: name.to_string(),
            url: cfg.url.clone().unwrap_or_default(),
            http,
            headers: crate::http::headers(&cfg.headers),
            timeout: cfg.remote_timeout.std(),
            frame_limit: cfg.chunked_read_limit,
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
            accepted_response_types: vec![STREAMED_XOR_CHUNKS, SAMPLES],
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
            return Err(fail(format!(
                "remote server {} returned HTTP status {status}: {}",
                self.url,
                crate::http::first_line(&String::from_utf8_lossy(&bytes))
            )));
        }
        if content_type.starts_with("application/x-streamed-protobuf") {
            return decode_frames(&bytes, self.frame_limit).map_err(fail);
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

/// The series of a streamed answer (one query's): frames checked against their CRC-32C,
/// XOR chunks decoded, a series split over several frames joined again. Chunks of other
/// encodings (native histograms) are skipped.
fn decode_frames(mut body: &[u8], limit: u64) -> Result<QueryResult, String> {
    let mut timeseries: Vec<TimeSeries> = Vec::new();
    while !body.is_empty() {
        let len = prost::encoding::decode_varint(&mut body)
            .map_err(|e| format!("reading a frame's length: {e}"))?;
        if limit > 0 && len > limit {
            return Err(format!(
                "chunkedReader: message size exceeded the limit {limit} bytes; got: {len} bytes"
            ));
        }
        let len = usize::try_from(len).map_err(|_| "frame too large".to_string())?;
        if body.len() < 4 + len {
            return Err("truncated frame".into());
        }
        let (crc, rest) = body.split_at(4);
        let (msg, rest) = rest.split_at(len);
        body = rest;
        if u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]) != crc32c::crc32c(msg) {
            return Err("chunkedReader: CRC mismatch".into());
        }
        let frame = ChunkedReadResponse::decode(msg)
            .map_err(|e| format!("unable to unmarshal frame: {e}"))?;
        for cs in frame.chunked_series {
            let mut samples = Vec::new();
            for c in cs.chunks.iter().filter(|c| c.r#type == XOR) {
                let mut it = flint_tsdb::chunkenc::XorIterator::new(&c.data);
                while it.advance().map_err(|e| format!("decoding a chunk: {e}"))? {
                    let (timestamp, value) = it.at();
                    samples.push(Sample { value, timestamp });
                }
            }
            match timeseries.last_mut() {
                Some(last) if same_labels(&last.labels, &cs.labels) => last.samples.extend(samples),
                _ => timeseries.push(TimeSeries {
                    labels: cs.labels,
                    samples,
                    exemplars: Vec::new(),
                }),
            }
        }
    }
    Ok(QueryResult { timeseries })
}

fn same_labels(a: &[Label], b: &[Label]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.value == y.value)
}
