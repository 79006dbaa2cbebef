//! The data a notification is built from (upstream's `template.Data`), and Go's JSON time
//! format for payloads.

use std::sync::Arc;

use flint_model::Labels;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::alert::Alert;
use crate::time::{Millis, ZERO_TIME};

/// Formats like Go's `time.Time` JSON (RFC 3339 with trailing zeros of the fraction trimmed).
pub fn go_time(t: Millis) -> String {
    if t == ZERO_TIME {
        return "0001-01-01T00:00:00Z".into();
    }
    let s = crate::time::format_rfc3339(t);
    // `...:05.120Z` → `...:05.12Z`, `...:05.000Z` → `...:05Z`.
    let (body, _) = s.split_at(s.len() - 1);
    let body = body.trim_end_matches('0').trim_end_matches('.');
    format!("{body}Z")
}

/// Go's `regexp.QuoteMeta`: upstream puts the receiver name through it in notification data.
pub use flint_template::alertmanager::quote_meta;

/// A label set serialised as a JSON object.
#[derive(Debug, Clone)]
pub struct KV(pub Vec<(Arc<str>, Arc<str>)>);

impl KV {
    /// From labels.
    pub fn labels(l: &Labels) -> Self {
        KV(l.iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect())
    }
}

impl Serialize for KV {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&**k, &**v)?;
        }
        m.end()
    }
}

/// One alert as integrations see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataAlert {
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// Labels.
    pub labels: KV,
    /// Annotations.
    pub annotations: KV,
    /// Start.
    pub starts_at: String,
    /// End (`0001-01-01T00:00:00Z` while firing).
    pub ends_at: String,
    /// Generator URL.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// Fingerprint (hex).
    pub fingerprint: String,
}

/// Everything a notification is rendered from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    /// The receiver's name.
    pub receiver: String,
    /// `firing` if any alert fires, else `resolved`.
    pub status: &'static str,
    /// The alerts.
    pub alerts: Vec<DataAlert>,
    /// The group labels.
    pub group_labels: KV,
    /// Labels every alert shares.
    pub common_labels: KV,
    /// Annotations every alert shares.
    pub common_annotations: KV,
    /// The Alertmanager's external URL.
    #[serde(rename = "externalURL")]
    pub external_url: String,
}

fn common(sets: &[Vec<(Arc<str>, Arc<str>)>]) -> KV {
    let Some((first, rest)) = sets.split_first() else {
        return KV(Vec::new());
    };
    KV(first
        .iter()
        .filter(|(k, v)| {
            rest.iter()
                .all(|s| s.iter().any(|(k2, v2)| k2 == k && v2 == v))
        })
        .cloned()
        .collect())
}

impl Data {
    /// Builds the data of one notification.
    pub fn new(
        receiver: &str,
        group_labels: &Labels,
        alerts: &[Arc<Alert>],
        external_url: &str,
        now: Millis,
    ) -> Self {
        let mut firing = false;
        let out: Vec<DataAlert> = alerts
            .iter()
            .map(|a| {
                let resolved = a.resolved_at(now);
                firing |= !resolved;
                DataAlert {
                    status: if resolved { "resolved" } else { "firing" },
                    labels: KV::labels(&a.labels),
                    annotations: KV(a.annotations.to_vec()),
                    starts_at: go_time(a.starts_at),
                    ends_at: go_time(a.ends_at),
                    generator_url: a.generator_url.to_string(),
                    fingerprint: a.fingerprint.to_hex(),
                }
            })
            .collect();
        let label_sets: Vec<_> = out.iter().map(|a| a.labels.0.clone()).collect();
        let ann_sets: Vec<_> = out.iter().map(|a| a.annotations.0.clone()).collect();
        Data {
            receiver: quote_meta(receiver),
            status: if firing { "firing" } else { "resolved" },
            alerts: out,
            group_labels: KV::labels(group_labels),
            common_labels: common(&label_sets),
            common_annotations: common(&ann_sets),
            external_url: external_url.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_names_are_regex_quoted() {
        assert_eq!(quote_meta("team-X.pager"), "team-X\\.pager");
        assert_eq!(quote_meta("plain"), "plain");
    }

    #[test]
    fn go_times() {
        assert_eq!(go_time(ZERO_TIME), "0001-01-01T00:00:00Z");
        assert_eq!(go_time(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(go_time(1_700_000_000_120), "2023-11-14T22:13:20.12Z");
    }
}
