//! The range graph as SVG, drawn on the server: one `<path class="series">` per series,
//! gaps where a series has no point at a step, axes with round ticks, and the points as
//! JSON beside it for the hover read-out (`ui.js`).

use std::collections::BTreeMap;
use std::fmt::Write;

use flint_promql::engine::Series;

/// The drawing area, in SVG user units (the SVG scales to the page width).
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 360.0;
/// Room for the y labels on the left and the x labels below.
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
const RIGHT: f64 = 10.0;

/// Colours of the series, in turn (readable on white, distinct for the common cases).
pub const PALETTE: &[&str] = &[
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The colour of series `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// What the graph shows.
pub struct Graph<'a> {
    /// The series, in legend order.
    pub series: &'a [Series],
    /// The range (milliseconds).
    pub start: i64,
    /// End of the range.
    pub end: i64,
    /// Step between points.
    pub step: i64,
    /// Whether values are stacked (each series drawn on top of those before it).
    pub stacked: bool,
}

/// The points to draw, per series: `(t, y)` with stacking applied.
fn points(g: &Graph<'_>) -> Vec<Vec<(i64, f64)>> {
    if !g.stacked {
        return g
            .series
            .iter()
            .map(|s| {
                s.floats
                    .iter()
                    .filter(|(_, v)| v.is_finite())
                    .copied()
                    .collect()
            })
            .collect();
    }
    let mut base: BTreeMap<i64, f64> = BTreeMap::new();
    g.series
        .iter()
        .map(|s| {
            s.floats
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|&(t, v)| {
                    let b = base.entry(t).or_insert(0.0);
                    *b += v;
                    (t, *b)
                })
                .collect()
        })
        .collect()
}

/// Round tick values covering `[lo, hi]`, about `n` of them.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || span.is_infinite() {
        return vec![lo];
    }
    let raw = span / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 && out.len() < 4 * n {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

/// A tick value with at most 4 significant digits and an SI suffix for large ones.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    let (d, suffix) = match a {
        a if a >= 1e12 => (1e12, "T"),
        a if a >= 1e9 => (1e9, "G"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let s = format!("{:.4}", v / d);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{suffix}")
}

/// Time ticks: round minutes, hours or days, labelled in UTC.
fn time_ticks(start: i64, end: i64) -> Vec<(i64, String)> {
    const STEPS: &[i64] = &[
        1_000,
        5_000,
        15_000,
        60_000,
        300_000,
        900_000,
        1_800_000,
        3_600_000,
        10_800_000,
        21_600_000,
        43_200_000,
        86_400_000,
        604_800_000,
    ];
    let span = (end - start).max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or(604_800_000);
    let mut t = start.div_euclid(step) * step;
    if t < start {
        t += step;
    }
    let mut out = Vec::new();
    while t <= end {
        let ts = jiff::Timestamp::from_millisecond(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let fmt = if step >= 86_400_000 {
            "%m-%d"
        } else if step < 60_000 {
            "%H:%M:%S"
        } else {
            "%H:%M"
        };
        out.push((t, ts.strftime(fmt).to_string()));
        t += step;
    }
    out
}

/// The SVG of `g`, with one `data-series` path per series that has points.
pub fn svg(g: &Graph<'_>) -> String {
    let pts = points(g);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(_, v) in pts.iter().flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if g.stacked || lo > 0.0 && lo < hi * 0.5 {
        lo = lo.min(0.0);
    }
    if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let yt = ticks(lo, hi, 5);
    lo = lo.min(yt.first().copied().unwrap_or(lo));
    hi = hi.max(yt.last().copied().unwrap_or(hi));
    let (w, h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let span = (g.end - g.start).max(1) as f64;
    let x = |t: i64| LEFT + (t - g.start) as f64 / span * w;
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * h;

    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<svg id=\"graph\" class=\"graph\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"graph of {} series\" data-start=\"{}\" data-end=\"{}\" \
         data-left=\"{LEFT}\" data-width=\"{w}\" xmlns=\"http://www.w3.org/2000/svg\">",
        pts.iter().filter(|p| !p.is_empty()).count(),
        g.start,
        g.end
    );
    out.push_str("<g class=\"axis\">");
    for v in &yt {
        let yy = y(*v);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            short_number(*v)
        );
    }
    for (t, label) in time_ticks(g.start, g.end) {
        let xx = x(t);
        let _ = write!(
            out,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{}\"/>\
             <text x=\"{xx:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            TOP + h,
            HEIGHT - 6.0
        );
    }
    out.push_str("</g>");
    // A gap wider than 1.5 steps starts a new segment, so missing points show as breaks.
    let gap = g.step.max(1) * 3 / 2;
    for (i, p) in pts.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        let mut d = String::with_capacity(p.len() * 14);
        let near = |a: i64, b: i64| (a - b).abs() <= gap;
        for (j, &(t, v)) in p.iter().enumerate() {
            let after_gap = j == 0 || !near(t, p[j - 1].0);
            let cmd = if after_gap { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{:.1} {:.1}", x(t), y(v));
            // A point with no neighbour on either side would draw nothing: make it a dot
            // (a short stroke with round caps).
            if after_gap && p.get(j + 1).is_none_or(|n| !near(n.0, t)) {
                d.push_str("h0.1");
            }
        }
        let _ = write!(
            out,
            "<path class=\"series\" data-series=\"{i}\" stroke=\"{}\" d=\"{d}\"/>",
            colour(i)
        );
    }
    out.push_str(
        "<line id=\"cursor\" class=\"cursor\" x1=\"-10\" x2=\"-10\" y1=\"0\" y2=\"340\"/></svg>",
    );
    out
}

/// The points as JSON (`[[t, v], ...]` per series, `null` for non-finite values), for the
/// hover read-out.
pub fn points_json(series: &[Series]) -> String {
    let mut out = String::from("[");
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, (t, v)) in s.floats.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            if v.is_finite() {
                let _ = write!(out, "[{t},{v}]");
            } else {
                let _ = write!(out, "[{t},null]");
            }
        }
        out.push(']');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flint_model::Labels;

    fn series(points: &[(i64, f64)]) -> Series {
        Series {
            labels: Labels::from_pairs([("__name__", "x")]),
            floats: points.to_vec(),
            histograms: Vec::new(),
        }
    }

    #[test]
    fn one_path_per_series_with_gaps_as_moves() {
        let s = [
            series(&[(0, 1.0), (1000, 2.0), (5000, 3.0)]),
            series(&[(0, 5.0)]),
            series(&[]),
        ];
        let g = Graph {
            series: &s,
            start: 0,
            end: 5000,
            step: 1000,
            stacked: false,
        };
        let out = svg(&g);
        assert_eq!(out.matches("class=\"series\"").count(), 2);
        assert!(out.contains("aria-label=\"graph of 2 series\""));
        let first = out.split("data-series=\"0\"").nth(1).unwrap();
        let d = first
            .split("d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
    }

    #[test]
    fn stacking_adds_up_at_each_step() {
        let s = [series(&[(0, 1.0), (1, 2.0)]), series(&[(0, 3.0), (1, 4.0)])];
        let g = Graph {
            series: &s,
            start: 0,
            end: 1,
            step: 1,
            stacked: true,
        };
        assert_eq!(points(&g)[1], vec![(0, 4.0), (1, 6.0)]);
    }

    #[test]
    fn round_ticks_and_labels() {
        let labels: Vec<String> = ticks(0.0, 1.0, 5).into_iter().map(short_number).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(short_number(1_500_000.0), "1.5M");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(-20_000.0), "-20k");
        let t = time_ticks(0, 3_600_000);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("00:00"));
        assert!(t.len() <= 9);
    }

    #[test]
    fn points_as_json() {
        let s = [series(&[(1, 0.5), (2, f64::NAN)])];
        assert_eq!(points_json(&s), "[[[1,0.5],[2,null]]]");
    }
}
