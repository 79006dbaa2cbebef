//! `/api/v1/write`: remote-write 1.0 and 2.0 requests appended to storage, as Prometheus's
//! receiver answers them.
//!
//! - Content type: none or `application/x-protobuf`, optionally with
//!   `proto=prometheus.WriteRequest` (1.0) or `proto=io.prometheus.write.v2.Request` (2.0);
//!   any other is 415. Content encoding: none or `snappy`, else 415.
//! - A body that is not snappy or not the message its content type names is 400, and so is
//!   a 2.0 label reference outside the symbol table.
//! - 2.0: labels come from the symbol table, metadata is stored with its series, and the
//!   answer's `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` headers
//!   ([`WriteStats::written_headers`]) say what was stored. Native histograms are not
//!   stored yet, so they count as not written; created timestamps are ignored.
//! - Series without `__name__`, with invalid names or duplicate label names are skipped and
//!   counted (`prometheus_api_remote_write_invalid_labels_samples_total`).
//! - The first sample the storage refuses (out of order, out of bounds, duplicate, too old,
//!   or more than 10 minutes in the future) rolls the whole request back and answers 400,
//!   so the sender drops it instead of retrying; a storage failure answers 500.
//! - Exemplar errors never fail a request (exemplar storage is best effort, as upstream).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use flint_client::metrics::counter::Counter;
use flint_model::{Exemplar, Labels, Metadata, MetricType, NameValidation};
use flint_storage::{AppendError, Appendable, Appender};
use prost::Message;

use crate::error::ReceiveError;
use crate::prompb::{Label, TimeSeries, WriteRequest};
use crate::prompb_v2;

/// The media type of remote-write bodies.
pub const CONTENT_TYPE: &str = "application/x-protobuf";

/// The `proto` parameter naming the 1.0 message.
const PROTO_V1: &str = "prometheus.WriteRequest";
/// The `proto` parameter naming the 2.0 message.
const PROTO_V2: &str = "io.prometheus.write.v2.Request";

/// The protocol version of a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    /// Remote write 1.0 (`prometheus.WriteRequest`).
    #[default]
    V1,
    /// Remote write 2.0 (`io.prometheus.write.v2.Request`).
    V2,
}

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
    /// Native histogram samples received and not stored (2.0).
    pub histograms_not_written: usize,
    /// The request's protocol.
    pub protocol: Protocol,
}

impl WriteStats {
    /// The headers a 2.0 answer carries (none for 1.0).
    pub fn written_headers(&self) -> Vec<(&'static str, String)> {
        if self.protocol == Protocol::V1 {
            return Vec::new();
        }
        vec![
            (
                "X-Prometheus-Remote-Write-Samples-Written",
                self.samples.to_string(),
            ),
            ("X-Prometheus-Remote-Write-Histograms-Written", "0".into()),
            (
                "X-Prometheus-Remote-Write-Exemplars-Written",
                self.exemplars.to_string(),
            ),
        ]
    }
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
        let protocol = check_content_type(content_type.unwrap_or(CONTENT_TYPE))?;
        if let Some(enc) = content_encoding.filter(|e| !e.is_empty())
            && !enc.eq_ignore_ascii_case("snappy")
        {
            return Err(ReceiveError::UnsupportedMedia(format!(
                "{enc} encoding (compression) is not accepted by this server; only snappy is acceptable"
            )));
        }
        let raw = snap::raw::Decoder::new().decompress_vec(body)?;
        match protocol {
            Protocol::V1 => self.write(&WriteRequest::decode(raw.as_slice())?, now_ms()),
            Protocol::V2 => self.write_v2(prompb_v2::Request::decode(raw.as_slice())?, now_ms()),
        }
    }

    /// Appends a decoded 2.0 request as one batch, refusing samples after `now + 10m`.
    pub fn write_v2(&self, req: prompb_v2::Request, now: i64) -> Result<WriteStats, ReceiveError> {
        let converted = from_v2(req)?;
        let mut stats = self.write_with(&converted.request, &converted.metadata, now)?;
        stats.protocol = Protocol::V2;
        stats.histograms_not_written = converted.histograms;
        Ok(stats)
    }

    /// Appends a decoded request as one batch, refusing samples after `now + 10m`.
    pub fn write(&self, req: &WriteRequest, now: i64) -> Result<WriteStats, ReceiveError> {
        self.write_with(req, &[], now)
    }

    /// [`WriteReceiver::write`], with series metadata recorded in the same batch.
    fn write_with(
        &self,
        req: &WriteRequest,
        metadata: &[(Labels, Metadata)],
        now: i64,
    ) -> Result<WriteStats, ReceiveError> {
        let mut app = self.storage.appender();
        match append_all(app.as_mut(), req, now + MAX_AHEAD_MS) {
            Ok(stats) => {
                for (labels, md) in metadata {
                    if let Err(e) = app.update_metadata(None, labels, md) {
                        tracing::debug!(error = %e, series = %labels, "remote write: metadata dropped");
                    }
                }
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

/// Checks `application/x-protobuf[;proto=…]` (parameters as RFC 9110) and names the
/// protocol.
fn check_content_type(ct: &str) -> Result<Protocol, ReceiveError> {
    let mut parts = ct.trim().split(';');
    let media = parts.next().unwrap_or_default().trim();
    if media != CONTENT_TYPE {
        return Err(ReceiveError::UnsupportedMedia(format!(
            "expected {CONTENT_TYPE} as the first (media) part, got {ct} content-type"
        )));
    }
    let mut protocol = Protocol::V1;
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            return Err(ReceiveError::UnsupportedMedia(format!(
                "expected parameters to be key-values, got {p} in {ct} content-type"
            )));
        };
        if k.trim() == "proto" {
            protocol = match v.trim() {
                PROTO_V1 => Protocol::V1,
                PROTO_V2 => Protocol::V2,
                other => {
                    return Err(ReceiveError::UnsupportedMedia(format!(
                        "{other} protobuf message is not accepted by this server; accepted [{PROTO_V1} {PROTO_V2}]"
                    )));
                }
            };
        }
    }
    Ok(protocol)
}

/// A 2.0 request in 1.0 terms, plus what 1.0 has no place for.
struct FromV2 {
    request: WriteRequest,
    /// Valid series' metadata.
    metadata: Vec<(Labels, Metadata)>,
    /// Native histogram samples (not stored yet).
    histograms: usize,
}

/// Takes the request apart (its samples move, not copy).
fn from_v2(req: prompb_v2::Request) -> Result<FromV2, ReceiveError> {
    let prompb_v2::Request {
        symbols,
        timeseries,
    } = req;
    let symbol = |r: u32| -> Result<&str, ReceiveError> {
        symbols.get(r as usize).map(String::as_str).ok_or_else(|| {
            ReceiveError::Symbols(format!(
                "symbol reference {r} outside a table of {} symbols",
                symbols.len()
            ))
        })
    };
    let pairs = |refs: &[u32]| -> Result<Vec<Label>, ReceiveError> {
        if !refs.len().is_multiple_of(2) {
            return Err(ReceiveError::Symbols(format!(
                "odd number of label references ({})",
                refs.len()
            )));
        }
        refs.chunks_exact(2)
            .map(|p| {
                Ok(Label {
                    name: symbol(p[0])?.to_string(),
                    value: symbol(p[1])?.to_string(),
                })
            })
            .collect()
    };
    let mut out = FromV2 {
        request: WriteRequest::default(),
        metadata: Vec::new(),
        histograms: 0,
    };
    for ts in timeseries {
        let labels = pairs(&ts.labels_refs)?;
        let exemplars = ts
            .exemplars
            .iter()
            .map(|e| {
                Ok(crate::prompb::Exemplar {
                    labels: pairs(&e.labels_refs)?,
                    value: e.value,
                    timestamp: e.timestamp,
                })
            })
            .collect::<Result<Vec<_>, ReceiveError>>()?;
        out.histograms += ts.histograms.len();
        if let Some(md) = &ts.metadata
            && let Some(l) = series_labels(&labels)
        {
            out.metadata.push((
                l,
                Metadata {
                    metric_type: MetricType::from_code(i64::from(md.r#type)),
                    unit: symbol(md.unit_ref)?.to_string(),
                    help: symbol(md.help_ref)?.to_string(),
                },
            ));
        }
        out.request.timeseries.push(TimeSeries {
            labels,
            samples: ts.samples,
            exemplars,
        });
    }
    Ok(out)
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
        let ok = |ct| check_content_type(ct).ok();
        assert_eq!(ok("application/x-protobuf"), Some(Protocol::V1));
        assert_eq!(
            ok("application/x-protobuf;proto=prometheus.WriteRequest"),
            Some(Protocol::V1)
        );
        assert_eq!(
            ok("application/x-protobuf; proto=io.prometheus.write.v2.Request"),
            Some(Protocol::V2)
        );
        for bad in [
            "application/json",
            "application/x-protobuf;proto=io.prometheus.write.v3.Request",
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

    fn v2_request() -> prompb_v2::Request {
        prompb_v2::Request {
            symbols: [
                "", "__name__", "up", "job", "a", "trace_id", "t1", "help me", "seconds",
            ]
            .map(String::from)
            .to_vec(),
            timeseries: vec![prompb_v2::TimeSeries {
                labels_refs: vec![1, 2, 3, 4],
                samples: vec![
                    prompb_v2::Sample {
                        value: 1.0,
                        timestamp: 1000,
                    },
                    prompb_v2::Sample {
                        value: 2.0,
                        timestamp: 2000,
                    },
                ],
                histograms: vec![prompb_v2::Histogram { timestamp: 3000 }],
                exemplars: vec![prompb_v2::Exemplar {
                    labels_refs: vec![5, 6],
                    value: 1.0,
                    timestamp: 1000,
                }],
                metadata: Some(prompb_v2::Metadata {
                    r#type: 2,
                    help_ref: 7,
                    unit_ref: 8,
                }),
                created_timestamp: 0,
            }],
        }
    }

    #[test]
    fn v2_requests_resolve_symbols_and_say_what_was_written() {
        use flint_storage::memory::MemStorage;
        let storage = Arc::new(MemStorage::new());
        let rx = WriteReceiver::new(storage.clone(), &flint_client::Registry::new());
        let body = snap::raw::Encoder::new()
            .compress_vec(&v2_request().encode_to_vec())
            .unwrap_or_default();
        let stats = rx
            .receive(
                Some("application/x-protobuf;proto=io.prometheus.write.v2.Request"),
                Some("snappy"),
                &body,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((stats.samples, stats.exemplars), (2, 1));
        assert_eq!(stats.histograms_not_written, 1);
        assert_eq!(
            stats.written_headers(),
            [
                ("X-Prometheus-Remote-Write-Samples-Written", "2".to_string()),
                (
                    "X-Prometheus-Remote-Write-Histograms-Written",
                    "0".to_string()
                ),
                (
                    "X-Prometheus-Remote-Write-Exemplars-Written",
                    "1".to_string()
                ),
            ]
        );
        assert_eq!(storage.num_series(), 1);

        // A reference outside the table is a 400 and stores nothing.
        let mut bad = v2_request();
        bad.timeseries[0].labels_refs = vec![1, 99];
        let err = rx.write_v2(bad, 0).expect_err("bad reference");
        assert_eq!(err.status(), 400, "{err}");
        let mut odd = v2_request();
        odd.timeseries[0].labels_refs = vec![1, 2, 3];
        assert_eq!(rx.write_v2(odd, 0).map_err(|e| e.status()).err(), Some(400));

        // 1.0 answers carry no written-count headers.
        assert!(WriteStats::default().written_headers().is_empty());
    }
}
