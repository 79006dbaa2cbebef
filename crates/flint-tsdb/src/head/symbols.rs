//! Interned label strings: each distinct name or value is stored once and referred to by a
//! 32-bit id, so a series' labels cost 8 bytes per label in the head.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use flint_model::Labels;
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

/// A symbol id.
pub type SymbolId = u32;

#[derive(Debug, Default)]
struct Table {
    ids: HashMap<Arc<str>, SymbolId, Xxh3DefaultBuilder>,
    strings: Vec<Arc<str>>,
    /// The last snapshot handed out, reused while no string was added.
    snapshot: Option<Arc<[Arc<str>]>>,
}

/// The head's string table. Grows only; it is rebuilt when the head is truncated.
#[derive(Debug, Default)]
pub struct Symbols {
    table: RwLock<Table>,
}

impl Symbols {
    /// Interns `labels` into `name, value` id pairs.
    pub fn intern_labels(&self, labels: &Labels) -> Box<[SymbolId]> {
        let mut out = Vec::with_capacity(labels.len() * 2);
        // Most strings are already known: try under the read lock first.
        let missing = {
            let table = self.read();
            labels.iter().any(
                |l| match (table.ids.get(&*l.name), table.ids.get(&*l.value)) {
                    (Some(n), Some(v)) => {
                        out.push(*n);
                        out.push(*v);
                        false
                    }
                    _ => true,
                },
            )
        };
        if missing {
            out.clear();
            let mut table = self.write();
            for l in labels.iter() {
                out.push(table.intern(&l.name));
                out.push(table.intern(&l.value));
            }
        }
        out.into_boxed_slice()
    }

    /// The id of `s`, if interned.
    pub fn lookup(&self, s: &str) -> Option<SymbolId> {
        self.read().ids.get(s).copied()
    }

    /// Rebuilds a label set from id pairs.
    pub fn labels(&self, ids: &[SymbolId]) -> Labels {
        let table = self.read();
        let get = |id: &SymbolId| {
            table
                .strings
                .get(*id as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from(""))
        };
        // Ids were interned from a valid (sorted, unique) set, so this sort is a no-op pass.
        Labels::from_pairs(ids.chunks_exact(2).map(|p| (get(&p[0]), get(&p[1]))))
    }

    /// The string of an id.
    pub fn string(&self, id: SymbolId) -> Option<Arc<str>> {
        self.read().strings.get(id as usize).cloned()
    }

    /// All strings by id, shared: lookups without the lock (sorting, regex scans).
    pub fn snapshot(&self) -> Arc<[Arc<str>]> {
        let table = self.read();
        if let Some(snap) = table
            .snapshot
            .as_ref()
            .filter(|s| s.len() == table.strings.len())
        {
            return snap.clone();
        }
        drop(table);
        let mut table = self.write();
        let snap: Arc<[Arc<str>]> = table.strings.iter().cloned().collect();
        table.snapshot = Some(snap.clone());
        snap
    }

    /// Bytes held by the interned strings.
    pub fn size_bytes(&self) -> usize {
        self.read().strings.iter().map(|s| s.len()).sum()
    }

    /// Number of interned strings.
    pub fn len(&self) -> usize {
        self.read().strings.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Table {
    fn intern(&mut self, s: &Arc<str>) -> SymbolId {
        if let Some(id) = self.ids.get(&**s) {
            return *id;
        }
        let id = SymbolId::try_from(self.strings.len()).unwrap_or(SymbolId::MAX);
        self.strings.push(s.clone());
        self.ids.insert(s.clone(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shares() {
        let s = Symbols::default();
        let a = Labels::from_pairs([("__name__", "up"), ("job", "node")]);
        let b = Labels::from_pairs([("__name__", "up"), ("job", "api")]);
        let ia = s.intern_labels(&a);
        let ib = s.intern_labels(&b);
        assert_eq!(ia[0], ib[0]);
        assert_eq!(s.labels(&ia), a);
        assert_eq!(s.labels(&ib), b);
        assert_eq!(s.len(), 5);
    }
}
