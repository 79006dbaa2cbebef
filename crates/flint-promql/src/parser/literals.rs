//! Numbers, durations and strings as PromQL writes them.

/// Parses a PromQL number: decimal or float, `0x` hex, leading-`0` octal, `Inf`, `NaN`, with
/// `_` digit separators — what Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat` accept.
pub fn parse_number(s: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            super::lexer::go_quote_str(s)
        )
    };
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" => return Ok(f64::INFINITY),
        "-inf" => return Ok(f64::NEG_INFINITY),
        "nan" => return Ok(f64::NAN),
        _ => {}
    }
    let digits: String = if s.contains('_') {
        if !underscores_ok(&lower) {
            return Err(bad());
        }
        lower.replace('_', "")
    } else {
        lower
    };
    if let Some(hex) = digits.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16)
            .map(|v| v as f64)
            .or_else(|_| u128::from_str_radix(hex, 16).map(|v| v as f64))
            .map_err(|_| bad());
    }
    if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(&digits[1..], 8)
            .map(|v| v as f64)
            .map_err(|_| bad());
    }
    if digits.is_empty() || digits.contains("inf") || digits.contains("nan") {
        return Err(bad());
    }
    digits.parse::<f64>().map_err(|_| bad())
}

/// Underscores may only separate digits (or follow a base prefix).
fn underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut prev_digit = s.starts_with("0x");
    let start = if prev_digit { 2 } else { 0 };
    for i in start..b.len() {
        let c = b[i];
        if c == b'_' {
            if !prev_digit || !b.get(i + 1).is_some_and(|n| n.is_ascii_hexdigit()) {
                return false;
            }
            prev_digit = false;
        } else {
            prev_digit = c.is_ascii_hexdigit();
        }
    }
    true
}

const MS_PER_SECOND: i64 = 1000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;
const MS_PER_YEAR: i64 = 365 * MS_PER_DAY;

/// Parses a Prometheus duration (`1h30m`, `5m`, `100ms`, `1y`, `0`) into milliseconds.
///
/// Units must come in decreasing order, each at most once, as `model.ParseDuration` demands.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let invalid = || {
        format!(
            "not a valid duration string: {}",
            super::lexer::go_quote_str(s)
        )
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", MS_PER_YEAR),
        ("w", MS_PER_WEEK),
        ("d", MS_PER_DAY),
        ("h", MS_PER_HOUR),
        ("m", MS_PER_MINUTE),
        ("s", MS_PER_SECOND),
        ("ms", 1),
    ];
    let mut rest = s;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(invalid());
        }
        let value: i64 = rest[..n]
            .parse()
            .map_err(|_| "duration out of range".to_owned())?;
        rest = &rest[n..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(idx) = UNITS[next_unit..].iter().position(|(u, _)| *u == unit) else {
            return Err(invalid());
        };
        let (_, mult) = UNITS[next_unit + idx];
        next_unit += idx + 1;
        total = value
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| "duration out of range".to_owned())?;
    }
    Ok(total)
}

/// Formats milliseconds as Prometheus prints durations (`1h30m`, `90d`, `0s`).
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    let mut rest = ms;
    if rest < 0 {
        out.push('-');
        rest = -rest;
    }
    let units: [(&str, i64, bool); 7] = [
        ("y", MS_PER_YEAR, true),
        ("w", MS_PER_WEEK, true),
        ("d", MS_PER_DAY, false),
        ("h", MS_PER_HOUR, false),
        ("m", MS_PER_MINUTE, false),
        ("s", MS_PER_SECOND, false),
        ("ms", 1, false),
    ];
    for (unit, mult, exact) in units {
        if exact && rest % mult != 0 {
            continue;
        }
        let v = rest / mult;
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
            rest -= v * mult;
        }
    }
    out
}

/// Formats a float as Go's `strconv.FormatFloat(f, 'f', -1, 64)`, with `+Inf`, `-Inf`, `NaN`.
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == f64::INFINITY {
        "+Inf".to_owned()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        let s = format!("{v}");
        if s == "-0" { "-0".to_owned() } else { s }
    }
}

/// Removes the quotes of a PromQL string literal and resolves its escapes. The result may
/// be invalid UTF-8 (`"\xff"`).
pub fn unquote(s: &str) -> Result<Vec<u8>, String> {
    let bytes = s.as_bytes();
    let quote = *bytes.first().ok_or("invalid syntax")?;
    if bytes.len() < 2 || bytes[bytes.len() - 1] != quote {
        return Err("invalid syntax".into());
    }
    let inner = &s[1..s.len() - 1];
    if quote == b'`' {
        return Ok(inner.as_bytes().to_vec());
    }
    if quote != b'"' && quote != b'\'' {
        return Err("invalid syntax".into());
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some((_, e)) = chars.next() else {
            return Err("invalid syntax".into());
        };
        let simple = match e {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '\'' | '"' if e as u32 == u32::from(quote) => Some(quote),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let (n, base) = match e {
            '0'..='7' => (2, 8),
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            _ => return Err("invalid syntax".into()),
        };
        let mut v = if base == 8 {
            e.to_digit(8).unwrap_or(0)
        } else {
            0
        };
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|(_, c)| c.to_digit(base))
                .ok_or("invalid syntax")?;
            v = v * base + d;
        }
        if matches!(e, 'x' | '0'..='7') {
            out.push(u8::try_from(v).map_err(|_| "invalid syntax")?);
        } else {
            let c = char::from_u32(v).ok_or("invalid syntax")?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let cases = [
            ("1", 1.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("2.", 2.0),
            ("1e3", 1000.0),
            ("12.34e-6", 0.00001234),
            ("0x1f", 31.0),
            ("0755", 493.0),
            ("08", 8.0),
            ("1_000", 1000.0),
            ("Inf", f64::INFINITY),
        ];
        for (s, want) in cases {
            assert_eq!(parse_number(s), Ok(want), "{s}");
        }
        assert!(parse_number("nan").is_ok_and(f64::is_nan));
        assert!(parse_number("1__0").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("100ms"), Ok(100));
        assert_eq!(parse_duration("1y"), Ok(MS_PER_YEAR));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(
            parse_duration("30m1h"),
            Err("not a valid duration string: \"30m1h\"".into())
        );
        assert!(parse_duration("1.5m").is_err());
        for ms in [
            0,
            1,
            1000,
            90_061_001,
            MS_PER_WEEK * 2,
            MS_PER_DAY * 90,
            MS_PER_YEAR,
        ] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms), "{ms}");
        }
        assert_eq!(format_duration(MS_PER_DAY * 90), "90d");
        assert_eq!(format_duration(5_400_000), "1h30m");
    }

    #[test]
    fn strings() {
        assert_eq!(unquote(r#""a\nb""#), Ok(b"a\nb".to_vec()));
        assert_eq!(unquote(r"'it\'s'"), Ok(b"it's".to_vec()));
        assert_eq!(unquote(r"`\d+`"), Ok(br"\d+".to_vec()));
        assert_eq!(
            unquote(r#""\xc5\u00e9\101""#),
            Ok(vec![0xc5, 0xc3, 0xa9, b'A'])
        );
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_float(1e21), "1000000000000000000000");
    }
}
