//! Go's `strconv.FormatFloat` for the `e`, `E`, `f`, `g` and `G` formats (64-bit).

/// Decimal digits of |v| (no leading or trailing zeros) and the decimal point position:
/// the value is `0.DIGITS × 10^dp`.
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

/// Parses Rust's `{:e}` output (`1.2345e-5`) into digits and point position.
fn from_exp_repr(s: &str) -> Digits {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

fn shortest(v: f64) -> Digits {
    if v == 0.0 {
        return Digits {
            d: Vec::new(),
            dp: 0,
        };
    }
    from_exp_repr(&format!("{v:e}"))
}

/// `n` significant digits, correctly rounded (trailing zeros trimmed).
fn significant(v: f64, n: usize) -> Digits {
    if v == 0.0 {
        return Digits {
            d: Vec::new(),
            dp: 0,
        };
    }
    from_exp_repr(&format!("{:.*e}", n.saturating_sub(1), v))
}

fn fmt_e(out: &mut String, d: &Digits, prec: usize, upper: bool) {
    out.push(char::from(d.d.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(char::from(d.d.get(i).copied().unwrap_or(b'0')));
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, d: &Digits, prec: usize) {
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(char::from(d.d.get(i).copied().unwrap_or(b'0')));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i32 {
            let j = d.dp + i - 1;
            let c = if j >= 0 {
                d.d.get(j as usize).copied().unwrap_or(b'0')
            } else {
                b'0'
            };
            out.push(char::from(c));
        }
    }
}

/// Formats `v` as Go's `strconv.FormatFloat(v, fmt, prec, 64)`; `prec < 0` is the shortest
/// representation.
pub(crate) fn format_float(v: f64, fmt: char, prec: i32) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    let shortest_mode = prec < 0;
    match fmt {
        'e' | 'E' => {
            let d = if shortest_mode {
                shortest(a)
            } else {
                significant(a, prec as usize + 1)
            };
            let p = if shortest_mode {
                d.d.len().saturating_sub(1)
            } else {
                prec as usize
            };
            fmt_e(&mut out, &d, p, fmt == 'E');
        }
        'f' | 'F' => {
            if shortest_mode {
                let d = shortest(a);
                let p = (d.d.len() as i32 - d.dp).max(0) as usize;
                fmt_f(&mut out, &d, p);
            } else {
                out.push_str(&format!("{:.*}", prec as usize, a));
            }
        }
        _ => fmt_g(&mut out, a, prec, fmt == 'G'),
    }
    out
}

fn fmt_g(out: &mut String, a: f64, prec: i32, upper: bool) {
    let shortest_mode = prec < 0;
    let (d, mut prec) = if shortest_mode {
        let d = shortest(a);
        let n = d.d.len() as i32;
        (d, n)
    } else {
        let p = prec.max(1);
        (significant(a, p as usize), p)
    };
    let nd = d.d.len() as i32;
    let mut eprec = prec;
    if eprec > nd && nd >= d.dp {
        eprec = nd;
    }
    if shortest_mode {
        // The shortest form switches to an exponent as if the precision were 6.
        eprec = 6;
    }
    let exp = d.dp - 1;
    if exp < -4 || exp >= eprec {
        if prec > nd {
            prec = nd;
        }
        fmt_e(out, &d, (prec - 1).max(0) as usize, upper);
        return;
    }
    if prec > d.dp {
        prec = nd;
    }
    fmt_f(out, &d, (prec - d.dp).max(0) as usize);
}

#[cfg(test)]
mod tests {
    use super::format_float as f;

    #[test]
    fn shortest_g() {
        assert_eq!(f(123456789.0, 'g', -1), "1.23456789e+08");
        assert_eq!(f(1e6, 'g', -1), "1e+06");
        assert_eq!(f(100000.0, 'g', -1), "100000");
        assert_eq!(f(0.0001, 'g', -1), "0.0001");
        assert_eq!(f(0.00001, 'g', -1), "1e-05");
        assert_eq!(f(2.5, 'g', -1), "2.5");
        assert_eq!(f(0.0, 'g', -1), "0");
        assert_eq!(f(-0.0, 'g', -1), "-0");
        assert_eq!(f(f64::INFINITY, 'g', -1), "+Inf");
    }

    #[test]
    fn precision_g() {
        assert_eq!(f(1234567.0, 'g', 4), "1.235e+06");
        assert_eq!(f(1.234567, 'g', 4), "1.235");
        assert_eq!(f(120.0, 'g', 4), "120");
        assert_eq!(f(1234.0, 'g', 3), "1.23e+03");
        assert_eq!(f(0.0, 'g', 4), "0");
        assert_eq!(f(1.0, 'g', -1), "1");
    }

    #[test]
    fn e_and_f() {
        assert_eq!(f(1234.5, 'e', 6), "1.234500e+03");
        assert_eq!(f(12345.678, 'e', 2), "1.23e+04");
        assert_eq!(f(1.125, 'e', 2), "1.12e+00");
        assert_eq!(f(3.14158, 'f', 3), "3.142");
        assert_eq!(f(0.125, 'f', 2), "0.12");
        assert_eq!(f(1e21, 'f', -1), "1000000000000000000000");
        assert_eq!(f(1.5e-7, 'f', -1), "0.00000015");
        assert_eq!(f(1e-7, 'e', -1), "1e-07");
    }
}
