//! Relabeling: Prometheus's `relabel_configs` and `metric_relabel_configs`.
//!
//! [`RelabelConfig`] deserializes from Prometheus YAML (with the same defaults and validation)
//! and [`relabel`] / [`Relabeler`] apply a list of them to a label set exactly as
//! `model/relabel` does upstream.
//!
//! ```
//! use flint_model::{Labels, NameValidation, RelabelConfig, Relabeler};
//!
//! let rules: Vec<RelabelConfig> = serde_saphyr::from_str(r#"
//! - source_labels: [__meta_env]
//!   target_label: env
//! - action: labeldrop
//!   regex: __meta_.*
//! "#)?;
//! let mut engine = Relabeler::new(NameValidation::Utf8); // keep it around: it reuses buffers
//! let input = Labels::from_pairs([("__meta_env", "prod"), ("job", "api")]);
//! let out = engine.process(&input, &rules).expect("not dropped");
//! assert_eq!(out.to_string(), r#"{env="prod", job="api"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod engine;
mod template;
mod validate;

pub use config::{Action, RelabelConfig};
pub use engine::{Relabeler, relabel};
pub use template::{TemplateGroups, expand_template};

#[cfg(test)]
mod tests;
