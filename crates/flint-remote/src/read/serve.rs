//! `/api/v1/read`: remote-read requests answered from local storage, as Prometheus answers
//! them, with either response the client asks for.
//!
//! - SAMPLES: one snappy-compressed `ReadResponse` with every float sample.
//! - STREAMED_XOR_CHUNKS: frames of XOR chunks, one series per frame, sent as they are
//!   made (the Thanos sidecar reads this way).
//! - Each query selects series by its matchers over `[start, end]`; native histogram
//!   samples are left out for now.
//! - External labels are part of every returned series (a series' own label of the same
//!   name wins), and matchers on external labels are answered against them: a matcher the
//!   external value satisfies is dropped, one it does not satisfy empties the result.
//! - More samples than `sample_limit` in one SAMPLES answer is a 400 (upstream's
//!   `--storage.remote.read-sample-limit`).

use flint_model::{Labels, MatchType, Matcher};
use flint_storage::{Queryable, Series, ValueType};
use flint_tsdb::chunkenc::XorAppender;
use prost::Message;

use crate::error::ReadError;
use crate::prompb::{
    Chunk, ChunkedReadResponse, ChunkedSeries, Label, LabelMatcher, QueryResult, ReadRequest,
    ReadResponse, Sample, TimeSeries,
};

/// The `accepted_response_types` value of the SAMPLES response.
const SAMPLES: i32 = 0;
/// The `accepted_response_types` value of the STREAMED_XOR_CHUNKS response.
const STREAMED_XOR_CHUNKS: i32 = 1;
/// The `Chunk.type` of an XOR chunk.
const XOR: i32 = 1;
/// Samples per chunk, as the TSDB cuts them.
const SAMPLES_PER_CHUNK: usize = 120;

/// The content type of the streamed answer.
pub const STREAMED_CONTENT_TYPE: &str =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// A decoded read request: each query's range and matchers, and the answer the client
/// takes. Building it checks everything that can be refused with a 400, so a streamed
/// answer that has started does not fail for a bad request.
#[derive(Debug)]
pub struct ReadPlan {
    queries: Vec<Planned>,
    streamed: bool,
}

#[derive(Debug)]
struct Planned {
    start: i64,
    end: i64,
    /// `None`: a matcher on an external label the server's value does not satisfy, so
    /// nothing matches.
    matchers: Option<Vec<Matcher>>,
}

impl ReadPlan {
    /// Decodes a snappy-compressed `ReadRequest` and picks the answer: the first type in
    /// the client's list this server speaks (SAMPLES when the list is empty).
    ///
    /// Matchers on external labels are answered against the labels' values here: one the
    /// value satisfies is dropped, one it does not satisfy empties that query.
    pub fn decode(body: &[u8], external_labels: &[(String, String)]) -> Result<Self, ReadError> {
        let raw = snap::raw::Decoder::new().decompress_vec(body)?;
        let req = ReadRequest::decode(raw.as_slice())?;
        let streamed = match req
            .accepted_response_types
            .iter()
            .find(|t| [SAMPLES, STREAMED_XOR_CHUNKS].contains(t))
        {
            Some(t) => *t == STREAMED_XOR_CHUNKS,
            None if req.accepted_response_types.is_empty() => false,
            None => return Err(ReadError::ResponseType(req.accepted_response_types.clone())),
        };
        let mut queries = Vec::with_capacity(req.queries.len());
        for q in &req.queries {
            let mut matchers = Some(Vec::with_capacity(q.matchers.len()));
            for m in &q.matchers {
                let m = matcher(m)?;
                match external_labels.iter().find(|(n, _)| n == m.name()) {
                    Some((_, v)) if m.matches(v) => {}
                    Some(_) => matchers = None,
                    None => {
                        if let Some(ms) = matchers.as_mut() {
                            ms.push(m);
                        }
                    }
                }
            }
            queries.push(Planned {
                start: q.start_timestamp_ms,
                end: q.end_timestamp_ms,
                matchers,
            });
        }
        Ok(ReadPlan { queries, streamed })
    }

    /// Whether the client takes the STREAMED_XOR_CHUNKS answer ([`ReadPlan::stream`]).
    pub fn is_streamed(&self) -> bool {
        self.streamed
    }

    /// The SAMPLES answer, snappy-compressed: every float sample of every matching
    /// series. More than `sample_limit` samples in all is an error.
    pub fn samples(
        &self,
        storage: &dyn Queryable,
        external_labels: &[(String, String)],
        sample_limit: usize,
    ) -> Result<Vec<u8>, ReadError> {
        let mut budget = sample_limit;
        let mut results = Vec::with_capacity(self.queries.len());
        for q in &self.queries {
            let mut timeseries = Vec::new();
            each_series(storage, q, |series| {
                let mut samples = Vec::new();
                let mut it = series.iterator();
                loop {
                    match it.next() {
                        ValueType::None => break,
                        ValueType::Float => {
                            if budget == 0 {
                                return Err(ReadError::SampleLimit(sample_limit));
                            }
                            budget -= 1;
                            let (timestamp, value) = it.at();
                            samples.push(Sample { value, timestamp });
                        }
                        ValueType::Histogram | ValueType::FloatHistogram => {}
                    }
                }
                if let Some(e) = it.err() {
                    return Err(e.into());
                }
                timeseries.push(TimeSeries {
                    labels: with_external(series.labels(), external_labels),
                    samples,
                    exemplars: Vec::new(),
                });
                Ok(true)
            })?;
            results.push(QueryResult { timeseries });
        }
        let resp = ReadResponse { results }.encode_to_vec();
        Ok(snap::raw::Encoder::new().compress_vec(&resp)?)
    }

    /// The STREAMED_XOR_CHUNKS answer, one frame at a time to `emit` (which returns false
    /// when the client has gone, ending the answer). Each frame is a `ChunkedReadResponse`
    /// holding chunks of one series, as upstream sends them, framed as the protocol says:
    /// the message length as a uvarint, its CRC-32C big-endian, then the message. A frame
    /// holds about `max_frame_bytes` of chunks; a longer series goes on in the next frame.
    /// Chunks are cut at 120 samples from the samples in the query's range.
    pub fn stream(
        &self,
        storage: &dyn Queryable,
        external_labels: &[(String, String)],
        max_frame_bytes: usize,
        emit: &mut dyn FnMut(Vec<u8>) -> bool,
    ) -> Result<(), ReadError> {
        let mut gone = false;
        for (index, q) in self.queries.iter().enumerate() {
            let query_index = i64::try_from(index).unwrap_or(i64::MAX);
            let mut emit = |frame: Vec<u8>| {
                gone = gone || !emit(frame);
                !gone
            };
            let emit = &mut emit;
            each_series(storage, q, |series| {
                let labels = with_external(series.labels(), external_labels);
                let label_bytes: usize = labels.iter().map(|l| l.encoded_len() + 2).sum();
                let budget = max_frame_bytes.saturating_sub(label_bytes).max(1);
                let mut frame = FrameBuilder::new(&labels, query_index, budget);
                let mut app = XorAppender::new();
                let mut first = i64::MIN;
                let mut last = i64::MIN;
                let mut it = series.iterator();
                loop {
                    match it.next() {
                        ValueType::None => break,
                        ValueType::Float => {
                            let (t, v) = it.at();
                            if app.num_samples() == 0 {
                                first = t;
                            }
                            app.append(t, v).map_err(|e| {
                                ReadError::Encode(format!("series {}: {e}", series.labels()))
                            })?;
                            last = t;
                            if app.num_samples() == SAMPLES_PER_CHUNK {
                                let full = std::mem::take(&mut app);
                                if !frame.push(full.into_chunk().into_bytes(), first, last, emit) {
                                    return Ok(false);
                                }
                            }
                        }
                        ValueType::Histogram | ValueType::FloatHistogram => {}
                    }
                }
                if let Some(e) = it.err() {
                    return Err(e.into());
                }
                if app.num_samples() > 0 {
                    let rest = std::mem::take(&mut app).into_chunk().into_bytes();
                    if !frame.push(rest, first, last, emit) {
                        return Ok(false);
                    }
                }
                Ok(frame.finish(emit))
            })?;
            if gone {
                break;
            }
        }
        Ok(())
    }
}

/// Collects one series' chunks into frames of about `budget` bytes.
struct FrameBuilder<'a> {
    labels: &'a [Label],
    query_index: i64,
    budget: usize,
    chunks: Vec<Chunk>,
    bytes: usize,
}

impl<'a> FrameBuilder<'a> {
    fn new(labels: &'a [Label], query_index: i64, budget: usize) -> Self {
        FrameBuilder {
            labels,
            query_index,
            budget,
            chunks: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a chunk, sending the frame once it is full; false when the client has gone.
    fn push(
        &mut self,
        data: Vec<u8>,
        min_time_ms: i64,
        max_time_ms: i64,
        emit: &mut dyn FnMut(Vec<u8>) -> bool,
    ) -> bool {
        let chunk = Chunk {
            min_time_ms,
            max_time_ms,
            r#type: XOR,
            data,
        };
        self.bytes += chunk.encoded_len() + 2;
        self.chunks.push(chunk);
        if self.bytes >= self.budget {
            return self.finish(emit);
        }
        true
    }

    /// Sends what is collected, if anything.
    fn finish(&mut self, emit: &mut dyn FnMut(Vec<u8>) -> bool) -> bool {
        if self.chunks.is_empty() {
            return true;
        }
        let msg = ChunkedReadResponse {
            chunked_series: vec![ChunkedSeries {
                labels: self.labels.to_vec(),
                chunks: std::mem::take(&mut self.chunks),
            }],
            query_index: self.query_index,
        }
        .encode_to_vec();
        self.bytes = 0;
        emit(frame(&msg))
    }
}

/// `msg` framed for the stream: uvarint length, CRC-32C (big-endian), the bytes.
fn frame(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 14);
    prost::encoding::encode_varint(msg.len() as u64, &mut out);
    out.extend_from_slice(&crc32c::crc32c(msg).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

/// Calls `f` on every series `q` selects, in label order, until it returns false.
fn each_series(
    storage: &dyn Queryable,
    q: &Planned,
    mut f: impl FnMut(&dyn Series) -> Result<bool, ReadError>,
) -> Result<(), ReadError> {
    let Some(matchers) = &q.matchers else {
        return Ok(());
    };
    let querier = storage.querier(q.start, q.end)?;
    let mut set = querier.select(true, None, matchers);
    while let Some(series) = set.next_series() {
        if !f(series?.as_ref())? {
            break;
        }
    }
    Ok(())
}

fn matcher(m: &LabelMatcher) -> Result<Matcher, ReadError> {
    let kind = match m.r#type {
        0 => MatchType::Equal,
        1 => MatchType::NotEqual,
        2 => MatchType::RegexMatch,
        3 => MatchType::RegexNoMatch,
        t => return Err(ReadError::Matcher(format!("unknown matcher type {t}"))),
    };
    Matcher::new(kind, m.name.as_str(), m.value.as_str())
        .map_err(|e| ReadError::Matcher(e.to_string()))
}

/// The series' labels plus the external labels it does not carry, sorted by name.
fn with_external(labels: &Labels, external: &[(String, String)]) -> Vec<Label> {
    let mut out: Vec<Label> = labels
        .iter()
        .map(|l| Label {
            name: l.name.to_string(),
            value: l.value.to_string(),
        })
        .collect();
    for (n, v) in external {
        if labels.get(n).is_none() {
            out.push(Label {
                name: n.clone(),
                value: v.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
