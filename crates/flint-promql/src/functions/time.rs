//! Time functions: `time`, `timestamp`, `start`, `end`, `step`, `range` and the calendar
//! functions (`hour`, `day_of_week`, `year`, …), in UTC.

use crate::error::Result;
use crate::eval::{Ctx, Grid, Sample, Series, Value};
use crate::parser::{Call, Expr};

use super::map_floats;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let n = grid.len();
    let s = &ctx.settings;
    let scalar = |v: f64| Value::Scalar(vec![v; n]);
    Ok(Some(match name {
        "time" => Value::Scalar((0..n).map(|i| grid.t(i) as f64 / 1000.0).collect()),
        "start" => scalar(s.query_start as f64 / 1000.0),
        "end" => scalar(s.query_end as f64 / 1000.0),
        "step" => scalar(s.query_step as f64 / 1000.0),
        "range" => scalar((s.query_end - s.query_start) as f64 / 1000.0),
        // The storage contract carries no start timestamps (nor do computed series upstream):
        // there is nothing to return. The argument is still evaluated for its errors.
        "start_timestamp" => {
            ctx.eval_vector(&call.args[0], grid)?;
            return Ok(Some(Value::Vector(Vec::new())));
        }
        "timestamp" => {
            if let Expr::Vector(vs) = call.args[0].unparen() {
                let v = crate::eval::selector_timestamps(ctx, vs, grid)?;
                return Ok(Some(Value::Vector(v)));
            }
            let v = ctx.eval_vector(&call.args[0], grid)?;
            let out = v
                .into_iter()
                .map(|s| {
                    let mut o = Series::new(s.labels.clone(), true);
                    for (step, _) in s.points() {
                        o.push(step, Sample::Float(grid.t(step as usize) as f64 / 1000.0));
                    }
                    o
                })
                .collect();
            Value::Vector(out)
        }
        _ => {
            let Some(f) = calendar(name) else {
                return Ok(None);
            };
            match call.args.first() {
                None => {
                    let mut s = Series::new(flint_model::Labels::empty(), false);
                    for i in 0..n {
                        s.push(i as u32, Sample::Float(f(grid.t(i) / 1000)));
                    }
                    Value::Vector(vec![s])
                }
                Some(a) => {
                    let v = ctx.eval_vector(a, grid)?;
                    Value::Vector(map_floats(v, |x| f(go_int64(x))))
                }
            }
        }
    }))
}

/// Go's `int64(f)` conversion (truncation; NaN and overflow give the minimum).
fn go_int64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        return i64::MIN;
    }
    f as i64
}

fn calendar(name: &str) -> Option<fn(i64) -> f64> {
    Some(match name {
        "minute" => |s| (s.rem_euclid(3600) / 60) as f64,
        "hour" => |s| (s.rem_euclid(86_400) / 3600) as f64,
        "day_of_week" => |s| ((s.div_euclid(86_400) + 4).rem_euclid(7)) as f64,
        "day_of_month" => |s| civil(s).2 as f64,
        "month" => |s| civil(s).1 as f64,
        "year" => |s| civil(s).0 as f64,
        "day_of_year" => |s| {
            let (y, m, d) = civil(s);
            (days_before_month(y, m) + i64::from(d)) as f64
        },
        "days_in_month" => |s| {
            let (y, m, _) = civil(s);
            days_in_month(y, m) as f64
        },
        _ => return None,
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

fn days_before_month(y: i64, m: u32) -> i64 {
    (1..m).map(|mm| days_in_month(y, mm)).sum()
}

/// Year, month and day of the Unix time `secs` (UTC).
pub(crate) fn civil(secs: i64) -> (i64, u32, u32) {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(951_782_400), (2000, 2, 29));
        assert_eq!(civil(-1), (1969, 12, 31));
        let f = calendar("day_of_year").expect("known");
        assert_eq!(f(951_782_400), 60.0);
        assert_eq!(calendar("day_of_week").expect("known")(0), 4.0);
    }
}
