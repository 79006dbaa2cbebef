//! Bracketed character classes in Go syntax.

use super::{ASCII_CLASSES, Translator, err, perl_class};
use crate::error::Result;

impl Translator<'_> {
    /// Parse `[...]` at the current position and return it in Rust syntax.
    pub(super) fn class(&mut self) -> Result<String> {
        let start = self.pos;
        self.bump();
        let mut out = String::from("[");
        if self.peek() == Some('^') {
            self.bump();
            out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(err("missing closing ]", &self.src[start..]));
            };
            if c == ']' && !first {
                self.bump();
                break;
            }
            first = false;
            if c == '[' && self.ascii_class(&mut out)? {
                continue;
            }
            if c == '\\' && self.class_escape_class(&mut out, start)? {
                continue;
            }
            self.class_range(&mut out, start)?;
        }
        out.push(']');
        Ok(out)
    }

    /// `[:alpha:]` or `[:^alpha:]`; false (nothing consumed) if this `[` is a literal.
    fn ascii_class(&mut self, out: &mut String) -> Result<bool> {
        let rest = self.rest();
        let Some(body) = rest.strip_prefix("[:") else {
            return Ok(false);
        };
        let Some(end) = body.find(":]") else {
            return Ok(false);
        };
        let text = &rest[..end + 4];
        let name = &body[..end];
        if !ASCII_CLASSES.contains(&name.strip_prefix('^').unwrap_or(name)) {
            return Err(err("invalid character class range", text));
        }
        out.push_str(text);
        self.pos += text.len();
        Ok(true)
    }

    /// `\d`, `\p{..}` and friends inside brackets, emitted as nested classes.
    fn class_escape_class(&mut self, out: &mut String, class_start: usize) -> Result<bool> {
        let start = self.pos;
        let Some(c) = self.rest()[1..].chars().next() else {
            return Err(err("missing closing ]", &self.src[class_start..]));
        };
        match c {
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                self.pos += 2;
                out.push_str(perl_class(c));
            }
            'p' | 'P' => {
                self.pos += 2;
                let class = self.unicode_class(start, c)?;
                out.push_str(&class);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A single character or a range `lo-hi`.
    fn class_range(&mut self, out: &mut String, class_start: usize) -> Result<()> {
        let start = self.pos;
        let lo = self.class_char(class_start)?;
        let rest = self.rest();
        if rest.starts_with('-') && !rest.starts_with("-]") && rest.len() > 1 {
            self.bump();
            let hi = self.class_char(class_start)?;
            if hi < lo {
                return Err(err(
                    "invalid character class range",
                    &self.src[start..self.pos],
                ));
            }
            push_class_char(out, lo);
            out.push('-');
            push_class_char(out, hi);
        } else {
            push_class_char(out, lo);
        }
        Ok(())
    }

    fn class_char(&mut self, class_start: usize) -> Result<char> {
        let start = self.pos;
        match self.bump() {
            None => Err(err("missing closing ]", &self.src[class_start..])),
            Some('\\') => match self.bump() {
                None => Err(err("trailing backslash at end of expression", "")),
                Some(c) => self.escape_char(start, c),
            },
            Some(c) => Ok(c),
        }
    }
}

/// Append `c` as a literal inside Rust brackets, where `[ ] \ ^ - & ~` are special.
fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '[' | ']' | '\\' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}
