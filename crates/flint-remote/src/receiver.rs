//! `/api/v1/write`: remote-write 1.0 requests appended to storage, as Prometheus's receiver
//! answers them.
//!
//! - Content type: none or `application/x-protobuf`, optionally with
//!   `proto=prometheus.WriteRequest`; anything else (2.0's `io.prometheus.write.v2.Request`
//!   included, for now) is 415. Content encoding: none or `snappy`, else 415.
//! - A body that is not snappy or not a `WriteRequest` is 400.
//! - Series without `__name__`, with invalid names or duplicate label names are skipped and
//!   counted (`prometheus_api_remote_write_invalid_labels_samples_total`).
//! - The first sample the storage refuses (out of order, out of bounds, duplicate, too old,
//!   or more than 10 minutes in the future) rolls the whole request back and answers 400,
//!   so the sender drops it instead of retrying; a storage failure answers 500.
//! - Exemplar errors never fail a request (exemplar storage is best effort, as upstream).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use flint_client::metrics::counter::Counter;
use flint_model::{Exemplar, Labels, NameValidation};
use flint_storage::{AppendError, Appendable, Appender};
use prost::Message;

use crate::error::ReceiveError;
use crate::prompb::{Label, TimeSeries, WriteRequest};

/// The media type of remote-write bodies.
pub const CONTENT_TYPE: &str = "application/x-protobuf";

/// The `proto` parameter naming the 1.0 message.
const PROTO_V1: &str = "prometheus.WriteRequest";

/// Samples further ahead than this are refused (upstream's `maxAheadTime`).
const MAX_AHEAD_MS: i64 = 10 * 60 * 1000;

/// What one accepted request added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Float samples appended.
    pub samples: usize,
    /// Exemplars appended.
    pub exemplars: usize,
    /// Samples skipped because their series' labels are invalid.
    pub invalid_label_samples: usize,
}

/// The receiver: decodes requests and appends them to one storage.
#[derive(Clone)]
pub struct WriteReceiver {
    storage: Arc<dyn Appendable>,
    invalid_labels: Counter,
}

impl std::fmt::Debug for WriteReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteReceiver").finish_non_exhaustive()
    }
}

impl WriteReceiver {
    /// A receiver appending to `storage`, with its counter registered in `registry`.
    pub fn new(storage: Arc<dyn Appendable>, registry: &flint_client::Registry) -> Self {
        let invalid_labels = Counter::default();
        if let Err(e) = registry.register(
            "prometheus_api_remote_write_invalid_labels_samples_total",
            "The total number of received remote write samples and histogram samples which were rejected due to invalid labels.",
            invalid_labels.clone(),
        ) {
            tracing::warn!(error = %e, "registering the remote-write receiver's metrics");
        }
        WriteReceiver {
            storage,
            invalid_labels,
        }
    }

    /// Handles one request from its `Content-Type` and `Content-Encoding` headers and body.
    pub fn receive(
        &self,
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        body: &[u8],
    ) -> Result<WriteStats, ReceiveError> {
        check_content_type(content_type.unwrap_or(CONTENT_TYPE))?;
        if let Some(enc) = content_encoding.filter(|e| !e.is_empty())
            && !enc.eq_ignore_ascii_case("snappy")
        {
            return Err(ReceiveError::UnsupportedMedia(format!(
                "{enc} encoding (compression) is not accepted by this server; only snappy is acceptable"
            )));
        }
        let raw = snap::raw::Decoder::new().decompress_vec(body)?;
        let req = WriteRequest::decode(raw.as_slice())?;
        self.write(&req, now_ms())
    }

    /// Appends a decoded request as one batch, refusing samples after `now + 10m`.
    pub fn write(&self, req: &WriteRequest, now: i64) -> Result<WriteStats, ReceiveError> {
        let mut app = self.storage.appender();
        match append_all(app.as_mut(), req, now + MAX_AHEAD_MS) {
            Ok(stats) => {
                app.commit()?;
                if stats.invalid_label_samples > 0 {
                    self.invalid_labels
                        .inc_by(stats.invalid_label_samples as u64);
                }
                Ok(stats)
            }
            Err(e) => {
                if let Err(rb) = app.rollback() {
                    tracing::warn!(error = %rb, "rolling back a refused remote-write request");
                }
                Err(e)
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Checks `application/x-protobuf[;proto=prometheus.WriteRequest]` (parameters as RFC 9110).
fn check_content_type(ct: &str) -> Result<(), ReceiveError> {
    let mut parts = ct.trim().split(';');
    let media = parts.next().unwrap_or_default().trim();
    if media != CONTENT_TYPE {
        return Err(ReceiveError::UnsupportedMedia(format!(
            "expected {CONTENT_TYPE} as the first (media) part, got {ct} content-type"
        )));
    }
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            return Err(ReceiveError::UnsupportedMedia(format!(
                "expected parameters to be key-values, got {p} in {ct} content-type"
            )));
        };
        if k.trim() == "proto" && v.trim() != PROTO_V1 {
            return Err(ReceiveError::UnsupportedMedia(format!(
                "{} protobuf message is not accepted by this server; accepted [{PROTO_V1}]",
                v.trim()
            )));
        }
    }
    Ok(())
}

/// The series' labels, or `None` when they are invalid (no `__name__`, a bad name, a
/// duplicate name).
fn series_labels(ls: &[Label]) -> Option<Labels> {
    let mut names: Vec<&str> = ls.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let labels = Labels::from_pairs(ls.iter().map(|l| (l.name.as_str(), l.value.as_str())));
    let named = labels.get("__name__").is_some();
    (named && labels.validate(NameValidation::Utf8).is_ok()).then_some(labels)
}

fn append_all(
    app: &mut dyn Appender,
    req: &WriteRequest,
    max_t: i64,
) -> Result<WriteStats, ReceiveError> {
    let mut stats = WriteStats::default();
    for ts in &req.timeseries {
        let Some(labels) = series_labels(&ts.labels) else {
            tracing::warn!(labels = ?ts.labels, "remote write: invalid metric name or labels");
            stats.invalid_label_samples += ts.samples.len();
            continue;
        };
        append_series(app, ts, &labels, max_t, &mut stats)?;
    }
    Ok(stats)
}

fn append_series(
    app: &mut dyn Appender,
    ts: &TimeSeries,
    labels: &Labels,
    max_t: i64,
    stats: &mut WriteStats,
) -> Result<(), ReceiveError> {
    let refused = |error: AppendError| match error {
        AppendError::Storage(e) => ReceiveError::Storage(e),
        error => ReceiveError::Sample {
            error,
            series: labels.to_string(),
        },
    };
    let mut series = None;
    for s in &ts.samples {
        if s.timestamp > max_t {
            return Err(refused(AppendError::OutOfBounds));
        }
        series = Some(
            app.append(series, labels, s.timestamp, s.value)
                .map_err(refused)?,
        );
        stats.samples += 1;
    }
    for e in &ts.exemplars {
        let ex = Exemplar {
            labels: e
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect(),
            value: e.value,
            timestamp: Some(e.timestamp),
        };
        match app.append_exemplar(series, labels, &ex) {
            Ok(r) => {
                series = Some(r);
                stats.exemplars += 1;
            }
            Err(err) => {
                tracing::debug!(error = %err, series = %labels, "remote write: exemplar dropped")
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_as_upstream() {
        assert!(check_content_type("application/x-protobuf").is_ok());
        assert!(check_content_type("application/x-protobuf;proto=prometheus.WriteRequest").is_ok());
        for bad in [
            "application/json",
            "application/x-protobuf;proto=io.prometheus.write.v2.Request",
            "application/x-protobuf;oops",
        ] {
            let e = check_content_type(bad).expect_err(bad);
            assert_eq!(e.status(), 415, "{bad}: {e}");
        }
    }

    #[test]
    fn invalid_series_are_recognised() {
        let l = |n: &str, v: &str| Label {
            name: n.into(),
            value: v.into(),
        };
        assert!(series_labels(&[l("__name__", "up"), l("job", "a")]).is_some());
        assert!(series_labels(&[l("job", "a")]).is_none(), "no name");
        assert!(series_labels(&[l("__name__", "up"), l("a", "1"), l("a", "2")]).is_none());
        assert!(series_labels(&[l("__name__", "up"), l("", "x")]).is_none());
    }
}
