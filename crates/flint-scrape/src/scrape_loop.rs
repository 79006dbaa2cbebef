//! One loop per target: fetch, parse, relabel, append, report, staleness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use flint_config::ScrapeConfig;
use flint_discovery::client::HttpClient;
use flint_expfmt::{Entry, Format, OpenMetricsParser, TextParser, Validation};
use flint_model::{Labels, LabelsBuilder, Relabeler, STALE_NAN};
use flint_storage::{AppendError, Appendable, Appender, SeriesRef};
use tokio_util::sync::CancellationToken;

use crate::cache::{Cache, Entry as CacheEntry};
use crate::error::{Error, Result};
use crate::fetch::fetch;
use crate::metrics::ScrapeMetrics;
use crate::report::{self, Stats};
use crate::target::{Health, MetricMeta, Target};

/// What every loop of a pool shares.
pub struct LoopContext {
    /// The job.
    pub cfg: Arc<ScrapeConfig>,
    /// The pool's client.
    pub client: HttpClient,
    /// Where samples go.
    pub storage: Arc<dyn Appendable>,
    /// Self-metrics.
    pub metrics: ScrapeMetrics,
    /// The `Accept` header.
    pub accept: String,
    /// Seed mixed into the offset (Prometheus uses the external labels' hash).
    pub offset_seed: u64,
    /// An error every scrape of the pool reports without fetching (`target_limit`).
    pub forced_error: std::sync::Mutex<Option<String>>,
    /// Body buffers shared by the pool's loops: only scrapes in flight hold one, so memory
    /// follows concurrency rather than the number of targets.
    pub buffers: crate::fetch::BufferPool,
}

impl std::fmt::Debug for LoopContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopContext")
            .field("job", &self.cfg.job_name)
            .finish()
    }
}

fn now_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The loop of one target.
pub struct ScrapeLoop {
    target: Arc<Target>,
    ctx: Arc<LoopContext>,
    cache: Cache,
    relabeler: Relabeler,
    metric_relabel: Vec<flint_model::RelabelConfig>,
    report_refs: Vec<(Labels, Option<SeriesRef>)>,
    key: Vec<u8>,
}

impl std::fmt::Debug for ScrapeLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeLoop")
            .field("url", &self.target.url)
            .finish()
    }
}

impl ScrapeLoop {
    /// A loop for `target`.
    pub fn new(target: Arc<Target>, ctx: Arc<LoopContext>) -> Self {
        let names = [
            report::UP,
            report::DURATION,
            report::SAMPLES_SCRAPED,
            report::SAMPLES_POST_RELABEL,
            report::SERIES_ADDED,
            report::TIMEOUT,
            report::SAMPLE_LIMIT,
            report::BODY_SIZE,
        ];
        let report_refs = names
            .iter()
            .map(|n| {
                let mut b = LabelsBuilder::new(target.labels.clone());
                b.set("__name__", *n);
                (b.build(), None)
            })
            .collect();
        ScrapeLoop {
            relabeler: crate::target::relabeler(&ctx.cfg),
            metric_relabel: ctx.cfg.metric_relabel(),
            target,
            ctx,
            cache: Cache::default(),
            report_refs,
            key: Vec::new(),
        }
    }

    /// The delay before the first scrape: a stable offset within the interval derived from
    /// the target's hash, so load spreads and survives restarts.
    pub fn offset(&self, now: SystemTime) -> Duration {
        let interval = self.target.interval.as_nanos().max(1) as u64;
        let now_ns = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let base = interval - now_ns % interval;
        let offset = (self.target.hash ^ self.ctx.offset_seed) % interval;
        let mut next = base + offset;
        if next > interval {
            next -= interval;
        }
        Duration::from_nanos(next)
    }

    /// Scrapes every interval until `cancel` fires. When `stale_on_stop` is set by then
    /// (target gone, shutdown) the last scrape's series are marked stale.
    pub async fn run(mut self, cancel: CancellationToken, stale_on_stop: Arc<AtomicBool>) {
        let start = tokio::time::Instant::now() + self.offset(SystemTime::now());
        let mut ticker = tokio::time::interval_at(start, self.target.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let interval_label = self.ctx.cfg.interval().to_string();
        let interval_len = self
            .ctx
            .metrics
            .interval_length
            .with_label_values(&[&interval_label])
            .ok();
        let mut last: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let now = tokio::time::Instant::now();
            if let (Some(l), Some(s)) = (last, &interval_len) {
                s.observe((now - l).as_secs_f64());
            }
            last = Some(now);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.scrape_once() => {}
            }
        }
        if stale_on_stop.load(Ordering::SeqCst) {
            self.write_end_staleness(now_ms(SystemTime::now()));
        }
    }

    /// One scrape and its report.
    pub async fn scrape_once(&mut self) {
        let started = SystemTime::now();
        let ts = now_ms(started);
        let clock = std::time::Instant::now();
        let cfg = &self.ctx.cfg;
        let forced = self.ctx.forced_error.lock().ok().and_then(|f| f.clone());
        let mut bufs = self.ctx.buffers.take();
        let fetched = if let Some(e) = forced {
            Err(Error::Forced(e))
        } else {
            fetch(
                &self.ctx.client,
                &self.target.url,
                &self.ctx.accept,
                self.target.timeout,
                cfg.enable_compression,
                cfg.body_size_limit.0,
                &mut bufs,
            )
            .await
        };
        self.ctx.metrics.scrapes.inc();
        let result = match fetched {
            Ok(content_type) => {
                let body = std::mem::take(&mut bufs.body);
                let size = body.len() as u64;
                let r = self.append_body(&body, &content_type, ts).map(|mut s| {
                    s.body_size = size;
                    s
                });
                bufs.body = body;
                r
            }
            Err(e) => Err(e),
        };
        self.ctx.buffers.give(bufs);
        let (stats, err) = match result {
            Ok(s) => (s, None),
            Err(e) => {
                if matches!(e, Error::BodySizeLimit) {
                    self.ctx.metrics.exceeded_body_size_limit.inc();
                }
                if matches!(e, Error::SampleLimit) {
                    self.ctx.metrics.exceeded_sample_limit.inc();
                }
                self.ctx.metrics.failed.inc();
                // Nothing from this scrape is kept; everything seen before goes stale.
                let _ = self.append_body(b"", "text/plain", ts);
                (Stats::default(), Some(e))
            }
        };
        let duration = clock.elapsed();
        self.write_report(ts, duration, &stats, err.is_none());
        if let Ok(mut h) = self.target.health.lock() {
            h.last_scrape = Some(started);
            h.last_scrape_duration = duration;
            match &err {
                None => {
                    h.health = Health::Up;
                    h.last_error.clear();
                }
                Some(e) => {
                    h.health = Health::Down;
                    h.last_error = e.to_string();
                }
            }
        }
        if let Some(e) = err {
            tracing::debug!(job = %self.ctx.cfg.job_name, target = %self.target.url, error = %e, "Scrape failed");
        }
    }

    fn format_for(&self, content_type: &str) -> Result<Format> {
        if let Some(f) = Format::from_content_type(content_type) {
            return Ok(f);
        }
        match self.ctx.cfg.fallback_protocol() {
            Some(p) => Ok(p.format()),
            None => Err(Error::ContentType(content_type.to_string())),
        }
    }

    /// Parses `body` and appends it in one batch with staleness markers for vanished
    /// series; on any error the batch is rolled back.
    fn append_body(&mut self, body: &[u8], content_type: &str, ts: i64) -> Result<Stats> {
        let format = if body.is_empty() {
            Format::Text
        } else {
            self.format_for(content_type)?
        };
        let converted;
        let (format, body) = if format == Format::Protobuf {
            let fams = flint_expfmt::protobuf::parse_families(body)
                .map_err(|e| Error::Parse(e.to_string()))?;
            let mut out = Vec::new();
            flint_expfmt::family::encode_families(
                &fams,
                flint_expfmt::encode::encoder_for(Format::Text, &mut out).as_mut(),
            );
            converted = out;
            (Format::Text, converted.as_slice())
        } else {
            (format, body)
        };
        let storage = Arc::clone(&self.ctx.storage);
        let mut app = storage.appender();
        self.cache.begin();
        match self.append_entries(app.as_mut(), format, body, ts) {
            Ok(stats) => {
                self.append_stale(app.as_mut(), ts);
                app.commit().map_err(|e| Error::Storage(e.to_string()))?;
                self.cache.finish();
                Ok(stats)
            }
            Err(e) => {
                let _ = app.rollback();
                // Nothing of this attempt counts: the last successful scrape stays the
                // reference for staleness.
                Err(e)
            }
        }
    }

    fn append_entries(
        &mut self,
        app: &mut dyn Appender,
        format: Format,
        body: &[u8],
        ts: i64,
    ) -> Result<Stats> {
        let mut stats = Stats::default();
        let mut meta: Vec<MetricMeta> = Vec::new();
        let mut on_entry = |this: &mut Self, e: Entry<'_>, stats: &mut Stats| -> Result<()> {
            match e {
                Entry::Sample(s) => this.append_sample(app, &s, ts, stats),
                Entry::Help { name, help } => {
                    meta_entry(&mut meta, &name).help = help.into_owned();
                    Ok(())
                }
                Entry::Type { name, metric_type } => {
                    meta_entry(&mut meta, &name).metric_type =
                        metric_type.as_prometheus_str().to_string();
                    Ok(())
                }
                Entry::Unit { name, unit } => {
                    meta_entry(&mut meta, &name).unit = unit.into_owned();
                    Ok(())
                }
                Entry::Comment(_) | Entry::Eof => Ok(()),
            }
        };
        match format {
            Format::OpenMetrics => {
                for e in OpenMetricsParser::with_validation(body, Validation::Lenient) {
                    on_entry(
                        self,
                        e.map_err(|e| Error::Parse(e.to_string()))?,
                        &mut stats,
                    )?;
                }
            }
            _ => {
                for e in TextParser::new(body) {
                    on_entry(
                        self,
                        e.map_err(|e| Error::Parse(e.to_string()))?,
                        &mut stats,
                    )?;
                }
            }
        }
        let limit = self.ctx.cfg.sample_limit;
        if limit > 0 && stats.post_relabel > limit {
            return Err(Error::SampleLimit);
        }
        if !body.is_empty()
            && let Ok(mut m) = self.target.metadata.lock()
        {
            *m = meta;
        }
        Ok(stats)
    }

    fn append_sample(
        &mut self,
        app: &mut dyn Appender,
        s: &flint_expfmt::Sample<'_>,
        ts: i64,
        stats: &mut Stats,
    ) -> Result<()> {
        stats.scraped += 1;
        self.key.clear();
        self.key.extend_from_slice(s.name.as_bytes());
        self.key.push(0xff);
        self.key.extend_from_slice(s.labels.as_raw().as_bytes());
        let iter = self.cache.iter;
        let explicit = s.timestamp.is_some();
        let t = match s.timestamp {
            Some(st) if self.ctx.cfg.honor_timestamps => st,
            _ => ts,
        };
        let key = crate::cache::key(&self.key);
        let entry = match self.cache.get_mut(key) {
            Some(e) => e,
            None => {
                let labels = series_labels(
                    &mut self.relabeler,
                    &self.metric_relabel,
                    &self.target,
                    &self.ctx.cfg,
                    s,
                )?;
                stats.added += 1;
                self.cache.insert(key, CacheEntry::new(labels, explicit))
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
        stats.post_relabel += 1;
        let empty = Labels::empty();
        let labels = entry.labels.as_ref().unwrap_or(&empty);
        match app.append(entry.series, labels, t, s.value) {
            Ok(r) => {
                // From now on the reference is enough; should the storage ever forget the
                // series, the labels are rebuilt from the sample. Holding them would cost
                // more memory than the rest of the cache.
                entry.labels = None;
                entry.series = Some(r);
            }
            Err(AppendError::UnknownSeries(_)) => {
                let labels = match entry.labels.take() {
                    Some(l) => Some(l),
                    None => series_labels(
                        &mut self.relabeler,
                        &self.metric_relabel,
                        &self.target,
                        &self.ctx.cfg,
                        s,
                    )?,
                };
                if let Some(l) = labels {
                    entry.series = app.append(None, &l, t, s.value).ok();
                    entry.labels = Some(l);
                }
            }
            Err(e) => count_append_error(&self.ctx.metrics, &e)?,
        }
        Ok(())
    }

    /// Appends a staleness marker, by reference when known. A series the storage no
    /// longer knows has nothing left to mark.
    fn append_marker(
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

    fn append_stale(&mut self, app: &mut dyn Appender, ts: i64) {
        let track = self.ctx.cfg.track_timestamps_staleness;
        for e in self.cache.stale().filter(|e| track || !e.explicit_ts) {
            Self::append_marker(app, e.series, e.labels.as_ref(), ts);
        }
    }

    fn write_report(&mut self, ts: i64, duration: Duration, stats: &Stats, up: bool) {
        let cfg = &self.ctx.cfg;
        let mut values = vec![
            if up { 1.0 } else { 0.0 },
            duration.as_secs_f64(),
            stats.scraped as f64,
            stats.post_relabel as f64,
            stats.added as f64,
        ];
        if cfg.extra_metrics() {
            values.extend([
                self.target.timeout.as_secs_f64(),
                cfg.sample_limit as f64,
                stats.body_size as f64,
            ]);
        }
        self.append_report(ts, &values);
    }

    fn append_report(&mut self, ts: i64, values: &[f64]) {
        let storage = Arc::clone(&self.ctx.storage);
        let mut app = storage.appender();
        for ((labels, series), v) in self.report_refs.iter_mut().zip(values) {
            match app.append(*series, labels, ts, *v) {
                Ok(r) => *series = Some(r),
                Err(_) => *series = app.append(None, labels, ts, *v).ok(),
            }
        }
        if let Err(e) = app.commit() {
            tracing::warn!(error = %e, "Appending scrape report failed");
        }
    }

    /// Stale markers for every series of the last scrape and the report series.
    fn write_end_staleness(&mut self, ts: i64) {
        let storage = Arc::clone(&self.ctx.storage);
        let mut app = storage.appender();
        for e in self.cache.current() {
            Self::append_marker(app.as_mut(), e.series, e.labels.as_ref(), ts);
        }
        let n = if self.ctx.cfg.extra_metrics() { 8 } else { 5 };
        for (labels, series) in self.report_refs.iter().take(n) {
            let _ = app.append(*series, labels, ts, STALE_NAN);
        }
        if let Err(e) = app.commit() {
            tracing::warn!(error = %e, "Writing staleness markers failed");
        }
    }

    /// Series currently cached (for tests and diagnostics).
    pub fn cached_series(&self) -> usize {
        self.cache.len()
    }
}

/// Labels of a new series: target labels merged (`honor_labels`), metric relabeling,
/// limits. `None` when relabeling drops it.
fn series_labels(
    relabeler: &mut Relabeler,
    metric_relabel: &[flint_model::RelabelConfig],
    target: &Target,
    cfg: &ScrapeConfig,
    s: &flint_expfmt::Sample<'_>,
) -> Result<Option<Labels>> {
    let scraped = Labels::from_pairs(
        std::iter::once(("__name__".to_string(), s.name.to_string())).chain(
            s.labels
                .iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned())),
        ),
    );
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

fn meta_entry<'a>(meta: &'a mut Vec<MetricMeta>, name: &str) -> &'a mut MetricMeta {
    // HELP, TYPE and UNIT of a family come together: look at the last entry first.
    if let Some(i) = meta
        .last()
        .filter(|m| m.metric == name)
        .map(|_| meta.len() - 1)
        .or_else(|| meta.iter().position(|m| m.metric == name))
    {
        return &mut meta[i];
    }
    meta.push(MetricMeta {
        metric: name.to_string(),
        metric_type: "unknown".into(),
        help: String::new(),
        unit: String::new(),
    });
    let last = meta.len() - 1;
    &mut meta[last]
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
