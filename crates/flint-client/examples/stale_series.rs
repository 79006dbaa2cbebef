//! The stale-series experiment.
//!
//! Every 100 ms a "thing" gets a new random identity. Reporting it through a labelled gauge
//! set (`LabelVec<Gauge>`) leaves every past identity behind: the output accumulates one
//! series per tick, forever. Reporting it through a [`Collector`] that emits the current state
//! at scrape time shows exactly one series. Run with `cargo run --example stale_series`.
//!
//! `tests/stale_series.rs` includes this file and drives [`Experiment::tick`] in a loop.

use std::sync::{Arc, Mutex};

use flint_client::Registry;
use flint_client::collector::{Collector, CollectorEncoder};
use flint_client::labels::Pairs;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_expfmt::Point;
use flint_model::MetricType;

/// Reports the current identity at scrape time.
#[derive(Debug, Default)]
pub struct CurrentThing {
    id: Arc<Mutex<String>>,
}

impl Collector for CurrentThing {
    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let Ok(id) = self.id.lock() else { return };
        out.family(
            "thing_collected",
            "The current thing (collector).",
            MetricType::Gauge,
            "",
        );
        out.metric(&Pairs(&[("id", id.as_str())]), &Point::Gauge(1.0));
    }
}

/// Both reporting styles, fed the same identities.
#[derive(Debug)]
pub struct Experiment {
    /// Registry holding both.
    pub registry: Registry,
    vec: LabelVec<Gauge>,
    current: Arc<Mutex<String>>,
    rng: u64,
}

impl Default for Experiment {
    fn default() -> Self {
        Self::new()
    }
}

impl Experiment {
    /// Registers the labelled gauge set and the collector.
    pub fn new() -> Self {
        let registry = Registry::new();
        let vec = LabelVec::<Gauge>::new(["id"]).unwrap_or_else(|e| panic!("{e}"));
        registry
            .register(
                "thing_labelled",
                "The current thing (labelled gauge set).",
                vec.clone(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let collector = CurrentThing::default();
        let current = Arc::clone(&collector.id);
        registry.register_collector(collector);
        Experiment {
            registry,
            vec,
            current,
            rng: 0x2545_f491_4f6c_dd1d,
        }
    }

    /// One step: the thing gets a new random identity, reported both ways.
    pub fn tick(&mut self) {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let id = format!("{:016x}", self.rng);
        if let Ok(v) = self.vec.with_label_values(&[id.as_str()]) {
            v.set(1.0);
        }
        if let Ok(mut cur) = self.current.lock() {
            *cur = id;
        }
    }

    /// Number of series of family `name` in a scrape now.
    pub fn series(&self, name: &str) -> usize {
        let families = self.registry.gather();
        families
            .iter()
            .filter(|f| f.name == name)
            .map(|f| f.metrics.len())
            .sum()
    }
}

#[allow(dead_code)]
fn main() {
    let mut exp = Experiment::new();
    for second in 1..=5 {
        for _ in 0..10 {
            exp.tick();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!(
            "after {second} s: labelled gauge set exposes {} series, collector exposes {}",
            exp.series("thing_labelled"),
            exp.series("thing_collected"),
        );
    }
}
