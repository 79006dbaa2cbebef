//! Native histogram literals: `{{schema:0 sum:5 count:4 buckets:[1 2 1] offset:-1}}`.

use std::sync::Arc;

use flint_model::CounterResetHint;

use crate::histogram::Hist;

fn number(s: &str) -> Result<f64, String> {
    match s {
        "Inf" | "+Inf" | "inf" | "+inf" => Ok(f64::INFINITY),
        "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        "NaN" | "nan" => Ok(f64::NAN),
        _ => s
            .parse::<f64>()
            .map_err(|_| format!("invalid number {s:?} in histogram")),
    }
}

/// Parses a literal; returns the histogram and whether it set `counter_reset_hint`.
pub fn parse(s: &str) -> Result<(Hist, bool), String> {
    let inner = s
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .ok_or_else(|| format!("invalid histogram literal {s:?}"))?;
    let mut h = Hist::default();
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let (mut offset, mut n_offset) = (0i32, 0i32);
    let mut hint_given = false;
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (key, r) = rest
            .split_once(':')
            .ok_or_else(|| format!("missing `:` for histogram descriptor in {s:?}"))?;
        let key = key.trim();
        let r = r.trim_start();
        let (value, r) = if let Some(list) = r.strip_prefix('[') {
            let end = list.find(']').ok_or("unterminated bucket list")?;
            (&list[..end], &list[end + 1..])
        } else {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            (&r[..end], &r[end..])
        };
        rest = r.trim_start();
        let list =
            || -> Result<Vec<f64>, String> { value.split_whitespace().map(number).collect() };
        match key {
            "schema" => {
                h.schema = value
                    .parse()
                    .map_err(|_| format!("invalid schema {value:?}"))?
            }
            "sum" => h.sum = number(value)?,
            "count" => h.count = number(value)?,
            "z_bucket" => h.zero_count = number(value)?,
            "z_bucket_w" => h.zero_threshold = number(value)?,
            "offset" => {
                offset = value
                    .parse()
                    .map_err(|_| format!("invalid offset {value:?}"))?
            }
            "n_offset" => {
                n_offset = value
                    .parse()
                    .map_err(|_| format!("invalid offset {value:?}"))?
            }
            "buckets" => pos = list()?,
            "n_buckets" => neg = list()?,
            "custom_values" => h.custom_values = Arc::from(list()?),
            "counter_reset_hint" => {
                hint_given = true;
                h.hint = match value {
                    "unknown" => CounterResetHint::Unknown,
                    "reset" => CounterResetHint::CounterReset,
                    "not_reset" => CounterResetHint::NotCounterReset,
                    "gauge" => CounterResetHint::Gauge,
                    other => return Err(format!("invalid counter reset hint {other:?}")),
                };
            }
            other => return Err(format!("bad histogram descriptor found: {other:?}")),
        }
    }
    h.positive = pos
        .into_iter()
        .enumerate()
        .map(|(i, c)| (offset + i as i32, c))
        .collect();
    h.negative = neg
        .into_iter()
        .enumerate()
        .map(|(i, c)| (n_offset + i as i32, c))
        .collect();
    Ok((h, hint_given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_fields() {
        let (h, given) = parse(
            "{{schema:1 sum:-0.3 count:3.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:-3 n_buckets:[4.1 5] n_offset:-5 counter_reset_hint:gauge}}",
        )
        .expect("valid");
        assert!(given);
        assert_eq!(h.schema, 1);
        assert_eq!(h.positive, vec![(-3, 5.1), (-2, 10.0), (-1, 7.0)]);
        assert_eq!(h.negative, vec![(-5, 4.1), (-4, 5.0)]);
        assert_eq!(h.hint, CounterResetHint::Gauge);
        let (h, given) =
            parse("{{schema:-53 custom_values:[0.1 0.2] buckets:[1 2 3]}}").expect("valid");
        assert!(!given && h.uses_custom_buckets());
        assert!(parse("{{bogus:1}}").is_err());
    }
}
