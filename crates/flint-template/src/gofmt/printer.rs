//! Printing one value under a verb and flags, as Go's `fmt` prints operands.

use super::float::format_float;
use super::{quote, quote_ascii, quote_rune};
use crate::value::Value;

/// The flags, width and precision of one verb.
#[derive(Debug, Clone, Default)]
pub(crate) struct Flags {
    pub plus: bool,
    pub minus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    pub plus_v: bool,
    pub sharp_v: bool,
    pub wid: Option<usize>,
    pub prec: Option<usize>,
}

/// Pads `s` to the width: spaces (or zeros) on the left, or spaces on the right with `-`.
pub(crate) fn pad(out: &mut String, s: &str, f: &Flags) {
    let Some(w) = f.wid else {
        out.push_str(s);
        return;
    };
    let n = s.chars().count();
    if n >= w {
        out.push_str(s);
        return;
    }
    let fill = if f.zero && !f.minus { '0' } else { ' ' };
    if f.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', w - n));
    } else {
        out.extend(std::iter::repeat_n(fill, w - n));
        out.push_str(s);
    }
}

fn bad_verb(out: &mut String, v: &Value, verb: char, f: &Flags, depth: usize) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if v.is_nil() {
        out.push_str("<nil>");
    } else {
        out.push_str(&v.type_name());
        out.push('=');
        print_value(out, v, 'v', f, depth);
    }
    out.push(')');
}

/// The `String()` of values that have one (times, durations, host stringers).
fn stringer(v: &Value) -> Option<String> {
    match v {
        Value::Time(t) => Some(t.to_string()),
        Value::Duration(d) => Some(d.to_string()),
        Value::Object(o) => o.to_go_string(),
        _ => None,
    }
}

/// Prints `v` for `verb` with flags `f`; `depth > 0` inside lists, maps and structs.
pub(crate) fn print_value(out: &mut String, v: &Value, verb: char, f: &Flags, depth: usize) {
    if verb == 'T' {
        pad(out, &v.type_name(), f);
        return;
    }
    if matches!(verb, 'v' | 's' | 'x' | 'X' | 'q')
        && !f.sharp_v
        && let Some(s) = stringer(v)
    {
        fmt_string(out, &s, verb, f);
        return;
    }
    match v {
        Value::Nil => {
            if depth > 0 || verb == 'v' {
                pad(out, "<nil>", f);
            } else {
                bad_verb(out, v, verb, f, depth);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, f),
            _ => bad_verb(out, v, verb, f, depth),
        },
        Value::Int(i) => fmt_int(out, i.unsigned_abs(), *i < 0, v, verb, f, depth),
        Value::Uint(u) => fmt_int(out, *u, false, v, verb, f, depth),
        Value::Float(x) => fmt_float_verb(out, *x, v, verb, f, depth),
        Value::String(s) | Value::Safe(_, s) => match verb {
            'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, s, verb, f),
            _ => bad_verb(out, v, verb, f, depth),
        },
        Value::Duration(d) => fmt_int(out, d.0.unsigned_abs(), d.0 < 0, v, verb, f, depth),
        Value::List(l) => print_list(out, &l.items, verb, f, depth),
        Value::Map(m) => print_map(out, m, verb, f, depth),
        Value::Time(_) => bad_verb(out, v, verb, f, depth),
        Value::Func(_) => pad(out, "0x0", f),
        Value::Object(o) => {
            if let Some(m) = o.as_map() {
                print_map(out, m, verb, f, depth);
            } else if let Some(l) = o.as_list() {
                print_list(out, l, verb, f, depth);
            } else if let Some(b) = o.as_basic() {
                print_value(out, &b, verb, f, depth);
            } else {
                print_struct(out, o.as_ref(), verb, f, depth);
            }
        }
    }
}

fn print_struct(
    out: &mut String,
    o: &dyn crate::value::Object,
    verb: char,
    f: &Flags,
    depth: usize,
) {
    if o.is_pointer() && depth == 0 {
        out.push('&');
    }
    out.push('{');
    for (i, (name, val)) in o.fields().iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if f.plus_v {
            out.push_str(name);
            out.push(':');
        }
        print_value(out, val, verb, f, depth + 1);
    }
    out.push('}');
}

fn print_list(out: &mut String, items: &[Value], verb: char, f: &Flags, depth: usize) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_value(out, item, verb, f, depth + 1);
    }
    out.push(']');
}

fn print_map(out: &mut String, m: &crate::value::Map, verb: char, f: &Flags, depth: usize) {
    out.push_str("map[");
    for (i, (k, val)) in m.entries.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_value(out, &Value::String(k.clone()), verb, f, depth + 1);
        out.push(':');
        print_value(out, val, verb, f, depth + 1);
    }
    out.push(']');
}

fn fmt_string(out: &mut String, s: &str, verb: char, f: &Flags) {
    let s: std::borrow::Cow<'_, str> = match f.prec {
        Some(p) if s.chars().count() > p => s.chars().take(p).collect::<String>().into(),
        _ => s.into(),
    };
    match verb {
        'x' | 'X' => {
            let mut h = String::new();
            for (i, b) in s.bytes().enumerate() {
                if f.space && i > 0 {
                    h.push(' ');
                }
                if f.sharp && (f.space || i == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    h.push_str(&format!("{b:02x}"));
                } else {
                    h.push_str(&format!("{b:02X}"));
                }
            }
            pad(out, &h, f);
        }
        'q' => {
            let q =
                if f.sharp && !s.contains('`') && s.chars().all(|c| c == '\t' || !c.is_control()) {
                    format!("`{s}`")
                } else if f.plus {
                    quote_ascii(&s)
                } else {
                    quote(&s)
                };
            pad(out, &q, f);
        }
        _ => {
            if f.sharp_v {
                pad(out, &quote(&s), f);
            } else {
                pad(out, &s, f);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fmt_int(out: &mut String, u: u64, neg: bool, v: &Value, verb: char, f: &Flags, depth: usize) {
    let (base, upper) = match verb {
        'v' | 'd' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' | 'q' | 'U' => return fmt_rune(out, u, neg, verb, f),
        _ => return bad_verb(out, v, verb, f, depth),
    };
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    let mut prec = 0;
    if let Some(p) = f.prec {
        if p == 0 && u == 0 {
            let mut g = f.clone();
            g.zero = false;
            pad(out, "", &g);
            return;
        }
        prec = p;
    } else if f.zero && !f.minus && f.wid.is_some() {
        prec = f.wid.unwrap_or(0);
        if neg || f.plus || f.space {
            prec = prec.saturating_sub(1);
        }
    }
    while digits.len() < prec {
        digits.insert(0, '0');
    }
    if f.sharp {
        match base {
            2 => digits.insert_str(0, "0b"),
            8 if !digits.starts_with('0') => digits.insert(0, '0'),
            16 => digits.insert_str(0, if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if verb == 'O' {
        digits.insert_str(0, "0o");
    }
    if neg {
        digits.insert(0, '-');
    } else if f.plus {
        digits.insert(0, '+');
    } else if f.space {
        digits.insert(0, ' ');
    }
    let mut g = f.clone();
    g.zero = false;
    pad(out, &digits, &g);
}

/// Go's `#` flag on floats: always a decimal point, and for `%g` trailing zeros up to
/// `digits` significant digits (never fewer digits than the shortest form has).
fn sharp_float(num: &str, mut digits: i32) -> String {
    let (body, tail) = match num.find(['e', 'E']) {
        Some(i) => num.split_at(i),
        None => (num, ""),
    };
    let unsigned = body.trim_start_matches('-');
    let mut seen_nonzero = false;
    for c in unsigned.chars().filter(char::is_ascii_digit) {
        seen_nonzero = seen_nonzero || c != '0';
        if seen_nonzero {
            digits -= 1;
        }
    }
    let mut out = body.to_string();
    if !body.contains('.') {
        if unsigned == "0" {
            digits -= 1;
        }
        out.push('.');
    }
    for _ in 0..digits.max(0) {
        out.push('0');
    }
    out.push_str(tail);
    out
}

/// `%c`, `%q` and `%U` of an integer.
fn fmt_rune(out: &mut String, u: u64, neg: bool, verb: char, f: &Flags) {
    let c = u32::try_from(u)
        .ok()
        .and_then(char::from_u32)
        .filter(|_| !neg)
        .unwrap_or('\u{FFFD}');
    match verb {
        'c' => pad(out, &c.to_string(), f),
        'q' => pad(out, &quote_rune(c), f),
        _ => {
            let mut s = format!("U+{u:04X}");
            if f.sharp && super::is_print(c) && c != '\u{FFFD}' {
                s.push_str(&format!(" '{c}'"));
            }
            pad(out, &s, f);
        }
    }
}

fn fmt_float_verb(out: &mut String, x: f64, v: &Value, verb: char, f: &Flags, depth: usize) {
    let (fmt, prec) = match verb {
        'v' => ('g', -1),
        'g' | 'G' => (verb, f.prec.map_or(-1, |p| p as i32)),
        'e' | 'E' | 'f' => (verb, f.prec.map_or(6, |p| p as i32)),
        'F' => ('f', f.prec.map_or(6, |p| p as i32)),
        _ => return bad_verb(out, v, verb, f, depth),
    };
    let prec = if verb == 'v' {
        f.prec.map_or(-1, |p| p as i32)
    } else {
        prec
    };
    let mut num = format_float(x, fmt, prec);
    if f.sharp && x.is_finite() {
        let digits = if matches!(fmt, 'g' | 'G') {
            if prec < 0 { 6 } else { prec }
        } else {
            0
        };
        num = sharp_float(&num, digits);
    }
    let signed = num.starts_with(['-', '+']);
    if !signed {
        num.insert(0, '+');
    }
    if f.space && num.starts_with('+') && !f.plus {
        num.replace_range(0..1, " ");
    }
    let body = &num[1..];
    if body.starts_with('I') || body.starts_with('N') {
        let mut g = f.clone();
        g.zero = false;
        let s = if body.starts_with('N') && !f.space && !f.plus {
            body
        } else {
            &num
        };
        pad(out, s, &g);
        return;
    }
    if f.plus || !num.starts_with('+') {
        if f.zero && !f.minus && f.wid.is_some_and(|w| w > num.len()) {
            out.push_str(&num[..1]);
            let w = f.wid.unwrap_or(0) - num.len();
            out.extend(std::iter::repeat_n('0', w));
            out.push_str(&num[1..]);
            return;
        }
        pad(out, &num, f);
        return;
    }
    pad(out, &num[1..], f);
}
