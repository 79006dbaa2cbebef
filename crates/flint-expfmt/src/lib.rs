//! Prometheus exposition formats.
//!
//! Parsers and encoders for Prometheus text 0.0.4, OpenMetrics 1.0 text and the delimited
//! protobuf format, plus content negotiation.
//!
//! - **Streaming parsers** for the scrape loop: [`TextParser`] and [`OpenMetricsParser`]
//!   iterate over [`Entry`] values that borrow from the input and allocate nothing per
//!   sample ([`Labels`] are decoded lazily, values unescaped only when they hold escapes);
//!   [`protobuf::ProtobufParser`] decodes delimited `MetricFamily` messages ([`proto`]).
//!   OpenMetrics is validated strictly by default ([`Validation`]).
//! - **Encoders** ([`encode`]) implement the [`Encoder`] contract of [`point`] and write
//!   byte-for-byte what client_golang writes; [`float::write_float`] is Go's float format.
//! - **Owned families** ([`family::MetricFamily`]) for whole bodies: [`parse_families`].
//! - **Negotiation**: [`negotiate`] (server side) and [`scrape_accept_header`] (scraper).
//!
//! ```
//! use flint_expfmt::{Entry, Format, TextParser, encode::encoder_for, parse_families};
//!
//! let body = b"# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 3\n";
//! for entry in TextParser::new(body) {
//!     if let Entry::Sample(s) = entry? {
//!         let labels: Vec<_> = s.labels.iter().collect();
//!         assert_eq!((s.name.as_ref(), labels.len(), s.value), ("http_requests_total", 1, 3.0));
//!     }
//! }
//! let families = parse_families(Format::Text, body)?;
//! let mut out = Vec::new();
//! flint_expfmt::family::encode_families(&families, encoder_for(Format::OpenMetrics, &mut out).as_mut());
//! assert_eq!(
//!     String::from_utf8_lossy(&out),
//!     "# TYPE http_requests counter\nhttp_requests_total{code=\"200\"} 3.0\n# EOF\n"
//! );
//! # Ok::<(), flint_expfmt::ParseError>(())
//! ```
#![deny(missing_docs)]

pub mod encode;
pub mod entry;
pub mod error;
pub mod family;
pub mod float;
pub mod format;
mod lex;
pub mod lint;
pub mod openmetrics;
pub mod point;
pub mod proto;
pub mod protobuf;
pub mod text;

pub use entry::{Entry, ExemplarEntry, LabelIter, Labels, Sample};
pub use error::{ParseError, Result};
pub use family::MetricFamily;
pub use format::{Format, ScrapeProtocol, negotiate, scrape_accept_header};
pub use openmetrics::{OpenMetricsParser, Validation};
pub use point::{
    Bucket, ChainLabels, EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point, SummaryPoint,
};
pub use text::TextParser;

/// Parses a whole body in `format` into families (used by `flint check metrics`, tests and
/// round trips). OpenMetrics is parsed with [`Validation::Strict`]; see
/// [`parse_families_with`]. The streaming parsers ([`TextParser`], [`OpenMetricsParser`],
/// [`protobuf::ProtobufParser`]) are what the scrape loop uses.
pub fn parse_families(format: Format, input: &[u8]) -> Result<Vec<MetricFamily>> {
    parse_families_with(format, input, Validation::Strict)
}

/// Like [`parse_families`], choosing how strictly OpenMetrics bodies are validated (ignored
/// for the other formats).
pub fn parse_families_with(
    format: Format,
    input: &[u8],
    validation: Validation,
) -> Result<Vec<MetricFamily>> {
    let mut builder = family::build::Builder::default();
    match format {
        Format::Text => {
            for e in TextParser::new(input) {
                builder.push(e?);
            }
        }
        Format::OpenMetrics => {
            for e in OpenMetricsParser::with_validation(input, validation) {
                builder.push(e?);
            }
        }
        Format::Protobuf => return protobuf::parse_families(input),
    }
    Ok(builder.finish())
}
