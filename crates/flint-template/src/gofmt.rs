//! Go's `fmt` and `strconv` as far as templates need them: `Sprint`, `Sprintln`, `Sprintf` with
//! Go's verbs, flags, widths and error forms (`%!d(string=x)`), `strconv.Quote`/`Unquote`, and
//! float formatting (`%g`, `%e`, `%f`, shortest representation).

mod float;
mod printer;
mod printf;

pub use printf::sprintf;

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` (`prec < 0`: shortest).
pub fn format_float(v: f64, fmt: char, prec: i32) -> String {
    float::format_float(v, fmt, prec)
}

/// The shortest `%f`-style representation (what JSON uses for ordinary magnitudes).
pub(crate) fn format_float_f(v: f64) -> String {
    float::format_float(v, 'f', -1)
}

use crate::value::Value;

/// Go's `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is
/// a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_) | Value::Safe(..));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        printer::print_value(&mut out, a, 'v', &printer::Flags::default(), 0);
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: operands with `%v`, always space-separated, newline at the end.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        printer::print_value(&mut out, a, 'v', &printer::Flags::default(), 0);
    }
    out.push('\n');
    out
}

/// Appends `v` as Go's `fmt.Fprint` prints one value (what `{{ . }}` writes).
pub(crate) fn print_one(out: &mut String, v: &Value) {
    match v {
        Value::String(s) | Value::Safe(_, s) => out.push_str(s),
        Value::Int(i) => out.push_str(itoa_i64(*i).as_str()),
        _ => printer::print_value(out, v, 'v', &printer::Flags::default(), 0),
    }
}

fn itoa_i64(i: i64) -> String {
    i.to_string()
}

/// Whether Go's `unicode.IsPrint` holds (letters, marks, numbers, punctuation, symbols and the
/// ASCII space), approximated without the Unicode category tables.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0x00AD | 0x061C | 0x06DD | 0x070F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF | 0xE0001 | 0xE0020..=0xE007F)
}

/// `%#U`-style name of a rune: `U+0029 ')'` (the quoted rune only when printable).
pub(crate) fn unicode_name(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
pub(crate) fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'');
    out.push('\'');
    out
}

/// Go's `strconv.QuoteToASCII`.
pub(crate) fn quote_ascii(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii() {
            push_escaped(&mut out, c, '"');
        } else if (c as u32) < 0x10000 {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(&format!("\\U{:08x}", c as u32));
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.UnquoteChar`: decodes one (possibly escaped) character of a quoted literal.
pub(crate) fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c, chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' if e == quote => Some(e),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, rest));
    }
    let hex = |n: usize| -> Option<(u32, &str)> {
        let digits = rest.get(..n)?;
        Some((u32::from_str_radix(digits, 16).ok()?, &rest[n..]))
    };
    match e {
        'x' => {
            let (v, r) = hex(2)?;
            // A byte escape; only meaningful as a full rune when ASCII.
            Some((char::from_u32(v)?, r))
        }
        'u' => {
            let (v, r) = hex(4)?;
            Some((char::from_u32(v)?, r))
        }
        'U' => {
            let (v, r) = hex(8)?;
            Some((char::from_u32(v)?, r))
        }
        '0'..='7' => {
            let digits = s.get(1..4)?;
            let v = u32::from_str_radix(digits, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((char::from_u32(v)?, &s[4..]))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for double-quoted, back-quoted and single-quoted literals.
pub fn unquote(s: &str) -> Option<String> {
    let quote = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(quote) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match quote {
        '`' => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        '"' | '\'' => {
            if body.contains('\n') {
                return None;
            }
            let mut out = String::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (c, r) = unquote_char(rest, quote)?;
                out.push(c);
                rest = r;
                if quote == '\'' && !rest.is_empty() {
                    return None;
                }
            }
            if quote == '\'' && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
