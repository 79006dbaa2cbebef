//! `Sprintf`: Go's format-string interpretation, argument indexes and error forms.

use super::printer::{Flags, print_value};
use crate::value::Value;

fn parse_num(b: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add(usize::from(b[i] - b'0'));
        if n > 1_000_000 {
            return (None, i);
        }
        i += 1;
    }
    if i == start { (None, i) } else { (Some(n), i) }
}

struct State<'a> {
    args: &'a [Value],
    arg: usize,
    reordered: bool,
    good: bool,
}

impl State<'_> {
    /// Parses `[n]` at `i`: returns the new position and whether an index was found.
    fn arg_number(&mut self, b: &[u8], i: usize) -> (usize, bool) {
        if i >= b.len() || b[i] != b'[' {
            return (i, false);
        }
        self.reordered = true;
        let Some(close) = b[i..].iter().position(|&c| c == b']') else {
            self.good = false;
            return (i + 1, false);
        };
        let (n, end) = parse_num(b, i + 1);
        match n {
            Some(n) if end == i + close && n >= 1 && n <= self.args.len() => {
                self.arg = n - 1;
                (i + close + 1, true)
            }
            _ => {
                self.good = false;
                (i + close + 1, true)
            }
        }
    }

    fn int_arg(&mut self) -> Option<i64> {
        let v = self.args.get(self.arg)?;
        self.arg += 1;
        match v {
            Value::Int(i) => Some(*i),
            Value::Uint(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }
}

fn parse_flags(b: &[u8], mut i: usize, f: &mut Flags) -> usize {
    while i < b.len() {
        match b[i] {
            b'#' => f.sharp = true,
            b'0' => f.zero = !f.minus,
            b'+' => f.plus = true,
            b'-' => {
                f.minus = true;
                f.zero = false;
            }
            b' ' => f.space = true,
            _ => break,
        }
        i += 1;
    }
    i
}

impl State<'_> {
    /// Parses `[n]`, width and precision after the flags (Go's `doPrintf` middle part);
    /// appends `%!(BADWIDTH)`/`%!(BADPREC)` as Go does. Returns the position of the verb.
    fn width_and_precision(
        &mut self,
        b: &[u8],
        i: usize,
        f: &mut Flags,
        out: &mut String,
    ) -> usize {
        let (mut i, mut after_index) = self.arg_number(b, i);
        if i < b.len() && b[i] == b'*' {
            i += 1;
            match self.int_arg() {
                Some(w) => {
                    if w < 0 {
                        f.minus = true;
                        f.zero = false;
                    }
                    f.wid = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            let (w, ni) = parse_num(b, i);
            f.wid = w;
            i = ni;
            if after_index && w.is_some() {
                self.good = false;
            }
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            if after_index {
                self.good = false;
            }
            let (ni, ai) = self.arg_number(b, i);
            i = ni;
            after_index = ai;
            if i < b.len() && b[i] == b'*' {
                i += 1;
                match self.int_arg() {
                    Some(p) if p >= 0 => f.prec = Some(p as usize),
                    Some(_) => f.prec = None,
                    None => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                let (p, ni) = parse_num(b, i);
                f.prec = Some(p.unwrap_or(0));
                i = ni;
            }
        }
        if !after_index {
            i = self.arg_number(b, i).0;
        }
        i
    }

    /// Prints the operand for `verb`, or Go's `%!v(BADINDEX)`/`%!v(MISSING)`.
    fn verb(&mut self, verb: char, mut f: Flags, out: &mut String) {
        match verb {
            '%' => out.push('%'),
            _ if !self.good || self.arg >= self.args.len() => {
                out.push_str("%!");
                out.push(verb);
                out.push_str(if self.good { "(MISSING)" } else { "(BADINDEX)" });
            }
            _ => {
                if verb == 'v' {
                    f.sharp_v = f.sharp;
                    f.sharp = false;
                    f.plus_v = f.plus;
                    f.plus = false;
                }
                print_value(out, &self.args[self.arg], verb, &f, 0);
                self.arg += 1;
            }
        }
    }

    /// `%!(EXTRA type=value, …)` for operands no verb used.
    fn extra(&self, out: &mut String) {
        if self.reordered || self.arg >= self.args.len() {
            return;
        }
        out.push_str("%!(EXTRA ");
        for (k, a) in self.args[self.arg..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if a.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(&a.type_name());
                out.push('=');
                print_value(out, a, 'v', &Flags::default(), 0);
            }
        }
        out.push(')');
    }
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let b = format.as_bytes();
    let mut out = String::with_capacity(format.len() + 16);
    let mut st = State {
        args,
        arg: 0,
        reordered: false,
        good: true,
    };
    let mut i = 0;
    while i < b.len() {
        let lit = b[i..]
            .iter()
            .position(|&c| c == b'%')
            .map_or(b.len(), |p| i + p);
        out.push_str(&format[i..lit]);
        if lit >= b.len() {
            break;
        }
        let mut f = Flags::default();
        st.good = true;
        i = parse_flags(b, lit + 1, &mut f);
        i = st.width_and_precision(b, i, &mut f, &mut out);
        let Some(verb) = format.get(i..).and_then(|r| r.chars().next()) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        st.verb(verb, f, &mut out);
    }
    st.extra(&mut out);
    out
}
