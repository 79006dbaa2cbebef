//! Numeric constants: Go's `NumberNode` rules (integers with base prefixes, floats, runes).

use crate::ast::Number;
use crate::lex::Kind;

/// Parses a number, character or complex constant as Go's parser does.
pub(super) fn parse(pos: usize, text: &str, kind: Kind) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.to_string(),
        int: None,
        uint: None,
        float: None,
        is_complex: false,
        is_char: false,
    };
    if kind == Kind::CharConstant {
        let inner = &text[1..];
        let (c, tail) = crate::gofmt::unquote_char(inner, '\'')
            .ok_or_else(|| format!("malformed character constant: {text}"))?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        let v = c as i64;
        n.int = Some(v);
        n.uint = Some(v as u64);
        n.float = Some(v as f64);
        n.is_char = true;
        return Ok(n);
    }
    if kind == Kind::Complex || text.ends_with('i') {
        return complex(n, text, kind);
    }
    n.uint = parse_uint(text);
    n.int = parse_int(text);
    if n.int == Some(0) {
        n.uint = Some(0);
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", crate::gofmt::quote(text)));
        }
        n.float = Some(f);
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            n.int = Some(f as i64);
        }
        if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
            n.uint = Some(f as u64);
        }
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text)
        ));
    }
    Ok(n)
}

fn complex(mut n: Number, text: &str, kind: Kind) -> Result<Number, String> {
    // Only a purely imaginary literal ("2i") or "real+imag i" forms reach here.
    let bad = || format!("illegal number syntax: {}", crate::gofmt::quote(text));
    let (re, im) = if kind == Kind::Complex {
        let body = &text[..text.len() - 1];
        let split = body[1..].rfind(['+', '-']).map(|i| i + 1).ok_or_else(bad)?;
        (
            parse_float(&body[..split]).ok_or_else(bad)?,
            parse_float(&body[split..]).ok_or_else(bad)?,
        )
    } else {
        (0.0, parse_float(&text[..text.len() - 1]).ok_or_else(bad)?)
    };
    n.is_complex = true;
    if im == 0.0 {
        n.float = Some(re);
        if re.fract() == 0.0 && re.abs() < 9.2e18 {
            n.int = Some(re as i64);
            if re >= 0.0 {
                n.uint = Some(re as u64);
            }
        }
    }
    Ok(n)
}

/// Splits an optional base prefix; checks Go's underscore placement.
fn digits_and_base(s: &str) -> Option<(String, u32)> {
    let (base, body, prefixed) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, r, true)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (8, r, true)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (2, r, true)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..], true)
    } else {
        (10, s, false)
    };
    if body.is_empty() {
        return None;
    }
    if body.contains('_') {
        // Underscores only between digits (or right after a base prefix).
        let b = body.as_bytes();
        if b[b.len() - 1] == b'_' || (!prefixed && b[0] == b'_') || body.contains("__") {
            return None;
        }
    }
    Some((body.replace('_', ""), base))
}

fn parse_uint(s: &str) -> Option<u64> {
    let (digits, base) = digits_and_base(s)?;
    u64::from_str_radix(&digits, base)
        .ok()
        .filter(|_| !digits.starts_with(['+', '-']))
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, base) = digits_and_base(body)?;
    if digits.starts_with(['+', '-']) {
        return None;
    }
    let text = if neg { format!("-{digits}") } else { digits };
    i64::from_str_radix(&text, base).ok()
}

/// Go's `strconv.ParseFloat` for the forms the lexer lets through (decimal and hex floats).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        parse_hex_float(&hex.replace('_', ""))?
    } else {
        let clean = body.replace('_', "");
        if clean.is_empty() || clean.starts_with(['+', '-']) {
            return None;
        }
        match clean.as_str() {
            "Inf" | "inf" | "Infinity" | "infinity" => f64::INFINITY,
            "NaN" | "nan" => f64::NAN,
            _ => {
                if !clean
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
                {
                    return None;
                }
                clean.parse::<f64>().ok()?
            }
        }
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Number {
        parse(0, s, Kind::Number).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn integers_and_floats() {
        assert_eq!(num("42").int, Some(42));
        assert_eq!(num("-7").int, Some(-7));
        assert_eq!(num("-7").uint, None);
        assert_eq!(num("0x1F").int, Some(31));
        assert_eq!(num("0o17").int, Some(15));
        assert_eq!(num("017").int, Some(15));
        assert_eq!(num("0b101").int, Some(5));
        assert_eq!(num("1_000").int, Some(1000));
        assert_eq!(num("1.5").float, Some(1.5));
        assert_eq!(num("1.0").int, Some(1));
        assert_eq!(num("1e3").float, Some(1000.0));
        assert_eq!(num("0x1p-2").float, Some(0.25));
        assert_eq!(num("18446744073709551615").uint, Some(u64::MAX));
        assert_eq!(num("18446744073709551615").int, None);
        assert!(parse(0, "99999999999999999999", Kind::Number).is_err());
    }

    #[test]
    fn chars() {
        let n = parse(0, "'a'", Kind::CharConstant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.int, Some(97));
        let n = parse(0, "'\\n'", Kind::CharConstant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.int, Some(10));
    }
}
