//! Bit streams: bits are written and read most-significant first within each byte.
//!
//! The writer reproduces the byte layout of Prometheus's `bstream` exactly, including one
//! quirk: a write whose length is a whole number of bytes (`writeByte` upstream) always leaves a
//! fresh, empty last byte allocated, so a chunk that ends right after such a write carries one
//! trailing zero byte. Matching that keeps chunks identical byte for byte.
//!
//! Internally bits are OR-ed into a zeroed buffer eight bytes at a time; the logical length
//! follows from the number of bits written and whether the last write was whole bytes.

/// Bytes kept zeroed past the logical end so a write can touch a whole 64-bit window.
const SLACK: usize = 9;

/// Appends bits to a byte buffer.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    /// Zero beyond the bits written; at least [`SLACK`] bytes longer than the logical length
    /// once anything was written.
    buf: Box<[u8]>,
    /// Bits written, counted from the start of the buffer.
    bits: u32,
    /// The last write was a whole number of bytes: an extra empty byte counts as written.
    pad: bool,
}

impl BitWriter {
    /// A writer that continues after `bytes` (byte-aligned), with room for `capacity` bytes.
    pub fn with_prefix(bytes: &[u8], capacity: usize) -> Self {
        let mut buf = vec![0u8; capacity.max(bytes.len()) + SLACK];
        buf[..bytes.len()].copy_from_slice(bytes);
        BitWriter {
            buf: buf.into_boxed_slice(),
            bits: (bytes.len() * 8) as u32,
            pad: false,
        }
    }

    /// A writer that continues after `bytes` (byte-aligned).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self::with_prefix(&bytes, bytes.len())
    }

    /// A writer that continues right after the first `bits` bits of `bytes` (later bits are
    /// cleared). A trailing empty byte in `bytes` is kept, as the writer that produced it would.
    pub fn resume(bytes: Vec<u8>, bits: usize) -> Self {
        let used = bits.div_ceil(8).min(bytes.len());
        let pad = bits.is_multiple_of(8) && bytes.len() == bits / 8 + 1;
        let mut w = Self::with_prefix(&bytes[..used], bytes.len());
        w.bits = bits.min(used * 8) as u32;
        if let Some(last) = w
            .buf
            .get_mut(used.wrapping_sub(1))
            .filter(|_| !bits.is_multiple_of(8))
        {
            *last &= 0xff << (8 - bits % 8);
        }
        w.pad = pad;
        w
    }

    /// Bytes of the stream, Prometheus's way: whole-byte writes leave an empty byte behind.
    #[inline]
    pub fn len(&self) -> usize {
        let bits = self.bits as usize;
        if self.pad {
            bits / 8 + 1
        } else {
            bits.div_ceil(8)
        }
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> usize {
        self.bits as usize
    }

    /// Bytes allocated (the buffer's size).
    pub fn capacity(&self) -> usize {
        self.buf.len().saturating_sub(SLACK)
    }

    /// The bytes written so far; a partial last byte is padded with zero bits.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len().min(self.buf.len())]
    }

    /// Mutable access to the bytes (to patch a header).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let n = self.len().min(self.buf.len());
        &mut self.buf[..n]
    }

    /// Consumes the writer, returning the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        let n = self.len().min(self.buf.len());
        let mut v = self.buf.into_vec();
        v.truncate(n);
        v
    }

    /// Makes sure `extra` more bits fit without touching memory past the buffer.
    #[inline]
    fn reserve_bits(&mut self, extra: u32) {
        let need = (self.bits + extra) as usize / 8 + SLACK;
        if need > self.buf.len() {
            self.grow(need);
        }
    }

    #[cold]
    fn grow(&mut self, need: usize) {
        // Grow by half again: chunk sizes are predictable, doubling wastes memory.
        let target = need.max(self.buf.len() + self.buf.len() / 2).max(32);
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.reserve_exact(target - v.len());
        v.resize(target, 0);
        self.buf = v.into_boxed_slice();
    }

    /// Writes one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.reserve_bits(1);
        let pos = self.bits as usize;
        if bit {
            self.buf[pos / 8] |= 0x80 >> (pos % 8);
        }
        self.bits += 1;
        self.pad = false;
    }

    /// Writes a whole byte.
    #[inline]
    pub fn write_byte(&mut self, byte: u8) {
        self.write_bits(u64::from(byte), 8);
    }

    /// Writes the lowest `n` bits of `value`, most significant first (`1 <= n <= 64`).
    #[inline]
    pub fn write_bits(&mut self, value: u64, n: u8) {
        self.write_joined(value, n, n);
    }

    /// Writes `n` bits that Prometheus writes as two or more `writeBits` calls, the last one
    /// of `last` bits (which decides whether an empty trailing byte is left behind).
    #[inline]
    pub fn write_joined(&mut self, value: u64, n: u8, last: u8) {
        let n = u32::from(n.clamp(1, 64));
        self.reserve_bits(n);
        let pos = self.bits as usize;
        let (at, off) = (pos / 8, (pos % 8) as u32);
        // Top-align the value, then place it `off` bits into the byte at `at`.
        let top = value << (64 - n);
        let window = &mut self.buf[at..at + 8];
        let mut word = u64::from_be_bytes([
            window[0], window[1], window[2], window[3], window[4], window[5], window[6], window[7],
        ]);
        word |= top >> off;
        window.copy_from_slice(&word.to_be_bytes());
        if off + n > 64 {
            self.buf[at + 8] |= ((top << (64 - off)) >> 56) as u8;
        }
        self.bits += n;
        self.pad = last.is_multiple_of(8);
    }
}

/// Reads bits from a byte slice.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start.
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader over `bytes`, starting at bit `0`.
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    /// Bits read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bits not read yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        (self.bytes.len() * 8).saturating_sub(self.pos)
    }

    /// The 64 bits starting at the current position (zeros past the end).
    #[inline]
    fn peek64(&self) -> u64 {
        let at = self.pos / 8;
        let off = (self.pos % 8) as u32;
        let (hi, lo) = match self.bytes.get(at..at + 9) {
            Some(w) => (
                u64::from_be_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
                w[8],
            ),
            None => {
                let mut w = [0u8; 9];
                let rest = self.bytes.get(at..).unwrap_or_default();
                w[..rest.len()].copy_from_slice(rest);
                (
                    u64::from_be_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
                    w[8],
                )
            }
        };
        if off == 0 {
            hi
        } else {
            (hi << off) | (u64::from(lo) >> (8 - off))
        }
    }

    /// Reads one bit, `None` at the end.
    #[inline]
    pub fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = byte & (0x80 >> (self.pos % 8)) != 0;
        self.pos += 1;
        Some(bit)
    }

    /// Counts consecutive one bits (at most `max`), consuming them and the zero that ends the
    /// run (if the run is shorter than `max`). `None` if the stream ends first.
    #[inline]
    pub fn read_unary(&mut self, max: u32) -> Option<u32> {
        let ones = (!self.peek64()).leading_zeros().min(max);
        let used = ones as usize + usize::from(ones < max);
        if used > self.remaining() {
            return None;
        }
        self.pos += used;
        Some(ones)
    }

    /// Reads `n` bits (`n <= 64`) as the low bits of a `u64`, `None` if fewer remain.
    #[inline]
    pub fn read_bits(&mut self, n: u8) -> Option<u64> {
        let n = usize::from(n);
        if n > self.remaining() {
            return None;
        }
        if n == 0 {
            return Some(0);
        }
        let v = self.peek64() >> (64 - n);
        self.pos += n;
        Some(v)
    }

    /// Reads a whole byte.
    #[inline]
    pub fn read_byte(&mut self) -> Option<u8> {
        self.read_bits(8).map(|b| b as u8)
    }

    /// Reads a Go `binary.Uvarint`.
    pub fn read_uvarint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.read_byte()?;
            if shift == 63 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Reads a Go `binary.Varint` (zig-zag).
    pub fn read_varint(&mut self) -> Option<i64> {
        let u = self.read_uvarint()?;
        Some(zigzag_decode(u))
    }
}

/// Writes a Go `binary.PutUvarint`.
pub fn write_uvarint(w: &mut BitWriter, mut v: u64) {
    while v >= 0x80 {
        w.write_byte((v as u8) | 0x80);
        v >>= 7;
    }
    w.write_byte(v as u8);
}

/// Writes a Go `binary.PutVarint` (zig-zag).
pub fn write_varint(w: &mut BitWriter, v: i64) {
    write_uvarint(w, ((v << 1) ^ (v >> 63)) as u64);
}

fn zigzag_decode(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Prometheus's `bstream`, bit by bit, as the reference for the windowed writer.
    #[derive(Default)]
    struct Reference {
        stream: Vec<u8>,
        count: u8,
    }

    impl Reference {
        fn bit(&mut self, b: bool) {
            if self.count == 0 {
                self.stream.push(0);
                self.count = 8;
            }
            let i = self.stream.len() - 1;
            if b {
                self.stream[i] |= 1 << (self.count - 1);
            }
            self.count -= 1;
        }
        fn byte(&mut self, b: u8) {
            if self.count == 0 {
                self.stream.push(0);
                self.count = 8;
            }
            let i = self.stream.len() - 1;
            self.stream[i] |= b >> (8 - self.count);
            self.stream
                .push(((u16::from(b) << self.count) & 0xff) as u8);
        }
        fn bits(&mut self, mut u: u64, mut n: u8) {
            u <<= 64 - u32::from(n);
            while n >= 8 {
                self.byte((u >> 56) as u8);
                u <<= 8;
                n -= 8;
            }
            while n > 0 {
                self.bit(u >> 63 == 1);
                u <<= 1;
                n -= 1;
            }
        }
    }

    #[test]
    fn bits_are_msb_first() {
        let mut w = BitWriter::default();
        w.write_bit(true);
        w.write_bits(0b01, 2);
        assert_eq!(w.bytes(), &[0b1010_0000]);
        // A whole byte spills into a freshly allocated byte, as Prometheus's bstream does.
        let mut aligned = BitWriter::default();
        aligned.write_byte(0xff);
        assert_eq!(aligned.bytes(), &[0xff, 0x00]);
        w.write_bits(0xABCD, 16);
        let mut r = BitReader::new(w.bytes());
        assert_eq!(r.read_bit(), Some(true));
        assert_eq!(r.read_bits(2), Some(0b01));
        assert_eq!(r.read_bits(16), Some(0xABCD));
    }

    #[test]
    fn resume_keeps_position_and_trailing_byte() {
        let mut w = BitWriter::from_bytes(vec![0, 0]);
        w.write_bits(0b101, 3);
        w.write_byte(0xAA);
        let bytes = w.bytes().to_vec();
        let mut r = BitWriter::resume(bytes.clone(), w.bit_len());
        assert_eq!(r.bytes(), bytes.as_slice());
        w.write_bits(0x3, 2);
        r.write_bits(0x3, 2);
        assert_eq!(r.bytes(), w.bytes());
    }

    proptest! {
        #[test]
        fn same_bytes_as_prometheus(ops in proptest::collection::vec((any::<u64>(), 1u8..=64), 0..60)) {
            let mut w = BitWriter::from_bytes(vec![0, 0]);
            let mut r = Reference { stream: vec![0, 0], count: 0 };
            for (v, n) in &ops {
                if *n == 1 {
                    w.write_bit(v & 1 == 1);
                    r.bit(v & 1 == 1);
                } else {
                    w.write_bits(*v, *n);
                    r.bits(*v & if *n == 64 { u64::MAX } else { (1 << n) - 1 }, *n);
                }
                prop_assert_eq!(w.bytes(), r.stream.as_slice());
            }
        }

        #[test]
        fn round_trip(fields in proptest::collection::vec((any::<u64>(), 1u8..=64), 0..50),
                      varints in proptest::collection::vec(any::<i64>(), 0..10)) {
            let mut w = BitWriter::default();
            for (v, n) in &fields {
                w.write_bits(*v, *n);
            }
            for v in &varints {
                write_varint(&mut w, *v);
            }
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for (v, n) in &fields {
                let mask = if *n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                prop_assert_eq!(r.read_bits(*n), Some(v & mask));
            }
            for v in &varints {
                prop_assert_eq!(r.read_varint(), Some(*v));
            }
        }
    }
}
