//! The alert: labels, annotations, activity range, and its upstream-compatible fingerprint.

use std::sync::Arc;

use flint_model::Labels;

use crate::time::{Millis, ZERO_TIME};

/// An alert's identity: FNV-1a 64 over its sorted label pairs, exactly as upstream's
/// `model.LabelSet.Fingerprint`, so IDs in the API and in nflog entries match Alertmanager's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

const FNV_OFFSET: u64 = 14_695_981_039_346_656_037;
const FNV_PRIME: u64 = 1_099_511_628_211;
const SEPARATOR: u8 = 0xff;

fn fnv_add(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

impl Fingerprint {
    /// The fingerprint of a label set (sorted by name, as [`Labels`] always is).
    pub fn of(labels: &Labels) -> Self {
        if labels.is_empty() {
            return Fingerprint(FNV_OFFSET);
        }
        let mut h = FNV_OFFSET;
        for l in labels {
            h = fnv_add(h, l.name.as_bytes());
            h = fnv_add(h, &[SEPARATOR]);
            h = fnv_add(h, l.value.as_bytes());
            h = fnv_add(h, &[SEPARATOR]);
        }
        Fingerprint(h)
    }

    /// Sixteen lowercase hex digits, as the API prints it.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// An alert as the Alertmanager keeps it. Shared as `Arc<Alert>`; updates replace the `Arc`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Identifying labels.
    pub labels: Labels,
    /// Annotations (may hold empty values).
    pub annotations: Arc<[(Arc<str>, Arc<str>)]>,
    /// When the alert started firing.
    pub starts_at: Millis,
    /// When it ends or ended; [`ZERO_TIME`] while the group flushes it as firing.
    pub ends_at: Millis,
    /// Link back to the rule that fired it.
    pub generator_url: Arc<str>,
    /// When the Alertmanager last received it.
    pub updated_at: Millis,
    /// Whether `ends_at` was set from `resolve_timeout` rather than by the sender.
    pub timeout: bool,
    /// The label fingerprint.
    pub fingerprint: Fingerprint,
}

impl Alert {
    /// The alert's name (`alertname` label).
    pub fn name(&self) -> &str {
        self.labels.get("alertname").unwrap_or("")
    }

    /// Whether the alert is resolved at `now`: it has an end and the end is not after `now`.
    pub fn resolved_at(&self, now: Millis) -> bool {
        self.ends_at != ZERO_TIME && self.ends_at <= now
    }

    /// Upstream's `Alert.Merge`: `self` and `newer` describe the same alert; keep the newer
    /// payload with the earliest start and the right end.
    pub fn merge(self: &Arc<Self>, newer: &Arc<Self>, now: Millis) -> Arc<Alert> {
        let (old, new) = if newer.updated_at < self.updated_at {
            (newer, self)
        } else {
            (self, newer)
        };
        let mut res = (**new).clone();
        if old.starts_at < new.starts_at {
            res.starts_at = old.starts_at;
        }
        if new.resolved_at(now) {
            if old.resolved_at(now) && old.ends_at > new.ends_at {
                res.ends_at = old.ends_at;
            }
        } else if old.ends_at > new.ends_at && !old.timeout {
            res.ends_at = old.ends_at;
        }
        Arc::new(res)
    }

    /// The hash upstream's notification log records for an alert: XXH64 over
    /// `name 0xFF value 0xFF` of the sorted labels (not the fingerprint), so nflog entries
    /// written by an Alertmanager dedup correctly here and the other way round.
    pub fn nflog_hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh64::Xxh64::new(0);
        for l in self.labels.iter() {
            h.update(l.name.as_bytes());
            h.update(&[SEPARATOR]);
            h.update(l.value.as_bytes());
            h.update(&[SEPARATOR]);
        }
        h.digest()
    }

    /// The annotation `name`, if present.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| &**v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_upstream() {
        // Values computed by Go's model.LabelSet{...}.Fingerprint().
        assert_eq!(
            Fingerprint::of(&Labels::empty()).0,
            14_695_981_039_346_656_037
        );
        // From Prometheus's model/signature_test.go.
        let ls = Labels::from_pairs([("name", "garland, briggs"), ("fear", "love is not enough")]);
        assert_eq!(Fingerprint::of(&ls).0, 5_799_056_148_416_392_346);
        assert_eq!(Fingerprint(0xab).to_hex(), "00000000000000ab");
    }
}
