//! Bit streams: bits are written and read most-significant first within each byte.

/// Appends bits to a byte vector.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits still free in the last byte (0 means the next bit starts a new byte).
    free: u8,
}

impl BitWriter {
    /// A writer that continues after `bytes` (byte-aligned).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        BitWriter { bytes, free: 0 }
    }

    /// A writer that continues right after the first `bits` bits of `bytes` (later bytes
    /// are dropped, the unused bits of the last byte must be zero).
    pub fn resume(mut bytes: Vec<u8>, bits: usize) -> Self {
        bytes.truncate(bits.div_ceil(8));
        let free = ((8 - bits % 8) % 8) as u8;
        BitWriter { bytes, free }
    }

    /// The bytes written so far; a partial last byte is padded with zero bits.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Mutable access to the bytes (to patch a header).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Consumes the writer, returning the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        self.free -= 1;
        if bit && let Some(last) = self.bytes.last_mut() {
            *last |= 1 << self.free;
        }
    }

    /// Writes a whole byte.
    ///
    /// Like Prometheus's `bstream.writeByte`, this always leaves a fresh last byte allocated
    /// (holding the spill-over bits, or none): a chunk that ends right after a whole-byte write
    /// carries one trailing zero byte, and matching that keeps chunks identical byte for byte.
    #[inline]
    pub fn write_byte(&mut self, byte: u8) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if let Some(last) = self.bytes.last_mut() {
            *last |= byte >> (8 - self.free);
        }
        self.bytes
            .push(((u16::from(byte) << self.free) & 0xff) as u8);
    }

    /// Writes the lowest `n` bits of `value`, most significant first (`n <= 64`): whole bytes
    /// first, then the remaining bits, in the same order (and with the same byte allocation)
    /// as Prometheus.
    #[inline]
    pub fn write_bits(&mut self, value: u64, n: u8) {
        let n = n.min(64);
        let rem = n % 8;
        let mut shift = n;
        while shift > rem {
            shift -= 8;
            self.write_byte((value >> shift) as u8);
        }
        if rem > 0 {
            let bits = (value & ((1u64 << rem) - 1)) as u8;
            self.write_small(bits, rem);
        }
    }

    /// Writes `n < 8` bits at once, exactly as `n` single-bit writes would.
    #[inline]
    fn write_small(&mut self, bits: u8, n: u8) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if n <= self.free {
            self.free -= n;
            if let Some(last) = self.bytes.last_mut() {
                *last |= bits << self.free;
            }
        } else {
            let spill = n - self.free;
            if let Some(last) = self.bytes.last_mut() {
                *last |= bits >> spill;
            }
            self.free = 8 - spill;
            self.bytes.push(bits << self.free);
        }
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
    pub fn remaining(&self) -> usize {
        self.bytes.len() * 8 - self.pos
    }

    /// Reads one bit, `None` at the end.
    #[inline]
    pub fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = byte & (0x80 >> (self.pos % 8)) != 0;
        self.pos += 1;
        Some(bit)
    }

    /// Reads `n` bits (`n <= 64`) as the low bits of a `u64`, `None` if fewer remain.
    #[inline]
    pub fn read_bits(&mut self, mut n: u8) -> Option<u64> {
        if usize::from(n) > self.remaining() {
            return None;
        }
        let mut value = 0u64;
        while n > 0 {
            let byte = self.bytes[self.pos / 8];
            let offset = (self.pos % 8) as u8;
            let avail = 8 - offset;
            let take = n.min(avail);
            let bits = (byte << offset) >> (8 - take);
            value = if take == 64 { 0 } else { value << take } | u64::from(bits);
            self.pos += usize::from(take);
            n -= take;
        }
        Some(value)
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

    proptest! {
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
