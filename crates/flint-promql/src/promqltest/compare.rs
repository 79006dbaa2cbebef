//! Comparing query results with the expected values of a script.

use std::sync::Arc;

use flint_model::Labels;

use super::series::{SeqValue, SeriesDesc, hint_of};
use crate::engine::{QueryValue, SampleValue};
use crate::histogram::Hist;

const MIN_NORMAL: f64 = 2.225_073_858_507_201_4e-308;
const EPSILON: f64 = 1e-6;

/// Floats match when equal, both NaN, or within a relative 1e-6; the staleness marker only
/// matches itself.
pub fn floats_match(expected: f64, got: f64) -> bool {
    let stale = flint_model::is_stale_nan;
    if stale(expected) || stale(got) {
        return stale(expected) && stale(got);
    }
    if expected.is_nan() || got.is_nan() {
        return expected.is_nan() && got.is_nan();
    }
    if expected == got {
        return true;
    }
    let abs_sum = expected.abs() + got.abs();
    let diff = (expected - got).abs();
    if expected == 0.0 || got == 0.0 || abs_sum < MIN_NORMAL {
        return diff < EPSILON * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < EPSILON
}

fn compacted(h: &Hist) -> Hist {
    let mut h = h.clone();
    h.compact();
    h
}

/// Histograms match after compaction: same layout, counts within tolerance, and the same
/// hint if the expected literal set one.
pub fn hists_match(expected: &Hist, got: &Hist, check_hint: bool) -> bool {
    let (e, g) = (compacted(expected), compacted(got));
    let buckets = |a: &[(i32, f64)], b: &[(i32, f64)]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && floats_match(x.1, y.1))
    };
    e.schema == g.schema
        && floats_match(e.zero_threshold, g.zero_threshold)
        && e.custom_values.len() == g.custom_values.len()
        && e.custom_values
            .iter()
            .zip(g.custom_values.iter())
            .all(|(a, b)| floats_match(*a, *b))
        && floats_match(e.count, g.count)
        && floats_match(e.sum, g.sum)
        && floats_match(e.zero_count, g.zero_count)
        && buckets(&e.positive, &g.positive)
        && buckets(&e.negative, &g.negative)
        && (!check_hint || e.hint == g.hint)
}

/// A value as the script notation writes it.
pub fn show(v: &SampleValue) -> String {
    match v {
        SampleValue::Float(f) => crate::parser::format_float(*f),
        SampleValue::Histogram(h) => show_hist(h),
    }
}

fn show_hist(h: &Hist) -> String {
    let mut s = format!("{{{{schema:{} sum:{} count:{}", h.schema, h.sum, h.count);
    if h.zero_count != 0.0 || h.zero_threshold != 0.0 {
        s.push_str(&format!(
            " z_bucket:{} z_bucket_w:{}",
            h.zero_count, h.zero_threshold
        ));
    }
    let list = |b: &[(i32, f64)]| {
        b.iter()
            .map(|x| format!("{}@{}", x.1, x.0))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !h.positive.is_empty() {
        s.push_str(&format!(" buckets:[{}]", list(&h.positive)));
    }
    if !h.negative.is_empty() {
        s.push_str(&format!(" n_buckets:[{}]", list(&h.negative)));
    }
    if !h.custom_values.is_empty() {
        let cv: Vec<String> = h.custom_values.iter().map(|v| v.to_string()).collect();
        s.push_str(&format!(" custom_values:[{}]", cv.join(" ")));
    }
    s.push_str(&format!(" counter_reset_hint:{:?}}}}}", h.hint));
    s
}

fn seq_matches(expected: &SeqValue, got: &SampleValue) -> bool {
    match (expected, got) {
        (SeqValue::Float(e), SampleValue::Float(g)) => floats_match(*e, *g),
        (SeqValue::Stale, SampleValue::Float(g)) => flint_model::is_stale_nan(*g),
        (SeqValue::Histogram { h, .. }, SampleValue::Histogram(g)) => {
            hists_match(h, g, hint_of(expected).is_some())
        }
        _ => false,
    }
}

fn show_seq(v: &SeqValue) -> String {
    match v {
        SeqValue::Omitted => "_".into(),
        SeqValue::Stale => "stale".into(),
        SeqValue::Float(f) => crate::parser::format_float(*f),
        SeqValue::Histogram { h, .. } => show_hist(h),
    }
}

/// Points of one series by time.
pub type Points = Vec<(i64, SampleValue)>;

/// Compares series (each with points at `times`) with the expected lines. Returns a
/// readable difference on mismatch.
pub fn compare_series(
    expected: &[SeriesDesc],
    got: &[(Labels, Points)],
    times: &[i64],
    ordered: bool,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        let Some((pos, (_, points))) = got.iter().enumerate().find(|(_, (l, _))| *l == e.labels)
        else {
            problems.push(format!("missing series {}", e.labels));
            continue;
        };
        if ordered && pos != i {
            problems.push(format!(
                "series {} at position {pos}, expected {i}",
                e.labels
            ));
        }
        if e.values.len() > times.len() {
            problems.push(format!("{}: more expected values than steps", e.labels));
        }
        for (k, t) in times.iter().enumerate() {
            let want = e.values.get(k).unwrap_or(&SeqValue::Omitted);
            let have = points.iter().find(|p| p.0 == *t).map(|p| &p.1);
            let ok = match (want, have) {
                (SeqValue::Omitted, None) => true,
                (SeqValue::Omitted, Some(_)) | (_, None) => false,
                (w, Some(h)) => seq_matches(w, h),
            };
            if !ok {
                problems.push(format!(
                    "{} at t={}: expected {}, got {}",
                    e.labels,
                    t / 1000,
                    show_seq(want),
                    have.map_or("_".into(), show)
                ));
            }
        }
    }
    for (l, points) in got {
        if !expected.iter().any(|e| e.labels == *l) {
            let pts: Vec<String> = points
                .iter()
                .map(|p| format!("{}@{}", show(&p.1), p.0 / 1000))
                .collect();
            problems.push(format!("unexpected series {l} {}", pts.join(" ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n      "))
    }
}

/// The result as `(labels, points)` with sample times, plus the timestamps to compare.
pub fn flatten(v: &QueryValue) -> Vec<(Labels, Points)> {
    match v {
        QueryValue::Vector(samples) => samples
            .iter()
            .map(|s| (s.labels.clone(), vec![(s.t, s.value.clone())]))
            .collect(),
        QueryValue::Matrix(m) => m
            .iter()
            .map(|s| {
                let mut pts: Points = s
                    .floats
                    .iter()
                    .map(|p| (p.0, SampleValue::Float(p.1)))
                    .collect();
                pts.extend(
                    s.histograms
                        .iter()
                        .map(|p| (p.0, SampleValue::Histogram(Arc::clone(&p.1)))),
                );
                pts.sort_by_key(|p| p.0);
                (s.labels.clone(), pts)
            })
            .collect(),
        _ => Vec::new(),
    }
}
