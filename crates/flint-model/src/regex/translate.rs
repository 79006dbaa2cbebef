//! Translation of Go RE2 syntax into an equivalent pattern for the `regex` crate.
//!
//! The translator is a small recursive-descent scanner over Go's grammar (`regexp/syntax`, Perl
//! flags as `regexp.Compile` uses them). It rejects what Go rejects, with Go's error codes, and
//! rewrites what Go reads differently from Rust:
//!
//! - `\d \s \w \b \B` (and negations) are ASCII-only, also inside brackets; `\s` is
//!   `[\t\n\f\r ]` (no `\v`), as in RE2.
//! - In brackets, `[`, `&`, `-`, `~` are literals (Rust would read nested classes and set
//!   operations); `\<`, `\>` and any escaped ASCII punctuation are literals.
//! - `\Q...\E`, octal escapes and `{` that does not start a valid repeat are literals.
//! - Only the flags `i m s U` exist; Rust-only syntax (`(?x)`, `(?u)`, `(?R)`, `\u0041`,
//!   `\e`, `\b{start}` as an assertion...) is an error or means what it means in Go.

mod class;
mod escape;

use std::collections::HashSet;

use crate::error::{Error, Result};

/// Go's limit on repeat counts.
const MAX_REPEAT: u32 = 1000;

/// The POSIX classes Go accepts inside brackets (`[[:alpha:]]`).
const ASCII_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Translate a Go RE2 pattern into `regex` crate syntax with the same meaning.
pub(crate) fn translate(src: &str) -> Result<String> {
    let mut t = Translator {
        src,
        pos: 0,
        out: String::with_capacity(src.len() + 16),
        depth: 0,
        names: HashSet::new(),
        operand: false,
        last_repeat: None,
    };
    t.run()?;
    Ok(t.out)
}

fn err(code: &'static str, expr: &str) -> Error {
    Error::RegexSyntax {
        code,
        expr: expr.to_string(),
    }
}

struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    /// Open groups.
    depth: usize,
    /// Capture names seen so far.
    names: HashSet<&'a str>,
    /// Whether a repetition operator has something to apply to.
    operand: bool,
    /// Start of the previous repetition operator when it is the last thing parsed.
    last_repeat: Option<usize>,
}

impl<'a> Translator<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn atom(&mut self) {
        self.operand = true;
        self.last_repeat = None;
    }

    fn run(&mut self) -> Result<()> {
        while let Some(c) = self.peek() {
            match c {
                '(' => self.open_group()?,
                ')' => self.close_group()?,
                '|' => {
                    self.bump();
                    self.out.push('|');
                    self.operand = false;
                    self.last_repeat = None;
                }
                '*' | '+' | '?' => self.repeat_op()?,
                '{' => self.brace()?,
                '[' => {
                    let class = self.class()?;
                    self.out.push_str(&class);
                    self.atom();
                }
                '\\' => self.top_escape()?,
                '^' | '$' | '.' => {
                    self.bump();
                    self.out.push(c);
                    self.atom();
                }
                c => {
                    self.bump();
                    push_literal(&mut self.out, c);
                    self.atom();
                }
            }
        }
        if self.depth > 0 {
            return Err(err("missing closing )", self.src));
        }
        Ok(())
    }

    fn open_group(&mut self) -> Result<()> {
        let rest = self.rest();
        if let Some(after) = rest
            .strip_prefix("(?P<")
            .or_else(|| rest.strip_prefix("(?<"))
        {
            let Some(end) = after.find('>') else {
                return Err(err("invalid named capture", rest));
            };
            let name = &after[..end];
            let whole = &rest[..rest.len() - after.len() + end + 1];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(err("invalid named capture", whole));
            }
            if !self.names.insert(name) {
                return Err(err("duplicate capture group name", whole));
            }
            self.pos += whole.len();
            self.out.push_str("(?P<");
            self.out.push_str(name);
            self.out.push('>');
            self.depth += 1;
        } else if rest.starts_with("(?") {
            self.flags()?;
        } else {
            self.bump();
            self.out.push('(');
            self.depth += 1;
        }
        self.operand = false;
        self.last_repeat = None;
        Ok(())
    }

    /// `(?flags)` or `(?flags:`, flags from `imsU` with at most one `-`.
    fn flags(&mut self) -> Result<()> {
        let start = self.pos;
        self.pos += 2;
        let (mut on, mut off) = (String::new(), String::new());
        let mut negated = false;
        let mut saw_flag = false;
        while let Some(c) = self.bump() {
            match c {
                'i' | 'm' | 's' | 'U' => {
                    let (set, other) = if negated {
                        (&mut off, &mut on)
                    } else {
                        (&mut on, &mut off)
                    };
                    other.retain(|f| f != c);
                    if !set.contains(c) {
                        set.push(c);
                    }
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' if !negated || saw_flag => {
                    self.emit_flags(&on, &off, c == ':');
                    return Ok(());
                }
                _ => break,
            }
        }
        Err(err(
            "invalid or unsupported Perl syntax",
            &self.src[start..self.pos],
        ))
    }

    fn emit_flags(&mut self, on: &str, off: &str, group: bool) {
        if on.is_empty() && off.is_empty() {
            if group {
                self.out.push_str("(?:");
                self.depth += 1;
            }
            return;
        }
        self.out.push_str("(?");
        self.out.push_str(on);
        if !off.is_empty() {
            self.out.push('-');
            self.out.push_str(off);
        }
        if group {
            self.out.push(':');
            self.depth += 1;
        } else {
            self.out.push(')');
        }
    }

    fn close_group(&mut self) -> Result<()> {
        if self.depth == 0 {
            return Err(err("unexpected )", self.src));
        }
        self.bump();
        self.depth -= 1;
        self.out.push(')');
        self.atom();
        Ok(())
    }

    fn repeat_op(&mut self) -> Result<()> {
        let start = self.pos;
        self.bump();
        if self.peek() == Some('?') {
            self.bump();
        }
        self.apply_repeat(start)
    }

    fn apply_repeat(&mut self, start: usize) -> Result<()> {
        if let Some(prev) = self.last_repeat {
            return Err(err(
                "invalid nested repetition operator",
                &self.src[prev..self.pos],
            ));
        }
        if !self.operand {
            return Err(err(
                "missing argument to repetition operator",
                &self.src[start..self.pos],
            ));
        }
        self.out.push_str(&self.src[start..self.pos]);
        self.last_repeat = Some(start);
        Ok(())
    }

    /// `{n}`, `{n,}`, `{n,m}` is a repeat; any other `{` is a literal.
    fn brace(&mut self) -> Result<()> {
        let start = self.pos;
        let Some((min, max, len)) = parse_repeat(self.rest()) else {
            self.bump();
            self.out.push_str("\\{");
            self.atom();
            return Ok(());
        };
        self.pos += len;
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
            return Err(err("invalid repeat count", &self.src[start..self.pos]));
        }
        if self.peek() == Some('?') {
            self.bump();
        }
        self.apply_repeat(start)
    }
}

/// Parse `{n}`, `{n,}` or `{n,m}` at the start of `s`: (min, max, length in bytes).
fn parse_repeat(s: &str) -> Option<(u32, Option<u32>, usize)> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let inner = &body[..end];
    let (min, max) = match inner.split_once(',') {
        None => {
            let n = parse_count(inner)?;
            (n, Some(n))
        }
        Some((a, "")) => (parse_count(a)?, None),
        Some((a, b)) => (parse_count(a)?, Some(parse_count(b)?)),
    };
    Some((min, max, end + 2))
}

/// A decimal repeat count as Go reads it: digits only, no leading zero, below 10^8.
fn parse_count(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 8 {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// Rust syntax for an ASCII Perl class, usable both at top level and nested in brackets.
fn perl_class(c: char) -> &'static str {
    match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => "[\\t\\n\\x0C\\r ]",
        'S' => "[^\\t\\n\\x0C\\r ]",
        'w' => "[0-9A-Za-z_]",
        _ => "[^0-9A-Za-z_]",
    }
}

/// Append `c` as a literal outside brackets.
fn push_literal(out: &mut String, c: char) {
    if regex_syntax::is_meta_character(c) {
        out.push('\\');
    }
    out.push(c);
}
