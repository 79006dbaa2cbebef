//! Collectors: metric families computed at scrape time.
//!
//! A [`Collector`] reports the *current* state of something outside the program's own
//! counters (a process, a device, a remote system). Because it emits whole families on each
//! scrape, label sets of things that disappeared simply stop appearing, unlike children of a
//! long-lived [`Family`](crate::metrics::family::Family), which stay until removed.

use flint_expfmt::{ChainLabels, EncodeLabels, Encoder, FamilyHeader, Point};
use flint_model::MetricType;

use flint_expfmt::family::MetricFamily;

use crate::labels::ConstLabels;
use crate::metrics::{Metric, MetricEncoder, NO_LABELS};

/// Produces metric families when the registry is scraped.
///
/// ```
/// use flint_client::collector::{Collector, CollectorEncoder};
/// use flint_client::Registry;
///
/// #[derive(Debug)]
/// struct QueueDepth;
/// impl Collector for QueueDepth {
///     fn collect(&self, out: &mut CollectorEncoder<'_>) {
///         out.gauge("queue_depth", "Jobs waiting.", 3.0);
///     }
/// }
/// let registry = Registry::new();
/// registry.register_collector(QueueDepth);
/// let families = registry.gather();
/// assert_eq!(families[0].name, "queue_depth");
/// ```
pub trait Collector: Send + Sync + std::fmt::Debug + 'static {
    /// Writes the current families to `out`.
    fn collect(&self, out: &mut CollectorEncoder<'_>);
}

/// What a [`Collector`] writes into: families get the registry's prefix and const labels.
pub struct CollectorEncoder<'a> {
    pub(crate) encoder: &'a mut dyn Encoder,
    pub(crate) prefix: &'a str,
    pub(crate) const_labels: &'a ConstLabels,
    pub(crate) name: String,
}

impl std::fmt::Debug for CollectorEncoder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorEncoder")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl<'a> CollectorEncoder<'a> {
    pub(crate) fn new(
        encoder: &'a mut dyn Encoder,
        prefix: &'a str,
        const_labels: &'a ConstLabels,
    ) -> Self {
        CollectorEncoder {
            encoder,
            prefix,
            const_labels,
            name: String::new(),
        }
    }

    fn set_name(&mut self, name: &str) {
        self.name.clear();
        if !self.prefix.is_empty() {
            self.name.push_str(self.prefix);
            self.name.push('_');
        }
        self.name.push_str(name);
    }

    /// Starts a family (base name: no `_total`; the unit may be empty).
    pub fn family(&mut self, name: &str, help: &str, metric_type: MetricType, unit: &str) {
        self.set_name(name);
        let header = FamilyHeader {
            name: &self.name,
            help,
            metric_type,
            unit,
        };
        self.encoder.family(&header);
    }

    /// Writes one metric of the current family.
    pub fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>) {
        let chained = ChainLabels(self.const_labels, labels);
        self.encoder.metric(&chained, point, None);
    }

    /// Writes a whole family from a [`Metric`] (a `LabelVec` filled just now, say).
    pub fn encode_metric(&mut self, name: &str, help: &str, metric: &dyn Metric) {
        self.set_name(name);
        let header = FamilyHeader {
            name: &self.name,
            help,
            metric_type: metric.metric_type(),
            unit: "",
        };
        self.encoder.family(&header);
        let mut out = MetricEncoder {
            encoder: &mut *self.encoder,
            header,
            const_labels: self.const_labels,
        };
        metric.encode(&mut out);
    }

    /// Writes an owned family (built by hand, or parsed from another exporter's output),
    /// with this registry's prefix and const labels applied.
    ///
    /// ```
    /// use flint_client::collector::{Collector, CollectorEncoder};
    /// use flint_expfmt::family::{Metric, MetricFamily, MetricValue};
    /// use flint_model::MetricType;
    ///
    /// #[derive(Debug)]
    /// struct Mirror;
    /// impl Collector for Mirror {
    ///     fn collect(&self, out: &mut CollectorEncoder<'_>) {
    ///         out.owned_family(&MetricFamily {
    ///             name: "disk_free_bytes".into(),
    ///             help: "Free space.".into(),
    ///             metric_type: MetricType::Gauge,
    ///             unit: String::new(),
    ///             metrics: vec![Metric {
    ///                 labels: vec![("disk".into(), "sda".into())],
    ///                 timestamp_ms: None,
    ///                 value: MetricValue::Gauge(1e9),
    ///             }],
    ///         });
    ///     }
    /// }
    /// let registry = flint_client::Registry::with_prefix("node");
    /// registry.register_collector(Mirror);
    /// assert!(registry.encode_text().contains("node_disk_free_bytes{disk=\"sda\"} 1e+09\n"));
    /// ```
    pub fn owned_family(&mut self, family: &MetricFamily) {
        let mut adapter = Prefixed { out: self };
        family.encode(&mut adapter);
    }

    /// Writes an unlabelled gauge family.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help, MetricType::Gauge, "");
        self.metric(NO_LABELS, &Point::Gauge(value));
    }

    /// Writes an unlabelled counter family (base name, without `_total`).
    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help, MetricType::Counter, "");
        self.metric(
            NO_LABELS,
            &Point::Counter {
                value,
                created: None,
                exemplar: None,
            },
        );
    }
}

/// Adapts a [`CollectorEncoder`] to the [`Encoder`] interface, for owned families.
struct Prefixed<'e, 'a> {
    out: &'e mut CollectorEncoder<'a>,
}

impl Encoder for Prefixed<'_, '_> {
    fn family(&mut self, header: &FamilyHeader<'_>) {
        self.out
            .family(header.name, header.help, header.metric_type, header.unit);
    }

    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, timestamp_ms: Option<i64>) {
        let chained = ChainLabels(self.out.const_labels, labels);
        self.out.encoder.metric(&chained, point, timestamp_ms);
    }

    fn finish(&mut self) {}
}
