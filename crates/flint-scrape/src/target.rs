//! Targets: labels from discovery and target relabeling, the scrape URL, and health.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use flint_config::ScrapeConfig;
use flint_discovery::TargetGroup;
use flint_model::{Labels, LabelsBuilder, NameValidation, Relabeler};

/// `__address__`.
pub const ADDRESS: &str = "__address__";
/// `__scheme__`.
pub const SCHEME: &str = "__scheme__";
/// `__metrics_path__`.
pub const METRICS_PATH: &str = "__metrics_path__";
/// `__scrape_interval__`.
pub const SCRAPE_INTERVAL: &str = "__scrape_interval__";
/// `__scrape_timeout__`.
pub const SCRAPE_TIMEOUT: &str = "__scrape_timeout__";
/// Prefix of URL parameters.
pub const PARAM_PREFIX: &str = "__param_";

/// Health of a target as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not scraped yet.
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl Health {
    /// `"up"`, `"down"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// What the last scrape found.
#[derive(Debug, Clone)]
pub struct TargetHealth {
    /// Up, down or unknown.
    pub health: Health,
    /// The error of the last scrape, empty when it succeeded.
    pub last_error: String,
    /// When the last scrape started.
    pub last_scrape: Option<SystemTime>,
    /// How long it took.
    pub last_scrape_duration: Duration,
}

impl Default for TargetHealth {
    fn default() -> Self {
        TargetHealth {
            health: Health::Unknown,
            last_error: String::new(),
            last_scrape: None,
            last_scrape_duration: Duration::ZERO,
        }
    }
}

/// Metadata of one metric family as last scraped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricMeta {
    /// Family name.
    pub metric: String,
    /// Type name as the API shows it (`counter`, `gauge`, `gaugehistogram`, …, `unknown`).
    pub metric_type: String,
    /// Help text.
    pub help: String,
    /// Unit.
    pub unit: String,
}

/// One scrape target.
#[derive(Debug)]
pub struct Target {
    /// Labels attached to every scraped series (no `__` labels).
    pub labels: Labels,
    /// Labels before relabeling (what discovery found, with job defaults).
    pub discovered: Labels,
    /// Labels after relabeling, `__` labels included (for URL and timing).
    pub full: Labels,
    /// The scrape URL.
    pub url: String,
    /// Scrape interval.
    pub interval: Duration,
    /// Scrape timeout.
    pub timeout: Duration,
    /// Stable hash (labels and URL): identity within the pool and the scrape offset.
    pub hash: u64,
    /// Health, updated by the loop.
    pub health: Mutex<TargetHealth>,
    /// Metadata of the scraped families (replaced when it changes).
    pub metadata: Mutex<Arc<Vec<MetricMeta>>>,
}

impl Target {
    /// A snapshot of the health.
    pub fn health(&self) -> TargetHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// The metadata of the families the last successful scrape listed.
    pub fn metadata(&self) -> Arc<Vec<MetricMeta>> {
        self.metadata
            .lock()
            .map(|m| Arc::clone(&m))
            .unwrap_or_default()
    }

    /// Publishes new metadata.
    pub fn set_metadata(&self, list: Vec<MetricMeta>) {
        if let Ok(mut m) = self.metadata.lock() {
            *m = Arc::new(list);
        }
    }
}

/// A target dropped by relabeling (kept for `/api/v1/targets`).
#[derive(Debug, Clone)]
pub struct DroppedTarget {
    /// Its discovered labels.
    pub discovered: Labels,
}

/// The outcome of labelling one discovered target.
#[derive(Debug)]
pub enum Populated {
    /// A target to scrape.
    Active(Target),
    /// Dropped by relabeling.
    Dropped(DroppedTarget),
    /// Invalid (no address, bad interval): logged and skipped.
    Invalid(String),
}

fn parse_duration(s: &str) -> Option<Duration> {
    s.parse::<flint_config::Duration>().ok().map(|d| d.std())
}

/// Builds the target for one discovered label set, as Prometheus's `PopulateLabels`.
pub fn populate(
    group: &TargetGroup,
    target: &Labels,
    cfg: &ScrapeConfig,
    relabeler: &mut Relabeler,
) -> Populated {
    let mut b = LabelsBuilder::new(target.clone());
    for l in group.labels.iter() {
        if b.get(&l.name).is_none() {
            b.set(l.name.clone(), l.value.clone());
        }
    }
    let interval = cfg.interval().to_string();
    let timeout = cfg.timeout().to_string();
    for (name, value) in [
        ("job", cfg.job_name.as_str()),
        (SCRAPE_INTERVAL, interval.as_str()),
        (SCRAPE_TIMEOUT, timeout.as_str()),
        (METRICS_PATH, cfg.metrics_path.as_str()),
        (SCHEME, cfg.scheme.as_str()),
    ] {
        if b.get(name).is_none() {
            b.set(name, value);
        }
    }
    for (k, vs) in &cfg.params {
        let name = format!("{PARAM_PREFIX}{k}");
        if b.get(&name).is_none()
            && let Some(v) = vs.first()
        {
            b.set(name, v.as_str());
        }
    }
    let discovered = b.build();
    let rules = cfg.target_relabel();
    let Some(full) = relabeler.process(&discovered, &rules) else {
        return Populated::Dropped(DroppedTarget { discovered });
    };
    let Some(addr) = full.get(ADDRESS).filter(|a| !a.is_empty()) else {
        return Populated::Invalid("no address".into());
    };
    if addr.contains('/') {
        return Populated::Invalid(format!("{addr:?} is not a valid hostname"));
    }
    let (Some(interval), Some(timeout)) = (
        full.get(SCRAPE_INTERVAL).and_then(parse_duration),
        full.get(SCRAPE_TIMEOUT).and_then(parse_duration),
    ) else {
        return Populated::Invalid("invalid scrape interval or timeout".into());
    };
    if interval.is_zero() || timeout.is_zero() || timeout > interval {
        return Populated::Invalid(format!(
            "scrape timeout {timeout:?} greater than scrape interval {interval:?}"
        ));
    }
    let mut b = LabelsBuilder::new(full.clone());
    if b.get("instance").is_none() {
        b.set("instance", addr);
    }
    let with_instance = b.build();
    let mut keep = LabelsBuilder::new(with_instance.clone());
    for l in with_instance.iter() {
        if l.name.starts_with("__") {
            keep.del(l.name.clone());
        }
    }
    let labels = keep.build();
    if let Err(e) = labels.validate(cfg.name_validation()) {
        return Populated::Invalid(e.to_string());
    }
    let url = build_url(&full);
    let hash = labels.stable_hash() ^ xxhash_rust::xxh3::xxh3_64(url.as_bytes());
    Populated::Active(Target {
        labels,
        discovered,
        full,
        url,
        interval,
        timeout,
        hash,
        health: Mutex::new(TargetHealth::default()),
        metadata: Mutex::new(Arc::new(Vec::new())),
    })
}

fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn build_url(full: &Labels) -> String {
    let scheme = full.get(SCHEME).unwrap_or("http");
    let addr = full.get(ADDRESS).unwrap_or("");
    let path = full.get(METRICS_PATH).unwrap_or("/metrics");
    let mut url = format!("{scheme}://{addr}{path}");
    let params: Vec<String> = full
        .iter()
        .filter_map(|l| {
            l.name
                .strip_prefix(PARAM_PREFIX)
                .map(|n| format!("{}={}", encode_query(n), encode_query(&l.value)))
        })
        .collect();
    if !params.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&params.join("&"));
    }
    url
}

/// The name validation a relabeler for `cfg` uses.
pub fn relabeler(cfg: &ScrapeConfig) -> Relabeler {
    Relabeler::new(match cfg.name_validation() {
        NameValidation::Legacy => NameValidation::Legacy,
        NameValidation::Utf8 => NameValidation::Utf8,
    })
}
