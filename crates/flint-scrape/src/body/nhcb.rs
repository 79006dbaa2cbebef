//! `convert_classic_histograms_to_nhcb`: the `_bucket`/`_count`/`_sum` series of a classic
//! histogram become one native histogram with custom buckets (schema -53), named after the
//! family. Consecutive series of the same family and labels (`le` aside) form one
//! histogram; it is emitted when the group ends (another series or family, or the body's
//! end). The classic series are passed on only with `always_scrape_classic_histograms`.
//! A group that does not convert (counts not cumulative, no count) yields nothing, as
//! upstream.

use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use flint_model::{Exemplar, FloatHistogram, Histogram, MetricType, Span};

use super::spans::{compact_float_histogram, compact_histogram};
use super::{Item, ItemLabels, MetaLine, Sink, Value, histogram_base};
use crate::error::Result;

/// Classic histogram samples collected toward one conversion.
#[derive(Debug, Default)]
pub struct TempHistogram {
    /// (upper bound, cumulative count), sorted by bound.
    buckets: Vec<(f64, f64)>,
    count: Option<f64>,
    sum: f64,
    broken: bool,
}

/// A converted histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    /// All counts are integers.
    Int(Histogram),
    /// Some count is fractional.
    Float(FloatHistogram),
}

impl TempHistogram {
    /// Adds the bucket `le` with cumulative `count`; duplicates are ignored.
    pub fn set_bucket(&mut self, le: f64, count: f64) {
        if self.broken {
            return;
        }
        if le.is_nan() || count < 0.0 || count.is_nan() {
            self.broken = true;
            return;
        }
        let i = self.buckets.partition_point(|(b, _)| *b < le);
        if self.buckets.get(i).is_some_and(|(b, _)| *b == le) {
            return;
        }
        let below_ok = i == 0 || self.buckets[i - 1].1 <= count;
        let above_ok = self.buckets.get(i).is_none_or(|(_, c)| count <= *c);
        if !(below_ok && above_ok) {
            self.broken = true;
            return;
        }
        self.buckets.insert(i, (le, count));
    }

    /// Sets the total count.
    pub fn set_count(&mut self, count: f64) {
        if count < 0.0 || count.is_nan() {
            self.broken = true;
        }
        self.count = Some(count);
    }

    /// Sets the sum.
    pub fn set_sum(&mut self, sum: f64) {
        self.sum = sum;
    }

    /// Clears for the next group.
    pub fn reset(&mut self) {
        self.buckets.clear();
        self.count = None;
        self.sum = 0.0;
        self.broken = false;
    }

    /// The native histogram, or `None` when the samples do not form one.
    pub fn convert(&self) -> Option<Converted> {
        if self.broken {
            return None;
        }
        let mut buckets = self.buckets.clone();
        let count = match self.count {
            Some(c) => c,
            None => buckets.last()?.1,
        };
        if buckets.last().is_none_or(|(le, _)| *le != f64::INFINITY) {
            buckets.push((f64::INFINITY, count));
        }
        let last = buckets.last().map_or(0.0, |b| b.1);
        if last != count {
            return None;
        }
        let custom_values: Vec<f64> = buckets[..buckets.len() - 1].iter().map(|b| b.0).collect();
        let mut prev = 0.0;
        let counts: Vec<f64> = buckets
            .iter()
            .map(|(_, c)| {
                let d = c - prev;
                prev = *c;
                d
            })
            .collect();
        let spans = vec![Span {
            offset: 0,
            length: counts.len() as u32,
        }];
        let integral = counts.iter().chain([&count]).all(|c| c.fract() == 0.0);
        if integral {
            let mut prev = 0i64;
            let deltas = counts
                .iter()
                .map(|c| {
                    let c = *c as i64;
                    let d = c - prev;
                    prev = c;
                    d
                })
                .collect();
            let mut h = Histogram {
                schema: CUSTOM_BUCKETS_SCHEMA,
                count: count as u64,
                sum: self.sum,
                positive_spans: spans,
                positive_deltas: deltas,
                custom_values,
                ..Histogram::default()
            };
            compact_histogram(&mut h, 2);
            Some(Converted::Int(h))
        } else {
            let mut h = FloatHistogram {
                schema: CUSTOM_BUCKETS_SCHEMA,
                count,
                sum: self.sum,
                positive_spans: spans,
                positive_buckets: counts,
                custom_values,
                ..FloatHistogram::default()
            };
            compact_float_histogram(&mut h, 0);
            Some(Converted::Float(h))
        }
    }
}

/// The group being collected.
#[derive(Debug)]
struct Group {
    base: String,
    hash: u64,
    labels: Vec<(String, String)>,
    timestamp: Option<i64>,
}

/// A [`Sink`] adapter converting classic histograms on their way to `inner`.
pub struct Converter<'s, S: Sink> {
    inner: &'s mut S,
    keep_classic: bool,
    family: String,
    family_type: MetricType,
    group: Option<Group>,
    temp: TempHistogram,
    exemplars: Vec<Exemplar>,
    /// Name and label hash of the last native histogram: classic series repeating it are
    /// its classic buckets, not converted.
    last_native: Option<(String, u64)>,
}

fn labels_hash(item: &Item<'_>, skip_le: bool) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    item.labels.for_each(|n, v| {
        if !(skip_le && n == "le") {
            h.update(n.as_bytes());
            h.update(&[0xff]);
            h.update(v.as_bytes());
            h.update(&[0xff]);
        }
    });
    h.digest()
}

impl<'s, S: Sink> Converter<'s, S> {
    /// A converter feeding `inner`.
    pub fn new(inner: &'s mut S, keep_classic: bool) -> Self {
        Converter {
            inner,
            keep_classic,
            family: String::new(),
            family_type: MetricType::Unknown,
            group: None,
            temp: TempHistogram::default(),
            exemplars: Vec::new(),
            last_native: None,
        }
    }

    /// Emits the histogram being collected, if any. Call at the end of the body.
    pub fn finish(&mut self) -> Result<()> {
        let Some(g) = self.group.take() else {
            return Ok(());
        };
        let converted = self.temp.convert();
        self.temp.reset();
        let exemplars = std::mem::take(&mut self.exemplars);
        let Some(converted) = converted else {
            return Ok(());
        };
        let pairs: Vec<(&str, &str)> = g
            .labels
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let value = match &converted {
            Converted::Int(h) => Value::Histogram(h),
            Converted::Float(h) => Value::FloatHistogram(h),
        };
        self.inner.item(&Item {
            name: &g.base,
            labels: ItemLabels::Pairs(&pairs),
            timestamp: g.timestamp,
            value,
            exemplars: &exemplars,
        })
    }

    /// Collects `item` if it is a classic histogram series of the current family; returns
    /// whether it was.
    fn collect(&mut self, item: &Item<'_>, v: f64) -> bool {
        if self.family_type != MetricType::Histogram {
            return false;
        }
        let (base, suffix) = histogram_base(item.name);
        if base != self.family {
            return false;
        }
        match suffix {
            "_bucket" => {
                let Some(le) = item
                    .labels
                    .get("le")
                    .and_then(|s| flint_expfmt::float::parse_float(&s))
                    .filter(|le| !le.is_nan())
                else {
                    return false;
                };
                self.start(item, base);
                self.temp.set_bucket(le, v);
            }
            "_count" => {
                self.start(item, base);
                self.temp.set_count(v);
            }
            "_sum" => {
                self.start(item, base);
                self.temp.set_sum(v);
            }
            _ => return false,
        }
        self.exemplars.extend_from_slice(item.exemplars);
        if let Some(g) = &mut self.group {
            g.timestamp = item.timestamp.or(g.timestamp);
        }
        true
    }

    fn start(&mut self, item: &Item<'_>, base: &str) {
        if self.group.is_some() {
            return;
        }
        let mut labels = Vec::new();
        item.labels.for_each(|n, v| {
            if n != "le" {
                labels.push((n.to_string(), v.to_string()));
            }
        });
        self.group = Some(Group {
            base: base.to_string(),
            hash: labels_hash(item, true),
            labels,
            timestamp: item.timestamp,
        });
    }

    fn ends_group(&self, item: &Item<'_>) -> bool {
        let Some(g) = &self.group else {
            return false;
        };
        self.family_type != MetricType::Histogram
            || histogram_base(item.name).0 != g.base
            || labels_hash(item, true) != g.hash
    }

    fn is_native_repeat(&self, item: &Item<'_>) -> bool {
        self.last_native.as_ref().is_some_and(|(name, hash)| {
            histogram_base(item.name).0 == name && labels_hash(item, true) == *hash
        })
    }
}

impl<S: Sink> Sink for Converter<'_, S> {
    fn meta(&mut self, family: &str, line: MetaLine<'_>) -> Result<()> {
        self.finish()?;
        if let MetaLine::Type(t) = line {
            self.family.clear();
            self.family.push_str(family);
            self.family_type = t;
        }
        self.inner.meta(family, line)
    }

    fn item(&mut self, item: &Item<'_>) -> Result<()> {
        let Value::Float(v) = item.value else {
            self.finish()?;
            self.last_native = Some((item.name.to_string(), labels_hash(item, false)));
            return self.inner.item(item);
        };
        if self.ends_group(item) {
            self.finish()?;
        }
        let converted = !self.is_native_repeat(item) && self.collect(item, v);
        if converted && !self.keep_classic {
            return Ok(());
        }
        self.inner.item(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::tests::Seen;
    use crate::body::{ParseOptions, feed};
    use flint_expfmt::Format;

    const BODY: &[u8] = b"# TYPE h histogram\n\
h_bucket{a=\"1\",le=\"0.5\"} 1\n\
h_bucket{a=\"1\",le=\"1\"} 1\n\
h_bucket{a=\"1\",le=\"+Inf\"} 4\n\
h_count{a=\"1\"} 4\n\
h_sum{a=\"1\"} 7.5\n\
h_bucket{a=\"2\",le=\"+Inf\"} 0\n\
h_count{a=\"2\"} 0\n\
h_sum{a=\"2\"} 0\n\
# TYPE g gauge\n\
g 1\n";

    fn run(keep: bool) -> Vec<String> {
        let mut seen = Seen::default();
        let opts = ParseOptions {
            convert_nhcb: true,
            keep_classic: keep,
            ..ParseOptions::default()
        };
        feed(Format::Text, BODY, opts, &mut seen).unwrap();
        seen.0
    }

    #[test]
    fn converts_each_label_group() {
        let seen = run(false);
        assert_eq!(seen.len(), 5, "{seen:#?}");
        assert_eq!(seen[0], "meta h Type(Histogram)");
        assert!(seen[1].starts_with("h{a=1} Histogram"), "{}", seen[1]);
        assert!(seen[1].contains("custom_values: [0.5, 1.0]"), "{}", seen[1]);
        // Buckets 1, 0, 3: the empty middle bucket stays inside the span.
        assert!(
            seen[1].contains("positive_deltas: [1, -1, 3]"),
            "{}",
            seen[1]
        );
        assert!(seen[1].contains("count: 4, sum: 7.5"), "{}", seen[1]);
        assert!(seen[2].starts_with("h{a=2} Histogram"), "{}", seen[2]);
        assert!(seen[2].contains("positive_spans: []"), "{}", seen[2]);
        assert_eq!(seen[3], "meta g Type(Gauge)");
        assert!(seen[4].starts_with("g{} 1"));
    }

    #[test]
    fn keeps_classic_series_when_asked() {
        let seen = run(true);
        assert_eq!(seen.len(), 13, "{seen:#?}");
        assert!(seen[1].starts_with("h_bucket{a=1,le=0.5} 1"));
        assert!(seen[6].starts_with("h{a=1} Histogram"), "{}", seen[6]);
    }

    #[test]
    fn temp_histogram_rules() {
        let mut t = TempHistogram::default();
        t.set_bucket(1.0, 2.0);
        t.set_bucket(0.5, 1.5);
        t.set_count(2.0);
        t.set_sum(1.0);
        let Some(Converted::Float(h)) = t.convert() else {
            panic!("fractional counts give a float histogram");
        };
        assert_eq!(h.custom_values, vec![0.5, 1.0]);
        assert_eq!(h.positive_buckets, vec![1.5, 0.5]);
        t.reset();
        t.set_bucket(1.0, 2.0);
        t.set_bucket(2.0, 1.0);
        assert!(t.convert().is_none(), "not cumulative");
        t.reset();
        assert!(t.convert().is_none(), "no count, no buckets");
        t.set_bucket(1.0, 3.0);
        t.set_count(4.0);
        assert!(
            t.convert().is_some(),
            "a missing +Inf bucket takes the count"
        );
        t.set_bucket(f64::INFINITY, 3.0);
        assert!(t.convert().is_none(), "count mismatch with +Inf");
    }
}
