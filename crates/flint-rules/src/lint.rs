//! Lint checks on rule files (`promtool check rules --lint`).

use std::collections::BTreeMap;

use crate::rulefmt::RuleFile;

/// A rule name and label set defined more than once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duplicate {
    /// The recorded metric or the alert name.
    pub metric: String,
    /// The rule's labels, the group's included, sorted by name.
    pub labels: Vec<(String, String)>,
}

/// Rules with the same name and labels (group labels included), each reported once, sorted;
/// such recording rules write the same series and fight over it.
pub fn duplicate_rules(file: &RuleFile) -> Vec<Duplicate> {
    let mut all: Vec<Duplicate> = file
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().map(|r| {
                let mut labels: BTreeMap<&str, &str> = g
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                labels.extend(r.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                Duplicate {
                    metric: r.name.clone(),
                    labels: labels
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                }
            })
        })
        .collect();
    all.sort();
    let mut out: Vec<Duplicate> = Vec::new();
    for pair in all.windows(2) {
        if pair[0] == pair[1] && out.last() != Some(&pair[1]) {
            out.push(pair[1].clone());
        }
    }
    out
}

/// promtool's lint message for duplicates (without the leading `lint error `).
pub fn duplicates_message(dups: &[Duplicate]) -> String {
    let mut s = format!("{} duplicate rule(s) found.\n", dups.len());
    for d in dups {
        s.push_str(&format!("Metric: {}\nLabel(s):\n", d.metric));
        for (k, v) in &d.labels {
            s.push_str(&format!("\t{k}: {v}\n"));
        }
    }
    s.push_str("Might cause inconsistency while recording expressions");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulefmt::{ParseOptions, parse};

    #[test]
    fn duplicates_are_found_once_each() {
        let text = "groups:\n- name: a\n  rules:\n  - record: r\n    expr: 1\n  - record: r\n    expr: 2\n  - record: r\n    expr: 3\n  - record: r\n    expr: 1\n    labels: {x: y}\n- name: b\n  labels: {x: y}\n  rules:\n  - record: r\n    expr: 1\n  - alert: A\n    expr: 1\n";
        let f = parse(text, &ParseOptions::default()).unwrap_or_default();
        let d = duplicate_rules(&f);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            duplicates_message(&d),
            "2 duplicate rule(s) found.\nMetric: r\nLabel(s):\nMetric: r\nLabel(s):\n\tx: y\nMight cause inconsistency while recording expressions"
        );
        assert!(duplicate_rules(&RuleFile::default()).is_empty());
    }
}
