//! Synthetic data shaped like `/work/shared/tools/targetfarm.py`: K targets (`job="farm"`,
//! `instance` per target) of M series each, 40 % counters, 40 % gauges, 20 % one classic
//! histogram family (10 buckets + `+Inf`, `_sum`, `_count`), the same label sets as the farm's
//! (metric names, label names, vocabularies), one sample every 15 s.

use flint_model::Labels;
use flint_storage::{Appendable, SeriesRef};

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];
const STATUS: &[&str] = &[
    "200", "201", "204", "301", "400", "401", "403", "404", "500", "503",
];
const ZONES: &[&str] = &[
    "eu-west-1a",
    "eu-west-1b",
    "eu-west-1c",
    "us-east-1a",
    "us-east-1b",
    "us-east-1d",
    "ap-south-1a",
    "ap-south-1b",
];
const REGIONS: &[&str] = &[
    "eu-west-1",
    "eu-central-1",
    "us-east-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
];
const HANDLERS: &[&str] = &[
    "/api/v1/users",
    "/api/v1/orders",
    "/api/v1/items",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/search",
    "/api/v2/cart",
    "/api/v2/checkout",
    "/healthz",
    "/metrics",
    "/api/v2/payments",
    "/api/v2/invoices",
];
const CODES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "UNAVAILABLE",
    "INTERNAL",
    "PERMISSION_DENIED",
];
const SERVICES: &[&str] = &[
    "user-service",
    "order-service",
    "billing-service",
    "search-api",
    "inventory-svc",
    "auth-gateway",
    "notification-svc",
    "cart-service",
];
const RPC_METHODS: &[&str] = &[
    "GetUser",
    "ListOrders",
    "CreateInvoice",
    "SearchItems",
    "UpdateCart",
    "DeleteSession",
    "Authenticate",
    "SendEmail",
];
const DIRECTIONS: &[&str] = &["ingress", "egress"];
const IFACES: &[&str] = &["eth0", "eth1", "bond0", "ens5f0", "ens5f1"];
const QUEUES: &[&str] = &[
    "email-outbound",
    "billing-events",
    "search-index",
    "audit-log",
    "image-resize",
    "webhook-dispatch",
    "order-events",
    "cache-warmup",
];
const RESULTS: &[&str] = &["success", "failure", "retried", "timeout"];
const CACHES: &[&str] = &[
    "user-sessions",
    "product-catalog",
    "price-lookup",
    "geo-ip",
    "feature-flags",
    "rate-limits",
];
const TIERS: &[&str] = &["memory", "disk-ssd", "remote"];
const SENSORS: &[&str] = &[
    "cpu-package",
    "inlet-air",
    "exhaust-air",
    "dimm-bank-a",
    "dimm-bank-b",
    "psu-primary",
    "nvme-ctrl",
];
const DATACENTERS: &[&str] = &["fra-dc01", "ams-dc02", "iad-dc03", "sin-dc04"];
const ROWS: &[&str] = &["row-a01", "row-b02", "row-c03", "row-d04", "row-e05"];
const PLANS: &[&str] = &["free-tier", "business", "enterprise"];
const BUCKETS: &[&str] = &[
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
];

/// A label's values: a vocabulary, or unique generated values `prefix-<hex>`.
#[derive(Clone, Copy)]
enum Vocab {
    Low(&'static [&'static str]),
    High(&'static str, usize),
}

use Vocab::{High, Low};

type Family = (&'static str, &'static [(&'static str, Vocab)]);

const COUNTERS: &[Family] = &[
    (
        "app_http_requests_total",
        &[
            ("method", Low(METHODS)),
            ("handler", Low(HANDLERS)),
            ("status", Low(STATUS)),
            ("zone", Low(ZONES)),
            ("pod", High("api-7f9c6d8b5", 5)),
        ],
    ),
    (
        "app_rpc_client_calls_total",
        &[
            ("service", Low(SERVICES)),
            ("rpc_method", Low(RPC_METHODS)),
            ("code", Low(CODES)),
            ("backend", High("backend", 8)),
        ],
    ),
    (
        "app_network_transmit_bytes_total",
        &[
            ("direction", Low(DIRECTIONS)),
            ("interface", Low(IFACES)),
            ("region", Low(REGIONS)),
            ("peer", High("peer-node", 8)),
        ],
    ),
    (
        "app_jobs_processed_total",
        &[
            ("queue", Low(QUEUES)),
            ("result", Low(RESULTS)),
            ("worker", High("worker", 6)),
        ],
    ),
];
const GAUGES: &[Family] = &[
    (
        "app_queue_depth",
        &[
            ("queue", Low(QUEUES)),
            ("zone", Low(ZONES)),
            ("shard", High("shard", 6)),
        ],
    ),
    (
        "app_cache_entries",
        &[
            ("cache", Low(CACHES)),
            ("tier", Low(TIERS)),
            ("region", Low(REGIONS)),
            ("node", High("cache-node", 6)),
        ],
    ),
    (
        "app_temperature_celsius",
        &[
            ("sensor", Low(SENSORS)),
            ("datacenter", Low(DATACENTERS)),
            ("rack", High("rack", 4)),
            ("row", Low(ROWS)),
        ],
    ),
    (
        "app_sessions_active",
        &[
            ("tenant", High("tenant", 8)),
            ("zone", Low(ZONES)),
            ("plan", Low(PLANS)),
        ],
    ),
];
const HISTOGRAM: Family = (
    "app_http_request_duration_seconds",
    &[
        ("handler", Low(HANDLERS)),
        ("method", Low(METHODS)),
        ("zone", Low(ZONES)),
        ("pod", High("api-7f9c6d8b5", 5)),
    ],
);
/// Series per histogram instance: the buckets, `_sum` and `_count`.
const HIST_SERIES: usize = BUCKETS.len() + 2;

/// A 64-bit mix (splitmix64), for deterministic "random" values.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hash_str(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| mix(h ^ u64::from(b)))
}

/// The farm's mixed-radix label values of instance `i` of a family.
fn label_values(labels: &[(&'static str, Vocab)], i: usize) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(labels.len());
    let mut q = i;
    for (idx, (name, vocab)) in labels.iter().enumerate() {
        let last = idx == labels.len() - 1;
        match vocab {
            High(prefix, n) => {
                let hex = format!("{:016x}", mix(hash_str(prefix) ^ q as u64));
                out.push((*name, format!("{prefix}-{}", &hex[..*n])));
            }
            Low(v) if last => {
                let (base, r) = (v[q % v.len()], q / v.len());
                out.push((
                    *name,
                    if r == 0 {
                        base.to_owned()
                    } else {
                        format!("{base}-{r}")
                    },
                ));
            }
            Low(v) => {
                out.push((*name, v[q % v.len()].to_owned()));
                q /= v.len();
            }
        }
    }
    out
}

/// How a series' values evolve.
#[derive(Clone, Copy)]
enum Kind {
    Counter {
        base: f64,
        rate: f64,
    },
    Gauge {
        scale: f64,
        smooth: bool,
        phase: f64,
    },
    /// Cumulative bucket `share` of a histogram instance's count.
    Bucket {
        base: f64,
        rate: f64,
        share: f64,
    },
    Sum {
        base: f64,
        rate: f64,
        mean: f64,
    },
    Count {
        base: f64,
        rate: f64,
    },
}

/// The series of one target, with how their values evolve.
fn target_series(target: usize, per_target: usize) -> Vec<(Labels, Kind)> {
    let n_hist = ((per_target as f64 * 0.2 / HIST_SERIES as f64).round() as usize).max(1);
    let n_rest = per_target.saturating_sub(n_hist * HIST_SERIES).max(2);
    let (n_counter, n_gauge) = (n_rest / 2, n_rest - n_rest / 2);
    let instance = format!("127.0.0.1:{}", 19100 + target);
    let mut seed = mix(target as u64 + 1);
    let mut rnd = move || {
        seed = mix(seed);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(per_target);
    let with_target = |name: &str, vals: Vec<(&'static str, String)>, extra: Option<&str>| {
        let mut pairs: Vec<(String, String)> = vec![("__name__".into(), name.into())];
        pairs.extend(vals.into_iter().map(|(k, v)| (k.to_owned(), v)));
        if let Some(le) = extra {
            pairs.push(("le".into(), le.into()));
        }
        pairs.push(("instance".into(), instance.clone()));
        pairs.push(("job".into(), "farm".into()));
        Labels::from_pairs(pairs)
    };
    let spread = |total: usize, parts: usize| {
        (0..parts).map(move |j| total / parts + usize::from(j < total % parts))
    };
    for (n, (name, labels)) in spread(n_counter, COUNTERS.len()).zip(COUNTERS) {
        for i in 0..n {
            let rates = [0.1, 0.5, 1.0, 3.0, 7.0, 25.0, 120.0, 800.0, 5000.0];
            let kind = Kind::Counter {
                base: (rnd() * 1e7).floor(),
                rate: 1.0 + rates[(rnd() * 9.0) as usize] * (0.5 + rnd()) * 10.0,
            };
            out.push((with_target(name, label_values(labels, i), None), kind));
        }
    }
    for (n, (name, labels)) in spread(n_gauge, GAUGES.len()).zip(GAUGES) {
        for i in 0..n {
            let scales = [1.0, 10.0, 100.0, 1000.0, 50000.0];
            let kind = Kind::Gauge {
                scale: scales[(rnd() * 5.0) as usize],
                smooth: rnd() < 0.5,
                phase: rnd() * std::f64::consts::TAU,
            };
            out.push((with_target(name, label_values(labels, i), None), kind));
        }
    }
    let (name, labels) = HISTOGRAM;
    for i in 0..n_hist {
        let vals = label_values(labels, i);
        let base = (rnd() * 1e6).floor();
        let rates = [0.2, 1.0, 5.0, 20.0, 100.0, 400.0];
        let rate = 1.0 + rates[(rnd() * 6.0) as usize] * (0.5 + rnd()) * 10.0;
        let mut cdf: Vec<f64> = (0..BUCKETS.len() - 1).map(|_| rnd().powf(0.35)).collect();
        cdf.sort_by(f64::total_cmp);
        cdf.push(1.0);
        for (le, share) in BUCKETS.iter().zip(cdf) {
            let kind = Kind::Bucket { base, rate, share };
            out.push((
                with_target(&format!("{name}_bucket"), vals.clone(), Some(le)),
                kind,
            ));
        }
        let mean = 0.01 + rnd() * 0.4;
        out.push((
            with_target(&format!("{name}_sum"), vals.clone(), None),
            Kind::Sum { base, rate, mean },
        ));
        out.push((
            with_target(&format!("{name}_count"), vals, None),
            Kind::Count { base, rate },
        ));
    }
    out
}

fn value(kind: Kind, n: u64, noise: u64) -> f64 {
    let r = (mix(noise) >> 11) as f64 / (1u64 << 53) as f64;
    match kind {
        Kind::Counter { base, rate } | Kind::Count { base, rate } => {
            base + (n as f64 * rate).floor()
        }
        Kind::Bucket { base, rate, share } => ((base + (n as f64 * rate).floor()) * share).floor(),
        Kind::Sum { base, rate, mean } => {
            ((base + (n as f64 * rate).floor()) * mean * 1e4).round() / 1e4
        }
        Kind::Gauge {
            scale,
            smooth: true,
            phase,
        } => (scale * (1.5 + (n as f64 / 9.0 + phase).sin()) + (r * 3.0).floor()).floor(),
        Kind::Gauge { scale, .. } => (scale * r * 1e3).round() / 1e3,
    }
}

/// Writes `scrapes` samples 15 s apart, the last at `end`, for `targets` × `per_target`
/// series: one commit per target per scrape (or every `batch` series), series references
/// cached, as a scrape loop does. Returns the number of series.
pub fn load(
    db: &dyn Appendable,
    targets: usize,
    per_target: usize,
    scrapes: u64,
    end: i64,
    batch: usize,
) -> usize {
    let mut total = 0;
    let series: Vec<Vec<(Labels, Kind)>> =
        (0..targets).map(|t| target_series(t, per_target)).collect();
    let mut refs: Vec<Vec<Option<SeriesRef>>> =
        series.iter().map(|s| vec![None; s.len()]).collect();
    for n in 0..scrapes {
        let t = end - (scrapes - 1 - n) as i64 * 15_000;
        for (target, ss) in series.iter().enumerate() {
            let mut app = db.appender();
            for (i, (labels, kind)) in ss.iter().enumerate() {
                if i > 0 && i % batch == 0 {
                    app.commit().expect("commit");
                    app = db.appender();
                }
                let noise = mix((target as u64) << 40 ^ (i as u64) << 16 ^ n);
                let r = app
                    .append(refs[target][i], labels, t, value(*kind, n, noise))
                    .expect("append");
                refs[target][i] = Some(r);
            }
            app.commit().expect("commit");
        }
    }
    for s in &series {
        total += s.len();
    }
    total
}
