//! Info metrics: constant labels describing the program (version, build...), value 1.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use flint_expfmt::Point;
use flint_model::MetricType;

use super::{ChildMetric, Metric, MetricEncoder};
use crate::labels::ConstLabels;

/// An info metric. OpenMetrics writes `name_info{...} 1`; Prometheus text writes it as a gauge.
///
/// ```
/// use flint_client::metrics::info::Info;
/// let info = Info::new([("version", "1.2.3"), ("revision", "abc")]);
/// assert_eq!(info.labels().pairs()[0], ("version".to_owned(), "1.2.3".to_owned()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Info {
    labels: Arc<ConstLabels>,
}

impl Info {
    /// An info metric with these labels.
    pub fn new<N: Into<String>, V: Into<String>>(labels: impl IntoIterator<Item = (N, V)>) -> Self {
        Info {
            labels: Arc::new(labels.into_iter().collect()),
        }
    }

    /// The labels.
    pub fn labels(&self) -> &ConstLabels {
        &self.labels
    }
}

impl Metric for Info {
    fn metric_type(&self) -> MetricType {
        MetricType::Info
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        out.point(&*self.labels, &Point::Info);
    }
}

impl ChildMetric for Info {
    fn written_since(&self, _marker: &AtomicU64) -> bool {
        false
    }
}
