//! `remote_read` entries as storage: each a querier that sends its selects to the endpoint,
//! and [`RemoteReads`], the local storage merged with all of them.
//!
//! As upstream:
//! - Without `read_recent`, a query is only sent for the part of its range older than the
//!   local storage's start (plus a margin), and not at all when the range is newer.
//! - With `required_matchers`, a select is only sent when it has every one of them as an
//!   equality matcher.
//! - With `filter_external_labels` (the default), the external labels are added to the
//!   sent matchers (unless the select already has a matcher on that name) and removed
//!   from the answer's series.
//! - A remote that fails is a warning on the answer, not an error: local data still
//!   answers.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use flint_config::Config;
use flint_config::remote::RemoteReadConfig;
use flint_model::{Labels, MatchType, Matcher};
use flint_storage::merge::MergeQuerier;
use flint_storage::{
    ListSeries, Querier, Queryable, SelectHints, Series, SeriesSet, TimedValue, Value,
    VecSeriesSet, Warnings,
};

use super::client::ReadClient;
use crate::error::RemoteReadError;
use crate::prompb::{LabelMatcher, Query, ReadHints};

/// The local storage's start time in milliseconds, read at each query (upstream's
/// `StartTime`: the oldest block's start, or now, plus a margin).
pub type LocalStart = Arc<dyn Fn() -> i64 + Send + Sync>;

/// One `remote_read` entry.
struct Remote {
    client: ReadClient,
    read_recent: bool,
    required: Vec<(String, String)>,
    /// External labels sent as matchers (empty without `filter_external_labels`).
    external: Vec<(String, String)>,
}

/// The local storage and the configured `remote_read` endpoints, queried together.
/// Cheap to clone; [`RemoteReads::apply_config`] swaps the endpoints on reload.
#[derive(Clone)]
pub struct RemoteReads {
    local: Arc<dyn Queryable>,
    local_start: LocalStart,
    remotes: Arc<RwLock<Arc<[Arc<Remote>]>>>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for RemoteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteReads")
            .field("remotes", &self.names())
            .finish_non_exhaustive()
    }
}

/// Upstream's name of an unnamed entry: a short hash of it.
fn entry_name(cfg: &RemoteReadConfig) -> String {
    if !cfg.name.is_empty() {
        return cfg.name.clone();
    }
    let text = serde_json::to_string(cfg).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))[..6].to_string()
}

impl RemoteReads {
    /// `local` alone until a config with `remote_read` entries is applied. Must be called
    /// inside a Tokio runtime: remote requests run on it.
    pub fn new(local: Arc<dyn Queryable>, local_start: LocalStart) -> Self {
        RemoteReads {
            local,
            local_start,
            remotes: Arc::new(RwLock::new(Arc::from(Vec::new()))),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Replaces the endpoints with `cfg.remote_read`. On an error nothing changes.
    pub fn apply_config(&self, cfg: &Config) -> Result<(), RemoteReadError> {
        let external: Vec<(String, String)> = cfg
            .global
            .external_label_set()
            .iter()
            .map(|l| (l.name.to_string(), l.value.to_string()))
            .collect();
        let mut names = std::collections::BTreeSet::new();
        let mut remotes = Vec::with_capacity(cfg.remote_read.len());
        for rr in &cfg.remote_read {
            let name = entry_name(rr);
            if !names.insert(name.clone()) {
                return Err(RemoteReadError::Duplicate {
                    url: rr.url.clone().unwrap_or_default(),
                });
            }
            remotes.push(Arc::new(Remote {
                client: ReadClient::new(&name, rr)?,
                read_recent: rr.read_recent,
                required: sorted(&rr.required_matchers),
                external: if rr.filter_external_labels {
                    external.clone()
                } else {
                    Vec::new()
                },
            }));
        }
        *self.remotes.write().unwrap_or_else(|p| p.into_inner()) = Arc::from(remotes);
        Ok(())
    }

    /// The names of the configured endpoints.
    pub fn names(&self) -> Vec<String> {
        self.current()
            .iter()
            .map(|r| r.client.name().to_string())
            .collect()
    }

    fn current(&self) -> Arc<[Arc<Remote>]> {
        self.remotes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn sorted(m: &BTreeMap<String, String>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Queryable for RemoteReads {
    fn querier(&self, mint: i64, maxt: i64) -> flint_storage::Result<Box<dyn Querier + '_>> {
        let local = self.local.querier(mint, maxt)?;
        let remotes = self.current();
        if remotes.is_empty() {
            return Ok(local);
        }
        let mut sources: Vec<Box<dyn Querier + '_>> = vec![local];
        for r in remotes.iter() {
            let (mint, maxt) = if r.read_recent {
                (mint, maxt)
            } else {
                let start = (self.local_start)();
                if mint > start {
                    continue;
                }
                (mint, maxt.min(start))
            };
            sources.push(Box::new(RemoteQuerier {
                remote: Arc::clone(r),
                runtime: self.runtime.clone(),
                mint,
                maxt,
            }));
        }
        Ok(Box::new(MergeQuerier::new(sources)))
    }
}

/// One endpoint over one time range.
struct RemoteQuerier {
    remote: Arc<Remote>,
    runtime: tokio::runtime::Handle,
    mint: i64,
    maxt: i64,
}

/// Extra time allowed past the request timeout before a select gives up waiting.
const WAIT_SLACK: Duration = Duration::from_secs(5);

impl RemoteQuerier {
    /// The matchers to send and the external label names added to them; `None` when a
    /// required matcher is missing.
    fn plan(&self, matchers: &[Matcher]) -> Option<(Vec<LabelMatcher>, Vec<String>)> {
        let has_equal = |n: &str, v: &str| {
            matchers
                .iter()
                .any(|m| m.match_type() == MatchType::Equal && m.name() == n && m.value() == v)
        };
        if !self.remote.required.iter().all(|(n, v)| has_equal(n, v)) {
            return None;
        }
        let mut sent: Vec<LabelMatcher> = matchers.iter().map(to_proto).collect();
        let mut added = Vec::new();
        for (n, v) in &self.remote.external {
            if matchers.iter().all(|m| m.name() != n) {
                sent.push(LabelMatcher {
                    r#type: 0,
                    name: n.clone(),
                    value: v.clone(),
                });
                added.push(n.clone());
            }
        }
        Some((sent, added))
    }

    /// Sends `query` on the runtime and waits for the answer (selects run on blocking
    /// threads, as the query engine calls them).
    fn fetch(&self, query: Query) -> Result<crate::prompb::QueryResult, String> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let remote = Arc::clone(&self.remote);
        let task = self.runtime.spawn(async move {
            let _ = tx.send(remote.client.read(query).await);
        });
        let wait = self.remote.client.timeout() + WAIT_SLACK;
        match rx.recv_timeout(wait) {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => {
                task.abort();
                Err(format!(
                    "remote_read {}: no answer within {wait:?}",
                    self.remote.client.name()
                ))
            }
        }
    }
}

fn to_proto(m: &Matcher) -> LabelMatcher {
    LabelMatcher {
        r#type: match m.match_type() {
            MatchType::Equal => 0,
            MatchType::NotEqual => 1,
            MatchType::RegexMatch => 2,
            MatchType::RegexNoMatch => 3,
        },
        name: m.name().to_string(),
        value: m.value().to_string(),
    }
}

impl Querier for RemoteQuerier {
    fn select(
        &self,
        _sorted: bool,
        hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        let Some((sent, added)) = self.plan(matchers) else {
            return Box::new(VecSeriesSet::new(Vec::new()));
        };
        let (mut mint, mut maxt) = (self.mint, self.maxt);
        if let Some(h) = hints {
            mint = mint.max(h.start);
            maxt = maxt.min(h.end);
        }
        let query = Query {
            start_timestamp_ms: mint,
            end_timestamp_ms: maxt,
            matchers: sent,
            hints: hints.map(|h| ReadHints {
                step_ms: h.step,
                func: h.func.clone(),
                start_ms: h.start,
                end_ms: h.end,
                grouping: h.grouping.clone(),
                by: h.by,
                range_ms: h.range,
            }),
        };
        let result = match self.fetch(query) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "remote read failed");
                return Box::new(VecSeriesSet::new(Vec::new()).with_warnings(vec![e]));
            }
        };
        let mut series: Vec<(Labels, Box<dyn Series>)> = result
            .timeseries
            .into_iter()
            .map(|ts| {
                let labels = Labels::from_pairs(
                    ts.labels
                        .into_iter()
                        .filter(|l| !added.contains(&l.name))
                        .map(|l| (l.name, l.value)),
                );
                let samples: Arc<[TimedValue]> = ts
                    .samples
                    .into_iter()
                    .filter(|s| s.timestamp >= mint && s.timestamp <= maxt)
                    .map(|s| TimedValue {
                        t: s.timestamp,
                        value: Value::Float(s.value),
                    })
                    .collect();
                let s = ListSeries {
                    labels: labels.clone(),
                    samples,
                };
                (labels, Box::new(s) as Box<dyn Series>)
            })
            .collect();
        // The merge needs label order; endpoints are not bound to send it.
        series.sort_by(|a, b| a.0.cmp(&b.0));
        Box::new(VecSeriesSet::new(
            series.into_iter().map(|(_, s)| s).collect(),
        ))
    }

    /// Remote read has no label queries; the local storage answers them.
    fn label_values(
        &self,
        _name: &str,
        _matchers: &[Matcher],
        _limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        Ok((Vec::new(), Warnings::new()))
    }

    fn label_names(
        &self,
        _matchers: &[Matcher],
        _limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        Ok((Vec::new(), Warnings::new()))
    }
}
