//! Prometheus durations (`model.Duration`): `1y2w3d4h5m6s7ms`, written biggest unit first.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// A duration as written in Prometheus configuration files, millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(std::time::Duration);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

impl Duration {
    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(std::time::Duration::from_secs(s))
    }

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }

    /// The standard-library duration.
    pub const fn std(self) -> std::time::Duration {
        self.0
    }

    /// Whole milliseconds.
    pub fn as_millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether the duration is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(d)
    }
}

impl FromStr for Duration {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, ValueError> {
        let bad = || ValueError(format!("not a valid duration string: {s:?}"));
        if s.is_empty() {
            return Err(ValueError("empty duration string".into()));
        }
        if s == "0" {
            return Ok(Duration::default());
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
            rest = &rest[unit.0.len()..];
            next_unit = idx + 1;
            total = n
                .checked_mul(unit.1)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| ValueError("duration out of range".into()))?;
        }
        Ok(Duration::from_millis(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return f.write_str("0s");
        }
        for (i, (unit, size)) in UNITS.into_iter().enumerate() {
            // Years and weeks only when exact, as `model.Duration.String` (90d, not 12w6d).
            if i < 2 && ms % size != 0 {
                continue;
            }
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        for (s, ms, back) in [
            ("0", 0, "0s"),
            ("0s", 0, "0s"),
            ("15s", 15_000, "15s"),
            ("90s", 90_000, "1m30s"),
            ("1h30m", 5_400_000, "1h30m"),
            ("1d", 86_400_000, "1d"),
            ("2w", 1_209_600_000, "2w"),
            ("1y", 31_536_000_000, "1y"),
            ("100ms", 100, "100ms"),
            ("1m500ms", 60_500, "1m500ms"),
            ("15d", 1_296_000_000, "15d"),
            ("2w1d", 1_296_000_000, "15d"),
            ("90d", 7_776_000_000, "90d"),
            ("1y1d", 31_622_400_000, "366d"),
            ("1y2w", 32_745_600_000, "379d"),
            ("52w1d", 31_536_000_000, "1y"),
            ("3w", 1_814_400_000, "3w"),
            ("1w1h", 608_400_000, "7d1h"),
        ] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.as_millis(), ms, "{s}");
            assert_eq!(d.to_string(), back, "{s}");
        }
        for bad in ["", "-1h", "1", "1x", "1s1m", "1.5s", "s", "1h1h"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
        assert_eq!(
            "-1h".parse::<Duration>().unwrap_err().0,
            r#"not a valid duration string: "-1h""#
        );
    }
}
