//! The rule manager: loads rule files into groups, runs one task per group, and applies new
//! configurations by diffing groups by (file, name) so unchanged groups keep running and
//! changed ones keep their rules' state.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flint_client::Registry;
use flint_model::Labels;
use flint_storage::{Appendable, Queryable};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::alerting::AlertingRule;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::group::{Deps, Group, GroupSpec, key};
use crate::metrics::Metrics;
use crate::query::{QueryFn, RuleExpr, TemplateQuery};
use crate::recording::RecordingRule;
use crate::rule::{Rule, lock};
use crate::rulefmt::{self, GroupDef, ParseOptions, RuleDef, RuleKind};
use crate::sink::AlertSink;

/// What a manager is built from: the injected dependencies and the `--rules.*` flags.
pub struct ManagerOptions {
    /// Evaluates expressions.
    pub query: Arc<dyn QueryFn>,
    /// Where results are written.
    pub appendable: Arc<dyn Appendable>,
    /// Where `ALERTS_FOR_STATE` is read on restore.
    pub queryable: Arc<dyn Queryable>,
    /// Where alerts go.
    pub sink: Arc<dyn AlertSink>,
    /// Where self-metrics are registered.
    pub registry: Registry,
    /// `--rules.alert.for-outage-tolerance` (1h).
    pub outage_tolerance: Duration,
    /// `--rules.alert.for-grace-period` (10m).
    pub for_grace_period: Duration,
    /// `--rules.alert.resend-delay` (1m).
    pub resend_delay: Duration,
    /// The clock (tests pin it).
    pub clock: Clock,
}

impl ManagerOptions {
    /// Options with Prometheus's flag defaults.
    pub fn new(
        query: Arc<dyn QueryFn>,
        appendable: Arc<dyn Appendable>,
        queryable: Arc<dyn Queryable>,
        sink: Arc<dyn AlertSink>,
    ) -> Self {
        ManagerOptions {
            query,
            appendable,
            queryable,
            sink,
            registry: Registry::new(),
            outage_tolerance: Duration::from_secs(3600),
            for_grace_period: Duration::from_secs(600),
            resend_delay: Duration::from_secs(60),
            clock: Clock::system(),
        }
    }
}

/// The part of the configuration rules follow (reloadable).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RulesConfig {
    /// `rule_files` patterns (globs allowed in the last path element).
    pub files: Vec<String>,
    /// `global.evaluation_interval`.
    pub evaluation_interval: Duration,
    /// `global.rule_query_offset`.
    pub query_offset: Duration,
    /// `global.external_labels`.
    pub external_labels: BTreeMap<String, String>,
    /// `--web.external-url`.
    pub external_url: String,
    /// How rule files are parsed.
    pub parse: ParseOptions,
}

impl RulesConfig {
    /// The rules part of a loaded `prometheus.yml`.
    pub fn from_config(cfg: &flint_config::Config, external_url: &str) -> Self {
        RulesConfig {
            files: cfg.rule_files.clone(),
            evaluation_interval: cfg.global.evaluation_interval().std(),
            query_offset: cfg
                .global
                .rule_query_offset
                .map(|d| d.std())
                .unwrap_or_default(),
            external_labels: cfg.global.external_labels.clone(),
            external_url: external_url.trim_end_matches('/').to_string(),
            parse: ParseOptions::default(),
        }
    }
}

struct Running {
    group: Arc<Group>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
    restore: bool,
}

struct Inner {
    deps: Arc<Deps>,
    groups: tokio::sync::Mutex<BTreeMap<String, Running>>,
    /// Snapshot of the groups for readers (the API), in (file, name) order.
    snapshot: Mutex<Vec<Arc<Group>>>,
    restored: AtomicBool,
    root: Mutex<Option<CancellationToken>>,
}

/// The rule manager. Clones are handles to the same manager.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager with no groups; [`update`](Self::update) loads them, [`run`](Self::run)
    /// starts evaluating.
    pub fn new(opts: ManagerOptions) -> Self {
        let deps = Deps {
            template_query: Arc::new(TemplateQuery(opts.query.clone())),
            metrics: Metrics::new(&opts.registry),
            opts,
        };
        Manager {
            inner: Arc::new(Inner {
                deps: Arc::new(deps),
                groups: tokio::sync::Mutex::new(BTreeMap::new()),
                snapshot: Mutex::new(Vec::new()),
                restored: AtomicBool::new(false),
                root: Mutex::new(None),
            }),
        }
    }

    /// The groups, sorted by file then name.
    pub fn groups(&self) -> Vec<Arc<Group>> {
        lock(&self.inner.snapshot).clone()
    }

    /// Every alerting rule of every group, in group order.
    pub fn alerting_rules(&self) -> Vec<Arc<AlertingRule>> {
        self.groups()
            .iter()
            .flat_map(|g| g.rules().to_vec())
            .filter_map(|r| match r {
                Rule::Alerting(a) => Some(a),
                Rule::Recording(_) => None,
            })
            .collect()
    }

    /// Reads every rule file of `cfg` into groups (nothing runs). Alerting rules start
    /// `restored` or not (not: they write no `ALERTS` until restored).
    pub fn load_groups(&self, cfg: &RulesConfig, restored: bool) -> Result<Vec<Arc<Group>>> {
        let mut errors = Vec::new();
        let mut groups = Vec::new();
        for file in expand_files(&cfg.files)? {
            match rulefmt::parse_file(std::path::Path::new(&file), &cfg.parse) {
                Ok(rf) => {
                    for def in rf.groups {
                        match self.build_group(&file, def, cfg, restored) {
                            Ok(g) => groups.push(Arc::new(g)),
                            Err(e) => errors.push(e),
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(groups)
        } else {
            Err(Error::Load { errors })
        }
    }

    fn build_group(
        &self,
        file: &str,
        def: GroupDef,
        cfg: &RulesConfig,
        restored: bool,
    ) -> Result<Group> {
        let mut rules = Vec::with_capacity(def.rules.len());
        for r in &def.rules {
            rules.push(build_rule(file, &def, r, restored)?);
        }
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let spec = GroupSpec {
            file: file.to_string(),
            interval_ms: def
                .interval
                .map_or(ms(cfg.evaluation_interval), |d| d.as_millis()),
            query_offset_ms: def
                .query_offset
                .map_or(ms(cfg.query_offset), |d| d.as_millis()),
            external_labels: cfg.external_labels.clone(),
            external_url: cfg.external_url.clone(),
            def,
        };
        Ok(Group::new(spec, rules, self.inner.deps.clone()))
    }

    /// Applies `cfg`: groups whose definition is unchanged keep running untouched; changed
    /// ones are stopped (after their current evaluation), replaced and given the old state;
    /// removed ones are stopped and their series marked stale after two intervals. A file
    /// that fails to load changes nothing.
    pub async fn update(&self, cfg: &RulesConfig) -> Result<()> {
        let startup = !self.inner.restored.load(Ordering::SeqCst);
        let fresh = self.load_groups(cfg, !startup)?;
        self.inner.restored.store(true, Ordering::SeqCst);
        let root = lock(&self.inner.root).clone();
        let mut groups = self.inner.groups.lock().await;
        let mut old = std::mem::take(&mut *groups);
        let (mut kept, mut replaced) = (0, 0);
        for g in fresh {
            let k = key(g.file(), g.name());
            match old.remove(&k) {
                Some(prev) if prev.group.spec() == g.spec() => {
                    kept += 1;
                    groups.insert(k, prev);
                }
                prev => {
                    replaced += 1;
                    if let Some(mut prev) = prev {
                        stop(&mut prev).await;
                        g.copy_state(&prev.group);
                    }
                    let mut r = Running {
                        group: g,
                        cancel: CancellationToken::new(),
                        task: None,
                        restore: startup,
                    };
                    if let Some(root) = &root {
                        start(&mut r, root);
                    }
                    groups.insert(k, r);
                }
            }
        }
        tracing::info!(
            kept,
            new_or_changed = replaced,
            removed = old.len(),
            "Rule groups updated"
        );
        for (k, mut gone) in old {
            stop(&mut gone).await;
            self.inner.deps.metrics.remove_group(&k);
            if let Some(root) = &root {
                self.mark_stale_later(gone.group, root.clone());
            }
        }
        *lock(&self.inner.snapshot) = groups.values().map(|r| r.group.clone()).collect();
        Ok(())
    }

    /// Stale markers for a removed group's series, after two intervals (so a rule that moved
    /// to another group writes first and the markers fall out of order) unless the manager
    /// stops before.
    fn mark_stale_later(&self, g: Arc<Group>, root: CancellationToken) {
        let now = self.inner.deps.opts.clock.now_ms();
        let wait = g.interval() * 2;
        tokio::spawn(async move {
            tokio::select! {
                _ = root.cancelled() => {}
                _ = tokio::time::sleep(wait) => {
                    let _ = tokio::task::spawn_blocking(move || g.mark_all_stale(now)).await;
                }
            }
        });
    }

    /// Starts every group and evaluates until `cancel` fires; then stops the groups, each
    /// after its current evaluation.
    pub async fn run(self, cancel: CancellationToken) {
        {
            let mut groups = self.inner.groups.lock().await;
            *lock(&self.inner.root) = Some(cancel.clone());
            for r in groups.values_mut() {
                start(r, &cancel);
            }
        }
        cancel.cancelled().await;
        let mut groups = self.inner.groups.lock().await;
        for r in groups.values_mut() {
            stop(r).await;
        }
        tracing::info!("Rule manager stopped");
    }
}

fn start(r: &mut Running, root: &CancellationToken) {
    if r.task.is_some() {
        return;
    }
    r.cancel = root.child_token();
    let g = r.group.clone();
    r.task = Some(tokio::spawn(g.run(r.cancel.clone(), r.restore)));
}

async fn stop(r: &mut Running) {
    r.cancel.cancel();
    if let Some(t) = r.task.take()
        && let Err(e) = t.await
    {
        tracing::error!(group = %r.group.name(), error = %e, "Rule group task failed");
    }
}

/// The files `patterns` name, in pattern order (each pattern's matches sorted).
pub fn expand_files(patterns: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for p in patterns {
        let paths = glob::glob(p).map_err(|source| Error::Glob {
            pattern: p.clone(),
            source,
        })?;
        out.extend(
            paths
                .filter_map(|r| r.ok())
                .map(|p| p.display().to_string()),
        );
    }
    Ok(out)
}

fn build_rule(file: &str, g: &GroupDef, r: &RuleDef, restored: bool) -> Result<Rule> {
    let expr = RuleExpr::parse(&r.expr).map_err(|e| Error::Invalid {
        file: file.to_string(),
        problems: vec![format!("group {:?}, rule {:?}: {e}", g.name, r.name)],
    })?;
    let mut label_map = g.labels.clone();
    label_map.extend(r.labels.clone());
    let labels = Labels::from_pairs(label_map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(match r.kind {
        RuleKind::Recording => {
            Rule::Recording(Arc::new(RecordingRule::new(r.name.clone(), expr, labels)))
        }
        RuleKind::Alerting => Rule::Alerting(Arc::new(AlertingRule::new(
            r.name.clone(),
            expr,
            r.for_.as_millis(),
            r.keep_firing_for.as_millis(),
            &label_map,
            &r.annotations,
            restored,
        ))),
    })
}

#[cfg(test)]
mod tests;
