//! Range-vector arguments: matrix selectors and subquery results, and the sliding windows
//! that range-vector functions see at each step.

use std::borrow::Cow;
use std::sync::Arc;

use flint_storage::Series as StoredSeries;

use super::selector::{load_raw, select};
use super::{Ctx, Grid, RangeSeries, Sample, Series, par_map};
use crate::error::Result;
use crate::histogram::Hist;
use crate::parser::{MatrixSelector, Span};

/// Where a range argument's samples come from.
pub(crate) enum RangeSource {
    /// Series in storage, read one at a time, in `[mint, maxt]`.
    Stored {
        series: Vec<Box<dyn StoredSeries>>,
        mint: i64,
        maxt: i64,
        /// Where to start reading in histogram-statistics mode.
        stats: Option<i64>,
    },
    /// Series already in memory (subquery results).
    Computed(Vec<RangeSeries>),
}

/// A range-vector argument of a function.
pub(crate) struct RangeArg {
    pub(crate) source: RangeSource,
    /// Length of the window (ms).
    pub(crate) range: i64,
    /// The offset (ms).
    pub(crate) offset: i64,
    /// The `@` time, if any.
    pub(crate) at: Option<i64>,
    pub(crate) anchored: bool,
    pub(crate) smoothed: bool,
    pub(crate) lookback: i64,
    /// Where the argument is in the query (for annotations).
    pub(crate) span: Span,
}

/// The samples one function call sees: those in `(start, end]` (extended by the lookback for
/// anchored and smoothed selectors).
pub(crate) struct Window<'a> {
    pub(crate) floats: &'a [(i64, f64)],
    pub(crate) hists: &'a [(i64, Arc<Hist>)],
    /// Exclusive start of the range.
    pub(crate) start: i64,
    /// Inclusive end of the range.
    pub(crate) end: i64,
    /// The evaluation time.
    pub(crate) t: i64,
    /// Length of the range (ms).
    pub(crate) range: i64,
    pub(crate) anchored: bool,
    pub(crate) smoothed: bool,
    /// Labels of the series.
    pub(crate) labels: &'a flint_model::Labels,
}

impl Window<'_> {
    /// Whether the window holds no samples.
    pub(crate) fn is_empty(&self) -> bool {
        self.floats.is_empty() && self.hists.is_empty()
    }

    /// The metric name of the series.
    pub(crate) fn name(&self) -> &str {
        self.labels.metric_name().unwrap_or("")
    }
}

impl RangeArg {
    /// Prepares a matrix selector evaluated over `grid`.
    pub(crate) fn from_matrix(ctx: &Ctx<'_>, ms: &MatrixSelector, grid: &Grid) -> Result<RangeArg> {
        let vs = &ms.selector;
        let range = ctx.positive_duration(&ms.range)?;
        let offset = match &vs.offset {
            Some(o) => ctx.duration(o)?,
            None => 0,
        };
        let at = ctx.at_time(vs.at);
        let lookback = ctx.settings.lookback;
        let (first, last) = match at {
            Some(t) => (t - offset, t - offset),
            None => (grid.start - offset, grid.end - offset),
        };
        let extra = if vs.anchored || vs.smoothed {
            lookback
        } else {
            0
        };
        let mint = first - range - extra + 1;
        let maxt = last + if vs.smoothed { lookback } else { 0 };
        let series = select(ctx, vs, mint, maxt, grid.step, range)?;
        let stats = ctx
            .settings
            .stats_selectors
            .contains(&vs.span.start)
            .then_some(ctx.settings.querier_mint);
        Ok(RangeArg {
            source: RangeSource::Stored {
                series,
                mint,
                maxt,
                stats,
            },
            range,
            offset,
            at,
            anchored: vs.anchored,
            smoothed: vs.smoothed,
            lookback,
            span: Span::new(vs.span.start, ms.end),
        })
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        match &self.source {
            RangeSource::Stored { series, .. } => series.len(),
            RangeSource::Computed(s) => s.len(),
        }
    }

    /// The samples of series `i` (read from storage if needed).
    pub(crate) fn series(&self, ctx: &Ctx<'_>, i: usize) -> Result<Cow<'_, RangeSeries>> {
        match &self.source {
            RangeSource::Stored {
                series,
                mint,
                maxt,
                stats,
            } => {
                let s = &series[i];
                let (floats, hists) = load_raw(s.as_ref(), *mint, *maxt, *stats)?;
                ctx.samples.loaded(floats.len() + hists.len());
                Ok(Cow::Owned(RangeSeries {
                    labels: s.labels().clone(),
                    drop_name: false,
                    floats,
                    hists,
                }))
            }
            RangeSource::Computed(s) => Ok(Cow::Borrowed(&s[i])),
        }
    }

    /// The reference time (window end) for evaluation time `t`.
    pub(crate) fn window_end(&self, t: i64) -> i64 {
        self.at.unwrap_or(t) - self.offset
    }

    /// Calls `f` with the window of every step of every series; collects the returned
    /// points into one output series per input series (labels kept, `drop_name` set as
    /// asked). With `invariant`, a window fixed by `@` is computed once and repeated.
    pub(crate) fn map_windows<F>(
        &self,
        ctx: &Ctx<'_>,
        grid: &Grid,
        drop_name: bool,
        invariant: bool,
        f: F,
    ) -> Result<Vec<Series>>
    where
        F: Fn(&Window<'_>, usize) -> Option<Sample> + Sync,
    {
        let idx: Vec<usize> = (0..self.len()).collect();
        let n = grid.len();
        let out = par_map(&idx, ctx.settings.threads, |&i| {
            ctx.check()?;
            let rs = self.series(ctx, i)?;
            let mut out = Series::new(rs.labels.clone(), drop_name || rs.drop_name);
            let mut lo = 0;
            let (mut hlo, mut hhi, mut hi) = (0, 0, 0);
            let mut max_window = 0usize;
            let steps = if invariant && self.at.is_some() {
                1.min(n)
            } else {
                n
            };
            for step in 0..steps {
                let t = grid.t(step);
                let end = self.window_end(t);
                let start = end - self.range;
                let (lo_t, hi_t) = self.bounds(start, end);
                // Windows only move forward (or stay put with `@`).
                while lo < rs.floats.len() && rs.floats[lo].0 <= lo_t {
                    lo += 1;
                }
                hi = hi.max(lo);
                while hi < rs.floats.len() && rs.floats[hi].0 <= hi_t {
                    hi += 1;
                }
                while hlo < rs.hists.len() && rs.hists[hlo].0 <= lo_t {
                    hlo += 1;
                }
                hhi = hhi.max(hlo);
                while hhi < rs.hists.len() && rs.hists[hhi].0 <= hi_t {
                    hhi += 1;
                }
                let (floats, hists) = if self.anchored || self.smoothed {
                    extended(
                        &rs.floats[lo..hi],
                        &rs.hists[hlo..hhi],
                        start,
                        end,
                        self.smoothed,
                    )
                } else {
                    (&rs.floats[lo..hi], &rs.hists[hlo..hhi])
                };
                let w = Window {
                    floats,
                    hists,
                    start,
                    end,
                    t,
                    range: self.range,
                    anchored: self.anchored,
                    smoothed: self.smoothed,
                    labels: &rs.labels,
                };
                max_window = max_window.max(w.floats.len() + w.hists.len());
                if w.is_empty() {
                    continue;
                }
                if let Some(s) = f(&w, step) {
                    out.push(step as u32, s);
                }
            }
            if steps < n {
                out = super::selector::repeat(out, n);
            }
            ctx.samples.add(max_window)?;
            ctx.samples.sub(max_window);
            ctx.samples.add(out.sample_count())?;
            Ok(out)
        })?;
        Ok(out.into_iter().filter(|s| !s.is_empty()).collect())
    }

    /// `(lower, upper]` sample times of a window.
    fn bounds(&self, start: i64, end: i64) -> (i64, i64) {
        let lo = if self.anchored || self.smoothed {
            start - self.lookback
        } else {
            start
        };
        let hi = if self.smoothed {
            end + self.lookback
        } else {
            end
        };
        (lo, hi)
    }

    /// The samples of each series in the window ending at the (single) step of `grid`, as
    /// an instant query of a range vector returns them.
    pub(crate) fn top_level_matrix(&self, ctx: &Ctx<'_>, grid: &Grid) -> Result<Vec<RangeSeries>> {
        let end = self.window_end(grid.start);
        let start = end - self.range;
        let mut out = Vec::new();
        for i in 0..self.len() {
            let rs = match &self.source {
                RangeSource::Stored {
                    series,
                    mint,
                    maxt,
                    stats,
                } => {
                    let s = &series[i];
                    let (floats, hists) = load_raw(s.as_ref(), *mint, *maxt, *stats)?;
                    RangeSeries {
                        labels: s.labels().clone(),
                        drop_name: false,
                        floats,
                        hists,
                    }
                }
                RangeSource::Computed(s) => s[i].clone(),
            };
            let keep = |t: i64| t > start && t <= end;
            let floats: Vec<_> = rs.floats.into_iter().filter(|p| keep(p.0)).collect();
            let hists: Vec<_> = rs.hists.into_iter().filter(|p| keep(p.0)).collect();
            if floats.is_empty() && hists.is_empty() {
                continue;
            }
            let n = floats.len() + hists.iter().map(|(_, h)| h.sample_size()).sum::<usize>();
            if let RangeSource::Stored { .. } = self.source {
                ctx.samples.loaded(floats.len() + hists.len());
            }
            ctx.samples.add(n)?;
            out.push(RangeSeries {
                labels: rs.labels,
                drop_name: rs.drop_name,
                floats,
                hists,
            });
        }
        Ok(out)
    }
}

/// The float and histogram samples of a window.
type WindowSlices<'a> = (&'a [(i64, f64)], &'a [(i64, Arc<Hist>)]);

/// An `anchored` window keeps, of the samples at or before its start, only the last one (of
/// either kind); a `smoothed` one also keeps, of those after its end, only the first.
fn extended<'a>(
    floats: &'a [(i64, f64)],
    hists: &'a [(i64, Arc<Hist>)],
    start: i64,
    end: i64,
    smoothed: bool,
) -> WindowSlices<'a> {
    let f_lo = floats.partition_point(|p| p.0 <= start);
    let h_lo = hists.partition_point(|p| p.0 <= start);
    let anchor = match (f_lo.checked_sub(1), h_lo.checked_sub(1)) {
        (Some(i), Some(j)) => floats[i].0.max(hists[j].0),
        (Some(i), None) => floats[i].0,
        (None, Some(j)) => hists[j].0,
        (None, None) => i64::MIN,
    };
    let f_lo = floats.partition_point(|p| p.0 < anchor);
    let h_lo = hists.partition_point(|p| p.0 < anchor);
    let (mut f_hi, mut h_hi) = (floats.len(), hists.len());
    if smoothed {
        let fe = floats.partition_point(|p| p.0 <= end);
        let he = hists.partition_point(|p| p.0 <= end);
        let next = match (floats.get(fe), hists.get(he)) {
            (Some(a), Some(b)) => a.0.min(b.0),
            (Some(a), None) => a.0,
            (None, Some(b)) => b.0,
            (None, None) => i64::MAX,
        };
        f_hi = floats.partition_point(|p| p.0 <= next);
        h_hi = hists.partition_point(|p| p.0 <= next);
    }
    (&floats[f_lo..f_hi.max(f_lo)], &hists[h_lo..h_hi.max(h_lo)])
}
