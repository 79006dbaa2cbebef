//! ULIDs: 48-bit millisecond timestamp and 80 random bits, in Crockford base32 (26 characters),
//! as Prometheus names its blocks.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID. Ordering follows creation time (to the millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ulid(pub u128);

impl Ulid {
    /// A new ULID for the current time.
    pub fn new() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self::with_timestamp(ms)
    }

    /// A ULID with timestamp `ms` (milliseconds since the epoch) and fresh random bits.
    pub fn with_timestamp(ms: u64) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut words = [0u64; 2];
        for (i, w) in words.iter_mut().enumerate() {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(n);
            h.write_u64(ms);
            h.write_usize(i);
            *w = h.finish();
        }
        let random = (u128::from(words[0]) << 64 | u128::from(words[1])) & ((1u128 << 80) - 1);
        Ulid((u128::from(ms & ((1 << 48) - 1)) << 80) | random)
    }

    /// The timestamp part, in milliseconds since the epoch.
    pub fn timestamp_ms(self) -> u64 {
        (self.0 >> 80) as u64
    }
}

impl Default for Ulid {
    fn default() -> Self {
        Ulid::new()
    }
}

impl fmt::Display for Ulid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 26];
        for (i, c) in out.iter_mut().enumerate() {
            let shift = 125 - 5 * i as u32;
            *c = ALPHABET[((self.0 >> shift) & 31) as usize];
        }
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Why a string is not a ULID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ULID {0:?}")]
pub struct ParseUlidError(pub String);

impl FromStr for Ulid {
    type Err = ParseUlidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseUlidError(s.to_owned());
        if s.len() != 26 {
            return Err(err());
        }
        let mut v = 0u128;
        for (i, b) in s.bytes().enumerate() {
            let d = decode_char(b).ok_or_else(err)?;
            if i == 0 && d > 7 {
                return Err(err()); // Would overflow 128 bits.
            }
            v = (v << 5) | u128::from(d);
        }
        Ok(Ulid(v))
    }
}

fn decode_char(b: u8) -> Option<u8> {
    let b = b.to_ascii_uppercase();
    let b = match b {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET.iter().position(|c| *c == b).map(|p| p as u8)
}

impl serde::Serialize for Ulid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ulid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = Ulid::with_timestamp(1_700_000_000_000);
        let b = Ulid::with_timestamp(1_700_000_000_001);
        assert!(a < b);
        assert_ne!(a, Ulid::with_timestamp(1_700_000_000_000));
        let s = a.to_string();
        assert_eq!(s.len(), 26);
        assert_eq!(s.parse::<Ulid>().unwrap(), a);
        assert_eq!(a.timestamp_ms(), 1_700_000_000_000);
        // A ULID produced by Prometheus.
        let p: Ulid = "01BKGV7JBM69T2G1BGBGM6KB12".parse().unwrap();
        assert_eq!(p.to_string(), "01BKGV7JBM69T2G1BGBGM6KB12");
        assert!("8ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<Ulid>().is_err());
        assert!("short".parse::<Ulid>().is_err());
        assert!("01BKGV7JBM69T2G1BGBGM6KB1U".parse::<Ulid>().is_err());
    }
}
