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
