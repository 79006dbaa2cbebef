//! `changes` and `resets`.

use crate::error::Result;
use crate::eval::{Ctx, Grid, RangeArg, Series, Window};

use super::float;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ctx: &Ctx<'_>,
    name: &str,
    arg: &RangeArg,
    grid: &Grid,
) -> Result<Option<Vec<Series>>> {
    let resets = match name {
        "resets" => true,
        "changes" => false,
        _ => return Ok(None),
    };
    let out = arg.map_windows(ctx, grid, true, true, |w, _| count(w, resets))?;
    Ok(Some(out))
}

/// Counts changes (or counter resets) between consecutive samples of either kind.
fn count(w: &Window<'_>, resets: bool) -> Option<crate::eval::Sample> {
    if w.anchored {
        // The window holds the anchor (at or before its start) and what follows; without a
        // sample inside the range there is nothing to count.
        let last_f = w.floats.last().map_or(i64::MIN, |p| p.0);
        let last_h = w.hists.last().map_or(i64::MIN, |p| p.0);
        if last_f.max(last_h) <= w.start {
            return None;
        }
    }
    let (floats, hists) = (w.floats, w.hists);
    let (mut i, mut j) = (0, 0);
    let mut prev: Option<(Option<f64>, Option<&crate::histogram::Hist>)> = None;
    let mut n = 0u64;
    while i < floats.len() || j < hists.len() {
        let take_float = j >= hists.len() || (i < floats.len() && floats[i].0 < hists[j].0);
        let cur: (Option<f64>, Option<&crate::histogram::Hist>) = if take_float {
            i += 1;
            (Some(floats[i - 1].1), None)
        } else {
            j += 1;
            (None, Some(&hists[j - 1].1))
        };
        if let Some(p) = prev {
            let counted = match (p, cur) {
                ((Some(a), None), (Some(b), None)) => {
                    if resets {
                        b < a
                    } else {
                        b != a && !(a.is_nan() && b.is_nan())
                    }
                }
                ((None, Some(a)), (None, Some(b))) => {
                    if resets {
                        b.detect_reset(a)
                    } else {
                        !b.equals(a)
                    }
                }
                _ => true,
            };
            if counted {
                n += 1;
            }
        }
        prev = Some(cur);
    }
    float(n as f64)
}
