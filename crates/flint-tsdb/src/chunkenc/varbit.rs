//! Variable-width integers of histogram chunks (`<varbit_int>` and `<varbit_uint>` in
//! `chunks.md`): a unary prefix of up to eight bits picks a width of 0, 3, 6, 9, 12, 18, 25, 56
//! or 64 bits. Signed values use the same asymmetric ranges as the XOR chunk's timestamps:
//! `[-(2^(w-1) - 1), 2^(w-1)]`.

use super::bstream::{BitReader, BitWriter};
use super::xor::fits_in;

/// Value widths after a prefix of 1, 2, … 7 one bits (then a zero); eight ones mean 64 bits.
const WIDTHS: [u8; 7] = [3, 6, 9, 12, 18, 25, 56];

/// Writes a signed integer.
pub(crate) fn put_varbit_int(w: &mut BitWriter, v: i64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (i, width) in WIDTHS.iter().enumerate() {
        if fits_in(v, *width) {
            put_prefixed(w, i as u8 + 1, v as u64, *width);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(v as u64, 64);
}

/// Writes an unsigned integer.
pub(crate) fn put_varbit_uint(w: &mut BitWriter, v: u64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (i, width) in WIDTHS.iter().enumerate() {
        if v.leading_zeros() >= 64 - u32::from(*width) {
            put_prefixed(w, i as u8 + 1, v, *width);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(v, 64);
}

/// `ones` one bits and a zero, then the low `width` bits of `v` (two writes upstream).
#[inline]
fn put_prefixed(w: &mut BitWriter, ones: u8, v: u64, width: u8) {
    let prefix_len = ones + 1;
    let prefix = ((1u64 << ones) - 1) << 1;
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    if prefix_len + width <= 64 {
        w.write_joined(prefix << width | (v & mask), prefix_len + width, width);
    } else {
        w.write_bits(prefix, prefix_len);
        w.write_bits(v & mask, width);
    }
}

/// Reads the width selected by the prefix: `Some(0)` for a zero value, `Some(64)` for a raw
/// 64-bit value.
#[inline]
fn read_width(r: &mut BitReader<'_>) -> Option<u8> {
    match r.read_unary(8)? {
        0 => Some(0),
        8 => Some(64),
        n => WIDTHS.get(n as usize - 1).copied(),
    }
}

/// Reads a signed integer.
pub(crate) fn read_varbit_int(r: &mut BitReader<'_>) -> Option<i64> {
    match read_width(r)? {
        0 => Some(0),
        64 => r.read_bits(64).map(|b| b as i64),
        w => {
            let bits = r.read_bits(w)?;
            if bits > 1 << (w - 1) {
                Some(bits as i64 - (1i64 << w))
            } else {
                Some(bits as i64)
            }
        }
    }
}

/// Reads an unsigned integer.
pub(crate) fn read_varbit_uint(r: &mut BitReader<'_>) -> Option<u64> {
    match read_width(r)? {
        0 => Some(0),
        w => r.read_bits(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn widths_follow_the_buckets() {
        let bits_of = |v: i64| {
            let mut w = BitWriter::default();
            put_varbit_int(&mut w, v);
            w.bit_len()
        };
        assert_eq!(bits_of(0), 1);
        assert_eq!(bits_of(4), 5);
        assert_eq!(bits_of(-3), 5);
        assert_eq!(bits_of(-4), 9);
        assert_eq!(bits_of(32), 9);
        assert_eq!(bits_of(256), 13);
        assert_eq!(bits_of(2048), 17);
        assert_eq!(bits_of(131_072), 24);
        assert_eq!(bits_of(16_777_216), 32);
        assert_eq!(bits_of(i64::MIN), 72);
        let mut w = BitWriter::default();
        put_varbit_uint(&mut w, 7);
        assert_eq!(w.bytes(), &[0b1011_1000]);
    }

    proptest! {
        #[test]
        fn round_trip(ints in proptest::collection::vec(any::<i64>(), 0..40),
                      small in proptest::collection::vec(-70_000i64..70_000, 0..40),
                      uints in proptest::collection::vec(any::<u64>(), 0..40)) {
            let mut w = BitWriter::default();
            for v in ints.iter().chain(&small) {
                put_varbit_int(&mut w, *v);
            }
            for v in &uints {
                put_varbit_uint(&mut w, *v);
                put_varbit_uint(&mut w, *v >> 40);
            }
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for v in ints.iter().chain(&small) {
                prop_assert_eq!(read_varbit_int(&mut r), Some(*v));
            }
            for v in &uints {
                prop_assert_eq!(read_varbit_uint(&mut r), Some(*v));
                prop_assert_eq!(read_varbit_uint(&mut r), Some(*v >> 40));
            }
        }
    }
}
