//! Prometheus durations (`1h30m`, `5d`, `250ms`) as written in config files.

use std::fmt;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration in Prometheus's `model.Duration` syntax: units `y w d h m s ms`, each at most
/// once and in that order; `0` alone is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub StdDuration);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl Duration {
    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(StdDuration::from_millis(ms))
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(StdDuration::from_secs(s))
    }

    /// Parses Prometheus's syntax; the error message is upstream's.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("not a valid duration string: {s:?}");
        if s == "0" {
            return Ok(Duration::default());
        }
        if s.is_empty() {
            return Err(bad());
        }
        let mut rest = s;
        let mut total: u64 = 0;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            // "ms" must be tried before "m".
            let (idx, unit) = UNITS
                .iter()
                .enumerate()
                .skip(next_unit)
                .filter(|(_, (u, _))| rest.starts_with(u))
                .max_by_key(|(_, (u, _))| u.len())
                .ok_or_else(bad)?;
            if rest[unit.0.len()..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                return Err(bad());
            }
            rest = &rest[unit.0.len()..];
            total = n
                .checked_mul(unit.1)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| "duration out of range".to_string())?;
            next_unit = idx + 1;
        }
        Ok(Duration::from_millis(total))
    }

    /// The standard-library duration.
    pub fn std(self) -> StdDuration {
        self.0
    }
}

/// Formats like `model.Duration.String()`: largest units first, `0s` for zero.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis() as u64;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in UNITS {
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses a Go `time.ParseDuration` string (`1m30s`, `1.5h`, `300ms`), as some integrations use.
pub fn parse_go_duration(s: &str) -> Result<StdDuration, String> {
    let bad = || format!("time: invalid duration {s:?}");
    if s == "0" {
        return Ok(StdDuration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() || rest.starts_with('-') {
        return Err(bad());
    }
    let mut secs = 0f64;
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .bytes()
            .take_while(|b| !b.is_ascii_digit() && *b != b'.')
            .count();
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        secs += value * scale;
    }
    Ok(StdDuration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        for (s, ms) in [
            ("0", 0),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1d", 86_400_000),
            ("1w2d", 9 * 86_400_000),
            ("1y", 365 * 86_400_000),
            ("1m1ms", 60_001),
        ] {
            assert_eq!(Duration::parse(s), Ok(Duration::from_millis(ms)), "{s}");
        }
        assert_eq!(Duration::from_millis(5_400_000).to_string(), "1h30m");
        assert_eq!(Duration::from_millis(0).to_string(), "0s");
        assert_eq!(Duration::from_millis(1500).to_string(), "1s500ms");
    }

    #[test]
    fn rejects_bad() {
        for s in ["", "5", "m", "1m1h", "1.5h", "5mm", "-1m", "1hh"] {
            assert!(Duration::parse(s).is_err(), "{s}");
        }
        assert_eq!(
            Duration::parse("x").unwrap_err(),
            "not a valid duration string: \"x\""
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m30s"), Ok(StdDuration::from_secs(90)));
        assert_eq!(
            parse_go_duration("1.5s"),
            Ok(StdDuration::from_millis(1500))
        );
        assert!(parse_go_duration("1x").is_err());
    }
}
