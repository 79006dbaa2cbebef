//! Float formatting and parsing as the Go ecosystem does it.
//!
//! [`write_float`] reproduces Go's `strconv.FormatFloat(v, 'g', -1, 64)` plus client_golang's
//! special cases (`+Inf`, `-Inf`, `NaN`), so the text we write is byte-identical to what Go
//! exporters write.

use std::fmt::Write as _;

/// Appends `v` formatted like client_golang writes sample values: Go's shortest `'g'`
/// formatting (`1e+06`, `0.005`, `1.5e-07`), with `+Inf`, `-Inf` and `NaN`.
pub fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v == 0.0 {
        out.push(b'0');
    } else if v.fract() == 0.0 && v.abs() < 1e6 {
        write_int(out, v as i64);
    } else if !write_fixed_fast(out, v) {
        write_go_g(out, v);
    }
}

/// Shortest fixed notation for `1e-4 <= |v| < 1e6` (where Go's `%g` uses fixed notation)
/// without the formatting machinery: the smallest `k` such that `m = round(|v| * 10^k)`
/// converts back to `|v|` gives the shortest digits. With at most 15 significant digits
/// that decimal is the only one of its length that converts to `v`, so it is also the one
/// Go picks. Returns `false` (writing nothing) when `v` needs the general path.
fn write_fixed_fast(out: &mut Vec<u8>, v: f64) -> bool {
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return false;
    }
    for (k, &scale) in POW10.iter().enumerate() {
        let m = (a * scale).round();
        if m >= 1e15 {
            return false;
        }
        if m / scale != a {
            continue;
        }
        let m = m as u64;
        let Some(p) = 10u64.checked_pow(k as u32) else {
            return false;
        };
        if v < 0.0 {
            out.push(b'-');
        }
        write_uint(out, m / p);
        if k > 0 {
            out.push(b'.');
            let frac = m % p;
            let mut buf = [b'0'; 22];
            let digits = &mut buf[..k];
            let mut f = frac;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (f % 10) as u8;
                f /= 10;
            }
            out.extend_from_slice(digits);
        }
        return true;
    }
    false
}

/// Appends `v` as client_golang writes OpenMetrics floats: like [`write_float`], but a
/// finite value without `.` or `e` gets `.0` appended (`1.0`, `1e+06`, `0.5`).
pub fn write_om_float(out: &mut Vec<u8>, v: f64) {
    let start = out.len();
    write_float(out, v);
    if v.is_finite() && !out[start..].iter().any(|&b| b == b'.' || b == b'e') {
        out.extend_from_slice(b".0");
    }
}

/// Appends a decimal integer.
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_uint(out, v.unsigned_abs());
}

/// Appends a decimal unsigned integer.
pub fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A fixed-size stack buffer that `{:e}` formatting writes into.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Go's `%g` with shortest precision for a finite, non-zero `v`.
fn write_go_g(out: &mut Vec<u8>, v: f64) {
    let mut sb = StackBuf {
        buf: [0; 48],
        len: 0,
    };
    // Rust's `{:e}` gives the shortest round-tripping digits, e.g. `-1.2345e-7`.
    if write!(sb, "{v:e}").is_err() {
        return;
    }
    let text = &sb.buf[..sb.len];
    let (neg, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_pos = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &b in &text[..e_pos] {
        if b.is_ascii_digit() && nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(text.get(e_pos + 1..).unwrap_or(b"0"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if neg {
        out.push(b'-');
    }
    let digits = &digits[..nd];
    if !(-4..6).contains(&exp) {
        write_exp_form(out, digits, exp);
    } else {
        write_fixed_form(out, digits, exp);
    }
}

fn write_exp_form(out: &mut Vec<u8>, digits: &[u8], exp: i32) {
    out.push(digits.first().copied().unwrap_or(b'0'));
    if digits.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.push(b'e');
    out.push(if exp < 0 { b'-' } else { b'+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push(b'0');
    }
    write_uint(out, u64::from(a));
}

fn write_fixed_form(out: &mut Vec<u8>, digits: &[u8], exp: i32) {
    if exp < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
        return;
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        out.extend_from_slice(digits);
        for _ in digits.len()..int_len {
            out.push(b'0');
        }
    } else {
        out.extend_from_slice(&digits[..int_len]);
        out.push(b'.');
        out.extend_from_slice(&digits[int_len..]);
    }
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest mantissa that converts to `f64` exactly.
const MAX_EXACT: u64 = 1 << 53;

/// Accumulates decimal digits from `b[*i..]` into `mant`; returns how many, or `None`
/// when the mantissa would no longer be exact.
#[inline]
fn digits(b: &[u8], i: &mut usize, mant: &mut u64) -> Option<i32> {
    let mut n = 0;
    while let Some(&c) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        if *mant > MAX_EXACT {
            return None;
        }
        *mant = *mant * 10 + u64::from(c - b'0');
        n += 1;
        *i += 1;
    }
    Some(n)
}

/// Parses an optional exponent (`e`, sign, at most 4 digits) at `b[*i..]`.
#[inline]
fn exponent(b: &[u8], i: &mut usize) -> Option<i32> {
    if !matches!(b.get(*i), Some(b'e' | b'E')) {
        return Some(0);
    }
    *i += 1;
    let neg = match b.get(*i) {
        Some(b'-') => true,
        Some(b'+') => false,
        _ => {
            *i -= 1;
            false
        }
    };
    *i += 1;
    let (mut e, start) = (0i32, *i);
    while let Some(&c) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        if *i - start >= 4 {
            return None;
        }
        e = e * 10 + i32::from(c - b'0');
        *i += 1;
    }
    (*i > start).then_some(if neg { -e } else { e })
}

/// Clinger's fast path: a plain decimal whose digits fit in 53 bits and whose power of ten
/// is exact converts with one correctly rounded multiplication or division. `None` means
/// "use the general parser", not "invalid".
#[inline]
pub(crate) fn fast_decimal(b: &[u8]) -> Option<f64> {
    let (neg, mut i) = match *b.first()? {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let mut mant: u64 = 0;
    let mut n = digits(b, &mut i, &mut mant)?;
    let mut exp10 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = digits(b, &mut i, &mut mant)?;
        exp10 -= frac;
        n += frac;
    }
    if n == 0 || mant > MAX_EXACT {
        return None;
    }
    exp10 += exponent(b, &mut i)?;
    if i != b.len() {
        return None;
    }
    let m = mant as f64;
    let v = match exp10 {
        0 => m,
        1..=22 => m * POW10[exp10 as usize],
        -22..=-1 => m / POW10[(-exp10) as usize],
        _ => return None,
    };
    Some(if neg { -v } else { v })
}

/// Parses a float the way Go's `strconv.ParseFloat` accepts it in exposition formats:
/// decimal with optional exponent, `Inf`/`+Inf`/`-Inf`/`Infinity` and `NaN` in any case.
/// Hexadecimal floats and `_` separators are rejected.
pub fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if let Some(v) = fast_decimal(b) {
        return Some(v);
    }
    let first = *b.first()?;
    let body = if first == b'+' || first == b'-' {
        &b[1..]
    } else {
        b
    };
    if body.len() > 1
        && body[0] == b'0'
        && matches!(body[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
    {
        return None;
    }
    if b.contains(&b'_') {
        return None;
    }
    let lower = body.first().map(u8::to_ascii_lowercase);
    if lower == Some(b'n') && body.len() != b.len() {
        // Go accepts no sign before NaN.
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn om(v: f64) -> String {
        let mut out = Vec::new();
        write_om_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn go_g_formatting() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (1e6, "1e+06"),
            (999_999.0, "999999"),
            (123_456.7, "123456.7"),
            (1_234_567.0, "1.234567e+06"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (2.5, "2.5"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (100_000.5, "100000.5"),
        ];
        for (v, want) in cases {
            assert_eq!(fmt(v), want, "{v:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fixed_fast_path_matches_general(bits in proptest::num::u64::ANY, scale in -6i32..8) {
            let v = f64::from_bits(bits);
            let v = if v.is_finite() { (v % 1e3) * 10f64.powi(scale) } else { 0.5 };
            let mut fast = Vec::new();
            if write_fixed_fast(&mut fast, v) {
                let mut slow = Vec::new();
                write_go_g(&mut slow, v);
                proptest::prop_assert_eq!(String::from_utf8(fast), String::from_utf8(slow));
            }
        }

        #[test]
        fn short_decimals_match_general(m in 0u64..10_000_000, k in 0u32..8, neg: bool) {
            let v = m as f64 / 10f64.powi(k as i32) * if neg { -1.0 } else { 1.0 };
            let mut fast = Vec::new();
            if v != 0.0 && write_fixed_fast(&mut fast, v) {
                let mut slow = Vec::new();
                write_go_g(&mut slow, v);
                proptest::prop_assert_eq!(String::from_utf8(fast), String::from_utf8(slow));
            }
        }
    }

    #[test]
    fn openmetrics_floats() {
        assert_eq!(om(1.0), "1.0");
        assert_eq!(om(0.0), "0.0");
        assert_eq!(om(-1.0), "-1.0");
        assert_eq!(om(1e6), "1e+06");
        assert_eq!(om(0.5), "0.5");
        assert_eq!(om(f64::INFINITY), "+Inf");
        assert_eq!(om(f64::NAN), "NaN");
        assert_eq!(om(123.0), "123.0");
    }

    #[test]
    fn fast_path_agrees_with_std() {
        let cases = [
            "0",
            "-0",
            "1",
            "12345.67",
            "1.2345678e+10",
            "0.005",
            "1e-22",
            "9007199254740993",
            "123456789012345678",
            "1.5e3",
            "00001.20",
            ".5",
            "5.",
            "1e300",
            "3.14159265358979",
        ];
        for c in cases {
            let want: f64 = c.parse().unwrap();
            assert_eq!(
                parse_float(c).map(f64::to_bits),
                Some(want.to_bits()),
                "{c}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_is_exact(v in proptest::num::f64::NORMAL, e in -30i32..30) {
            for s in [format!("{v}"), format!("{v:e}"), format!("{:.3}e{e}", v.abs() % 1e6)] {
                let want: f64 = s.parse().unwrap();
                proptest::prop_assert_eq!(parse_float(&s).map(f64::to_bits), Some(want.to_bits()), "{}", s);
            }
        }
    }

    #[test]
    fn parses_go_floats() {
        assert_eq!(parse_float("1"), Some(1.0));
        assert_eq!(parse_float("-12"), Some(-12.0));
        assert_eq!(parse_float("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_float("1.5e-3"), Some(0.0015));
        assert_eq!(parse_float(".5"), Some(0.5));
        for bad in ["", "a", "0x1", "1_2", "+NaN", "1.1.1", "-", "0b1"] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
    }
}
