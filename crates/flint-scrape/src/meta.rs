//! Metadata of the families a target exposes (`# HELP`, `# TYPE`, `# UNIT`), remembered
//! between scrapes so that it reaches the storage only when it changes, and published to
//! the target for `/api/v1/targets/metadata` and `/api/v1/metadata` when it does.
//!
//! Families are kept in the order the last scrape listed them, with a cursor: a target
//! repeats its families in the same order, so a lookup is usually one string comparison.

use std::collections::HashMap;

use flint_model::{Metadata, MetricType};

use crate::body::MetaLine;
use crate::target::MetricMeta;

const HELP: u8 = 1;
const TYPE: u8 = 2;
const UNIT: u8 = 4;

/// One family's metadata.
#[derive(Debug, Clone)]
pub struct FamilyMeta {
    /// The family name as the body writes it.
    pub name: String,
    /// Type, unit and help.
    pub meta: Metadata,
    /// The scrape attempt that last listed it.
    seen: u64,
    /// The scrape attempt that last changed it.
    changed: u64,
    /// Which lines the attempt `seen` had.
    fields: u8,
}

/// The families of one target.
#[derive(Debug, Default)]
pub struct MetaCache {
    entries: Vec<FamilyMeta>,
    index: HashMap<String, usize>,
    cursor: usize,
    current: Option<usize>,
    iter: u64,
    last_ok: u64,
    dirty: bool,
}

impl MetaCache {
    /// Starts scrape attempt `iter`.
    pub fn begin(&mut self, iter: u64) {
        self.iter = iter;
        self.cursor = 0;
        self.current = None;
    }

    fn find(&mut self, family: &str) -> usize {
        if let Some(i) = self.current.filter(|i| self.entries[*i].name == family) {
            return i;
        }
        let i = match self.entries.get(self.cursor) {
            Some(e) if e.name == family => self.cursor,
            _ => match self.index.get(family) {
                Some(i) => *i,
                None => {
                    let i = self.entries.len();
                    self.entries.push(FamilyMeta {
                        name: family.to_string(),
                        meta: Metadata::default(),
                        seen: 0,
                        changed: self.iter,
                        fields: 0,
                    });
                    self.index.insert(family.to_string(), i);
                    self.dirty = true;
                    i
                }
            },
        };
        self.cursor = i + 1;
        i
    }

    /// Records a metadata line; the family becomes the current one.
    pub fn observe(&mut self, family: &str, line: MetaLine<'_>) {
        let i = self.find(family);
        self.current = Some(i);
        let iter = self.iter;
        let e = &mut self.entries[i];
        if e.seen != iter {
            e.seen = iter;
            e.fields = 0;
        }
        let changed = match line {
            MetaLine::Help(h) => {
                e.fields |= HELP;
                set(&mut e.meta.help, h)
            }
            MetaLine::Unit(u) => {
                e.fields |= UNIT;
                set(&mut e.meta.unit, u)
            }
            MetaLine::Type(t) => {
                e.fields |= TYPE;
                let c = e.meta.metric_type != t;
                e.meta.metric_type = t;
                c
            }
        };
        if changed {
            e.changed = iter;
            self.dirty = true;
        }
    }

    /// The family of the last metadata line.
    pub fn current(&self) -> Option<&FamilyMeta> {
        self.current.map(|i| &self.entries[i])
    }

    /// The type of the current family (unknown when there is none).
    pub fn current_type(&self) -> MetricType {
        self.current()
            .map_or(MetricType::Unknown, |f| f.meta.metric_type)
    }

    /// The current family's metadata if series `name` belongs to it and the storage has
    /// to hear about it: the series is `new`, or the metadata changed since the last
    /// successful scrape.
    pub fn to_send(&self, name: &str, new: bool) -> Option<&Metadata> {
        let f = self.current()?;
        let send = new || f.changed > self.last_ok;
        (send && part_of_family(name, &f.name, f.meta.metric_type)).then_some(&f.meta)
    }

    /// Ends a successful scrape: families it did not list are forgotten, lines it did not
    /// have are cleared. Returns the families for the API when anything changed.
    pub fn finish(&mut self) -> Option<Vec<MetricMeta>> {
        let iter = self.iter;
        self.last_ok = iter;
        let before = self.entries.len();
        self.entries.retain(|e| e.seen == iter);
        for e in &mut self.entries {
            let m = &mut e.meta;
            let mut cleared = false;
            if e.fields & HELP == 0 && !m.help.is_empty() {
                m.help.clear();
                cleared = true;
            }
            if e.fields & UNIT == 0 && !m.unit.is_empty() {
                m.unit.clear();
                cleared = true;
            }
            if e.fields & TYPE == 0 && m.metric_type != MetricType::Unknown {
                m.metric_type = MetricType::Unknown;
                cleared = true;
            }
            self.dirty |= cleared;
        }
        if self.entries.len() != before {
            self.dirty = true;
            self.index.clear();
            self.index.extend(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.name.clone(), i)),
            );
        }
        if !std::mem::take(&mut self.dirty) {
            return None;
        }
        Some(
            self.entries
                .iter()
                .map(|e| MetricMeta {
                    metric: e.name.clone(),
                    metric_type: e.meta.metric_type.as_openmetrics_str().to_string(),
                    help: e.meta.help.clone(),
                    unit: e.meta.unit.clone(),
                })
                .collect(),
        )
    }
}

fn set(field: &mut String, v: &str) -> bool {
    if field == v {
        return false;
    }
    field.clear();
    field.push_str(v);
    true
}

/// Whether series `name` belongs to family `family` of type `t` (the suffixes each type
/// allows; a counter family may be named with or without `_total`).
pub fn part_of_family(name: &str, family: &str, t: MetricType) -> bool {
    if !name.starts_with(family.strip_suffix("_total").unwrap_or(family)) {
        return false;
    }
    let cut = |suffixes: &[&str]| {
        suffixes
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name)
    };
    let (fam, got) = match t {
        MetricType::Counter => (
            family.strip_suffix("_total").unwrap_or(family),
            cut(&["_total", "_created"]),
        ),
        MetricType::Histogram => (family, cut(&["_bucket", "_sum", "_count", "_created"])),
        MetricType::GaugeHistogram => (family, cut(&["_bucket", "_gsum", "_gcount"])),
        MetricType::Summary => (family, cut(&["_sum", "_count", "_created"])),
        MetricType::Info => (
            family.strip_suffix("_info").unwrap_or(family),
            cut(&["_info"]),
        ),
        _ => (family, name),
    };
    fam == got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_their_series() {
        assert!(part_of_family("a_total", "a", MetricType::Counter));
        assert!(part_of_family("a_total", "a_total", MetricType::Counter));
        assert!(part_of_family("a_created", "a", MetricType::Counter));
        assert!(!part_of_family("ab_total", "a", MetricType::Counter));
        assert!(part_of_family("h_bucket", "h", MetricType::Histogram));
        assert!(part_of_family("h", "h", MetricType::Histogram));
        assert!(!part_of_family("h_gsum", "h", MetricType::Histogram));
        assert!(part_of_family("g_gcount", "g", MetricType::GaugeHistogram));
        assert!(part_of_family("s_count", "s", MetricType::Summary));
        assert!(part_of_family("i_info", "i", MetricType::Info));
        assert!(part_of_family("x", "x", MetricType::Gauge));
        assert!(!part_of_family("x_sum", "x", MetricType::Gauge));
    }

    #[test]
    fn sends_only_new_series_or_changes() {
        let mut m = MetaCache::default();
        m.begin(1);
        m.observe("a", MetaLine::Type(MetricType::Counter));
        m.observe("a", MetaLine::Help("A."));
        assert!(m.to_send("a_total", false).is_some(), "new family");
        let first = m.finish().expect("changed");
        assert_eq!(first[0].metric_type, "counter");
        m.begin(2);
        m.observe("a", MetaLine::Type(MetricType::Counter));
        m.observe("a", MetaLine::Help("A."));
        assert!(m.to_send("a_total", false).is_none());
        assert!(m.to_send("a_total", true).is_some(), "new series");
        assert!(m.to_send("b", true).is_none(), "other family");
        assert!(m.finish().is_none(), "nothing changed");
        m.begin(3);
        m.observe("a", MetaLine::Type(MetricType::Counter));
        m.observe("a", MetaLine::Help("Changed."));
        assert_eq!(m.to_send("a_total", false).unwrap().help, "Changed.");
        // A failed attempt: the change is sent again by the next successful scrape.
        m.begin(4);
        m.observe("a", MetaLine::Type(MetricType::Counter));
        m.observe("a", MetaLine::Help("Changed."));
        assert!(m.to_send("a_total", false).is_some());
        m.observe("b", MetaLine::Type(MetricType::Gauge));
        let list = m.finish().unwrap();
        assert_eq!(list.len(), 2);
        m.begin(5);
        m.observe("b", MetaLine::Type(MetricType::Gauge));
        let list = m.finish().unwrap();
        assert_eq!(list.len(), 1, "a vanished");
        assert_eq!(list[0].metric, "b");
    }
}
