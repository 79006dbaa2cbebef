//! The inhibitor: firing alerts matching a rule's source matchers mute alerts matching its
//! target matchers when the `equal` labels agree. An alert never inhibits itself.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use flint_model::{Labels, Matcher};
use tokio_util::sync::CancellationToken;

use crate::alert::{Alert, Fingerprint};
use crate::config::InhibitRule;
use crate::matchers::matches_all;
use crate::store::Store;
use crate::time::Millis;

/// A compiled rule with its cache of source alerts, indexed by their `equal` label values.
#[derive(Debug)]
struct Rule {
    source: Vec<Matcher>,
    target: Vec<Matcher>,
    equal: Vec<String>,
    sources: HashMap<Vec<Arc<str>>, HashMap<Fingerprint, Arc<Alert>>>,
}

fn equal_key(equal: &[String], labels: &Labels) -> Vec<Arc<str>> {
    equal
        .iter()
        .map(|n| Arc::from(labels.get(n).unwrap_or("")))
        .collect()
}

impl Rule {
    fn inhibiting(&self, labels: &Labels, fp: Fingerprint, now: Millis) -> Option<Fingerprint> {
        if !matches_all(&self.target, labels) {
            return None;
        }
        let two_sided = matches_all(&self.source, labels);
        let candidates = self.sources.get(&equal_key(&self.equal, labels))?;
        candidates
            .values()
            .filter(|a| !a.resolved_at(now) && a.fingerprint != fp)
            .find(|a| !(two_sided && matches_all(&self.target, &a.labels)))
            .map(|a| a.fingerprint)
    }
}

/// Mutes alerts by the inhibition rules. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Inhibitor {
    rules: RwLock<Vec<Rule>>,
}

impl Inhibitor {
    /// Compiles the rules (already validated by the config loader).
    pub fn new(rules: &[InhibitRule]) -> Self {
        let rules = rules
            .iter()
            .map(|r| Rule {
                source: r.source().unwrap_or_default(),
                target: r.target().unwrap_or_default(),
                equal: r.equal.clone(),
                sources: HashMap::new(),
            })
            .collect();
        Inhibitor {
            rules: RwLock::new(rules),
        }
    }

    /// Feeds alerts into the source caches.
    pub fn observe(&self, alerts: &[Arc<Alert>], now: Millis) {
        let mut rules = self.rules.write().unwrap_or_else(|p| p.into_inner());
        for r in rules.iter_mut() {
            for a in alerts {
                if !matches_all(&r.source, &a.labels) {
                    continue;
                }
                let key = equal_key(&r.equal, &a.labels);
                let bucket = r.sources.entry(key.clone()).or_default();
                if a.resolved_at(now) {
                    bucket.remove(&a.fingerprint);
                    if bucket.is_empty() {
                        r.sources.remove(&key);
                    }
                } else {
                    bucket.insert(a.fingerprint, a.clone());
                }
            }
        }
    }

    /// The fingerprint of an alert inhibiting `labels`, if any.
    pub fn mutes(&self, labels: &Labels, fp: Fingerprint, now: Millis) -> Option<Fingerprint> {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        rules.iter().find_map(|r| r.inhibiting(labels, fp, now))
    }

    /// Drops resolved source alerts from the caches.
    pub fn gc(&self, now: Millis) {
        let mut rules = self.rules.write().unwrap_or_else(|p| p.into_inner());
        for r in rules.iter_mut() {
            r.sources.retain(|_, b| {
                b.retain(|_, a| !a.resolved_at(now));
                !b.is_empty()
            });
        }
    }

    /// Keeps the caches in step with the store until cancelled.
    pub async fn run(self: Arc<Self>, store: Arc<Store>, cancel: CancellationToken) {
        let mut sub = store.subscribe();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                b = sub.recv() => match b {
                    Some(batch) => self.observe(&batch, store.clock().now()),
                    None => return,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ZERO_TIME;

    fn alert(pairs: &[(&str, &str)]) -> Arc<Alert> {
        let labels = Labels::from_pairs(pairs.iter().copied());
        Arc::new(Alert {
            fingerprint: Fingerprint::of(&labels),
            labels,
            annotations: Arc::from(Vec::new()),
            starts_at: 0,
            ends_at: ZERO_TIME,
            generator_url: Arc::from(""),
            updated_at: 0,
            timeout: false,
        })
    }

    fn inhibitor(yaml: &str) -> Inhibitor {
        let rules: Vec<InhibitRule> = serde_saphyr::from_str(yaml).expect("yaml");
        Inhibitor::new(&rules)
    }

    #[test]
    fn equal_labels_and_no_self_inhibition() {
        let i = inhibitor(
            "- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n",
        );
        let crit = alert(&[("severity", "critical"), ("cluster", "a")]);
        i.observe(std::slice::from_ref(&crit), 0);
        let warn_a = alert(&[("severity", "warning"), ("cluster", "a")]);
        let warn_b = alert(&[("severity", "warning"), ("cluster", "b")]);
        assert_eq!(
            i.mutes(&warn_a.labels, warn_a.fingerprint, 0),
            Some(crit.fingerprint)
        );
        assert_eq!(i.mutes(&warn_b.labels, warn_b.fingerprint, 0), None);
        assert_eq!(i.mutes(&crit.labels, crit.fingerprint, 0), None);
    }

    #[test]
    fn two_sided_matches_do_not_inhibit_each_other() {
        let i = inhibitor("- source_matchers: [team=x]\n  target_matchers: [team=x]\n");
        let a = alert(&[("team", "x"), ("n", "1")]);
        let b = alert(&[("team", "x"), ("n", "2")]);
        i.observe(&[a.clone(), b.clone()], 0);
        assert_eq!(i.mutes(&a.labels, a.fingerprint, 0), None);
    }

    #[test]
    fn resolved_sources_stop_inhibiting() {
        let i = inhibitor(
            "- source_match: {severity: critical}\n  target_match_re: {severity: 'warn.*'}\n",
        );
        let mut crit = (*alert(&[("severity", "critical")])).clone();
        i.observe(&[Arc::new(crit.clone())], 0);
        let w = alert(&[("severity", "warning")]);
        assert!(i.mutes(&w.labels, w.fingerprint, 0).is_some());
        crit.ends_at = 10;
        i.observe(&[Arc::new(crit)], 20);
        assert!(i.mutes(&w.labels, w.fingerprint, 20).is_none());
    }
}
