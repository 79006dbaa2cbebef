//! One loop per target: fetch, parse, relabel, append, report, staleness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use flint_config::ScrapeConfig;
use flint_discovery::client::HttpClient;
use flint_expfmt::Format;
use flint_model::{Labels, LabelsBuilder, STALE_NAN};
use flint_storage::{Appendable, SeriesRef};
use tokio_util::sync::CancellationToken;

use crate::append::Ingester;
use crate::error::{Error, Result};
use crate::fetch::fetch;
use crate::metrics::ScrapeMetrics;
use crate::report::{self, Stats};
use crate::target::{Health, Target};

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
    /// Where failed scrapes are logged (`scrape_failure_log_file`).
    pub failure_log: Option<Arc<crate::failure_log::FailureLog>>,
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
    ingest: Ingester,
    report_refs: Vec<(Labels, Option<SeriesRef>)>,
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
            ingest: Ingester::new(
                Arc::clone(&target),
                Arc::clone(&ctx.cfg),
                ctx.metrics.clone(),
            ),
            target,
            ctx,
            report_refs,
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
            Err(e) => {
                // Only failed fetches are logged, as upstream (not parse or limit errors).
                if let Some(l) = &self.ctx.failure_log {
                    l.log(&self.target.url, &e.to_string());
                }
                Err(e)
            }
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
                if matches!(e, Error::BucketLimit) {
                    self.ctx.metrics.exceeded_bucket_limit.inc();
                }
                self.ctx.metrics.failed.inc();
                // Nothing from this scrape is kept; everything seen before goes stale.
                let _ = self.append_body(b"", "text/plain", ts);
                (Stats::default(), Some(e))
            }
        };
        let duration = clock.elapsed();
        self.write_report(ts, duration, &stats, err.as_ref());
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

    /// Parses `body` and appends it in one batch (see [`Ingester::append_body`]).
    fn append_body(&mut self, body: &[u8], content_type: &str, ts: i64) -> Result<Stats> {
        let format = if body.is_empty() {
            Format::Text
        } else {
            self.format_for(content_type)?
        };
        let storage = Arc::clone(&self.ctx.storage);
        self.ingest.append_body(storage.as_ref(), body, format, ts)
    }

    fn write_report(&mut self, ts: i64, duration: Duration, stats: &Stats, err: Option<&Error>) {
        let cfg = &self.ctx.cfg;
        // A body over the limit reports -1, as upstream.
        let body_size = match err {
            Some(Error::BodySizeLimit) => -1.0,
            _ => stats.body_size as f64,
        };
        let mut values = vec![
            if err.is_none() { 1.0 } else { 0.0 },
            duration.as_secs_f64(),
            stats.scraped as f64,
            stats.post_relabel as f64,
            stats.added as f64,
        ];
        if cfg.extra_metrics() {
            values.extend([
                self.target.timeout.as_secs_f64(),
                cfg.sample_limit as f64,
                body_size,
            ]);
        }
        self.append_report(ts, &values);
    }

    fn append_report(&mut self, ts: i64, values: &[f64]) {
        let storage = Arc::clone(&self.ctx.storage);
        let mut app = storage.appender();
        for ((labels, series), v) in self.report_refs.iter_mut().zip(values) {
            let known = series.is_some();
            match app.append(*series, labels, ts, *v) {
                Ok(r) => *series = Some(r),
                Err(_) => *series = app.append(None, labels, ts, *v).ok(),
            }
            // The storage hears of a report series' metadata when the series appears.
            if !known
                && let Some(r) = *series
                && let Some(m) = labels.metric_name().and_then(report::metadata)
            {
                let _ = app.update_metadata(Some(r), labels, &m);
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
        self.ingest.mark_all_stale(app.as_mut(), ts);
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
        self.ingest.cached_series()
    }
}
