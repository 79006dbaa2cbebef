//! Prometheus's template functions and alert-template data.
//!
//! Alerting rules expand their labels and annotations with [`AlertTemplate`]: parsed once when
//! the rule loads (with the `$labels`, `$externalLabels`, `$externalURL` and `$value`
//! variables defined, as Prometheus does), expanded per alert with an [`Env`] carrying the
//! query engine (for `query`), the evaluation time and the external URL.

mod funcs;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::Error;
use crate::exec::MissingKey;
use crate::func::FuncMap;
use crate::set::{Mode, TemplateSet};
use crate::value::{Struct, Value};

pub use funcs::{humanize, humanize_1024, humanize_percentage, parse_duration};

/// One sample of a query result, as templates see it (`.Labels`, `.Value`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series labels, `__name__` included.
    pub labels: BTreeMap<String, String>,
    /// The sample value.
    pub value: f64,
}

/// Runs the instant queries of the `query` template function; the rules crate implements it
/// over its PromQL engine.
pub trait QueryEngine: Send + Sync {
    /// Evaluates `expr` at `time_ms` (milliseconds since the epoch) and returns the vector.
    fn query(&self, expr: &str, time_ms: i64) -> Result<Vec<Sample>, String>;
}

/// What an expansion needs beyond the data: the query engine, the evaluation time and the
/// external URL (for `query`, `externalURL` and `pathPrefix`).
#[derive(Clone, Default)]
pub struct Env {
    /// The query engine; without one `query` fails.
    pub query: Option<Arc<dyn QueryEngine>>,
    /// The evaluation timestamp in milliseconds.
    pub time_ms: i64,
    /// The external URL (`--web.external-url`), e.g. `http://prom.example.com:9090/prefix`.
    pub external_url: String,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("time_ms", &self.time_ms)
            .field("external_url", &self.external_url)
            .finish()
    }
}

/// Prometheus's template functions (`humanize`, `query`, `first`, `label`, `graphLink`, …).
pub fn funcs() -> FuncMap {
    funcs::all()
}

/// The same functions, built once and shared by every alert template.
pub fn shared_funcs() -> Arc<FuncMap> {
    static FUNCS: std::sync::OnceLock<Arc<FuncMap>> = std::sync::OnceLock::new();
    FUNCS.get_or_init(|| Arc::new(funcs::all())).clone()
}

/// The variables Prometheus defines before every alert template text.
pub const ALERT_PREFIX: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// The data of one alert expansion.
#[derive(Debug, Clone, Default)]
pub struct AlertData {
    /// The alert's labels (`$labels`).
    pub labels: BTreeMap<String, String>,
    /// The external labels (`$externalLabels`).
    pub external_labels: BTreeMap<String, String>,
    /// The external URL (`$externalURL`).
    pub external_url: String,
    /// The sample value (`$value`).
    pub value: f64,
}

impl AlertData {
    /// The data as a template value (Go's anonymous struct of `AlertTemplateData`).
    pub fn to_value(&self) -> Value {
        Struct::new("struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }")
            .field("Labels", Value::string_map(self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .field(
                "ExternalLabels",
                Value::string_map(self.external_labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            )
            .field("ExternalURL", Value::from(self.external_url.as_str()))
            .field("Value", Value::Float(self.value))
            .into_value()
    }
}

/// An alert label or annotation template, parsed once.
#[derive(Debug, Clone)]
pub struct AlertTemplate {
    set: TemplateSet,
    name: String,
}

impl AlertTemplate {
    /// Parses `text` for the rule `rule_name` (the template is named `__alert_<rule>`, as in
    /// Prometheus, and errors read `template: __alert_<rule>:1: …`).
    pub fn parse(rule_name: &str, text: &str) -> Result<Self, Error> {
        let name = format!("__alert_{rule_name}");
        let mut set = TemplateSet::new()
            .named(name.clone())
            .with_shared_funcs(shared_funcs())
            .with_missing_key(MissingKey::Zero);
        set.parse(&name, &format!("{ALERT_PREFIX}{text}"))?;
        Ok(AlertTemplate { set, name })
    }

    /// Expands the template for one alert.
    pub fn expand(&self, data: &AlertData, env: &Env) -> Result<String, Error> {
        let mut out = String::new();
        self.set
            .execute_with(&self.name, &data.to_value(), env, &mut out)?;
        Ok(out)
    }

    /// Expands with an arbitrary data value.
    pub fn expand_value(&self, data: &Value, env: &Env) -> Result<String, Error> {
        let mut out = String::new();
        self.set.execute_with(&self.name, data, env, &mut out)?;
        Ok(out)
    }
}

/// A template set with Prometheus's functions (for console templates and tests): text or
/// HTML mode, `missingkey=zero` as Prometheus uses.
pub fn template_set(mode: Mode) -> TemplateSet {
    TemplateSet::new()
        .with_mode(mode)
        .with_shared_funcs(shared_funcs())
        .with_missing_key(MissingKey::Zero)
}

#[cfg(test)]
mod tests;
