//! The routing tree: config routes with inherited options and compiled matchers.

use std::sync::Arc;
use std::time::Duration;

use flint_model::{Labels, Matcher};

use crate::config::Route;
use crate::config::route::combined_matchers;
use crate::matchers::matches_all;

/// Which labels form a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// `['...']`: every label.
    All,
    /// These labels (absent ones are left out).
    Labels(Vec<String>),
}

/// Options a route node applies to its groups (inherited from the parent when unset).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteOpts {
    /// The receiver.
    pub receiver: String,
    /// Group labels.
    pub group_by: GroupBy,
    /// Wait before the first notification of a new group.
    pub group_wait: Duration,
    /// Wait between notifications of a group.
    pub group_interval: Duration,
    /// Re-send an unchanged group after this long.
    pub repeat_interval: Duration,
    /// Names of intervals during which the route is muted.
    pub mute_time_intervals: Vec<String>,
    /// Names of intervals outside which the route is muted.
    pub active_time_intervals: Vec<String>,
}

/// A node of the compiled tree.
#[derive(Debug)]
pub struct RouteNode {
    /// Upstream's route key: the parent's key, `/`, and this node's matchers (`{}` at the root).
    pub key: String,
    /// Unique among the tree's nodes: the key and the node's position (siblings may share
    /// a key, e.g. two `continue` routes with the same matchers).
    pub id: String,
    /// The node's options.
    pub opts: RouteOpts,
    /// The node's matchers.
    pub matchers: Vec<Matcher>,
    /// Whether siblings are tried after this one matched.
    pub continue_: bool,
    /// Children.
    pub routes: Vec<Arc<RouteNode>>,
}

fn matchers_string(ms: &[Matcher]) -> String {
    let inner: Vec<String> = ms.iter().map(|m| m.to_string()).collect();
    format!("{{{}}}", inner.join(","))
}

impl RouteNode {
    /// Compiles the root route of a validated config.
    pub fn build(root: &Route) -> Arc<RouteNode> {
        let defaults = RouteOpts {
            receiver: String::new(),
            group_by: GroupBy::Labels(Vec::new()),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        };
        Self::build_node(root, &defaults, None, "0")
    }

    fn build_node(
        r: &Route,
        parent: &RouteOpts,
        parent_key: Option<&str>,
        pos: &str,
    ) -> Arc<RouteNode> {
        let matchers = combined_matchers(&r.match_, &r.match_re, &r.matchers).unwrap_or_default();
        let mut opts = parent.clone();
        if !r.receiver.is_empty() {
            opts.receiver = r.receiver.clone();
        }
        if let Some(gb) = &r.group_by {
            opts.group_by = if gb.iter().any(|l| l == "...") {
                GroupBy::All
            } else {
                GroupBy::Labels(gb.clone())
            };
        }
        if let Some(d) = r.group_wait {
            opts.group_wait = d.0;
        }
        if let Some(d) = r.group_interval {
            opts.group_interval = d.0;
        }
        if let Some(d) = r.repeat_interval {
            opts.repeat_interval = d.0;
        }
        opts.mute_time_intervals = r.mute_time_intervals.clone();
        opts.active_time_intervals = r.active_time_intervals.clone();
        let key = match parent_key {
            Some(p) => format!("{p}/{}", matchers_string(&matchers)),
            None => matchers_string(&matchers),
        };
        let routes = r
            .routes
            .iter()
            .enumerate()
            .map(|(i, c)| Self::build_node(c, &opts, Some(&key), &format!("{pos}.{i}")))
            .collect();
        Arc::new(RouteNode {
            id: format!("{key}@{pos}"),
            key,
            opts,
            matchers,
            continue_: r.continue_,
            routes,
        })
    }

    /// The nodes an alert with `labels` is routed to (upstream's `Route.Match`).
    pub fn matching(self: &Arc<Self>, labels: &Labels) -> Vec<Arc<RouteNode>> {
        let mut out = Vec::new();
        self.collect(labels, &mut out);
        out
    }

    fn collect(self: &Arc<Self>, labels: &Labels, out: &mut Vec<Arc<RouteNode>>) -> bool {
        if !matches_all(&self.matchers, labels) {
            return false;
        }
        let before = out.len();
        for c in &self.routes {
            if c.collect(labels, out) && !c.continue_ {
                break;
            }
        }
        if out.len() == before {
            out.push(self.clone());
        }
        true
    }

    /// The labels of `labels` that form the group on this route.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        match &self.opts.group_by {
            GroupBy::All => labels.clone(),
            GroupBy::Labels(names) => Labels::from_pairs(
                labels
                    .iter()
                    .filter(|l| names.iter().any(|n| **n == *l.name))
                    .map(|l| (l.name.clone(), l.value.clone())),
            ),
        }
    }

    /// Every node, depth first.
    pub fn walk<'a>(self: &'a Arc<Self>, f: &mut impl FnMut(&'a Arc<RouteNode>)) {
        f(self);
        for c in &self.routes {
            c.walk(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn tree(yaml: &str) -> Arc<RouteNode> {
        RouteNode::build(&Config::load(yaml).expect("config").route)
    }

    const CFG: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: [severity="critical"]
      receiver: pager
      continue: true
      group_wait: 1s
    - matchers: [team=~"db|infra"]
      receiver: db
      group_by: ['...']
      routes:
        - match: {env: prod}
          receiver: db-prod
receivers: [{name: default}, {name: pager}, {name: db}, {name: db-prod}]
"#;

    fn receivers(t: &Arc<RouteNode>, pairs: &[(&str, &str)]) -> Vec<String> {
        t.matching(&Labels::from_pairs(pairs.iter().copied()))
            .iter()
            .map(|r| r.opts.receiver.clone())
            .collect()
    }

    #[test]
    fn matches_with_continue_and_fallback() {
        let t = tree(CFG);
        assert_eq!(
            receivers(&t, &[("severity", "critical"), ("team", "db")]),
            ["pager", "db"]
        );
        assert_eq!(
            receivers(&t, &[("team", "infra"), ("env", "prod")]),
            ["db-prod"]
        );
        assert_eq!(receivers(&t, &[("x", "y")]), ["default"]);
    }

    #[test]
    fn inherits_options_and_keys() {
        let t = tree(CFG);
        let pager = &t.routes[0];
        assert_eq!(pager.opts.group_wait, Duration::from_secs(1));
        assert_eq!(pager.opts.group_interval, Duration::from_secs(300));
        assert_eq!(pager.key, r#"{}/{severity="critical"}"#);
        let prod = &t.routes[1].routes[0];
        assert_eq!(prod.opts.group_by, GroupBy::All);
        assert_eq!(prod.key, r#"{}/{team=~"db|infra"}/{env="prod"}"#);
        let l = Labels::from_pairs([("alertname", "A"), ("x", "1")]);
        assert_eq!(t.group_labels(&l).to_string(), r#"{alertname="A"}"#);
    }
}
