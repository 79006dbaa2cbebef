//! `load` and `load_with_nhcb`: writing series into the storage as scrapes would.

use std::collections::HashMap;
use std::sync::Arc;

use flint_model::{CounterResetHint, Labels, STALE_NAN};
use flint_storage::{Appendable, HistogramSample};

use super::series::{SeqValue, SeriesDesc};
use crate::histogram::Hist;

/// What was last written to a series, to derive the counter reset hints the TSDB's chunk
/// encoding reports on reading.
#[derive(Debug, Clone)]
pub(crate) enum Last {
    Float,
    Hist(Arc<Hist>),
}

/// Writes one load block. `last` remembers the newest sample of every series.
pub(crate) fn load(
    storage: &dyn Appendable,
    last: &mut HashMap<Labels, Last>,
    step: i64,
    nhcb: bool,
    series: &[SeriesDesc],
    emulate_hints: bool,
) -> Result<(), String> {
    // Within a block a later line for the same series replaces an earlier one.
    let mut order: Vec<&Labels> = Vec::new();
    let mut lines: HashMap<&Labels, &SeriesDesc> = HashMap::new();
    for s in series.iter().filter(|s| !s.start_timestamps) {
        if lines.insert(&s.labels, s).is_none() {
            order.push(&s.labels);
        }
    }
    let mut app = storage.appender();
    for labels in &order {
        let s = lines[labels];
        for (i, v) in s.values.iter().enumerate() {
            let t = i as i64 * step;
            append(app.as_mut(), last, labels, t, v, emulate_hints)?;
        }
    }
    if nhcb {
        for (labels, values) in classic_to_nhcb(&order, &lines) {
            for (i, v) in values.into_iter().enumerate() {
                if let Some(h) = v {
                    let v = SeqValue::Histogram {
                        h: Arc::new(h),
                        hint_given: false,
                    };
                    append(
                        app.as_mut(),
                        last,
                        &labels,
                        i as i64 * step,
                        &v,
                        emulate_hints,
                    )?;
                }
            }
        }
    }
    app.commit().map_err(|e| e.to_string())
}

fn append(
    app: &mut dyn flint_storage::Appender,
    last: &mut HashMap<Labels, Last>,
    labels: &Labels,
    t: i64,
    v: &SeqValue,
    emulate_hints: bool,
) -> Result<(), String> {
    let res = match v {
        SeqValue::Omitted => return Ok(()),
        SeqValue::Float(f) => {
            last.insert(labels.clone(), Last::Float);
            app.append(None, labels, t, *f)
        }
        SeqValue::Stale => {
            last.insert(labels.clone(), Last::Float);
            app.append(None, labels, t, STALE_NAN)
        }
        SeqValue::Histogram { h, .. } => {
            let mut h = (**h).clone();
            if emulate_hints {
                h.hint = read_hint(last.get(labels), &h);
            }
            let shared = Arc::new(h);
            last.insert(labels.clone(), Last::Hist(shared.clone()));
            app.append_histogram(None, labels, t, HistogramSample::Float(&shared.to_model()))
        }
    };
    match res {
        Ok(_) => Ok(()),
        Err(e) if e.is_per_sample() => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// The hint a TSDB reader reports for `h` appended after `prev`: gauges stay gauges; the
/// first histogram of a chunk says whether the chunk was cut for a counter reset; later ones
/// are "not a reset".
fn read_hint(prev: Option<&Last>, h: &Hist) -> CounterResetHint {
    if h.hint == CounterResetHint::Gauge {
        return CounterResetHint::Gauge;
    }
    match prev {
        Some(Last::Hist(p)) if p.hint != CounterResetHint::Gauge => {
            if h.hint == CounterResetHint::CounterReset {
                CounterResetHint::CounterReset
            } else if h.detect_reset(p) {
                // Upstream's reader reports the first histogram of a chunk cut for a
                // detected reset as unknown (prometheus/prometheus#15346).
                CounterResetHint::Unknown
            } else if p.uses_custom_buckets() != h.uses_custom_buckets() {
                CounterResetHint::Unknown
            } else {
                CounterResetHint::NotCounterReset
            }
        }
        _ => {
            if h.hint == CounterResetHint::CounterReset {
                CounterResetHint::CounterReset
            } else {
                CounterResetHint::Unknown
            }
        }
    }
}

type NhcbSeries = Vec<(Labels, Vec<Option<Hist>>)>;

/// Converts classic histograms (`_bucket`, `_count`, `_sum`) into custom-bucket native
/// histograms under the base name.
fn classic_to_nhcb(order: &[&Labels], lines: &HashMap<&Labels, &SeriesDesc>) -> NhcbSeries {
    struct Acc {
        labels: Labels,
        buckets: Vec<(f64, Vec<SeqValue>)>,
        count: Option<Vec<SeqValue>>,
        sum: Option<Vec<SeqValue>>,
    }
    let mut accs: Vec<Acc> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut entry = |base: Labels| -> usize {
        *index.entry(base.clone()).or_insert_with(|| {
            accs.push(Acc {
                labels: base,
                buckets: Vec::new(),
                count: None,
                sum: None,
            });
            accs.len() - 1
        })
    };
    let mut parts: Vec<(usize, &str, Option<f64>, &SeriesDesc)> = Vec::new();
    for labels in order {
        let s = lines[labels];
        let name = labels.metric_name().unwrap_or("");
        let (base, kind) = if let Some(b) = name.strip_suffix("_bucket") {
            (b, "bucket")
        } else if let Some(b) = name.strip_suffix("_count") {
            (b, "count")
        } else if let Some(b) = name.strip_suffix("_sum") {
            (b, "sum")
        } else {
            continue;
        };
        let le = labels.get("le").and_then(|v| v.parse::<f64>().ok());
        if kind == "bucket" && le.is_none() {
            continue;
        }
        let mut b = labels.builder();
        b.set("__name__", base);
        b.del("le");
        let i = entry(b.build());
        parts.push((i, kind, le, s));
    }
    for (i, kind, le, s) in parts {
        let a = &mut accs[i];
        match (kind, le) {
            ("bucket", Some(le)) => a.buckets.push((le, s.values.clone())),
            ("count", _) => a.count = Some(s.values.clone()),
            _ => a.sum = Some(s.values.clone()),
        }
    }
    let float = |v: Option<&SeqValue>| match v {
        Some(SeqValue::Float(f)) => Some(*f),
        _ => None,
    };
    let mut out = Vec::new();
    for mut a in accs {
        if a.buckets.is_empty() {
            continue;
        }
        a.buckets
            .sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
        let len = a.buckets.iter().map(|b| b.1.len()).max().unwrap_or(0);
        let mut values = Vec::with_capacity(len);
        for t in 0..len {
            let cums: Vec<(f64, Option<f64>)> = a
                .buckets
                .iter()
                .map(|(le, v)| (*le, float(v.get(t))))
                .collect();
            if cums.iter().all(|c| c.1.is_none()) {
                values.push(None);
                continue;
            }
            let bounds: Vec<f64> = cums
                .iter()
                .map(|c| c.0)
                .filter(|le| le.is_finite())
                .collect();
            let mut h = Hist {
                schema: flint_model::histogram::CUSTOM_BUCKETS_SCHEMA,
                custom_values: Arc::from(bounds),
                ..Hist::default()
            };
            let mut prev = 0.0;
            for (i, (_, c)) in cums.iter().enumerate() {
                let c = c.unwrap_or(prev);
                h.positive.push((i as i32, c - prev));
                prev = c;
            }
            h.count = a
                .count
                .as_ref()
                .and_then(|v| float(v.get(t)))
                .unwrap_or(prev);
            h.sum = a.sum.as_ref().and_then(|v| float(v.get(t))).unwrap_or(0.0);
            h.compact();
            values.push(Some(h));
        }
        out.push((a.labels, values));
    }
    out
}
