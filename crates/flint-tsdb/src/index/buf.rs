//! Byte encoding helpers shared by the index, chunk and tombstone files: big-endian integers,
//! Go-compatible varints and length-prefixed strings, all bounds-checked when decoding.

/// CRC32-Castagnoli of `data`, as every checksum in a block uses.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// An append-only encoding buffer.
#[derive(Debug, Default, Clone)]
pub(crate) struct Encbuf {
    pub(crate) b: Vec<u8>,
}

impl Encbuf {
    pub(crate) fn reset(&mut self) {
        self.b.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }

    pub(crate) fn put_byte(&mut self, x: u8) {
        self.b.push(x);
    }

    pub(crate) fn put_be32(&mut self, x: u32) {
        self.b.extend_from_slice(&x.to_be_bytes());
    }

    pub(crate) fn put_be64(&mut self, x: u64) {
        self.b.extend_from_slice(&x.to_be_bytes());
    }

    pub(crate) fn put_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.b.push((x as u8) | 0x80);
            x >>= 7;
        }
        self.b.push(x as u8);
    }

    /// Zig-zag encoded signed varint, as Go's `binary.PutVarint`.
    pub(crate) fn put_varint(&mut self, x: i64) {
        self.put_uvarint(((x << 1) ^ (x >> 63)) as u64);
    }

    pub(crate) fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.b.extend_from_slice(s.as_bytes());
    }

    /// Appends the CRC32 of everything in the buffer from `start`.
    pub(crate) fn put_crc_from(&mut self, start: usize) {
        let sum = crc32(self.b.get(start..).unwrap_or_default());
        self.put_be32(sum);
    }
}

/// A bounds-checked decoding cursor. Every read returns `None` when the data ends early or is
/// malformed; callers turn that into a corruption error with context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decbuf<'a> {
    pub(crate) b: &'a [u8],
}

impl<'a> Decbuf<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Decbuf { b }
    }

    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Some(head)
    }

    pub(crate) fn be32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn be64(&mut self) -> Option<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }

    pub(crate) fn uvarint(&mut self) -> Option<u64> {
        let (v, n) = read_uvarint(self.b)?;
        self.b = &self.b[n..];
        Some(v)
    }

    pub(crate) fn uvarint32(&mut self) -> Option<u32> {
        u32::try_from(self.uvarint()?).ok()
    }

    pub(crate) fn varint(&mut self) -> Option<i64> {
        let u = self.uvarint()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    pub(crate) fn uvarint_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.uvarint()?).ok()?;
        self.bytes(n)
    }

    pub(crate) fn uvarint_str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.uvarint_bytes()?).ok()
    }
}

/// Decodes a Go uvarint at the start of `b`: the value and the bytes it took.
pub(crate) fn read_uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        if i == 9 && byte > 1 {
            return None; // Overflows 64 bits.
        }
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

/// Zero bytes needed after `pos` to reach a multiple of `align`.
pub(crate) fn padding(pos: u64, align: u64) -> usize {
    let rem = pos % align;
    if rem == 0 { 0 } else { (align - rem) as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut e = Encbuf::default();
        let vals = [0i64, 1, -1, 63, -64, 1 << 40, i64::MIN, i64::MAX];
        for v in vals {
            e.put_varint(v);
            e.put_uvarint(v as u64);
        }
        let mut d = Decbuf::new(&e.b);
        for v in vals {
            assert_eq!(d.varint(), Some(v));
            assert_eq!(d.uvarint(), Some(v as u64));
        }
        assert!(d.is_empty());
        assert_eq!(d.uvarint(), None);
    }

    #[test]
    fn truncated_reads_fail() {
        let mut d = Decbuf::new(&[0x80, 0x80]);
        assert_eq!(d.uvarint(), None);
        let mut d = Decbuf::new(&[5, b'a']);
        assert_eq!(d.uvarint_str(), None);
        let mut d = Decbuf::new(&[1, 2, 3]);
        assert_eq!(d.be32(), None);
        assert_eq!(read_uvarint(&[0xff; 11]), None);
    }

    #[test]
    fn padding_to_alignment() {
        assert_eq!(padding(0, 16), 0);
        assert_eq!(padding(5, 16), 11);
        assert_eq!(padding(8, 4), 0);
    }
}
