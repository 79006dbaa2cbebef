//! Label sets: the identity of a series.
//!
//! A [`Labels`] is sorted by name, holds no duplicate names and no empty values, and is cheap to
//! clone. Build one with [`Labels::from_pairs`] or a [`LabelsBuilder`].
//!
//! ```
//! use flint_model::Labels;
//!
//! let l = Labels::from_pairs([("job", "api"), ("__name__", "up"), ("empty", "")]);
//! assert_eq!(l.to_string(), r#"{__name__="up", job="api"}"#);
//! let mut b = l.builder();
//! b.set("instance", "h:9090").del("job");
//! assert_eq!(b.build().to_string(), r#"{__name__="up", instance="h:9090"}"#);
//! ```

mod builder;
mod hash;

use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::error::{Error, Result};
use crate::names::{METRIC_NAME_LABEL, NameValidation, is_legacy_label_name};
use crate::quote::write_go_quoted;

pub use builder::LabelsBuilder;

/// One label: a name and a value.
///
/// Both are `Arc<str>` so that copying a label from one set into another (which relabeling and
/// the builder do all the time) is a reference-count increment, not a string copy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The label name.
    pub name: Arc<str>,
    /// The label value; never empty inside a [`Labels`].
    pub value: Arc<str>,
}

impl Label {
    /// A label from anything convertible to `Arc<str>` (`&str`, `String`, `Arc<str>`).
    pub fn new(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A set of labels, sorted by name, without duplicate names or empty values.
///
/// Stored as `Arc<[Label]>`: a series' labels are shared by the head, the index, query results
/// and relabeling, so cloning must be O(1) and the set immutable. Each label's strings are
/// themselves `Arc<str>`, so deriving a new set from an old one copies no string bytes.
///
/// `Ord` compares label by label (name, then value) and a set that is a prefix of another sorts
/// first, like Prometheus's `labels.Compare`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Arc<[Label]>);

impl Default for Labels {
    fn default() -> Self {
        Labels::empty()
    }
}

impl Labels {
    /// The empty label set (shared; no allocation).
    pub fn empty() -> Self {
        static EMPTY: LazyLock<Labels> = LazyLock::new(|| Labels(Arc::from(Vec::new())));
        EMPTY.clone()
    }

    /// Build from (name, value) pairs in any order. Later pairs win over earlier ones with the
    /// same name and pairs with an empty value are dropped (an empty value means "absent" in
    /// Prometheus).
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<Arc<str>>,
        V: Into<Arc<str>>,
    {
        let mut v: Vec<Label> = pairs.into_iter().map(|(n, v)| Label::new(n, v)).collect();
        // Stable sort keeps input order among equal names, so "last wins" below is well defined.
        v.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(v.len());
        for l in v {
            match out.last_mut() {
                Some(last) if last.name == l.name => *last = l,
                _ => out.push(l),
            }
        }
        out.retain(|l| !l.value.is_empty());
        Labels(out.into())
    }

    /// Wrap labels the caller guarantees are sorted by name, unique and non-empty.
    pub(crate) fn from_sorted_vec(v: Vec<Label>) -> Self {
        debug_assert!(v.windows(2).all(|w| w[0].name < w[1].name));
        Labels(v.into())
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| (*l.name).cmp(name))
            .ok()
            .map(|i| &*self.0[i].value)
    }

    /// Whether label `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The metric name (the value of `__name__`), if any.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME_LABEL)
    }

    /// The labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The labels as a slice, in name order.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether both sets share the same allocation (so are certainly equal).
    pub fn ptr_eq(&self, other: &Labels) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// These labels plus those of `defaults` they lack (or hold empty), as external labels
    /// are added to series and alerts leaving a server.
    pub fn with_defaults(&self, defaults: &Labels) -> Labels {
        if defaults.is_empty() {
            return self.clone();
        }
        let mut b = self.builder();
        for l in defaults.iter() {
            if self.get(&l.name).is_none_or(str::is_empty) {
                b.set(l.name.clone(), l.value.clone());
            }
        }
        b.build()
    }

    /// A builder starting from this set.
    pub fn builder(&self) -> LabelsBuilder {
        LabelsBuilder::new(self.clone())
    }

    /// Check every name against `scheme`: `__name__`'s value must be a valid metric name and
    /// every other label name a valid label name (Prometheus `labels.IsValid`).
    pub fn validate(&self, scheme: NameValidation) -> Result<()> {
        for l in self.iter() {
            if &*l.name == METRIC_NAME_LABEL {
                if !scheme.is_valid_metric_name(&l.value) {
                    return Err(Error::InvalidMetricName {
                        name: l.value.to_string(),
                        scheme,
                    });
                }
            } else if !scheme.is_valid_label_name(&l.name) {
                return Err(Error::InvalidLabelName {
                    name: l.name.to_string(),
                    scheme,
                });
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Prints as Prometheus's `labels.String()`: `{__name__="up", job="x"}`. Values are Go-quoted;
/// names outside the legacy charset are Go-quoted too.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_legacy_label_name(&l.name) {
                f.write_str(&l.name)?;
            } else {
                write_go_quoted(f, &l.name)?;
            }
            f.write_str("=")?;
            write_go_quoted(f, &l.value)?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests;
