//! [`LabelsBuilder`]: staged edits over a base label set.

use std::sync::Arc;

use super::{Label, Labels};

/// Records `set`/`del`/`keep` edits over a base [`Labels`] and builds the sorted result.
///
/// As in Prometheus, setting a label to the empty value deletes it. Building without effective
/// changes returns a clone of the base (no allocation), and a builder can be [`reset`] and
/// reused to keep its buffers.
///
/// [`reset`]: LabelsBuilder::reset
#[derive(Debug, Clone, Default)]
pub struct LabelsBuilder {
    base: Labels,
    /// Pending sets; names are unique and never in `del`.
    add: Vec<Label>,
    /// Pending deletions; names are unique and never in `add`.
    del: Vec<Arc<str>>,
}

impl LabelsBuilder {
    /// A builder over `base`.
    pub fn new(base: Labels) -> Self {
        LabelsBuilder {
            base,
            add: Vec::new(),
            del: Vec::new(),
        }
    }

    /// Start over from `base`, keeping allocated buffers.
    pub fn reset(&mut self, base: Labels) {
        self.base = base;
        self.add.clear();
        self.del.clear();
    }

    /// The base label set the edits apply to.
    pub fn base(&self) -> &Labels {
        &self.base
    }

    /// The current value of `name`, taking pending edits into account.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(l) = self.add.iter().find(|l| &*l.name == name) {
            return Some(&l.value);
        }
        if self.del.iter().any(|d| &**d == name) {
            return None;
        }
        self.base.get(name)
    }

    /// Set `name` to `value`; an empty `value` deletes the label.
    pub fn set(&mut self, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> &mut Self {
        let name = name.into();
        let value = value.into();
        if value.is_empty() {
            return self.del(name);
        }
        self.del.retain(|d| *d != name);
        match self.add.iter_mut().find(|l| l.name == name) {
            Some(l) => l.value = value,
            None => self.add.push(Label { name, value }),
        }
        self
    }

    /// Delete `name`. Accepts `&str`, `String` or `Arc<str>`; nothing is allocated unless the
    /// base set has the label.
    pub fn del<N: AsRef<str> + Into<Arc<str>>>(&mut self, name: N) -> &mut Self {
        let n = name.as_ref();
        self.add.retain(|l| &*l.name != n);
        if self.base.contains(n) && !self.del.iter().any(|d| &**d == n) {
            self.del.push(name.into());
        }
        self
    }

    /// Keep only the labels named in `names`, deleting all others.
    pub fn keep(&mut self, names: &[&str]) -> &mut Self {
        self.add.retain(|l| names.contains(&&*l.name));
        let base = self.base.clone();
        for l in base.iter() {
            if !names.contains(&&*l.name) {
                self.del(l.name.clone());
            }
        }
        self
    }

    /// Whether the edits so far leave the base unchanged.
    pub fn is_unchanged(&self) -> bool {
        self.add
            .iter()
            .all(|l| self.base.get(&l.name) == Some(&*l.value))
            && self.del.iter().all(|d| !self.base.contains(d))
    }

    /// Fill `out` (cleared first) with the current labels, sorted by name.
    pub fn current_into(&mut self, out: &mut Vec<Label>) {
        out.clear();
        if self.add.is_empty() && self.del.is_empty() {
            out.extend(self.base.iter().cloned());
            return;
        }
        self.add.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        out.reserve(self.base.len() + self.add.len());
        let mut adds = self.add.iter().peekable();
        for l in self.base.iter() {
            while let Some(a) = adds.next_if(|a| a.name < l.name) {
                out.push(a.clone());
            }
            if adds.peek().is_some_and(|a| a.name == l.name) {
                continue; // Overridden; the add is pushed on a later step.
            }
            if !self.del.contains(&l.name) {
                out.push(l.clone());
            }
        }
        out.extend(adds.cloned());
    }

    /// The resulting label set. Returns a clone of the base (no allocation) when the edits change
    /// nothing.
    pub fn build(&mut self) -> Labels {
        if self.is_unchanged() {
            return self.base.clone();
        }
        let mut out = Vec::new();
        self.current_into(&mut out);
        Labels::from_sorted_vec(out)
    }
}
