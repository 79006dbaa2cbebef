//! Configuration of the Flint server: `prometheus.yml`.
//!
//! [`load_file`] parses with positions (serde-saphyr), rejects unknown keys, fills in
//! Prometheus's defaults (jobs inherit `global`), resolves relative paths against the
//! file's directory, loads `scrape_config_files`, and validates, collecting every problem
//! as `file:line:column: message` ([`Error::Invalid`]). SD mechanisms Flint does not
//! implement yet are parsed and rejected with "not supported yet: <mechanism>".
//! Serializing a [`Config`] (for `/api/v1/status/config`) renders secrets as `<secret>`.
//!
//! ```
//! use flint_config::{load_str, LoadOptions};
//!
//! let cfg = load_str(
//!     "global: {scrape_interval: 15s}\nscrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['localhost:9100']}]\n    basic_auth: {username: u, password: hunter2}\n",
//!     LoadOptions::default(),
//! )?;
//! let job = &cfg.scrape_configs[0];
//! assert_eq!(job.interval().to_string(), "15s");
//! assert_eq!(job.timeout().to_string(), "10s");
//! assert!(cfg.to_yaml().contains("<secret>"));
//! assert!(load_str("foo: 1", LoadOptions::default()).is_err());
//! # Ok::<(), flint_config::Error>(())
//! ```
#![deny(missing_docs)]

pub mod alerting;
pub mod config;
pub mod duration;
pub mod error;
pub mod global;
pub mod http_client;
pub mod load;
pub mod located;
pub mod relabel;
pub mod remote;
pub mod scrape;
pub mod sd;
pub mod secret;
pub mod size;
pub mod storage;
pub mod targets;
pub mod tls;

pub use config::Config;
pub use duration::Duration;
pub use error::{Error, Problem, Result};
pub use load::{LoadOptions, load_file, load_str};
pub use scrape::ScrapeConfig;
pub use sd::{DnsSdConfig, FileSdConfig, HttpSdConfig, SdConfig, StaticConfig};
pub use secret::Secret;
pub use size::ByteSize;
