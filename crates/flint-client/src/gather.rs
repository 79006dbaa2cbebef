//! `gather()`: the registry's current state as owned metric families.

use flint_expfmt::family::{
    BucketValue, HistogramValue, Metric, MetricFamily, MetricValue, SummaryValue,
};
use flint_expfmt::{EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point};

/// An [`Encoder`] that builds owned [`MetricFamily`] values.
#[derive(Debug, Default)]
pub(crate) struct Gatherer {
    pub(crate) families: Vec<MetricFamily>,
}

impl Encoder for Gatherer {
    fn family(&mut self, header: &FamilyHeader<'_>) {
        self.families.push(MetricFamily {
            name: header.name.to_owned(),
            help: header.help.to_owned(),
            metric_type: header.metric_type,
            unit: header.unit.to_owned(),
            metrics: Vec::new(),
        });
    }

    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, timestamp_ms: Option<i64>) {
        let Some(family) = self.families.last_mut() else {
            return;
        };
        let mut owned = Vec::new();
        labels.visit(&mut |n, v| owned.push((n.to_owned(), v.to_owned())));
        family.metrics.push(Metric {
            labels: owned,
            timestamp_ms,
            value: to_value(point),
        });
    }

    fn finish(&mut self) {}
}

fn to_value(point: &Point<'_>) -> MetricValue {
    match point {
        Point::Counter {
            value,
            created,
            exemplar,
        } => MetricValue::Counter {
            value: *value,
            created: *created,
            exemplar: exemplar.cloned(),
        },
        Point::Gauge(v) => MetricValue::Gauge(*v),
        Point::Unknown(v) => MetricValue::Unknown(*v),
        Point::Histogram(h) => MetricValue::Histogram(histogram(h)),
        Point::GaugeHistogram(h) => MetricValue::GaugeHistogram(histogram(h)),
        Point::Summary(s) => MetricValue::Summary(SummaryValue {
            count: s.count,
            sum: s.sum,
            quantiles: s.quantiles.to_vec(),
            created: s.created,
        }),
        Point::Info => MetricValue::Info,
        Point::StateSet(s) => {
            MetricValue::StateSet(s.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect())
        }
    }
}

fn histogram(h: &HistogramPoint<'_>) -> HistogramValue {
    HistogramValue {
        count: h.count,
        sum: h.sum,
        buckets: h
            .buckets
            .iter()
            .map(|b| BucketValue {
                upper_bound: b.upper_bound,
                cumulative_count: b.cumulative_count,
                exemplar: b.exemplar.cloned(),
            })
            .collect(),
        created: h.created,
        native: h.native.cloned(),
        native_exemplars: h.native_exemplars.to_vec(),
    }
}
