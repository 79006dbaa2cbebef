//! Byte-level reading and writing: big-endian integers, LEB128 varints, length-prefixed strings.

/// Why reading a record body failed.
pub(crate) type DecodeResult<T> = std::result::Result<T, &'static str>;

/// A cursor over a record body that never reads past its end.
pub(crate) struct Decbuf<'a> {
    b: &'a [u8],
}

impl<'a> Decbuf<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Decbuf { b }
    }

    /// Bytes left.
    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    pub(crate) fn byte(&mut self) -> DecodeResult<u8> {
        let (&first, rest) = self.b.split_first().ok_or("unexpected end of record")?;
        self.b = rest;
        Ok(first)
    }

    pub(crate) fn be64(&mut self) -> DecodeResult<u64> {
        let (head, rest) = self
            .b
            .split_first_chunk::<8>()
            .ok_or("unexpected end of record")?;
        self.b = rest;
        Ok(u64::from_be_bytes(*head))
    }

    pub(crate) fn be64_i64(&mut self) -> DecodeResult<i64> {
        self.be64().map(|v| v as i64)
    }

    pub(crate) fn be64_f64(&mut self) -> DecodeResult<f64> {
        self.be64().map(f64::from_bits)
    }

    /// An unsigned LEB128 value of at most 10 bytes that fits 64 bits.
    #[inline]
    pub(crate) fn uvarint(&mut self) -> DecodeResult<u64> {
        // Fast path: one byte, the common case for deltas.
        if let Some(&b) = self.b.first()
            && b < 0x80
        {
            self.b = &self.b[1..];
            return Ok(u64::from(b));
        }
        let mut x = 0u64;
        for (i, &b) in self.b.iter().enumerate().take(10) {
            if i == 9 && b > 1 {
                return Err("varint overflows 64 bits");
            }
            x |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.b = &self.b[i + 1..];
                return Ok(x);
            }
        }
        Err(if self.b.len() >= 10 {
            "varint overflows 64 bits"
        } else {
            "unexpected end of record in varint"
        })
    }

    /// A zig-zag LEB128 value.
    #[inline]
    pub(crate) fn varint(&mut self) -> DecodeResult<i64> {
        let ux = self.uvarint()?;
        Ok(((ux >> 1) as i64) ^ -((ux & 1) as i64))
    }

    /// A uvarint count of items, each at least `min_item_len` bytes long: rejected when it
    /// cannot fit in what is left (so garbage cannot make us allocate).
    pub(crate) fn count(&mut self, min_item_len: usize) -> DecodeResult<usize> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| "count does not fit memory")?;
        if n.saturating_mul(min_item_len) > self.b.len() {
            return Err("count larger than the rest of the record");
        }
        Ok(n)
    }

    /// A uvarint-length-prefixed byte string.
    pub(crate) fn uvarint_bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| "string length does not fit memory")?;
        if n > self.b.len() {
            return Err("string longer than the rest of the record");
        }
        let (s, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(s)
    }
}

pub(crate) fn put_be64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub(crate) fn put_varint(buf: &mut Vec<u8>, v: i64) {
    put_uvarint(buf, ((v << 1) ^ (v >> 63)) as u64);
}

pub(crate) fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_uvarint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut buf = Vec::new();
        let values = [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MIN, i64::MAX];
        for v in values {
            put_varint(&mut buf, v);
        }
        put_uvarint(&mut buf, u64::MAX);
        let mut d = Decbuf::new(&buf);
        for v in values {
            assert_eq!(d.varint(), Ok(v));
        }
        assert_eq!(d.uvarint(), Ok(u64::MAX));
        assert!(d.is_empty());
    }

    #[test]
    fn zigzag_matches_go() {
        let mut buf = Vec::new();
        put_varint(&mut buf, -1);
        put_varint(&mut buf, 1);
        put_varint(&mut buf, -64);
        assert_eq!(buf, [1, 2, 127]);
    }

    #[test]
    fn rejects_overflow_and_truncation() {
        assert!(Decbuf::new(&[0xff; 11]).uvarint().is_err());
        assert!(
            Decbuf::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .uvarint()
                .is_err()
        );
        assert!(Decbuf::new(&[0x80]).uvarint().is_err());
        assert!(Decbuf::new(&[5, b'a']).uvarint_bytes().is_err());
        assert!(Decbuf::new(&[1, 2, 3]).be64().is_err());
    }
}
