//! Byte sizes with base-2 units (`units.Base2Bytes`): `512KB`, `15MB`, `1GiB`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// A size in bytes as written in Prometheus configuration (`KB` = 1024 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

const UNITS: [(&str, u32); 7] = [
    ("B", 0),
    ("KB", 1),
    ("MB", 2),
    ("GB", 3),
    ("TB", 4),
    ("PB", 5),
    ("EB", 6),
];

fn unit_power(unit: &str) -> Option<u32> {
    let unit = unit
        .strip_suffix("iB")
        .map_or(unit.to_string(), |u| format!("{u}B"));
    UNITS.iter().find(|(u, _)| *u == unit).map(|&(_, p)| p)
}

impl ByteSize {
    /// Whether this is 0 (no limit, where used as a limit).
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
}

impl FromStr for ByteSize {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, ValueError> {
        if s == "0" {
            return Ok(ByteSize(0));
        }
        if s.starts_with('-') {
            return Err(ValueError(format!("units: negative size {s:?}")));
        }
        let mut rest = s;
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(ValueError(format!("units: invalid size {s:?}")));
            }
            let n: u64 = rest[..digits]
                .parse()
                .map_err(|_| ValueError(format!("units: invalid size {s:?}")))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            let power = unit_power(unit)
                .ok_or_else(|| ValueError(format!("units: unknown unit {unit} in {s}")))?;
            total = 1024u64
                .checked_pow(power)
                .and_then(|m| n.checked_mul(m))
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| ValueError(format!("units: size out of range {s:?}")))?;
        }
        Ok(ByteSize(total))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = self.0;
        if v == 0 {
            return f.write_str("0B");
        }
        for (unit, power) in UNITS.iter().rev() {
            let size = 1024u64.pow(*power);
            if v >= size {
                write!(f, "{}{unit}", v / size)?;
                v %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!("15MB".parse::<ByteSize>().unwrap().0, 15 << 20);
        assert_eq!("1KiB".parse::<ByteSize>().unwrap().0, 1024);
        assert_eq!("1GB512MB".parse::<ByteSize>().unwrap().0, 1536 << 20);
        assert_eq!("0".parse::<ByteSize>().unwrap().0, 0);
        assert_eq!(
            "100".parse::<ByteSize>().unwrap_err().0,
            "units: unknown unit  in 100"
        );
        assert!("-1GB".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(15 << 20).to_string(), "15MB");
    }
}
