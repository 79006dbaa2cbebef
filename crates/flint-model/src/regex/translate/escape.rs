//! Escapes outside brackets and the escapes shared with brackets.

use super::{Translator, err, perl_class, push_literal};
use crate::error::Result;

/// Unicode general categories Go knows (`\pL`, `\p{Lu}`).
const GO_CATEGORIES: [&str; 38] = [
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs", "Any", "Yi",
];

impl Translator<'_> {
    pub(super) fn top_escape(&mut self) -> Result<()> {
        let start = self.pos;
        self.bump();
        let Some(c) = self.bump() else {
            return Err(err("trailing backslash at end of expression", ""));
        };
        match c {
            'A' => self.out.push_str("\\A"),
            'z' => self.out.push_str("\\z"),
            'b' => self.out.push_str("(?-u:\\b)"),
            'B' => self.out.push_str("(?-u:\\B)"),
            'Q' => return self.quoted(),
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => self.out.push_str(perl_class(c)),
            'p' | 'P' => {
                let class = self.unicode_class(start, c)?;
                self.out.push_str(&class);
            }
            _ => {
                let lit = self.escape_char(start, c)?;
                push_literal(&mut self.out, lit);
            }
        }
        self.atom();
        Ok(())
    }

    /// `\Q...\E`: everything up to `\E` (or the end) is literal.
    fn quoted(&mut self) -> Result<()> {
        let rest = self.rest();
        let (lit, skip) = match rest.find("\\E") {
            Some(i) => (&rest[..i], i + 2),
            None => (rest, rest.len()),
        };
        self.pos += skip;
        for c in lit.chars() {
            push_literal(&mut self.out, c);
        }
        if !lit.is_empty() {
            self.atom();
        }
        Ok(())
    }

    /// The character an escape stands for; `c` is the character after the backslash.
    pub(super) fn escape_char(&mut self, start: usize, c: char) -> Result<char> {
        let is_octal = |c: Option<char>| c.is_some_and(|c| ('0'..='7').contains(&c));
        let value = match c {
            '1'..='7' if !is_octal(self.peek()) => None,
            '0'..='7' => {
                let mut v = c as u32 - '0' as u32;
                for _ in 0..2 {
                    if !is_octal(self.peek()) {
                        break;
                    }
                    v = v * 8 + (self.bump().map_or(0, |d| d as u32 - '0' as u32));
                }
                char::from_u32(v)
            }
            'x' => self.hex_escape(),
            'a' => Some('\x07'),
            'f' => Some('\x0c'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            'v' => Some('\x0b'),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        };
        value.ok_or_else(|| err("invalid escape sequence", &self.src[start..self.pos]))
    }

    /// After `\x`: two hex digits or `{hex+}`.
    fn hex_escape(&mut self) -> Option<char> {
        if self.peek() == Some('{') {
            self.bump();
            let mut v: u32 = 0;
            let mut digits = 0;
            loop {
                let c = self.bump()?;
                if c == '}' {
                    break;
                }
                v = v.checked_mul(16)? + c.to_digit(16)?;
                if v > 0x10ffff {
                    return None;
                }
                digits += 1;
            }
            return if digits == 0 { None } else { char::from_u32(v) };
        }
        let hi = self.bump()?.to_digit(16)?;
        let lo = self.bump()?.to_digit(16)?;
        char::from_u32(hi * 16 + lo)
    }

    /// After `\p` or `\P`: `\pL`, `\p{Greek}`, `\p{^Greek}`.
    pub(super) fn unicode_class(&mut self, start: usize, c: char) -> Result<String> {
        let name = if self.peek() == Some('{') {
            let rest = self.rest();
            let Some(end) = rest.find('}') else {
                return Err(err("invalid character class range", &self.src[start..]));
            };
            self.pos += end + 1;
            &rest[1..end]
        } else {
            let p = self.pos;
            self.bump();
            &self.src[p..self.pos]
        };
        let (negated, name) = match name.strip_prefix('^') {
            Some(n) => (c == 'p', n),
            None => (c == 'P', name),
        };
        if !is_go_unicode_class(name) {
            return Err(err(
                "invalid character class range",
                &self.src[start..self.pos],
            ));
        }
        Ok(format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
    }
}

/// Whether Go accepts `\p{name}`: a general category, `Any`, or a script. Scripts are checked
/// by spelling (capitalised words joined by `_`) and by the Unicode tables of `regex-syntax`,
/// which is close to, but a little more permissive than, Go's `unicode.Scripts`.
fn is_go_unicode_class(name: &str) -> bool {
    if GO_CATEGORIES.contains(&name) {
        return true;
    }
    let well_formed = name.len() > 2
        && name.split('_').all(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && w.chars().all(|c| c.is_ascii_alphanumeric())
        });
    well_formed
        && regex_syntax::Parser::new()
            .parse(&format!("\\p{{sc={name}}}"))
            .is_ok()
}
