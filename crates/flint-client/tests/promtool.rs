//! The text output of a registry with every metric type passes Debian's
//! `promtool check metrics` (format and lint), a parser outside our code.

#![allow(clippy::unwrap_used)] // setup in tests and benches may panic

use std::io::Write as _;
use std::process::{Command, Stdio};

use flint_client::metrics::counter::{Counter, FloatCounter};
use flint_client::metrics::family::{Family, LabelVec};
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::histogram::{Buckets, Histogram};
use flint_client::metrics::info::Info;
use flint_client::metrics::native_histogram::NativeConfig;
use flint_client::metrics::stateset::StateSet;
use flint_client::metrics::summary::Summary;
use flint_client::process::ProcessCollector;
use flint_client::registry::{Opts, Unit};
use flint_client::{LabelSet, Registry, labels::ConstLabels};

#[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
struct Route {
    method: &'static str,
    code: u16,
}

fn full_registry() -> Registry {
    let registry = Registry::with_const_labels(ConstLabels::new().with("instance_group", "a"));
    register_scalars(&registry);
    register_vectors(&registry);
    register_distributions(&registry);
    let sub = registry.sub_registry_with_prefix("cache");
    sub.register("hits_total", "Cache hits.", Counter::default())
        .unwrap();
    registry.register_collector(ProcessCollector::new());
    registry
}

fn register_scalars(registry: &Registry) {
    let c = Counter::default();
    c.inc_with_exemplar(&[("trace_id", "abc")]);
    registry
        .register("app_requests_total", "Requests handled.", c)
        .unwrap();
    let fc = FloatCounter::default();
    fc.inc_by(2.5);
    let opts = Opts::new("app_work", "Work done.").unit(Unit::Seconds);
    registry.register_with_opts(opts, fc).unwrap();
    let temp = Gauge::with_value(21.5);
    registry
        .register("app_temperature_celsius", "Temperature.", temp)
        .unwrap();
    let info = Info::new([("version", "1.0.0")]);
    registry
        .register("build", "Build information.", info)
        .unwrap();
    let state = StateSet::new(["starting", "running"]);
    state.set_only("running").unwrap();
    registry
        .register("app_state", "Lifecycle state.", state)
        .unwrap();
}

fn register_vectors(registry: &Registry) {
    let routes = Family::<Route, Counter>::default().max_children(2);
    let route = |method, code| Route { method, code };
    routes.get_or_create(&route("GET", 200)).inc();
    routes.get_or_create(&route("POST", 500)).inc_by(3);
    routes.get_or_create(&route("PUT", 201)).inc();
    registry
        .register("http_requests", "HTTP requests.", routes)
        .unwrap();
    let sizes = LabelVec::<Summary>::new(["queue"]).unwrap();
    sizes.with_label_values(&["in"]).unwrap().observe(42.0);
    registry
        .register("queue_size_bytes", "Queue sizes.", sizes)
        .unwrap();
}

fn register_distributions(registry: &Registry) {
    let h = Histogram::new(Buckets::exponential(0.001, 10.0, 4).unwrap());
    h.observe(0.02);
    h.observe_with_exemplar(3.0, &[("trace_id", "def")]);
    registry
        .register("rpc_duration_seconds", "RPC latency.", h)
        .unwrap();
    let classic = Buckets::linear(1.0, 1.0, 3).unwrap();
    let native = Histogram::native(NativeConfig::new(3).unwrap(), Some(classic));
    native.observe(1.5);
    registry
        .register("queue_wait_seconds", "Queue wait.", native)
        .unwrap();
}

#[test]
fn promtool_accepts_text_output() {
    let Some(promtool) = flint_testkit::find_program("promtool") else {
        return;
    };
    let text = full_registry().encode_text();
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool rejected:\n{report}\n--- input ---\n{text}"
    );
    assert!(
        report.trim().is_empty(),
        "promtool lint findings:\n{report}\n--- input ---\n{text}"
    );
}

#[test]
fn every_format_encodes_and_text_round_trips() {
    let registry = full_registry();
    for format in [
        flint_expfmt::Format::Text,
        flint_expfmt::Format::OpenMetrics,
        flint_expfmt::Format::Protobuf,
    ] {
        let mut out = Vec::new();
        registry.encode_to(format, &mut out);
        assert!(!out.is_empty());
    }
}
