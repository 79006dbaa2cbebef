//! The registry: named metrics, collectors and sub-registries, encoded on scrape.

mod opts;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use flint_expfmt::{Encoder, FamilyHeader};

pub use self::opts::{Opts, Unit};
use crate::collector::{Collector, CollectorEncoder};
use crate::error::{Error, Result};
use crate::labels::ConstLabels;
use crate::metrics::{Metric, MetricEncoder};

struct Entry {
    name: String,
    help: String,
    unit: String,
    const_labels: ConstLabels,
    metric: Box<dyn Metric>,
}

/// Everything registered; cloned (cheaply: `Arc`s) at the start of each scrape so that no
/// lock is held while metrics and collectors encode.
#[derive(Default, Clone)]
struct State {
    metrics: Vec<Arc<Entry>>,
    collectors: Vec<Arc<dyn Collector>>,
    subs: Vec<Registry>,
}

struct Inner {
    prefix: String,
    const_labels: ConstLabels,
    state: RwLock<State>,
    /// Full names registered anywhere in this registry tree.
    names: Arc<Mutex<HashSet<String>>>,
}

/// A set of metrics to expose. Clones share the same registry; methods take `&self`, so a
/// registry can be shared (in an `Arc`, a static, an axum state) and still gain metrics.
///
/// ```
/// use flint_client::{Registry, registry::{Opts, Unit}, metrics::histogram::Histogram};
/// let registry = Registry::new();
/// let sub = registry.sub_registry_with_prefix("http");
/// sub.register_with_opts(
///     Opts::new("request_duration", "Request latency.").unit(Unit::Seconds),
///     Histogram::default(),
/// )
/// .unwrap();
/// assert_eq!(registry.gather()[0].name, "http_request_duration_seconds");
/// assert!(registry.register("bad name", "", Histogram::default()).is_err());
/// ```
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("prefix", &self.inner.prefix)
            .finish()
    }
}

impl Registry {
    /// An empty registry without prefix or const labels.
    pub fn new() -> Self {
        Self::build(String::new(), ConstLabels::new(), Arc::default())
    }

    /// An empty registry whose metric names all start with `prefix_`.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Self::build(prefix.into(), ConstLabels::new(), Arc::default())
    }

    /// An empty registry adding `labels` to every metric (its own and its collectors').
    pub fn with_const_labels(labels: ConstLabels) -> Self {
        Self::build(String::new(), labels, Arc::default())
    }

    fn build(
        prefix: String,
        const_labels: ConstLabels,
        names: Arc<Mutex<HashSet<String>>>,
    ) -> Self {
        let inner = Inner {
            prefix,
            const_labels,
            state: RwLock::default(),
            names,
        };
        Registry {
            inner: Arc::new(inner),
        }
    }

    /// A child registry whose names get `prefix_` after this registry's prefix.
    pub fn sub_registry_with_prefix(&self, prefix: &str) -> Registry {
        let full = opts::join(&self.inner.prefix, prefix);
        self.add_sub(full, self.inner.const_labels.clone())
    }

    /// A child registry adding `labels` after this registry's const labels.
    pub fn sub_registry_with_labels(&self, labels: ConstLabels) -> Registry {
        let mut all = self.inner.const_labels.clone();
        all.extend(&labels);
        self.add_sub(self.inner.prefix.clone(), all)
    }

    fn add_sub(&self, prefix: String, labels: ConstLabels) -> Registry {
        let sub = Self::build(prefix, labels, Arc::clone(&self.inner.names));
        if let Ok(mut state) = self.inner.state.write() {
            state.subs.push(sub.clone());
        }
        sub
    }

    /// Registers `metric` (a clone of your handle) as `name` with `help`.
    ///
    /// Counters take their base name: a trailing `_total` is removed and encoders add it.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) -> Result<()> {
        self.register_with_opts(Opts::new(name, help), metric)
    }

    /// Registers `metric` with namespace, subsystem, unit and const labels from `opts`.
    pub fn register_with_opts(&self, opts: Opts, metric: impl Metric) -> Result<()> {
        let name = opts.full_name(&self.inner.prefix, metric.metric_type());
        opts.validate(&name)?;
        let mut const_labels = self.inner.const_labels.clone();
        const_labels.extend(&opts.const_labels);
        {
            let mut names = self
                .inner
                .names
                .lock()
                .map_err(|_| Error::AlreadyRegistered(name.clone()))?;
            if !names.insert(name.clone()) {
                return Err(Error::AlreadyRegistered(name));
            }
        }
        let unit = opts
            .unit
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        let entry = Entry {
            name,
            help: opts.help,
            unit,
            const_labels,
            metric: Box::new(metric),
        };
        if let Ok(mut state) = self.inner.state.write() {
            state.metrics.push(Arc::new(entry));
        }
        Ok(())
    }

    /// Adds a collector, asked for its families on every scrape.
    pub fn register_collector(&self, collector: impl Collector) {
        if let Ok(mut state) = self.inner.state.write() {
            state.collectors.push(Arc::new(collector));
        }
    }

    /// Writes every family of this registry tree to `encoder` (without calling `finish`).
    ///
    /// No registry lock is held while metrics and collectors encode, so a collector may
    /// itself register metrics, and registration never waits for a scrape.
    pub fn encode(&self, encoder: &mut dyn Encoder) {
        let Ok(state) = self.inner.state.read().map(|s| s.clone()) else {
            return;
        };
        for e in &state.metrics {
            let header = FamilyHeader {
                name: &e.name,
                help: &e.help,
                metric_type: e.metric.metric_type(),
                unit: &e.unit,
            };
            encoder.family(&header);
            let mut out = MetricEncoder {
                encoder: &mut *encoder,
                header,
                const_labels: &e.const_labels,
            };
            e.metric.encode(&mut out);
        }
        for c in &state.collectors {
            let mut out =
                CollectorEncoder::new(&mut *encoder, &self.inner.prefix, &self.inner.const_labels);
            c.collect(&mut out);
        }
        for sub in &state.subs {
            sub.encode(encoder);
        }
    }
}

impl Registry {
    /// The current state of every family, as owned values (for tests and custom use).
    pub fn gather(&self) -> Vec<flint_expfmt::family::MetricFamily> {
        let mut g = crate::gather::Gatherer::default();
        self.encode(&mut g);
        g.families
    }

    /// Encodes everything in `format` into `out` (appending), finishing the output.
    pub fn encode_to(&self, format: flint_expfmt::Format, out: &mut Vec<u8>) {
        let mut encoder = flint_expfmt::encode::encoder_for(format, out);
        self.encode(&mut *encoder);
        encoder.finish();
    }

    /// The Prometheus text (0.0.4) exposition of everything.
    pub fn encode_text(&self) -> String {
        let mut out = Vec::new();
        self.encode_to(flint_expfmt::Format::Text, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}
