//! Encoders for the three exposition formats.
//!
//! Each encoder writes into a caller-owned `Vec<u8>` and allocates nothing per metric (it
//! keeps the current family name in a reused buffer; the protobuf encoder reuses scratch
//! buffers for nested messages).

mod openmetrics;
mod protobuf;
mod text;

use flint_model::MetricType;
use flint_model::names::{is_legacy_label_name, is_legacy_metric_name};

use crate::float::{write_float, write_om_float};
use crate::format::Format;
use crate::point::{EncodeLabels, Encoder};

pub use openmetrics::OpenMetricsEncoder;
pub use protobuf::ProtobufEncoder;
pub use text::TextEncoder;

/// An encoder for `format` writing into `out`.
pub fn encoder_for(format: Format, out: &mut Vec<u8>) -> Box<dyn Encoder + '_> {
    match format {
        Format::Text => Box::new(TextEncoder::new(out)),
        Format::OpenMetrics => Box::new(OpenMetricsEncoder::new(out)),
        Format::Protobuf => Box::new(ProtobufEncoder::new(out)),
    }
}

/// The family name without the suffix the encoders add for `t` (`_total` for counters,
/// `_info` for info), so callers may pass either `requests` or `requests_total`, like
/// client_golang, which trims `_total` from counter names for OpenMetrics.
pub(crate) fn base_name(name: &str, t: MetricType) -> &str {
    let suffix = match t {
        MetricType::Counter => "_total",
        MetricType::Info => "_info",
        _ => return name,
    };
    match name.strip_suffix(suffix) {
        Some(base) if !base.is_empty() => base,
        _ => name,
    }
}

/// Appends `s`, escaping `\` and newline, and `"` too when `quote` is set.
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str, quote: bool) {
    let needs = s
        .bytes()
        .any(|b| b == b'\\' || b == b'\n' || (quote && b == b'"'));
    if !needs {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'"' if quote => out.extend_from_slice(b"\\\""),
            _ => out.push(b),
        }
    }
}

/// Appends a metric name (plus suffix) in the form used after `# HELP`/`# TYPE`: bare when
/// it is a legacy name, quoted otherwise.
pub(crate) fn write_meta_name(out: &mut Vec<u8>, name: &str, suffix: &str) {
    if is_legacy_metric_name(name) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
    } else {
        out.push(b'"');
        write_escaped(out, name, true);
        write_escaped(out, suffix, true);
        out.push(b'"');
    }
}

/// A synthetic label added after the metric's own labels.
#[derive(Clone, Copy)]
pub(crate) enum Extra<'x> {
    /// No extra label.
    None,
    /// A float-valued label such as `le` or `quantile`.
    Float(&'static str, f64),
    /// A string-valued label (a state set's state).
    Str(&'x str, &'x str),
}

/// Appends one label pair (`name="value"`), quoting non-legacy label names.
pub(crate) fn write_label(out: &mut Vec<u8>, name: &str, value: &str) {
    if is_legacy_label_name(name) {
        out.extend_from_slice(name.as_bytes());
    } else {
        out.push(b'"');
        write_escaped(out, name, true);
        out.push(b'"');
    }
    out.extend_from_slice(b"=\"");
    write_escaped(out, value, true);
    out.push(b'"');
}

/// Appends the series part of a sample line: name, suffix and label set (`{...}` omitted
/// when empty). UTF-8 names go inside the braces, quoted. `om` selects OpenMetrics float
/// formatting of float-valued extra labels.
pub(crate) fn write_series(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    labels: &dyn EncodeLabels,
    extra: Extra<'_>,
    om: bool,
) {
    let quoted = !is_legacy_metric_name(name);
    let mut first = true;
    if quoted {
        out.extend_from_slice(b"{\"");
        write_escaped(out, name, true);
        write_escaped(out, suffix, true);
        out.push(b'"');
        first = false;
    } else {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
    }
    let mut open = quoted;
    labels.visit(&mut |n, v| {
        if !open {
            out.push(b'{');
            open = true;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_label(out, n, v);
    });
    if !matches!(extra, Extra::None) {
        if !open {
            out.push(b'{');
            open = true;
        }
        if !first {
            out.push(b',');
        }
        write_extra(out, extra, om);
    }
    if open {
        out.push(b'}');
    }
}

fn write_extra(out: &mut Vec<u8>, extra: Extra<'_>, om: bool) {
    match extra {
        Extra::None => {}
        Extra::Float(n, v) => {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b"=\"");
            if om {
                write_om_float(out, v);
            } else {
                write_float(out, v);
            }
            out.push(b'"');
        }
        Extra::Str(n, v) => write_label(out, n, v),
    }
}

/// Whether a histogram's buckets already end with a `+Inf` bucket.
pub(crate) fn has_inf_bucket(buckets: &[crate::point::Bucket<'_>]) -> bool {
    buckets
        .last()
        .is_some_and(|b| b.upper_bound == f64::INFINITY)
}
