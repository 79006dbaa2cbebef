//! A recording storage, a configurable test target and helpers.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flint_config::{LoadOptions, ScrapeConfig, load_str};
use flint_discovery::TargetGroup;
use flint_discovery::client::{ClientOptions, HttpClient};
use flint_model::{Exemplar, Labels, Metadata};
use flint_scrape::metrics::ScrapeMetrics;
use flint_scrape::scrape_loop::{LoopContext, ScrapeLoop};
use flint_scrape::target::{Populated, Target, populate, relabeler};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef};

/// Committed samples: (labels, t, v); the second field makes references unknown; the third
/// holds what else was committed.
#[derive(Debug, Default, Clone)]
pub struct Recorder(
    pub Arc<Mutex<Vec<(Labels, i64, f64)>>>,
    pub Arc<std::sync::atomic::AtomicBool>,
    pub Arc<Mutex<Extras>>,
);

/// Committed histograms, exemplars and metadata updates.
#[derive(Debug, Default, Clone)]
pub struct Extras {
    pub histograms: Vec<(Labels, i64, String)>,
    pub exemplars: Vec<(Labels, Exemplar)>,
    pub metadata: Vec<(Labels, Metadata)>,
}

impl Recorder {
    /// Takes the histograms, exemplars and metadata committed so far.
    pub fn take_extras(&self) -> Extras {
        std::mem::take(&mut *self.2.lock().unwrap())
    }

    /// From now on, answer every append by reference with "unknown series".
    pub fn forget_refs(&self) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn take(&self) -> Vec<(Labels, i64, f64)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct RecAppender {
    rec: Recorder,
    pending: Vec<(Labels, i64, f64)>,
    extras: Extras,
    refs: Arc<Mutex<Vec<Labels>>>,
}

impl RecAppender {
    fn resolve(
        &self,
        series: Option<SeriesRef>,
        labels: &Labels,
    ) -> Result<(SeriesRef, Labels), AppendError> {
        let mut refs = self.refs.lock().unwrap();
        let labels = match series {
            Some(SeriesRef(r)) => refs
                .get(r as usize)
                .cloned()
                .ok_or(AppendError::UnknownSeries(r))?,
            None => labels.clone(),
        };
        let r = match refs.iter().position(|l| *l == labels) {
            Some(i) => i,
            None => {
                refs.push(labels.clone());
                refs.len() - 1
            }
        };
        Ok((SeriesRef(r as u64), labels))
    }
}

static REFS: std::sync::LazyLock<Arc<Mutex<Vec<Labels>>>> =
    std::sync::LazyLock::new(Default::default);

impl Appendable for Recorder {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(RecAppender {
            rec: self.clone(),
            pending: Vec::new(),
            extras: Extras::default(),
            refs: REFS.clone(),
        })
    }
}

impl Appender for RecAppender {
    fn append(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, AppendError> {
        if series.is_some() && self.rec.1.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AppendError::UnknownSeries(series.map_or(0, |s| s.0)));
        }
        let (r, labels) = self.resolve(series, labels)?;
        self.pending.push((labels, t, v));
        Ok(r)
    }
    fn append_histogram(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        h: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError> {
        let (r, labels) = self.resolve(series, labels)?;
        self.extras.histograms.push((labels, t, format!("{h:?}")));
        Ok(r)
    }
    fn append_exemplar(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        e: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        let (r, labels) = self.resolve(series, labels)?;
        let last = self
            .extras
            .exemplars
            .iter()
            .rev()
            .find(|(l, _)| *l == labels)
            .map(|(_, e)| e.timestamp);
        if last.is_some_and(|t| t > e.timestamp) {
            return Err(AppendError::OutOfOrderExemplar);
        }
        self.extras.exemplars.push((labels, e.clone()));
        Ok(r)
    }
    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        m: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        let (r, labels) = self.resolve(series, labels)?;
        self.extras.metadata.push((labels, m.clone()));
        Ok(r)
    }
    fn commit(self: Box<Self>) -> flint_storage::Result<()> {
        self.rec.0.lock().unwrap().extend(self.pending);
        let mut x = self.rec.2.lock().unwrap();
        x.histograms.extend(self.extras.histograms);
        x.exemplars.extend(self.extras.exemplars);
        x.metadata.extend(self.extras.metadata);
        Ok(())
    }
    fn rollback(self: Box<Self>) -> flint_storage::Result<()> {
        Ok(())
    }
}

/// The body the test target serves, changeable between scrapes.
pub type Body = Arc<Mutex<String>>;

/// Starts a target server with fixed misbehaving endpoints and `/metrics` serving `body`.
pub async fn serve(body: Body) -> std::net::SocketAddr {
    use axum::routing::get;
    let b = body.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let b = b.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        b.lock().unwrap().clone(),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/malformed",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/plain")], "good 1\nbad{ 2\n").into_response()
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                ([(header::CONTENT_TYPE, "text/plain")], "late 1\n").into_response()
            }),
        )
        .route(
            "/big",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    "x 1\n".repeat(100_000),
                )
                    .into_response()
            }),
        )
        .route(
            "/bomb",
            get(|_h: HeaderMap| async {
                use std::io::Write;
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                let zeros = vec![b'{'; 1 << 20];
                for _ in 0..64 {
                    enc.write_all(&zeros).unwrap();
                }
                let gz = enc.finish().unwrap();
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/plain")
                    .header(header::CONTENT_ENCODING, "gzip")
                    .body(axum::body::Body::from(gz))
                    .unwrap()
            }),
        )
        .route(
            "/500",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }),
        )
        .route(
            "/html",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html")], "<html></html>").into_response()
            }),
        )
        .route(
            "/om",
            get(|| async {
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0",
                    )],
                    "# TYPE c counter\nc_total 3 123.5\n# EOF\n",
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A body with its content type, changeable between scrapes.
pub type TypedBody = Arc<Mutex<(String, Vec<u8>)>>;

/// Starts a target serving `body` with its content type on `/metrics`.
pub async fn serve_typed(body: TypedBody) -> std::net::SocketAddr {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let b = body.clone();
            async move {
                let (ct, bytes) = b.lock().unwrap().clone();
                ([(header::CONTENT_TYPE, ct)], bytes).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A job from YAML.
pub fn job(yaml: &str) -> ScrapeConfig {
    let cfg = load_str(
        &format!("scrape_configs:\n  - {}\n", yaml.replace('\n', "\n    ")),
        LoadOptions::default(),
    )
    .unwrap();
    cfg.scrape_configs[0].clone()
}

/// The target for `addr` under `cfg`.
pub fn target(cfg: &ScrapeConfig, addr: &str) -> Target {
    let g = TargetGroup {
        source: "0".into(),
        targets: vec![Labels::from_pairs([("__address__", addr)])],
        labels: Labels::empty(),
    };
    match populate(&g, &g.targets[0], cfg, &mut relabeler(cfg)) {
        Populated::Active(t) => t,
        other => panic!("{other:?}"),
    }
}

/// A loop scraping `addr` with `cfg` into `rec`.
pub fn scrape_loop(cfg: ScrapeConfig, addr: &str, rec: &Recorder) -> (ScrapeLoop, Arc<Target>) {
    let t = Arc::new(target(&cfg, addr));
    let failure_log =
        flint_scrape::failure_log::FailureLogs::default().get(&cfg.scrape_failure_log_file);
    let ctx = LoopContext {
        client: HttpClient::new(&cfg.http_client(), &ClientOptions::default()).unwrap(),
        accept: flint_expfmt::scrape_accept_header(&cfg.protocols()),
        cfg: Arc::new(cfg),
        storage: Arc::new(rec.clone()),
        metrics: ScrapeMetrics::new(&flint_client::Registry::new()),
        offset_seed: 0,
        forced_error: std::sync::Mutex::new(None),
        failure_log,
        buffers: Default::default(),
    };
    (ScrapeLoop::new(t.clone(), Arc::new(ctx)), t)
}

/// The value of the sample named `name` in `samples`.
pub fn value(samples: &[(Labels, i64, f64)], name: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some(name))
        .map(|s| s.2)
}

/// A loop scraping `addr` with `cfg` into any storage.
pub fn scrape_loop_into(
    cfg: ScrapeConfig,
    addr: &str,
    storage: Arc<dyn Appendable>,
) -> (ScrapeLoop, Arc<Target>) {
    let t = Arc::new(target(&cfg, addr));
    let failure_log =
        flint_scrape::failure_log::FailureLogs::default().get(&cfg.scrape_failure_log_file);
    let ctx = LoopContext {
        client: HttpClient::new(&cfg.http_client(), &ClientOptions::default()).unwrap(),
        accept: flint_expfmt::scrape_accept_header(&cfg.protocols()),
        cfg: Arc::new(cfg),
        storage,
        metrics: ScrapeMetrics::new(&flint_client::Registry::new()),
        offset_seed: 0,
        forced_error: std::sync::Mutex::new(None),
        failure_log,
        buffers: Default::default(),
    };
    (ScrapeLoop::new(t.clone(), Arc::new(ctx)), t)
}

/// Every series named `name` with all its values.
pub fn select_all(
    q: &dyn flint_storage::Querier,
    name: &str,
) -> Vec<(Labels, Vec<flint_storage::Value>)> {
    use flint_storage::{Value, ValueType};
    let m = flint_model::Matcher::equal("__name__", name);
    let mut set = q.select(true, None, &[m]);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        let mut values = Vec::new();
        loop {
            match it.next() {
                ValueType::None => break,
                ValueType::Float => values.push(Value::Float(it.at().1)),
                ValueType::Histogram => values.push(Value::Histogram(Arc::new(
                    it.at_histogram().unwrap().1.clone(),
                ))),
                ValueType::FloatHistogram => values.push(Value::FloatHistogram(Arc::new(
                    it.at_float_histogram().unwrap().1,
                ))),
            }
        }
        out.push((s.labels().clone(), values));
    }
    out
}
