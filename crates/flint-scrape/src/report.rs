//! Report series written after every scrape.

/// `up`.
pub const UP: &str = "up";
/// `scrape_duration_seconds`.
pub const DURATION: &str = "scrape_duration_seconds";
/// `scrape_samples_scraped`.
pub const SAMPLES_SCRAPED: &str = "scrape_samples_scraped";
/// `scrape_samples_post_metric_relabeling`.
pub const SAMPLES_POST_RELABEL: &str = "scrape_samples_post_metric_relabeling";
/// `scrape_series_added`.
pub const SERIES_ADDED: &str = "scrape_series_added";
/// `scrape_timeout_seconds` (extra).
pub const TIMEOUT: &str = "scrape_timeout_seconds";
/// `scrape_sample_limit` (extra).
pub const SAMPLE_LIMIT: &str = "scrape_sample_limit";
/// `scrape_body_size_bytes` (extra).
pub const BODY_SIZE: &str = "scrape_body_size_bytes";

/// Type, unit and help of a report series, as Prometheus describes them.
pub fn metadata(name: &str) -> Option<flint_model::Metadata> {
    let (unit, help) = match name {
        UP => (
            "",
            "Health of the scrape target. 1 means the target is healthy, 0 if the scrape failed.",
        ),
        DURATION => ("seconds", "Duration of the last scrape in seconds."),
        SAMPLES_SCRAPED => ("", "Number of samples last scraped."),
        SAMPLES_POST_RELABEL => (
            "",
            "Number of samples remaining after metric relabeling was applied.",
        ),
        SERIES_ADDED => ("", "Number of series in the last scrape."),
        TIMEOUT => ("seconds", "The configured scrape timeout for a target."),
        SAMPLE_LIMIT => (
            "",
            "The configured sample limit for a target. Returns zero if there is no limit configured.",
        ),
        BODY_SIZE => (
            "bytes",
            "The uncompressed size of the last scrape response, if successful. Scrapes failing because body_size_limit is exceeded report -1, other scrape failures report 0.",
        ),
        _ => return None,
    };
    Some(flint_model::Metadata {
        metric_type: flint_model::MetricType::Gauge,
        unit: unit.into(),
        help: help.into(),
    })
}

/// What one scrape yielded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Samples in the body.
    pub scraped: u64,
    /// Samples left after metric relabeling.
    pub post_relabel: u64,
    /// Series new to the cache.
    pub added: u64,
    /// Uncompressed body size (0 on failure).
    pub body_size: u64,
}
