//! The map behind both family kinds: lookups, idle expiry, the cardinality cap, replacement.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use flint_expfmt::{ChainLabels, EncodeLabels, FamilyHeader, Point};
use flint_model::MetricType;

use super::cache;
use super::children::Children;
use crate::clock::Clock;
use crate::hash::FastBuild;
use crate::metrics::{ChildMetric, MetricConstructor, MetricEncoder};

/// Label value used for every label of the overflow child.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// Suffix of the counter family reporting lookups folded into the overflow child.
pub const OVERFLOW_FAMILY_SUFFIX: &str = "_cardinality_overflow";

/// A key of a family's map that can present itself as labels.
///
/// Implemented for every [`LabelSet`](crate::LabelSet) and for
/// [`LabelValues`](crate::labels::LabelValues); there is no need to implement it yourself.
pub trait FamilyKey: Hash + Eq + Clone + Send + Sync + 'static {
    /// Calls `f` with each (name, value) pair; `names` are the family's label names.
    fn visit(&self, names: &[String], f: &mut dyn FnMut(&str, &str));
}

pub(crate) struct Entry<M> {
    pub(crate) metric: M,
    marker: AtomicU64,
    last_write: AtomicU64,
}

impl<M> Entry<M> {
    fn new(metric: M, now: u64) -> Self {
        Entry {
            metric,
            marker: AtomicU64::new(0),
            last_write: AtomicU64::new(now),
        }
    }
}

type Map<K, M> = Children<K, Entry<M>>;

pub(crate) struct Core<K, M, C> {
    map: RwLock<Map<K, M>>,
    /// Process-unique id, tagging this family's entries in the per-thread lookup cache.
    id: u64,
    /// Bumped (under the write lock) by every removal, invalidating cached lookups.
    generation: AtomicU64,
    metric_type: MetricType,
    constructor: C,
    names: Box<[String]>,
    ttl_nanos: AtomicU64,
    cap: AtomicUsize,
    clock: RwLock<Arc<dyn Clock>>,
    overflow: OnceLock<M>,
    overflow_total: AtomicU64,
}

struct KeyLabels<'a, K>(&'a K, &'a [String]);

impl<K: FamilyKey> EncodeLabels for KeyLabels<'_, K> {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        self.0.visit(self.1, f)
    }
}

struct OverflowLabels<'a>(&'a [String]);

impl EncodeLabels for OverflowLabels<'_> {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        self.0.iter().for_each(|n| f(n, OVERFLOW_LABEL_VALUE));
    }
}

impl<K: FamilyKey, M: ChildMetric, C: MetricConstructor<M>> Core<K, M, C> {
    pub(crate) fn new(constructor: C, names: Box<[String]>) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Core {
            map: RwLock::new(Map::default()),
            id: NEXT_ID.fetch_add(1, Relaxed),
            generation: AtomicU64::new(0),
            metric_type: constructor.new_metric().metric_type(),
            constructor,
            names,
            ttl_nanos: AtomicU64::new(0),
            cap: AtomicUsize::new(usize::MAX),
            clock: RwLock::new(crate::clock::system()),
            overflow: OnceLock::new(),
            overflow_total: AtomicU64::new(0),
        }
    }

    pub(crate) fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn set_ttl(&self, ttl: Duration) {
        let nanos = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.ttl_nanos.store(nanos, Relaxed);
    }

    pub(crate) fn set_cap(&self, cap: usize) {
        self.cap.store(cap, Relaxed);
    }

    pub(crate) fn set_clock(&self, clock: Arc<dyn Clock>) {
        if let Ok(mut c) = self.clock.write() {
            *c = clock;
        }
    }

    fn now(&self) -> u64 {
        let now = self.clock.read().map(|c| c.now()).unwrap_or_default();
        u64::try_from(now.as_nanos()).unwrap_or(u64::MAX)
    }

    fn folded(&self) -> M {
        self.overflow_total.fetch_add(1, Relaxed);
        self.overflow
            .get_or_init(|| self.constructor.new_metric())
            .clone()
    }

    /// The child for `query`, created with `make_key` when absent.
    #[inline]
    pub(crate) fn get_or_create<Q>(&self, query: &Q, make_key: impl FnOnce() -> K) -> M
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = hash_of(query);
        self.get_or_create_hashed(query, hash, |k| k.borrow() == query, make_key)
    }

    /// Like [`Core::get_or_create`] with `hash == hash_of(query)` already computed, and
    /// `cache_eq` a (faster) equivalent of `k.borrow() == query`.
    #[inline]
    pub(crate) fn get_or_create_hashed<Q>(
        &self,
        query: &Q,
        hash: u64,
        cache_eq: impl Fn(&K) -> bool,
        make_key: impl FnOnce() -> K,
    ) -> M
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let generation = self.generation.load(Acquire);
        if let Some(m) = cache::get::<K, M>(self.id, generation, hash, cache_eq) {
            return m;
        }
        let cap = self.cap.load(Relaxed);
        if let Ok(map) = self.map.read() {
            if let Some(c) = map.find(hash, query).and_then(|i| map.get(i)) {
                let make = || (c.key.clone(), c.entry.metric.clone());
                cache::put(self.id, generation, hash, make);
                return c.entry.metric.clone();
            }
            if map.len() >= cap {
                return self.folded();
            }
        }
        self.create(query, hash, make_key, cap)
    }

    /// Invalidates cached lookups; call with the write lock held, after removing.
    fn removed(&self) {
        self.generation.fetch_add(1, Release);
    }

    #[cold]
    fn create<Q>(&self, query: &Q, hash: u64, make_key: impl FnOnce() -> K, cap: usize) -> M
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let now = self.now();
        let Ok(mut map) = self.map.write() else {
            // A writer panicked while holding the lock: serve a detached metric.
            return self.constructor.new_metric();
        };
        if let Some(c) = map.find(hash, query).and_then(|i| map.get(i)) {
            return c.entry.metric.clone();
        }
        if map.len() >= cap {
            drop(map);
            return self.folded();
        }
        let metric = self.constructor.new_metric();
        map.push(hash, make_key(), Entry::new(metric.clone(), now));
        metric
    }

    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, query: &Q) -> Option<M>
    where
        K: Borrow<Q>,
    {
        let map = self.map.read().ok()?;
        let i = map.find(hash_of(query), query)?;
        map.get(i).map(|c| c.entry.metric.clone())
    }

    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&self, query: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        let Ok(mut map) = self.map.write() else {
            return false;
        };
        let found = map
            .find(hash_of(query), query)
            .and_then(|i| map.remove_at(i));
        self.removed();
        found.is_some()
    }

    pub(crate) fn remove_matching(&self, filter: &[(&str, &str)]) -> usize {
        let Ok(mut map) = self.map.write() else {
            return 0;
        };
        let before = map.len();
        let names = &self.names;
        map.retain(|c| !crate::labels::matches(&KeyLabels(&c.key, names), filter));
        self.removed();
        before - map.len()
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut map) = self.map.write() {
            map.clear();
            self.removed();
        }
        self.overflow_total.store(0, Relaxed);
    }

    pub(crate) fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Swaps in a whole new set of children: readers see either the old or the new set.
    /// A key given twice keeps its first metric.
    pub(crate) fn replace_all(&self, children: impl IntoIterator<Item = (K, M)>) {
        let now = self.now();
        let mut fresh = Map::default();
        for (k, m) in children {
            let hash = hash_of(&k);
            if fresh.find(hash, &k).is_none() {
                fresh.push(hash, k, Entry::new(m, now));
            }
        }
        if let Ok(mut map) = self.map.write() {
            *map = fresh;
            self.removed();
        }
    }

    /// Drops children not written for longer than the TTL; returns how many were dropped.
    pub(crate) fn sweep(&self) -> usize {
        let ttl = self.ttl_nanos.load(Relaxed);
        if ttl == 0 {
            return 0;
        }
        let now = self.now();
        let idle = |e: &Entry<M>| {
            if e.metric.written_since(&e.marker) {
                e.last_write.store(now, Relaxed);
            }
            now.saturating_sub(e.last_write.load(Relaxed)) >= ttl
        };
        let any_idle = self
            .map
            .read()
            .is_ok_and(|map| map.iter().any(|c| idle(&c.entry)));
        if !any_idle {
            return 0;
        }
        let Ok(mut map) = self.map.write() else {
            return 0;
        };
        let before = map.len();
        map.retain(|c| !idle(&c.entry));
        self.removed();
        before - map.len()
    }

    pub(crate) fn encode(&self, out: &mut MetricEncoder<'_>) {
        self.sweep();
        if let Ok(map) = self.map.read() {
            for c in map.iter() {
                encode_child(out, &KeyLabels(&c.key, &self.names), &c.entry.metric);
            }
        }
        if let Some(m) = self.overflow.get() {
            encode_child(out, &OverflowLabels(&self.names), m);
        }
        if self.cap.load(Relaxed) != usize::MAX {
            self.encode_overflow_total(out);
        }
    }

    fn encode_overflow_total(&self, out: &mut MetricEncoder<'_>) {
        let name = format!("{}{OVERFLOW_FAMILY_SUFFIX}", out.header.name);
        let header = FamilyHeader {
            name: &name,
            help: "Lookups folded into the overflow child because the family reached its cardinality limit.",
            metric_type: MetricType::Counter,
            unit: "",
        };
        out.extra_family(&header);
        let value = self.overflow_total.load(Relaxed) as f64;
        let point = Point::Counter {
            value,
            created: None,
            exemplar: None,
        };
        out.point(crate::metrics::NO_LABELS, &point);
    }

    pub(crate) fn overflow_count(&self) -> u64 {
        self.overflow_total.load(Relaxed)
    }
}

/// The 64-bit hash keying a family's children (and its per-thread cache entries).
#[inline]
pub(crate) fn hash_of<Q: Hash + ?Sized>(query: &Q) -> u64 {
    FastBuild::default().hash_one(query)
}

fn encode_child<M: ChildMetric>(out: &mut MetricEncoder<'_>, labels: &dyn EncodeLabels, m: &M) {
    let chained = ChainLabels(out.const_labels, labels);
    let mut child = MetricEncoder {
        encoder: &mut *out.encoder,
        header: out.header,
        const_labels: &chained,
    };
    m.encode(&mut child);
}
