//! One `alertmanagers` entry: its HTTP client, its discovered Alertmanagers (relabeled with
//! `relabel_configs`, as `scheme://address/path_prefix/api/v2/alerts`) and its alert
//! relabeling.

use flint_config::alerting::AlertmanagerConfig;
use flint_config::relabel::rules;
use flint_discovery::TargetGroup;
use flint_discovery::client::{ClientOptions, HttpClient};
use flint_model::{Labels, RelabelConfig, Relabeler};

use crate::error::{Error, Result};

const SCHEME_LABEL: &str = "__scheme__";
const PATH_LABEL: &str = "__alerts_path__";
const ADDRESS_LABEL: &str = "__address__";

/// A set of Alertmanagers configured together.
#[derive(Debug, Clone)]
pub struct AlertmanagerSet {
    /// The entry as configured.
    pub cfg: AlertmanagerConfig,
    pub(crate) client: HttpClient,
    pub(crate) alert_relabel: Vec<RelabelConfig>,
    /// Push URLs of the Alertmanagers kept by relabeling.
    pub active: Vec<String>,
    /// URLs of the Alertmanagers relabeling dropped.
    pub dropped: Vec<String>,
}

/// `path.Join("/", prefix, "/api/v2/alerts")`.
fn alerts_path(prefix: &str) -> String {
    let mut parts: Vec<&str> = prefix
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.extend(["api", "v2", "alerts"]);
    format!("/{}", parts.join("/"))
}

fn url_of(l: &Labels) -> String {
    format!(
        "{}://{}{}",
        l.get(SCHEME_LABEL).unwrap_or("http"),
        l.get(ADDRESS_LABEL).unwrap_or(""),
        l.get(PATH_LABEL).unwrap_or("")
    )
}

impl AlertmanagerSet {
    /// A set for `cfg` with no Alertmanagers yet.
    pub fn new(key: &str, cfg: &AlertmanagerConfig) -> Result<Self> {
        let opts = ClientOptions {
            timeout: Some(cfg.timeout.std()),
            ..ClientOptions::default()
        };
        let client =
            HttpClient::new(&cfg.http_client(), &opts).map_err(|source| Error::Client {
                key: key.to_string(),
                source,
            })?;
        Ok(AlertmanagerSet {
            alert_relabel: rules(&cfg.alert_relabel_configs),
            cfg: cfg.clone(),
            client,
            active: Vec::new(),
            dropped: Vec::new(),
        })
    }

    /// Replaces the Alertmanagers with those of `groups`. Invalid addresses are skipped
    /// with a warning; duplicates appear once.
    pub fn sync(&mut self, groups: &[TargetGroup]) {
        let relabel = rules(&self.cfg.relabel_configs);
        let mut relabeler = Relabeler::new(flint_model::NameValidation::Utf8);
        let (mut active, mut dropped) = (Vec::new(), Vec::new());
        for g in groups {
            for t in &g.targets {
                match self.resolve(g, t, &relabel, &mut relabeler) {
                    Ok(Some(url)) => active.push(url),
                    Ok(None) => {}
                    Err(Dropped(url)) => dropped.push(url),
                }
            }
        }
        dedup(&mut active);
        dedup(&mut dropped);
        self.active = active;
        self.dropped = dropped;
    }

    /// The push URL of one target, `None` when its address is invalid.
    fn resolve(
        &self,
        g: &TargetGroup,
        t: &Labels,
        relabel: &[RelabelConfig],
        relabeler: &mut Relabeler,
    ) -> std::result::Result<Option<String>, Dropped> {
        let mut b = t.builder();
        b.set(SCHEME_LABEL, self.cfg.scheme.as_str());
        b.set(PATH_LABEL, alerts_path(&self.cfg.path_prefix));
        for l in g.labels.iter() {
            if t.get(&l.name).is_none() {
                b.set(l.name.clone(), l.value.clone());
            }
        }
        let pre = b.build();
        let Some(out) = relabeler.process(&pre, relabel) else {
            return Err(Dropped(url_of(&pre)));
        };
        let addr = out.get(ADDRESS_LABEL).unwrap_or("");
        if addr.is_empty() || addr.contains('/') {
            tracing::warn!(address = addr, error = %Error::Address(addr.to_string()), "Skipping Alertmanager");
            return Ok(None);
        }
        Ok(Some(url_of(&out)))
    }
}

struct Dropped(String);

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|u| seen.insert(u.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(yaml: &str) -> AlertmanagerSet {
        let cfg = flint_config::load_str(yaml, flint_config::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let am = cfg.alerting.alertmanagers[0]
            .value
            .clone()
            .unwrap_or_default();
        AlertmanagerSet::new("config-0", &am).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn urls_from_targets_with_prefix_and_relabeling() {
        let mut s = set(
            "alerting:\n  alertmanagers:\n  - path_prefix: /am/\n    scheme: https\n    relabel_configs:\n    - {source_labels: [dc], regex: us, action: drop}\n    static_configs:\n    - targets: ['a:9093', 'b:9093', 'a:9093']\n",
        );
        let g = TargetGroup {
            source: "0".into(),
            targets: vec![
                Labels::from_pairs([("__address__", "a:9093")]),
                Labels::from_pairs([("__address__", "b:9093"), ("dc", "us")]),
                Labels::from_pairs([("__address__", "a:9093")]),
            ],
            labels: Labels::from_pairs([("dc", "eu")]),
        };
        s.sync(&[g]);
        assert_eq!(s.active, ["https://a:9093/am/api/v2/alerts"]);
        assert_eq!(s.dropped, ["https://b:9093/am/api/v2/alerts"]);
        assert_eq!(alerts_path(""), "/api/v2/alerts");
        assert_eq!(alerts_path("/x/./y"), "/x/y/api/v2/alerts");
    }
}
