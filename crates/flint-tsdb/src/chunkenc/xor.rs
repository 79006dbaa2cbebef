//! The XOR float chunk: delta-of-delta timestamps and XOR-compressed values (Gorilla), laid out
//! exactly as Prometheus's `chunks.md` describes so chunks are interchangeable byte for byte.
//!
//! Layout: a big-endian `u16` sample count, then a bit stream. Sample 0 is a zig-zag varint
//! timestamp and the raw 64-bit value; sample 1 a uvarint timestamp delta and an XOR value;
//! later samples a variable-width delta-of-delta and an XOR value.

use super::bstream::{BitReader, BitWriter, write_uvarint, write_varint};
use crate::error::{Error, Result};
use flint_model::Sample;

/// Bytes of the sample-count header.
const HEADER_BYTES: usize = 2;
/// Marks "no previous leading-zero count" for the first XOR value.
pub(crate) const NO_LEADING: u8 = 0xff;

/// A complete XOR chunk: its encoded bytes (header included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorChunk {
    bytes: Vec<u8>,
}

impl XorChunk {
    /// Wraps encoded bytes (as read from disk). Decoding errors surface while iterating.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < HEADER_BYTES {
            return Err(corrupt("shorter than its header"));
        }
        Ok(XorChunk { bytes })
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The chunk's bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Number of samples.
    pub fn num_samples(&self) -> usize {
        usize::from(u16::from_be_bytes([self.bytes[0], self.bytes[1]]))
    }

    /// Iterates the samples in order.
    pub fn iter(&self) -> XorIterator<'_> {
        XorIterator::new(&self.bytes)
    }
}

/// Builds an XOR chunk one sample at a time.
#[derive(Debug, Clone)]
pub struct XorAppender {
    w: BitWriter,
    num: u16,
    leading: u8,
    trailing: u8,
    t: i64,
    t_delta: u64,
    v: f64,
}

impl Default for XorAppender {
    fn default() -> Self {
        // Room for a typical chunk up front, as Prometheus allocates (no regrowth per sample).
        Self::with_capacity(128)
    }
}

impl XorAppender {
    /// An empty chunk with room for `bytes` bytes before it reallocates (the head sizes a
    /// series' next chunk after its last one).
    pub fn with_capacity(bytes: usize) -> Self {
        XorAppender {
            w: BitWriter::with_prefix(&[0; HEADER_BYTES], bytes.max(HEADER_BYTES)),
            num: 0,
            leading: NO_LEADING,
            trailing: 0,
            t: 0,
            t_delta: 0,
            v: 0.0,
        }
    }

    /// An empty chunk.
    pub fn new() -> Self {
        Self::default()
    }

    /// An appender continuing an existing chunk (a head chunk reopened after a restart), its
    /// state rebuilt by reading the chunk to its end: the bytes appended afterwards are those
    /// of an appender that never stopped. Also returns the timestamp of sample `nth`
    /// (0-based), if the chunk has that many.
    pub fn from_chunk(bytes: Vec<u8>, nth: usize) -> Result<(XorAppender, Option<i64>)> {
        let mut it = XorIterator::new(&bytes);
        let mut nth_t = None;
        for (i, s) in it.by_ref().enumerate() {
            let s = s?;
            if i == nth {
                nth_t = Some(s.t);
            }
        }
        let (leading, trailing) = if it.window {
            (it.leading, it.trailing)
        } else {
            (NO_LEADING, 0)
        };
        let (num, t, t_delta, v) = (it.read, it.t, it.t_delta, it.v);
        let bits = HEADER_BYTES * 8 + it.r.position();
        let app = XorAppender {
            w: BitWriter::resume(bytes, bits),
            num,
            leading,
            trailing,
            t,
            t_delta,
            v,
        };
        Ok((app, nth_t))
    }

    /// Samples appended so far.
    #[inline]
    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// Encoded size so far, in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        self.w.len()
    }

    /// Bytes allocated for the chunk.
    pub fn capacity(&self) -> usize {
        self.w.capacity()
    }

    /// Timestamp of the last sample, if any.
    pub fn last_timestamp(&self) -> Option<i64> {
        (self.num > 0).then_some(self.t)
    }

    /// Timestamp and value bits of the last sample, if any.
    #[inline]
    pub fn last_sample(&self) -> Option<(i64, u64)> {
        (self.num > 0).then_some((self.t, self.v.to_bits()))
    }

    /// Appends a sample. Timestamps must not go backwards (callers check ordering); the chunk
    /// holds at most `u16::MAX` samples.
    #[inline]
    pub fn append(&mut self, t: i64, v: f64) -> Result<()> {
        match self.num {
            0 => {
                write_varint(&mut self.w, t);
                self.w.write_bits(v.to_bits(), 64);
            }
            1 => {
                self.t_delta = t.wrapping_sub(self.t) as u64;
                write_uvarint(&mut self.w, self.t_delta);
                xor_write(
                    &mut self.w,
                    v,
                    self.v,
                    &mut self.leading,
                    &mut self.trailing,
                );
            }
            u16::MAX => {
                return Err(Error::ChunkFull {
                    samples: usize::from(self.num),
                });
            }
            _ => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                write_dod(&mut self.w, dod);
                self.t_delta = t_delta;
                xor_write(
                    &mut self.w,
                    v,
                    self.v,
                    &mut self.leading,
                    &mut self.trailing,
                );
            }
        }
        self.t = t;
        self.v = v;
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        let header = self.w.bytes_mut();
        header[0] = hi;
        header[1] = lo;
        Ok(())
    }

    /// The chunk's bytes as they stand.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// The chunk as it stands.
    pub fn chunk(&self) -> XorChunk {
        XorChunk {
            bytes: self.w.bytes().to_vec(),
        }
    }

    /// Finishes the chunk.
    pub fn into_chunk(self) -> XorChunk {
        XorChunk {
            bytes: self.w.into_bytes(),
        }
    }
}

fn write_dod(w: &mut BitWriter, dod: i64) {
    if dod == 0 {
        w.write_bit(false);
    } else if fits_in(dod, 14) {
        w.write_joined(0b10 << 14 | (dod as u64 & 0x3fff), 16, 14);
    } else if fits_in(dod, 17) {
        w.write_joined(0b110 << 17 | (dod as u64 & 0x1_ffff), 20, 17);
    } else if fits_in(dod, 20) {
        w.write_joined(0b1110 << 20 | (dod as u64 & 0xf_ffff), 24, 20);
    } else {
        w.write_bits(0b1111, 4);
        w.write_bits(dod as u64, 64);
    }
}

/// Writes `v` XOR-ed with the previous value `cur`, reusing the previous window of leading and
/// trailing zeros when it fits (Prometheus's `xorWrite`, shared by the XOR chunk and the sums,
/// counts and buckets of histogram chunks).
#[inline]
pub(crate) fn xor_write(w: &mut BitWriter, v: f64, cur: f64, leading: &mut u8, trailing: &mut u8) {
    let delta = v.to_bits() ^ cur.to_bits();
    if delta == 0 {
        w.write_bit(false);
        return;
    }
    let new_leading = (delta.leading_zeros() as u8).min(31);
    let new_trailing = delta.trailing_zeros() as u8;
    if *leading != NO_LEADING && new_leading >= *leading && new_trailing >= *trailing {
        // Control bits 10, then the significant bits in the previous window.
        let sig = 64 - *leading - *trailing;
        let bits = delta >> *trailing;
        if sig <= 62 {
            w.write_joined(0b10 << sig | bits, sig + 2, sig);
        } else {
            w.write_bits(0b10, 2);
            w.write_bits(bits, sig);
        }
        return;
    }
    *leading = new_leading;
    *trailing = new_trailing;
    let sig = 64 - new_leading - new_trailing;
    // Control bits 11, 5 bits of leading zeros, 6 bits of significant bits (64 written as 0).
    let head = 0b11 << 11 | u64::from(new_leading) << 6 | u64::from(sig & 0x3f);
    let bits = delta >> new_trailing;
    if sig <= 51 {
        w.write_joined(head << sig | bits, 13 + sig, sig);
    } else {
        w.write_joined(head, 13, 6);
        w.write_bits(bits, sig);
    }
}

/// Reads a value written by [`xor_write`] into `value`; true when a new window of leading
/// and trailing zeros was read.
#[inline]
pub(crate) fn xor_read(
    r: &mut BitReader<'_>,
    value: &mut f64,
    leading: &mut u8,
    trailing: &mut u8,
) -> std::result::Result<bool, &'static str> {
    const TRUNCATED: &str = "truncated value";
    let fresh = match r.read_unary(2).ok_or(TRUNCATED)? {
        0 => return Ok(false),
        1 => false,
        _ => {
            let head = r.read_bits(11).ok_or(TRUNCATED)?;
            let lead = (head >> 6) as u8;
            let mut sig = (head & 0x3f) as u8;
            if sig == 0 {
                sig = 64;
            }
            if u16::from(lead) + u16::from(sig) > 64 {
                return Err("leading and significant bits exceed 64");
            }
            *leading = lead;
            *trailing = 64 - lead - sig;
            true
        }
    };
    let sig = 64u8.saturating_sub(leading.saturating_add(*trailing));
    let bits = r.read_bits(sig).ok_or(TRUNCATED)?;
    let shifted = if *trailing >= 64 {
        0
    } else {
        bits << *trailing
    };
    *value = f64::from_bits(value.to_bits() ^ shifted);
    Ok(fresh)
}

/// Whether `x` fits the signed `nbits`-wide range Prometheus uses: `[-(2^(n-1) - 1), 2^(n-1)]`.
#[inline]
pub(crate) fn fits_in(x: i64, nbits: u8) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

/// Iterates the samples of an XOR chunk.
#[derive(Debug, Clone)]
pub struct XorIterator<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    t: i64,
    t_delta: u64,
    v: f64,
    leading: u8,
    trailing: u8,
    /// A value window (leading/trailing zeros) was read.
    window: bool,
    failed: bool,
}

impl<'a> XorIterator<'a> {
    /// An iterator over encoded chunk bytes (header included).
    pub fn new(bytes: &'a [u8]) -> Self {
        let total = match bytes {
            [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
            _ => 0,
        };
        XorIterator {
            r: BitReader::new(bytes.get(HEADER_BYTES..).unwrap_or_default()),
            total,
            read: 0,
            t: 0,
            t_delta: 0,
            v: 0.0,
            leading: 0,
            trailing: 0,
            window: false,
            failed: false,
        }
    }

    /// Number of samples in the chunk.
    pub fn total(&self) -> usize {
        usize::from(self.total)
    }

    /// Decodes the next sample into `(t, v)` without wrapping it; `Ok(false)` at the end.
    #[inline]
    pub fn advance(&mut self) -> Result<bool> {
        if self.failed || self.read >= self.total {
            return Ok(false);
        }
        match self.read_next() {
            Ok(()) => Ok(true),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// The sample last decoded by [`XorIterator::advance`].
    #[inline]
    pub fn at(&self) -> (i64, f64) {
        (self.t, self.v)
    }

    #[inline]
    fn read_next(&mut self) -> Result<()> {
        match self.read {
            0 => {
                self.t = self
                    .r
                    .read_varint()
                    .ok_or_else(|| corrupt("truncated first timestamp"))?;
                let bits = self
                    .r
                    .read_bits(64)
                    .ok_or_else(|| corrupt("truncated first value"))?;
                self.v = f64::from_bits(bits);
            }
            1 => {
                self.t_delta = self
                    .r
                    .read_uvarint()
                    .ok_or_else(|| corrupt("truncated delta"))?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                let dod = self
                    .read_dod()
                    .ok_or_else(|| corrupt("truncated timestamp"))?;
                self.t_delta = (self.t_delta as i64).wrapping_add(dod) as u64;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        self.read += 1;
        Ok(())
    }

    #[inline]
    fn read_dod(&mut self) -> Option<i64> {
        let size: u8 = match self.r.read_unary(4)? {
            0 => return Some(0),
            1 => 14,
            2 => 17,
            3 => 20,
            _ => 64,
        };
        let bits = self.r.read_bits(size)?;
        if size != 64 && bits > 1 << (size - 1) {
            return Some((bits as i64) - (1i64 << size));
        }
        Some(bits as i64)
    }

    #[inline]
    fn read_value(&mut self) -> Result<()> {
        let fresh = xor_read(
            &mut self.r,
            &mut self.v,
            &mut self.leading,
            &mut self.trailing,
        )
        .map_err(|reason| Error::CorruptChunk {
            encoding: "XOR",
            reason,
        })?;
        self.window |= fresh;
        Ok(())
    }
}

impl Iterator for XorIterator<'_> {
    type Item = Result<Sample>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(true) => Some(Ok(Sample {
                t: self.t,
                v: self.v,
            })),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

fn corrupt(reason: &'static str) -> Error {
    Error::CorruptChunk {
        encoding: "XOR",
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(samples: &[(i64, f64)]) -> XorChunk {
        let mut app = XorAppender::new();
        for (t, v) in samples {
            app.append(*t, *v).unwrap();
        }
        app.into_chunk()
    }

    #[test]
    fn a_reopened_chunk_continues_bit_for_bit() {
        let samples: Vec<(i64, f64)> = (0..100)
            .map(|i| (1000 + i * 15_000 + (i % 3), ((i * 37) % 11) as f64 * 0.25))
            .collect();
        let mut whole = XorAppender::new();
        for (t, v) in &samples {
            whole.append(*t, *v).unwrap();
        }
        for cut in [1, 2, 3, 17, 60, 99] {
            let mut first = XorAppender::new();
            for (t, v) in &samples[..cut] {
                first.append(*t, *v).unwrap();
            }
            let bytes = first.into_chunk().bytes().to_vec();
            let (mut resumed, nth) = XorAppender::from_chunk(bytes, 0).unwrap();
            assert_eq!(nth, Some(samples[0].0));
            for (t, v) in &samples[cut..] {
                resumed.append(*t, *v).unwrap();
            }
            assert_eq!(
                resumed.chunk().bytes(),
                whole.chunk().bytes(),
                "cut at {cut}"
            );
        }
        let (empty, nth) =
            XorAppender::from_chunk(XorAppender::new().chunk().bytes().to_vec(), 0).unwrap();
        assert_eq!((empty.num_samples(), nth), (0, None));
    }

    #[test]
    fn known_bytes_for_a_regular_series() {
        // 3 samples at a 15s step, constant value: header, varint ts, raw value, uvarint
        // delta, a '0' bit for the unchanged value, a '0' dod bit and a '0' value bit.
        let chunk = encode(&[(1000, 1.0), (16000, 1.0), (31000, 1.0)]);
        let mut expected = vec![0, 3, 0xd0, 0x0f]; // count 3; zigzag(1000)=2000 as uvarint
        expected.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
        expected.extend_from_slice(&[0x98, 0x75]); // uvarint(15000)
        // Whole-byte writes leave an empty byte allocated, which the next bits fill:
        expected.push(0b0000_0000); // value '0', dod '0', value '0', padding
        assert_eq!(chunk.bytes(), expected.as_slice());
    }

    #[test]
    fn empty_and_truncated_chunks() {
        assert_eq!(encode(&[]).iter().count(), 0);
        let chunk = encode(&[(1, 1.0), (2, 2.0), (3, 7.5)]);
        let mut bytes = chunk.bytes().to_vec();
        bytes.truncate(bytes.len() - 2);
        let broken = XorChunk::from_bytes(bytes).unwrap();
        let results: Vec<_> = broken.iter().collect();
        assert!(results.last().unwrap().is_err());
        assert!(XorChunk::from_bytes(vec![1]).is_err());
    }

    #[test]
    fn stale_nan_survives() {
        let stale = flint_model::STALE_NAN;
        let chunk = encode(&[(1, 1.0), (2, stale), (3, 2.0)]);
        let got: Vec<_> = chunk.iter().map(|s| s.unwrap().v.to_bits()).collect();
        assert_eq!(
            got,
            vec![1.0f64.to_bits(), stale.to_bits(), 2.0f64.to_bits()]
        );
    }

    fn samples() -> impl Strategy<Value = Vec<(i64, f64)>> {
        let step = prop_oneof![
            Just(15_000i64),
            0i64..100,
            0i64..10_000_000,
            0i64..i64::MAX / 1024
        ];
        let value = prop_oneof![
            any::<f64>(),
            (0u32..1000).prop_map(f64::from),
            Just(f64::NAN),
            Just(f64::INFINITY),
        ];
        (
            any::<i32>(),
            proptest::collection::vec((step, value), 0..300),
        )
            .prop_map(|(start, steps)| {
                let mut t = i64::from(start);
                steps
                    .into_iter()
                    .map(|(d, v)| {
                        t = t.saturating_add(d);
                        (t, v)
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn round_trip(input in samples()) {
            let chunk = encode(&input);
            prop_assert_eq!(chunk.num_samples(), input.len());
            let got: Vec<(i64, u64)> = chunk.iter().map(|s| s.map(|s| (s.t, s.v.to_bits()))).collect::<Result<_>>().unwrap();
            let want: Vec<(i64, u64)> = input.iter().map(|(t, v)| (*t, v.to_bits())).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(chunk) = XorChunk::from_bytes(bytes) {
                for s in chunk.iter() { let _ = s; }
            }
        }
    }
}
