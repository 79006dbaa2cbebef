//! Exposition formats, content types and negotiation.

use std::fmt;
use std::str::FromStr;

pub use crate::error::UnknownScrapeProtocol;

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0.0 text format.
    OpenMetrics,
    /// Delimited protobuf (`io.prometheus.client.MetricFamily`).
    Protobuf,
}

/// `Content-Type` of the Prometheus text format, as client_golang sends it.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// `Content-Type` of OpenMetrics 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of the delimited protobuf format.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

const PROTO_MEDIA_TYPE: &str = "application/vnd.google.protobuf";
const PROTO_PROTOCOL: &str = "io.prometheus.client.MetricFamily";
const OPENMETRICS_MEDIA_TYPE: &str = "application/openmetrics-text";

impl Format {
    /// The `Content-Type` header value for a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => TEXT_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }

    /// The format of a scrape response, from its `Content-Type`; `None` when unrecognised
    /// (Prometheus then falls back to its configured fallback protocol).
    pub fn from_content_type(ct: &str) -> Option<Format> {
        let media = MediaRange::parse(ct)?;
        match media.essence.as_str() {
            "text/plain" => Some(Format::Text),
            OPENMETRICS_MEDIA_TYPE => Some(Format::OpenMetrics),
            PROTO_MEDIA_TYPE => {
                let proto_ok = media.param("proto").is_none_or(|p| p == PROTO_PROTOCOL);
                let enc_ok = media.param("encoding").is_none_or(|e| e == "delimited");
                (proto_ok && enc_ok).then_some(Format::Protobuf)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.content_type())
    }
}

/// One parsed element of an `Accept` or `Content-Type` header.
#[derive(Debug, Clone, PartialEq)]
struct MediaRange {
    /// `type/subtype`, lower-cased.
    essence: String,
    /// Parameters other than `q`, names lower-cased.
    params: Vec<(String, String)>,
    /// Quality, 1.0 by default.
    q: f64,
}

impl MediaRange {
    fn parse(s: &str) -> Option<MediaRange> {
        let mut parts = s.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        if essence.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        let mut q = 1.0;
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().trim_matches('"');
            if k == "q" {
                q = v.parse().unwrap_or(0.0);
            } else {
                params.push((k, v.to_owned()));
            }
        }
        Some(MediaRange { essence, params, q })
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Picks the response format for a scraper's `Accept` header, like client_golang's
/// `expfmt.NegotiateIncludingOpenMetrics`: the accepted ranges are tried by descending
/// q-value and the first one we can produce wins; the default is [`Format::Text`].
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let mut ranges: Vec<MediaRange> = accept
        .split(',')
        .filter_map(MediaRange::parse)
        .filter(|r| r.q > 0.0)
        .collect();
    // Stable: equal q keeps header order; concrete types before wildcards.
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then_with(|| a.essence.contains('*').cmp(&b.essence.contains('*')))
    });
    for r in &ranges {
        let version = r.param("version").unwrap_or("");
        match r.essence.as_str() {
            PROTO_MEDIA_TYPE
                if r.param("proto") == Some(PROTO_PROTOCOL)
                    && r.param("encoding") == Some("delimited") =>
            {
                return Format::Protobuf;
            }
            "text/plain" if version.is_empty() || version == "0.0.4" => return Format::Text,
            OPENMETRICS_MEDIA_TYPE if matches!(version, "" | "0.0.1" | "1.0.0") => {
                return Format::OpenMetrics;
            }
            _ => {}
        }
    }
    Format::Text
}

/// A protocol Prometheus can ask a target for (`scrape_protocols` in `prometheus.yml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    /// Delimited protobuf.
    PrometheusProto,
    /// OpenMetrics text 1.0.0.
    OpenMetricsText1_0_0,
    /// OpenMetrics text 0.0.1.
    OpenMetricsText0_0_1,
    /// Prometheus text 1.0.0 (UTF-8 names).
    PrometheusText1_0_0,
    /// Prometheus text 0.0.4.
    PrometheusText0_0_4,
}

impl ScrapeProtocol {
    /// All protocols, in Prometheus's default preference order for native histograms.
    pub const ALL: [ScrapeProtocol; 5] = [
        ScrapeProtocol::PrometheusProto,
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// The name used in `prometheus.yml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
        }
    }

    /// The media range sent in `Accept` for this protocol (without q-value).
    pub fn accept_media_range(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
        }
    }

    /// The format a response in this protocol is parsed with.
    pub fn format(self) -> Format {
        match self {
            ScrapeProtocol::PrometheusProto => Format::Protobuf,
            ScrapeProtocol::OpenMetricsText1_0_0 | ScrapeProtocol::OpenMetricsText0_0_1 => {
                Format::OpenMetrics
            }
            ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::PrometheusText0_0_4 => {
                Format::Text
            }
        }
    }
}

impl fmt::Display for ScrapeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScrapeProtocol {
    type Err = UnknownScrapeProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScrapeProtocol::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownScrapeProtocol(s.to_owned()))
    }
}

/// The `Accept` header Prometheus sends for `protocols`, as upstream `scrape/target.go`
/// builds it: each protocol with a descending q-value starting at `0.6`, the 1.0.0 text
/// formats with `escaping=allow-utf-8`, then `*/*` with the next lower q-value.
pub fn scrape_accept_header(protocols: &[ScrapeProtocol]) -> String {
    use std::fmt::Write as _;
    let mut weight = ScrapeProtocol::ALL.len() + 1;
    let mut out = String::new();
    for p in protocols {
        out.push_str(p.accept_media_range());
        if matches!(
            p,
            ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::OpenMetricsText1_0_0
        ) {
            out.push_str(";escaping=allow-utf-8");
        }
        let _ = write!(out, ";q=0.{weight},");
        weight = weight.saturating_sub(1);
    }
    let _ = write!(out, "*/*;q=0.{weight}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_accept_header_matches_prometheus() {
        let h = scrape_accept_header(&[
            ScrapeProtocol::OpenMetricsText1_0_0,
            ScrapeProtocol::OpenMetricsText0_0_1,
            ScrapeProtocol::PrometheusText1_0_0,
            ScrapeProtocol::PrometheusText0_0_4,
        ]);
        assert_eq!(
            h,
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        );
        let h = scrape_accept_header(&[ScrapeProtocol::PrometheusProto]);
        assert_eq!(
            h,
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
             encoding=delimited;q=0.6,*/*;q=0.5"
        );
    }

    #[test]
    fn negotiates() {
        assert_eq!(negotiate(None), Format::Text);
        assert_eq!(negotiate(Some("*/*")), Format::Text);
        assert_eq!(negotiate(Some("application/json")), Format::Text);
        let all = scrape_accept_header(&ScrapeProtocol::ALL);
        assert_eq!(negotiate(Some(&all)), Format::Protobuf);
        let om = scrape_accept_header(&ScrapeProtocol::ALL[1..]);
        assert_eq!(negotiate(Some(&om)), Format::OpenMetrics);
        assert_eq!(
            negotiate(Some(
                "text/plain;version=0.0.4;q=0.3,application/openmetrics-text;q=0.5"
            )),
            Format::OpenMetrics
        );
        assert_eq!(
            negotiate(Some("application/openmetrics-text;version=2.0.0")),
            Format::Text
        );
    }

    #[test]
    fn content_types_round_trip() {
        for f in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
            assert_eq!(Format::from_content_type(f.content_type()), Some(f));
        }
        assert_eq!(Format::from_content_type("text/html"), None);
        assert_eq!(
            Format::from_content_type("application/openmetrics-text; version=0.0.1"),
            Some(Format::OpenMetrics)
        );
    }

    #[test]
    fn protocol_names() {
        for p in ScrapeProtocol::ALL {
            assert_eq!(p.as_str().parse::<ScrapeProtocol>(), Ok(p));
        }
    }
}
