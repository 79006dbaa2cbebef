//! Label vectors: one child metric per label set, keyed by a typed struct ([`Family`]) or by
//! string values ([`LabelVec`]).
//!
//! Beyond removing children by hand (`remove`, `remove_matching`, `clear`), a family can
//! forget stale label sets by itself:
//!
//! - **Idle expiry** ([`Family::expire_after`]): a child not written for the TTL is dropped and
//!   vanishes from the output. Writes are detected at scrape (or [`Family::sweep`]) time by
//!   comparing the child's state with what the previous sweep saw, so the write path pays
//!   nothing; a child therefore lives at least the TTL and at most the TTL plus one scrape
//!   interval after its last write. A handle kept across an expiry writes to a detached
//!   child: look children up again on each write in TTL families.
//! - **Cardinality cap** ([`Family::max_children`]): once the family holds that many children,
//!   lookups of new label sets all return one overflow child, whose every label value is
//!   [`OVERFLOW_LABEL_VALUE`] (`"__overflow__"`); the number of such lookups is exposed as the
//!   counter `<family>_cardinality_overflow_total`.
//! - **Replacement** ([`Family::replace_all`]): atomically swaps the whole set of children, for
//!   exporters that mirror external state; a concurrent scrape sees the old or the new set.
//!
//! **Concurrency.** Lookups return handles (an `Arc` clone), never guards, so holding any
//! number of children cannot deadlock. A lookup first probes a small per-thread cache of
//! recent lookups (no lock; entries are invalidated by every removal), then takes the
//! family's shared read lock; only creating a child takes the write lock. A scrape holds
//! the read lock, so it never blocks lookups of existing children. Children are encoded in
//! creation order.

mod cache;
mod children;
mod core;

use std::hash::Hasher;
use std::sync::Arc;
use std::time::Duration;

use flint_model::MetricType;

use self::core::Core;
pub use self::core::{FamilyKey, OVERFLOW_FAMILY_SUFFIX, OVERFLOW_LABEL_VALUE};
use super::{ChildMetric, Metric, MetricConstructor, MetricEncoder};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::hash::FastHasher;
use crate::labels::{LabelSet, LabelValues, ValuesView};

impl<S: LabelSet> FamilyKey for S {
    fn visit(&self, _names: &[String], f: &mut dyn FnMut(&str, &str)) {
        LabelSet::visit(self, f)
    }
}

impl FamilyKey for LabelValues {
    fn visit(&self, names: &[String], f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in names.iter().zip(self.values()) {
            f(n, v);
        }
    }
}

/// The default constructor type: `M::default`.
pub type DefaultConstructor<M> = fn() -> M;

/// Children keyed by a typed label set `S` (see [`LabelSet`]). Clones share the children.
///
/// ```
/// use flint_client::{LabelSet, metrics::counter::Counter, metrics::family::Family};
/// #[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
/// struct Labels { method: &'static str, code: u16 }
///
/// let requests = Family::<Labels, Counter>::default();
/// requests.get_or_create(&Labels { method: "GET", code: 200 }).inc();
/// requests.get_or_create(&Labels { method: "GET", code: 500 }).inc();
/// assert_eq!(requests.len(), 2);
/// assert_eq!(requests.remove_matching(&[("code", "500")]), 1);
/// assert!(requests.get(&Labels { method: "GET", code: 200 }).is_some());
/// ```
pub struct Family<S, M, C = DefaultConstructor<M>> {
    core: Arc<Core<S, M, C>>,
}

/// Children keyed by string label values, with names fixed at construction.
///
/// ```
/// use flint_client::{metrics::gauge::Gauge, metrics::family::LabelVec, Error};
/// let temps = LabelVec::<Gauge>::new(["room", "floor"]).unwrap();
/// temps.with_label_values(&["kitchen", "1"]).unwrap().set(21.5);
/// assert_eq!(
///     temps.with_label_values(&["kitchen"]).err(),
///     Some(Error::LabelCardinality { expected: 2, got: 1 })
/// );
/// ```
pub struct LabelVec<M, C = DefaultConstructor<M>> {
    core: Arc<Core<LabelValues, M, C>>,
}

macro_rules! shared_impls {
    ($ty:ident < $($p:ident),* >, $key:ty) => {
        impl<$($p),*> Clone for $ty<$($p),*> {
            fn clone(&self) -> Self {
                $ty { core: Arc::clone(&self.core) }
            }
        }

        impl<$($p),*> std::fmt::Debug for $ty<$($p),*>
        where
            $key: FamilyKey,
            M: ChildMetric,
            C: MetricConstructor<M>,
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).field("children", &self.core.len()).finish()
            }
        }

        impl<$($p),*> $ty<$($p),*>
        where
            $key: FamilyKey,
            M: ChildMetric,
            C: MetricConstructor<M>,
        {
            /// Drops children not written for `ttl` (checked at each scrape). Builder style;
            /// also works on a family already shared.
            pub fn expire_after(self, ttl: Duration) -> Self {
                self.core.set_ttl(ttl);
                self
            }

            /// Caps the number of children; beyond it new label sets share one overflow child.
            pub fn max_children(self, cap: usize) -> Self {
                self.core.set_cap(cap);
                self
            }

            /// Uses `clock` for idle expiry (tests inject a [`ManualClock`](crate::clock::ManualClock)).
            pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
                self.core.set_clock(clock);
                self
            }

            /// Runs idle expiry now (scrapes do it too); returns how many children were dropped.
            pub fn sweep(&self) -> usize {
                self.core.sweep()
            }

            /// Removes all children (and resets the overflow count).
            pub fn clear(&self) {
                self.core.clear()
            }

            /// Removes every child whose labels include all of `filter`'s (name, value) pairs;
            /// returns how many were removed.
            pub fn remove_matching(&self, filter: &[(&str, &str)]) -> usize {
                self.core.remove_matching(filter)
            }

            /// Number of children (the overflow child not included).
            pub fn len(&self) -> usize {
                self.core.len()
            }

            /// Whether there are no children.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// How many lookups were folded into the overflow child.
            pub fn overflow_count(&self) -> u64 {
                self.core.overflow_count()
            }
        }

        impl<$($p),*> Metric for $ty<$($p),*>
        where
            $key: FamilyKey,
            M: ChildMetric,
            C: MetricConstructor<M>,
        {
            fn metric_type(&self) -> MetricType {
                self.core.metric_type()
            }

            fn encode(&self, out: &mut MetricEncoder<'_>) {
                self.core.encode(out)
            }
        }
    };
}

shared_impls!(Family<S, M, C>, S);
shared_impls!(LabelVec<M, C>, LabelValues);

impl<S: LabelSet, M: ChildMetric + Default> Default for Family<S, M> {
    fn default() -> Self {
        Self::new_with_constructor(M::default as fn() -> M)
    }
}

impl<S: LabelSet, M: ChildMetric, C: MetricConstructor<M>> Family<S, M, C> {
    /// A family whose children are made by `constructor` (histogram buckets, say).
    pub fn new_with_constructor(constructor: C) -> Self {
        let names = S::label_names().iter().map(|n| (*n).to_owned()).collect();
        Family {
            core: Arc::new(Core::new(constructor, names)),
        }
    }

    /// The child for `labels`, created if absent. Takes a shared read lock for existing
    /// children; returns a handle (an `Arc` clone), never a guard.
    #[inline]
    pub fn get_or_create(&self, labels: &S) -> M {
        self.core.get_or_create(labels, || labels.clone())
    }

    /// The child for `labels`, if present.
    pub fn get(&self, labels: &S) -> Option<M> {
        self.core.get(labels)
    }

    /// Removes the child for `labels`; returns whether it existed.
    pub fn remove(&self, labels: &S) -> bool {
        self.core.remove(labels)
    }

    /// Atomically replaces all children with `children`.
    pub fn replace_all(&self, children: impl IntoIterator<Item = (S, M)>) {
        self.core.replace_all(children)
    }
}

impl<M: ChildMetric + Default> LabelVec<M> {
    /// A vector with these label names and default-constructed children.
    pub fn new<N: Into<String>>(names: impl IntoIterator<Item = N>) -> Result<Self> {
        Self::new_with_constructor(names, M::default as fn() -> M)
    }
}

impl<M: ChildMetric, C: MetricConstructor<M>> LabelVec<M, C> {
    /// A vector with these label names whose children are made by `constructor`.
    pub fn new_with_constructor<N: Into<String>>(
        names: impl IntoIterator<Item = N>,
        constructor: C,
    ) -> Result<Self> {
        let names: Box<[String]> = names.into_iter().map(Into::into).collect();
        for n in names.iter() {
            if !flint_model::names::is_legacy_label_name(n)
                || flint_model::names::is_reserved_label_name(n)
            {
                return Err(Error::InvalidLabelName(n.clone()));
            }
        }
        Ok(LabelVec {
            core: Arc::new(Core::new(constructor, names)),
        })
    }

    fn check(&self, got: usize) -> Result<()> {
        let expected = self.core.names().len();
        if got == expected {
            Ok(())
        } else {
            Err(Error::LabelCardinality { expected, got })
        }
    }

    /// The child for these values (in label-name order), created if absent.
    #[inline]
    pub fn with_label_values<V: AsRef<str>>(&self, values: &[V]) -> Result<M> {
        self.check(values.len())?;
        let view: &dyn ValuesView = &values;
        let mut h = FastHasher::default();
        for v in values {
            h.write(v.as_ref().as_bytes());
            h.write_u8(0xff);
        }
        let eq = |k: &LabelValues| k.values().iter().zip(values).all(|(a, b)| a == b.as_ref());
        Ok(self
            .core
            .get_or_create_hashed(view, h.finish(), eq, || owned(values)))
    }

    /// Removes the child for these values; returns whether it existed.
    pub fn remove_label_values<V: AsRef<str>>(&self, values: &[V]) -> Result<bool> {
        self.check(values.len())?;
        let view: &dyn ValuesView = &values;
        Ok(self.core.remove(view))
    }

    /// Atomically replaces all children; fails without changing anything on a wrong arity.
    pub fn replace_all<V: AsRef<str>>(
        &self,
        children: impl IntoIterator<Item = (Vec<V>, M)>,
    ) -> Result<()> {
        let mut fresh = Vec::new();
        for (values, m) in children {
            self.check(values.len())?;
            fresh.push((owned(&values), m));
        }
        self.core.replace_all(fresh);
        Ok(())
    }
}

fn owned<V: AsRef<str>>(values: &[V]) -> LabelValues {
    LabelValues(values.iter().map(|v| v.as_ref().to_owned()).collect())
}
