//! Alerts as the notifier queues and sends them (Alertmanager API v2 `postableAlert`), and
//! the relabeling applied on the way.

use flint_model::{Labels, RelabelConfig, Relabeler};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// An alert to send. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Labels (`alertname` and, once queued, the external labels included).
    pub labels: Labels,
    /// Annotations.
    pub annotations: Labels,
    /// When it started firing.
    pub starts_at: Option<i64>,
    /// When it resolved or when it is considered resolved without a resend.
    pub ends_at: Option<i64>,
    /// Link back to the expression.
    pub generator_url: String,
}

/// A label set as a JSON object.
struct LabelMap<'a>(&'a Labels);

impl Serialize for LabelMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for l in self.0.iter() {
            m.serialize_entry(&*l.name, &*l.value)?;
        }
        m.end()
    }
}

/// RFC 3339 with milliseconds in UTC, as Alertmanager's API writes times.
pub fn rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "0001-01-01T00:00:00.000Z".into(),
    }
}

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 3 + usize::from(self.starts_at.is_some()) + usize::from(self.ends_at.is_some());
        let mut st = s.serialize_struct("Alert", n)?;
        st.serialize_field("labels", &LabelMap(&self.labels))?;
        st.serialize_field("annotations", &LabelMap(&self.annotations))?;
        if let Some(t) = self.starts_at {
            st.serialize_field("startsAt", &rfc3339(t))?;
        }
        if let Some(t) = self.ends_at {
            st.serialize_field("endsAt", &rfc3339(t))?;
        }
        st.serialize_field("generatorURL", &self.generator_url)?;
        st.end()
    }
}

/// Adds the external labels an alert lacks, then applies `rules`; alerts the rules drop
/// are left out.
pub fn relabel_alerts(
    alerts: Vec<Alert>,
    external: &Labels,
    rules: &[RelabelConfig],
    relabeler: &mut Relabeler,
) -> Vec<Alert> {
    alerts
        .into_iter()
        .filter_map(|mut a| {
            a.labels = a.labels.with_defaults(external);
            if !rules.is_empty() {
                a.labels = relabeler.process(&a.labels, rules)?;
            }
            Some(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert {
            labels: Labels::from_pairs(pairs.iter().copied()),
            annotations: Labels::from_pairs([("summary", "s")]),
            starts_at: Some(1_700_000_000_123),
            ends_at: None,
            generator_url: "http://p/graph".into(),
        }
    }

    #[test]
    fn serializes_as_api_v2() {
        let j = serde_json::to_string(&[alert(&[("alertname", "A")])]).unwrap_or_default();
        assert_eq!(
            j,
            r#"[{"labels":{"alertname":"A"},"annotations":{"summary":"s"},"startsAt":"2023-11-14T22:13:20.123Z","generatorURL":"http://p/graph"}]"#
        );
    }

    #[test]
    fn external_labels_then_relabeling() {
        let rules: Vec<RelabelConfig> =
            serde_saphyr::from_str("- {source_labels: [severity], regex: debug, action: drop}\n- {target_label: team, replacement: core}\n")
                .unwrap_or_default();
        let ext = Labels::from_pairs([("dc", "eu"), ("alertname", "no")]);
        let mut r = Relabeler::new(flint_model::NameValidation::Utf8);
        let out = relabel_alerts(
            vec![
                alert(&[("alertname", "A")]),
                alert(&[("alertname", "B"), ("severity", "debug")]),
            ],
            &ext,
            &rules,
            &mut r,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].labels.to_string(),
            r#"{alertname="A", dc="eu", team="core"}"#
        );
    }
}
