//! `/api/v1/read`: remote-read requests answered from local storage with the SAMPLES
//! response (a snappy-compressed `ReadResponse`), as Prometheus answers them.
//!
//! - Each query selects series by its matchers over `[start, end]`; float samples are
//!   returned in time order (native histogram samples are left out for now).
//! - External labels are part of every returned series (a series' own label of the same
//!   name wins), and matchers on external labels are answered against them: a matcher the
//!   external value satisfies is dropped, one it does not satisfy empties the result.
//! - The streamed XOR-chunk response is not implemented: a request accepting only that
//!   type is refused with 400, like any request accepting no type this server speaks.
//! - More samples than `sample_limit` in one request is a 400 (upstream's
//!   `--storage.remote.read-sample-limit`).

use flint_model::{Labels, MatchType, Matcher};
use flint_storage::{Queryable, ValueType};
use prost::Message;

use crate::error::ReadError;
use crate::prompb::{
    Label, LabelMatcher, Query, QueryResult, ReadRequest, ReadResponse, Sample, TimeSeries,
};

/// The `accepted_response_types` value of the SAMPLES response.
const SAMPLES: i32 = 0;

/// Answers one read request (its snappy-compressed body) with the compressed response.
pub fn serve(
    storage: &dyn Queryable,
    body: &[u8],
    external_labels: &[(String, String)],
    sample_limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let raw = snap::raw::Decoder::new().decompress_vec(body)?;
    let req = ReadRequest::decode(raw.as_slice())?;
    if !req.accepted_response_types.is_empty() && !req.accepted_response_types.contains(&SAMPLES) {
        return Err(ReadError::ResponseType(req.accepted_response_types.clone()));
    }
    let mut budget = sample_limit;
    let results = req
        .queries
        .iter()
        .map(|q| query(storage, q, external_labels, &mut budget, sample_limit))
        .collect::<Result<Vec<_>, _>>()?;
    let resp = ReadResponse { results }.encode_to_vec();
    Ok(snap::raw::Encoder::new().compress_vec(&resp)?)
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

fn query(
    storage: &dyn Queryable,
    q: &Query,
    external_labels: &[(String, String)],
    budget: &mut usize,
    limit: usize,
) -> Result<QueryResult, ReadError> {
    let mut matchers = Vec::with_capacity(q.matchers.len());
    for m in &q.matchers {
        let m = matcher(m)?;
        match external_labels.iter().find(|(n, _)| n == m.name()) {
            Some((_, v)) if m.matches(v) => {}
            Some(_) => return Ok(QueryResult::default()),
            None => matchers.push(m),
        }
    }
    let querier = storage.querier(q.start_timestamp_ms, q.end_timestamp_ms)?;
    let mut set = querier.select(true, None, &matchers);
    let mut timeseries = Vec::new();
    while let Some(series) = set.next_series() {
        let series = series?;
        let mut samples = Vec::new();
        let mut it = series.iterator();
        loop {
            match it.next() {
                ValueType::None => break,
                ValueType::Float => {
                    let (t, v) = it.at();
                    if *budget == 0 {
                        return Err(ReadError::SampleLimit(limit));
                    }
                    *budget -= 1;
                    samples.push(Sample {
                        value: v,
                        timestamp: t,
                    });
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
    }
    Ok(QueryResult { timeseries })
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
