//! A scrape body as one stream of samples, whatever its format.
//!
//! Prometheus text and OpenMetrics go through the streaming parsers of `flint-expfmt` and
//! keep their label text raw (the series cache keys on it); protobuf bodies are decoded
//! message by message ([`protobuf`]) into classic series and native histograms, as
//! Prometheus's protobuf parser presents them. With `convert_classic_histograms_to_nhcb`
//! classic histograms become native histograms with custom buckets ([`nhcb`]). Whoever
//! consumes the stream implements [`Sink`].

pub mod nhcb;
mod protobuf;
pub mod spans;

use std::borrow::Cow;

use flint_expfmt::{Entry, Format, OpenMetricsParser, TextParser, Validation};
use flint_model::{Exemplar, FloatHistogram, Histogram, MetricType};

use crate::error::{Error, Result};

/// A metadata line of a metric family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetaLine<'a> {
    /// `# HELP`.
    Help(&'a str),
    /// `# TYPE`.
    Type(MetricType),
    /// `# UNIT`.
    Unit(&'a str),
}

/// The labels of a sample, as the body gives them (the metric name not included).
#[derive(Debug, Clone, Copy)]
pub enum ItemLabels<'a> {
    /// Text formats: the raw text between the braces, decoded on demand.
    Raw(flint_expfmt::Labels<'a>),
    /// Decoded pairs (protobuf, converted histograms), in an order stable across scrapes.
    Pairs(&'a [(&'a str, &'a str)]),
}

impl<'a> ItemLabels<'a> {
    /// Calls `f` with every (name, value) pair.
    pub fn for_each(&self, mut f: impl FnMut(&str, &str)) {
        match self {
            ItemLabels::Raw(l) => l.iter().for_each(|(n, v)| f(&n, &v)),
            ItemLabels::Pairs(p) => p.iter().for_each(|(n, v)| f(n, v)),
        }
    }

    /// The value of label `name`.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        match self {
            ItemLabels::Raw(l) => l.get(name),
            ItemLabels::Pairs(p) => p
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| Cow::Borrowed(*v)),
        }
    }
}

/// A sample's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A float (counters, gauges, classic histogram and summary series).
    Float(f64),
    /// A native histogram with integer counts.
    Histogram(&'a Histogram),
    /// A native histogram with float counts.
    FloatHistogram(&'a FloatHistogram),
}

/// One sample of one series.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The series name, suffixes included (`_total`, `_bucket`, …).
    pub name: &'a str,
    /// Its labels.
    pub labels: ItemLabels<'a>,
    /// The timestamp the body gives, if any (milliseconds).
    pub timestamp: Option<i64>,
    /// The value.
    pub value: Value<'a>,
    /// Exemplars attached to this sample.
    pub exemplars: &'a [Exemplar],
}

impl Item<'_> {
    /// Appends the series' identity within the body (the series cache's key) to `out`.
    pub fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.name.as_bytes());
        match self.labels {
            ItemLabels::Raw(l) => {
                out.push(0xff);
                out.extend_from_slice(l.as_raw().as_bytes());
            }
            ItemLabels::Pairs(p) => {
                out.push(0xfe);
                for (n, v) in p {
                    out.extend_from_slice(n.as_bytes());
                    out.push(0xff);
                    out.extend_from_slice(v.as_bytes());
                    out.push(0xfe);
                }
            }
        }
    }

    /// Whether the value is a native histogram.
    pub fn is_histogram(&self) -> bool {
        !matches!(self.value, Value::Float(_))
    }
}

/// Consumer of a body's stream.
pub trait Sink {
    /// A metadata line of family `family`.
    fn meta(&mut self, family: &str, line: MetaLine<'_>) -> Result<()>;

    /// A sample.
    fn item(&mut self, item: &Item<'_>) -> Result<()>;
}

/// How histograms are presented, from the job's config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// `scrape_native_histograms`: native histograms stay native (otherwise their classic
    /// buckets are used).
    pub native_histograms: bool,
    /// `always_scrape_classic_histograms`: classic buckets are kept next to a native or
    /// converted histogram.
    pub keep_classic: bool,
    /// `convert_classic_histograms_to_nhcb`.
    pub convert_nhcb: bool,
}

impl ParseOptions {
    /// The options of a job.
    pub fn of(cfg: &flint_config::ScrapeConfig) -> Self {
        ParseOptions {
            native_histograms: cfg.scrape_native_histograms.unwrap_or(false),
            keep_classic: cfg.always_scrape_classic_histograms.unwrap_or(false),
            convert_nhcb: cfg.convert_classic_histograms_to_nhcb.unwrap_or(false),
        }
    }
}

/// Feeds `body` in `format` to `sink`. A parse error stops the stream.
pub fn feed<S: Sink>(format: Format, body: &[u8], opts: ParseOptions, sink: &mut S) -> Result<()> {
    if opts.convert_nhcb {
        let mut conv = nhcb::Converter::new(sink, opts.keep_classic);
        feed_format(format, body, opts, &mut conv)?;
        conv.finish()
    } else {
        feed_format(format, body, opts, sink)
    }
}

fn parse_error(e: flint_expfmt::ParseError) -> Error {
    Error::Parse(e.to_string())
}

fn feed_format<S: Sink>(
    format: Format,
    body: &[u8],
    opts: ParseOptions,
    sink: &mut S,
) -> Result<()> {
    match format {
        Format::Protobuf => protobuf::feed(body, opts, sink),
        Format::OpenMetrics => {
            for e in OpenMetricsParser::with_validation(body, Validation::Lenient) {
                entry(e.map_err(parse_error)?, sink)?;
            }
            Ok(())
        }
        Format::Text => {
            for e in TextParser::new(body) {
                entry(e.map_err(parse_error)?, sink)?;
            }
            Ok(())
        }
    }
}

fn entry<S: Sink>(e: Entry<'_>, sink: &mut S) -> Result<()> {
    match e {
        Entry::Sample(s) => {
            let one;
            let exemplars: &[Exemplar] = match &s.exemplar {
                Some(x) => {
                    one = [x.to_exemplar()];
                    &one
                }
                None => &[],
            };
            sink.item(&Item {
                name: &s.name,
                labels: ItemLabels::Raw(s.labels),
                timestamp: s.timestamp,
                value: Value::Float(s.value),
                exemplars,
            })
        }
        Entry::Help { name, help } => sink.meta(&name, MetaLine::Help(&help)),
        Entry::Type { name, metric_type } => sink.meta(&name, MetaLine::Type(metric_type)),
        Entry::Unit { name, unit } => sink.meta(&name, MetaLine::Unit(&unit)),
        Entry::Comment(_) | Entry::Eof => Ok(()),
    }
}

/// The family name of a classic histogram series and which part it is.
pub(crate) fn histogram_base(name: &str) -> (&str, &'static str) {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            return (base, suffix);
        }
    }
    (name, "")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What a sink saw, as text.
    #[derive(Debug, Default)]
    pub(crate) struct Seen(pub Vec<String>);

    impl Sink for Seen {
        fn meta(&mut self, family: &str, line: MetaLine<'_>) -> Result<()> {
            self.0.push(format!("meta {family} {line:?}"));
            Ok(())
        }

        fn item(&mut self, item: &Item<'_>) -> Result<()> {
            let mut labels = Vec::new();
            item.labels.for_each(|n, v| labels.push(format!("{n}={v}")));
            let value = match item.value {
                Value::Float(v) => format!("{v}"),
                Value::Histogram(h) => format!("{h:?}"),
                Value::FloatHistogram(h) => format!("{h:?}"),
            };
            let ex: Vec<String> = item
                .exemplars
                .iter()
                .map(|e| format!("{:?}@{:?}", e.value, e.timestamp))
                .collect();
            self.0.push(format!(
                "{}{{{}}} {value} {:?} {ex:?}",
                item.name,
                labels.join(","),
                item.timestamp
            ));
            Ok(())
        }
    }

    #[test]
    fn text_and_openmetrics_stream_raw_labels() {
        let mut seen = Seen::default();
        feed(
            Format::OpenMetrics,
            b"# TYPE a counter\n# HELP a Help.\na_total{x=\"1\"} 2 # {t=\"u\"} 1.5 3\n# EOF\n",
            ParseOptions::default(),
            &mut seen,
        )
        .unwrap();
        assert_eq!(seen.0[0], "meta a Type(Counter)");
        assert_eq!(seen.0[1], "meta a Help(\"Help.\")");
        assert_eq!(seen.0[2], "a_total{x=1} 2 None [\"1.5@Some(3000)\"]");
        assert!(
            feed(
                Format::Text,
                b"bad{ 1\n",
                ParseOptions::default(),
                &mut seen
            )
            .is_err()
        );
    }

    #[test]
    fn keys_differ_by_labels_and_form() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let pairs = [("x", "1")];
        let item = |labels| Item {
            name: "m",
            labels,
            timestamp: None,
            value: Value::Float(1.0),
            exemplars: &[],
        };
        item(ItemLabels::Pairs(&pairs)).write_key(&mut a);
        item(ItemLabels::Pairs(&[("x", "2")])).write_key(&mut b);
        assert_ne!(a, b);
        assert_eq!(histogram_base("h_bucket"), ("h", "_bucket"));
        assert_eq!(histogram_base("h_created"), ("h_created", ""));
    }
}
