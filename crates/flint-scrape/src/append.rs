//! Appending one scrape: every sample of the body through the series cache (raw series
//! text → storage reference), target labels and metric relabeling for new series, label
//! limits, exemplars, metadata when it changes, and staleness markers for series the
//! body no longer has. One batch per scrape: committed when the whole body went through,
//! rolled back otherwise.

use std::sync::Arc;

use flint_config::ScrapeConfig;
use flint_expfmt::Format;
use flint_model::{Exemplar, Labels, LabelsBuilder, MetricType, Relabeler, STALE_NAN};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef};

use crate::body::nhcb::Converted;
use crate::body::{self, Item, MetaLine, ParseOptions, Sink, Value, spans};
use crate::cache::{Cache, Entry as CacheEntry};
use crate::error::{Error, Result};
use crate::meta::MetaCache;
use crate::metrics::ScrapeMetrics;
use crate::report::Stats;
use crate::target::Target;

/// The per-target state that outlives one scrape.
pub struct Ingester {
    cache: Cache,
    meta: MetaCache,
    relabeler: Relabeler,
    metric_relabel: Vec<flint_model::RelabelConfig>,
    key: Vec<u8>,
    opts: ParseOptions,
    limits: HistogramLimits,
    target: Arc<Target>,
    cfg: Arc<ScrapeConfig>,
    metrics: ScrapeMetrics,
}

impl std::fmt::Debug for Ingester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingester")
            .field("series", &self.cache.len())
            .finish()
    }
}

impl Ingester {
    /// The state of a new loop for `target`.
    pub fn new(target: Arc<Target>, cfg: Arc<ScrapeConfig>, metrics: ScrapeMetrics) -> Self {
        Ingester {
            cache: Cache::default(),
            meta: MetaCache::default(),
            relabeler: crate::target::relabeler(&cfg),
            metric_relabel: cfg.metric_relabel(),
            key: Vec::new(),
            opts: ParseOptions::of(&cfg),
            limits: HistogramLimits::of(&cfg),
            target,
            cfg,
            metrics,
        }
    }

    /// Series currently cached.
    pub fn cached_series(&self) -> usize {
        self.cache.len()
    }

    /// Parses `body` and appends it in one batch with staleness markers for vanished
    /// series; on any error the batch is rolled back and nothing of it counts. An empty
    /// body (a failed scrape) only marks the last scrape's series stale.
    pub fn append_body(
        &mut self,
        storage: &dyn Appendable,
        body: &[u8],
        format: Format,
        ts: i64,
    ) -> Result<Stats> {
        let mut app = storage.appender();
        let iter = self.cache.begin();
        self.meta.begin(iter);
        let fed = {
            let mut batch = Batch {
                ing: self,
                app: app.as_mut(),
                ts,
                stats: Stats::default(),
            };
            let opts = batch.ing.opts;
            body::feed(format, body, opts, &mut batch).map(|()| batch.stats)
        };
        let limit = self.cfg.sample_limit;
        let fed = fed.and_then(|s| {
            if limit > 0 && s.post_relabel > limit {
                Err(Error::SampleLimit)
            } else {
                Ok(s)
            }
        });
        match fed {
            Ok(stats) => {
                self.append_stale(app.as_mut(), ts);
                app.commit().map_err(|e| Error::Storage(e.to_string()))?;
                self.cache.finish();
                if !body.is_empty()
                    && let Some(list) = self.meta.finish()
                {
                    self.target.set_metadata(list);
                }
                Ok(stats)
            }
            Err(e) => {
                // The last successful scrape stays the reference for staleness.
                let _ = app.rollback();
                Err(e)
            }
        }
    }

    fn append_stale(&mut self, app: &mut dyn Appender, ts: i64) {
        let track = self.cfg.track_timestamps_staleness;
        for e in self.cache.stale().filter(|e| track || !e.explicit_ts) {
            append_marker(app, e.series, e.labels.as_ref(), ts);
        }
    }

    /// Stale markers for every series of the last successful scrape.
    pub fn mark_all_stale(&self, app: &mut dyn Appender, ts: i64) {
        for e in self.cache.current() {
            append_marker(app, e.series, e.labels.as_ref(), ts);
        }
    }
}

/// Appends a staleness marker, by reference when known. A series the storage no longer
/// knows has nothing left to mark.
pub(crate) fn append_marker(
    app: &mut dyn Appender,
    series: Option<SeriesRef>,
    labels: Option<&Labels>,
    ts: i64,
) {
    let empty = Labels::empty();
    if let Some(r) = series
        && app
            .append(Some(r), labels.unwrap_or(&empty), ts, STALE_NAN)
            .is_ok()
    {
        return;
    }
    if let Some(l) = labels {
        let _ = app.append(None, l, ts, STALE_NAN);
    }
}

/// One scrape's appends.
struct Batch<'a> {
    ing: &'a mut Ingester,
    app: &'a mut dyn Appender,
    ts: i64,
    stats: Stats,
}

impl Sink for Batch<'_> {
    fn meta(&mut self, family: &str, line: MetaLine<'_>) -> Result<()> {
        self.ing.meta.observe(family, line);
        Ok(())
    }

    fn item(&mut self, item: &Item<'_>) -> Result<()> {
        self.append(item)
    }
}

fn push(
    app: &mut dyn Appender,
    series: Option<SeriesRef>,
    labels: &Labels,
    t: i64,
    v: Value<'_>,
) -> std::result::Result<SeriesRef, AppendError> {
    match v {
        Value::Float(f) => app.append(series, labels, t, f),
        Value::Histogram(h) => app.append_histogram(series, labels, t, HistogramSample::Int(h)),
        Value::FloatHistogram(h) => {
            app.append_histogram(series, labels, t, HistogramSample::Float(h))
        }
    }
}

/// `native_histogram_bucket_limit` and the schema `native_histogram_min_bucket_factor`
/// allows.
#[derive(Debug, Clone, Copy)]
struct HistogramLimits {
    buckets: usize,
    max_schema: i32,
}

/// The coarsest exponential schema.
const MIN_SCHEMA: i32 = -4;

impl HistogramLimits {
    fn of(cfg: &ScrapeConfig) -> Self {
        let factor = cfg.native_histogram_min_bucket_factor;
        let factor = if factor <= 1.0 { 1.00271 } else { factor };
        let floor = (-(factor.log2()).log2()).floor();
        HistogramLimits {
            buckets: cfg.native_histogram_bucket_limit as usize,
            max_schema: floor.clamp(f64::from(MIN_SCHEMA), 8.0) as i32,
        }
    }

    /// The histogram to store when the limits change it (`None`: store as it is).
    fn apply(&self, v: Value<'_>) -> Result<Option<Converted>> {
        Ok(match v {
            Value::Float(_) => None,
            Value::Histogram(h) => self
                .fit(
                    h,
                    |h| h.positive_deltas.len() + h.negative_deltas.len(),
                    |h| h.schema,
                    spans::reduce_histogram,
                )?
                .map(Converted::Int),
            Value::FloatHistogram(h) => self
                .fit(
                    h,
                    |h| h.positive_buckets.len() + h.negative_buckets.len(),
                    |h| h.schema,
                    spans::reduce_float_histogram,
                )?
                .map(Converted::Float),
        })
    }

    /// Lowers the resolution to the maximum schema, then until the buckets fit the limit.
    fn fit<H: Clone>(
        &self,
        h: &H,
        buckets: fn(&H) -> usize,
        schema: fn(&H) -> i32,
        reduce: fn(&mut H, i32),
    ) -> Result<Option<H>> {
        let over = |h: &H| self.buckets > 0 && buckets(h) > self.buckets;
        if !(MIN_SCHEMA..=8).contains(&schema(h)) {
            // Custom buckets cannot be merged.
            return if over(h) {
                Err(Error::BucketLimit)
            } else {
                Ok(None)
            };
        }
        if schema(h) <= self.max_schema && !over(h) {
            return Ok(None);
        }
        let mut h = h.clone();
        reduce(&mut h, self.max_schema);
        while over(&h) {
            let s = schema(&h);
            if s <= MIN_SCHEMA {
                return Err(Error::BucketLimit);
            }
            reduce(&mut h, s - 1);
        }
        Ok(Some(h))
    }
}

impl Batch<'_> {
    fn append(&mut self, item: &Item<'_>) -> Result<()> {
        let limited = self.ing.limits.apply(item.value)?;
        match &limited {
            None => self.append_value(item, item.value),
            Some(Converted::Int(h)) => self.append_value(item, Value::Histogram(h)),
            Some(Converted::Float(h)) => self.append_value(item, Value::FloatHistogram(h)),
        }
    }

    fn append_value(&mut self, item: &Item<'_>, value: Value<'_>) -> Result<()> {
        let ing = &mut *self.ing;
        self.stats.scraped += 1;
        ing.key.clear();
        item.write_key(&mut ing.key);
        let key = crate::cache::key(&ing.key);
        let iter = ing.cache.iter;
        let explicit = item.timestamp.is_some();
        let t = match item.timestamp {
            Some(st) if ing.cfg.honor_timestamps => st,
            _ => self.ts,
        };
        let mut new = false;
        let entry = match ing.cache.get_mut(key) {
            Some(e) => e,
            None => {
                let family = ing.meta.current_type();
                let labels = series_labels(
                    &mut ing.relabeler,
                    &ing.metric_relabel,
                    &ing.target,
                    &ing.cfg,
                    item,
                    family,
                )?;
                self.stats.added += 1;
                new = true;
                ing.cache.insert(key, CacheEntry::new(labels, explicit))
            }
        };
        if entry.seen == iter {
            // A duplicate series within one body: upstream counts and drops it.
            return Ok(());
        }
        entry.seen = iter;
        entry.explicit_ts = explicit;
        if !entry.kept {
            return Ok(());
        }
        self.stats.post_relabel += 1;
        let empty = Labels::empty();
        let labels = entry.labels.as_ref().unwrap_or(&empty);
        let appended = match push(self.app, entry.series, labels, t, value) {
            Ok(r) => {
                // From now on the reference is enough; should the storage ever forget the
                // series, the labels are rebuilt from the sample. Holding them would cost
                // more memory than the rest of the cache.
                entry.labels = None;
                entry.series = Some(r);
                Some(r)
            }
            Err(AppendError::UnknownSeries(_)) => {
                new = true;
                let labels = match entry.labels.take() {
                    Some(l) => Some(l),
                    None => series_labels(
                        &mut ing.relabeler,
                        &ing.metric_relabel,
                        &ing.target,
                        &ing.cfg,
                        item,
                        ing.meta.current_type(),
                    )?,
                };
                match labels {
                    Some(l) => {
                        entry.series = push(self.app, None, &l, t, value).ok();
                        entry.labels = Some(l);
                        entry.series
                    }
                    None => None,
                }
            }
            Err(e) => {
                count_append_error(&ing.metrics, &e)?;
                entry.series
            }
        };
        let Some(r) = appended else {
            return Ok(());
        };
        if !item.exemplars.is_empty() {
            append_exemplars(self.app, r, item, t, &ing.metrics);
        }
        if let Some(m) = ing.meta.to_send(item.name, new)
            && let Err(e) = self.app.update_metadata(Some(r), &empty, m)
        {
            tracing::debug!(error = %e, series = item.name, "Appending metadata failed");
        }
        Ok(())
    }
}

/// Appends the exemplars of `item` in time order. An exemplar without a timestamp takes
/// the sample's, except on native histograms, where it is dropped (as upstream).
fn append_exemplars(
    app: &mut dyn Appender,
    r: SeriesRef,
    item: &Item<'_>,
    t: i64,
    metrics: &ScrapeMetrics,
) {
    let histogram = item.is_histogram();
    let mut list: Vec<Exemplar> = item
        .exemplars
        .iter()
        .filter(|e| e.timestamp.is_some() || !histogram)
        .map(|e| {
            let mut e = e.clone();
            e.timestamp.get_or_insert(t);
            e.labels.sort();
            e
        })
        .collect();
    list.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then(a.value.total_cmp(&b.value))
    });
    let empty = Labels::empty();
    let mut out_of_order = 0u64;
    for e in &list {
        match app.append_exemplar(Some(r), &empty, e) {
            Ok(_) | Err(AppendError::DuplicateExemplar) => {}
            Err(AppendError::OutOfOrderExemplar) => out_of_order += 1,
            Err(err) => {
                tracing::debug!(error = %err, series = item.name, "Appending exemplar failed")
            }
        }
    }
    // Only a batch that is entirely out of order counts, as upstream.
    if out_of_order > 0 && out_of_order == list.len() as u64 {
        metrics.exemplar_out_of_order.inc_by(out_of_order);
    }
}

/// Whether a label value of a series is a bucket bound or quantile Prometheus writes in
/// its canonical float form (`le="1"` is stored as `le="1.0"`).
fn normalized_label(family: MetricType, name: &str) -> bool {
    match family {
        MetricType::Histogram | MetricType::GaugeHistogram => name == "le",
        MetricType::Summary => name == "quantile",
        _ => false,
    }
}

fn normalize(value: &str) -> Option<String> {
    let f = flint_expfmt::float::parse_float(value)?;
    let mut out = Vec::with_capacity(value.len() + 2);
    flint_expfmt::float::write_om_float(&mut out, f);
    String::from_utf8(out).ok().filter(|s| s != value)
}

/// Labels of a new series: the scraped ones (`le`/`quantile` normalized), target labels
/// merged (`honor_labels`), metric relabeling, limits. `None` when relabeling drops it.
fn series_labels(
    relabeler: &mut Relabeler,
    metric_relabel: &[flint_model::RelabelConfig],
    target: &Target,
    cfg: &ScrapeConfig,
    item: &Item<'_>,
    family: MetricType,
) -> Result<Option<Labels>> {
    let mut pairs = vec![("__name__".to_string(), item.name.to_string())];
    item.labels.for_each(|n, v| {
        let v = if normalized_label(family, n) {
            normalize(v).unwrap_or_else(|| v.to_string())
        } else {
            v.to_string()
        };
        pairs.push((n.to_string(), v));
    });
    let scraped = Labels::from_pairs(pairs);
    let mut b = LabelsBuilder::new(scraped.clone());
    let honor = cfg.honor_labels;
    for l in target.labels.iter() {
        match scraped.get(&l.name) {
            Some(v) if !v.is_empty() && honor => {}
            Some(v) if !v.is_empty() => {
                let mut name = format!("exported_{}", l.name);
                while scraped.contains(&name) {
                    name = format!("exported_{name}");
                }
                b.set(name, v);
                b.set(l.name.clone(), l.value.clone());
            }
            _ => {
                b.set(l.name.clone(), l.value.clone());
            }
        }
    }
    let merged = b.build();
    let Some(out) = relabeler.process(&merged, metric_relabel) else {
        return Ok(None);
    };
    check_limits(cfg, &out)?;
    Ok(Some(out))
}

fn check_limits(cfg: &ScrapeConfig, l: &Labels) -> Result<()> {
    let metric: String = l.metric_name().unwrap_or("").chars().take(50).collect();
    if cfg.label_limit > 0 && l.len() as u64 > cfg.label_limit {
        return Err(Error::LabelLimit(format!(
            "label_limit exceeded (metric: {metric}, number of labels: {}, limit: {})",
            l.len(),
            cfg.label_limit
        )));
    }
    for lb in l.iter() {
        if cfg.label_name_length_limit > 0 && lb.name.len() as u64 > cfg.label_name_length_limit {
            return Err(Error::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {metric}, label name: {}, length: {}, limit: {})",
                lb.name,
                lb.name.len(),
                cfg.label_name_length_limit
            )));
        }
        if cfg.label_value_length_limit > 0 && lb.value.len() as u64 > cfg.label_value_length_limit
        {
            return Err(Error::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {metric}, label name: {}, value: {:?}, length: {}, limit: {})",
                lb.name,
                lb.value,
                lb.value.len(),
                cfg.label_value_length_limit
            )));
        }
    }
    Ok(())
}

fn count_append_error(m: &ScrapeMetrics, e: &AppendError) -> Result<()> {
    match e {
        AppendError::OutOfOrder => m.out_of_order.inc(),
        AppendError::DuplicateTimestamp => m.duplicate.inc(),
        AppendError::OutOfBounds | AppendError::TooOld => m.out_of_bounds.inc(),
        AppendError::Storage(s) => return Err(Error::Storage(s.to_string())),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_quantiles_are_normalized() {
        assert_eq!(normalize("1").as_deref(), Some("1.0"));
        assert_eq!(normalize("1.0"), None);
        assert_eq!(normalize("+Inf"), None);
        assert_eq!(normalize("0.50").as_deref(), Some("0.5"));
        assert_eq!(normalize("x"), None);
        assert!(normalized_label(MetricType::Histogram, "le"));
        assert!(!normalized_label(MetricType::Gauge, "le"));
        assert!(normalized_label(MetricType::Summary, "quantile"));
    }
}
