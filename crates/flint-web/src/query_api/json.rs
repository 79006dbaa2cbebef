//! JSON exactly as Prometheus's Go encoder writes it: strings escaped like `encoding/json`
//! with HTML escaping (`<` is `\u003c`), floats as quoted strings in Go's `strconv` forms
//! (`"1.5"`, `"1e-07"`, `"NaN"`, `"+Inf"`), timestamps as seconds with millisecond decimals
//! (`1435781451.781`), label sets as objects with sorted keys, native histograms as
//! `{"count", "sum", "buckets": [[rule, lower, upper, count], …]}`.
//!
//! Results are written by hand into a byte buffer (large matrices are the hot path);
//! everything else goes through serde with [`GoFormatter`], which escapes the same way.

use std::io;

use flint_model::Labels;
use flint_promql::histogram::Hist;
use serde::Serialize;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal, escaped as Go's `encoding/json` does.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
}

/// Appends the escaped contents of a JSON string (no quotes).
fn write_str_contents(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            b'<' | b'>' | b'&' | 0x00..=0x1f => Some(b""),
            // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) break JavaScript; Go escapes them.
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                Some(b"")
            }
            _ => None,
        };
        let Some(esc) = esc else {
            i += 1;
            continue;
        };
        out.extend_from_slice(&bytes[start..i]);
        if !esc.is_empty() {
            out.extend_from_slice(esc);
            i += 1;
        } else if b == 0xe2 {
            out.extend_from_slice(if bytes[i + 2] == 0xa8 {
                b"\\u2028"
            } else {
                b"\\u2029"
            });
            i += 3;
        } else {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
            i += 1;
        }
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Appends `v` as Go's `strconv.AppendFloat(v, f, -1, 64)` with `f = 'e'` for magnitudes
/// below 1e-6 or from 1e21 on and `'f'` otherwise (Prometheus's `MarshalValue`), unquoted.
pub fn write_float(out: &mut Vec<u8>, v: f64) {
    use std::io::Write as _;
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else if v.abs() < 1e-6 || v.abs() >= 1e21 {
        // Rust writes `1.5e-7`; Go writes `1.5e-07` (sign always, two digits at least).
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        out.extend_from_slice(mantissa.as_bytes());
        out.push(b'e');
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => (b'-', d),
            None => (b'+', exp),
        };
        out.push(sign);
        if digits.len() < 2 {
            out.push(b'0');
        }
        out.extend_from_slice(digits.as_bytes());
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Appends `v` as a quoted JSON string (how the API carries sample values).
pub fn write_value(out: &mut Vec<u8>, v: f64) {
    out.push(b'"');
    write_float(out, v);
    out.push(b'"');
}

/// The float formatting of [`write_float`] as a `String`.
pub fn format_float(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends a millisecond timestamp as seconds: `1435781451.781`, `1435781451.5` is written
/// `1435781451.500` and whole seconds have no decimals, as Prometheus's `MarshalTimestamp`.
pub fn write_timestamp(out: &mut Vec<u8>, t: i64) {
    use std::io::Write as _;
    let abs = t.unsigned_abs();
    if t < 0 {
        out.push(b'-');
    }
    let _ = write!(out, "{}", abs / 1000);
    let frac = abs % 1000;
    if frac != 0 {
        let _ = write!(out, ".{frac:03}");
    }
}

/// Appends a label set as a JSON object (keys in sorted order, as Go marshals maps).
pub fn write_labels(out: &mut Vec<u8>, labels: &Labels) {
    out.push(b'{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, &l.name);
        out.push(b':');
        write_str(out, &l.value);
    }
    out.push(b'}');
}

/// Appends a native histogram: count, sum and the non-empty buckets in ascending order.
pub fn write_histogram(out: &mut Vec<u8>, h: &Hist) {
    out.extend_from_slice(b"{\"count\":");
    write_value(out, h.count);
    out.extend_from_slice(b",\"sum\":");
    write_value(out, h.sum);
    let mut first = true;
    for b in h.buckets() {
        if b.count == 0.0 {
            continue;
        }
        out.extend_from_slice(if first { b",\"buckets\":[[" } else { b",[" });
        first = false;
        out.push(b'0' + b.boundary_rule());
        out.push(b',');
        write_value(out, b.lower);
        out.push(b',');
        write_value(out, b.upper);
        out.push(b',');
        write_value(out, b.count);
        out.push(b']');
    }
    if !first {
        out.push(b']');
    }
    out.push(b'}');
}

/// A `serde_json` formatter that escapes strings as Go's `encoding/json` does.
#[derive(Debug, Default, Clone, Copy)]
pub struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut buf = Vec::with_capacity(fragment.len());
        write_str_contents(&mut buf, fragment);
        writer.write_all(&buf)
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape::*;
        let s: &[u8] = match escape {
            Quote => b"\\\"",
            ReverseSolidus => b"\\\\",
            Solidus => b"\\/",
            Backspace => b"\\b",
            FormFeed => b"\\f",
            LineFeed => b"\\n",
            CarriageReturn => b"\\r",
            Tab => b"\\t",
            AsciiControl(b) => {
                return writer.write_all(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ]);
            }
        };
        writer.write_all(s)
    }
}

/// Appends `value` serialized with Go's escaping.
pub fn write_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoFormatter);
    // Writing into a Vec cannot fail, and our types serialize infallibly.
    let _ = value.serialize(&mut ser);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_as_go() {
        for (v, want) in [
            (1.0, "1"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (1.5e-7, "1.5e-07"),
            (1e-6, "0.000001"),
            (1e21, "1e+21"),
            (1.2345e22, "1.2345e+22"),
            (123456789012345680.0, "123456789012345680"),
            (1e20, "100000000000000000000"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (1.0 / 3.0, "0.3333333333333333"),
            (-2.5e-300, "-2.5e-300"),
        ] {
            assert_eq!(format_float(v), want, "{v}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            s(|o| write_timestamp(o, 1_435_781_451_781)),
            "1435781451.781"
        );
        assert_eq!(
            s(|o| write_timestamp(o, 1_435_781_451_500)),
            "1435781451.500"
        );
        assert_eq!(
            s(|o| write_timestamp(o, 1_435_781_451_005)),
            "1435781451.005"
        );
        assert_eq!(s(|o| write_timestamp(o, 1_000)), "1");
        assert_eq!(s(|o| write_timestamp(o, -1_500)), "-1.500");
        assert_eq!(s(|o| write_timestamp(o, 0)), "0");
    }

    #[test]
    fn strings_as_go() {
        assert_eq!(
            s(|o| write_str(o, "a<b>&\"c\\\n\t\u{1}\u{2028}é")),
            r#""a\u003cb\u003e\u0026\"c\\\n\t\u0001\u2028é""#
        );
        let mut out = Vec::new();
        write_serde(&mut out, &serde_json::json!({"k": "<x>\u{7}", "n": [1, 2]}));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"k":"\u003cx\u003e\u0007","n":[1,2]}"#
        );
    }

    #[test]
    fn labels_and_histograms() {
        let l = Labels::from_pairs([("job", "a"), ("__name__", "up")]);
        assert_eq!(s(|o| write_labels(o, &l)), r#"{"__name__":"up","job":"a"}"#);
        let h = Hist {
            count: 12.5,
            sum: 42.1,
            positive: vec![(0, 5.0), (1, 7.5), (2, 0.0)],
            schema: 1,
            ..Hist::default()
        };
        // Flint computes bounds exactly (2^-0.5 rounds to …476); Go's bound table holds
        // …475, one ulp below: a documented last-digit difference.
        assert_eq!(
            s(|o| write_histogram(o, &h)),
            r#"{"count":"12.5","sum":"42.1","buckets":[[0,"0.7071067811865476","1","5"],[0,"1","1.4142135623730951","7.5"]]}"#
        );
        let empty = Hist::default();
        assert_eq!(
            s(|o| write_histogram(o, &empty)),
            r#"{"count":"0","sum":"0"}"#
        );
    }
}
