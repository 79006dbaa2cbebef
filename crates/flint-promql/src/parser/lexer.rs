//! The PromQL lexer: turns a query into [`Token`]s with byte positions.
//!
//! Like Prometheus's lexer it has modes: inside `{…}` keywords are plain identifiers and
//! names have no colons; inside `[…]` only duration arithmetic is allowed. Lexing stops at the
//! first error, which becomes the last token (a [`TokenKind::Error`]) so the parser reports
//! it at the point where it reads it, as upstream does.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// End of input.
    Eof,
    /// A lexing error; the message is in [`Lexed::error`].
    Error,
    /// `[a-zA-Z_][a-zA-Z0-9_]*` (also keywords, which the parser recognises).
    Ident,
    /// An identifier containing a colon (recording-rule style metric name).
    MetricIdent,
    /// A number literal (decimal, hex, octal, float, `Inf`, `NaN`).
    Number,
    /// A duration literal such as `5m` or `1h30m`.
    Duration,
    /// A quoted or back-quoted string, quotes included.
    Str,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    /// `=` (label matcher).
    Assign,
    /// `==`
    EqlC,
    /// `!=`
    Neq,
    Lss,
    Lte,
    Gtr,
    Gte,
    /// `=~`
    EqlRegex,
    /// `!~`
    NeqRegex,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    At,
    /// `</`: keep histogram observations below a value.
    TrimUpper,
    /// `>/`: keep histogram observations above a value.
    TrimLower,
}

/// One token: its kind and byte range in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The tokens of a whole query; the last one is `Eof` or `Error`.
#[derive(Debug)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    /// The message of the trailing `Error` token, if lexing failed.
    pub(crate) error: Option<String>,
}

/// Tokenizes `input`.
pub(crate) fn lex(input: &str) -> Lexed {
    let mut l = Lexer {
        input,
        bytes: input.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
        brace_open: false,
        bracket_open: false,
        got_colon: false,
        got_duration: false,
    };
    let error = l.run().err();
    Lexed {
        tokens: l.tokens,
        error,
    }
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: i32,
    brace_open: bool,
    bracket_open: bool,
    got_colon: bool,
    got_duration: bool,
}

type LexResult = Result<(), String>;

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_alpha(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_alnum(c: char) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

/// Go's `%q` of a rune, as upstream's error messages print characters.
fn quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".to_owned(),
        '\\' => "'\\\\'".to_owned(),
        '\n' => "'\\n'".to_owned(),
        '\t' => "'\\t'".to_owned(),
        '\r' => "'\\r'".to_owned(),
        c if c.is_control() => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn fail(&mut self, start: usize, msg: String) -> LexResult {
        self.tokens.push(Token {
            kind: TokenKind::Error,
            start,
            end: self.pos,
        });
        Err(msg)
    }

    fn run(&mut self) -> LexResult {
        loop {
            if self.brace_open {
                self.inside_braces()?;
            } else if self.bracket_open {
                self.duration_expr()?;
            } else if self.statement()? {
                return Ok(());
            }
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' || c == '\r' {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Lexes one token at top level; returns true at the end of input.
    fn statement(&mut self) -> Result<bool, String> {
        let start = self.pos;
        let Some(c) = self.bump() else {
            if self.paren_depth != 0 {
                self.fail(start, "unclosed left parenthesis".into())?;
            }
            self.emit(TokenKind::Eof, start);
            return Ok(true);
        };
        use TokenKind as T;
        match c {
            '#' => self.skip_comment(),
            c if is_space(c) => {}
            ',' => self.emit(T::Comma, start),
            '*' => self.emit(T::Mul, start),
            '/' => self.emit(T::Div, start),
            '%' => self.emit(T::Mod, start),
            '+' => self.emit(T::Add, start),
            '-' => self.emit(T::Sub, start),
            '^' => self.emit(T::Pow, start),
            '@' => self.emit(T::At, start),
            '=' => match self.peek() {
                Some('=') => {
                    self.bump();
                    self.emit(T::EqlC, start);
                }
                Some('~') => {
                    return self
                        .fail(start, "unexpected character after '=': '~'".into())
                        .map(|_| false);
                }
                _ => self.emit(T::Assign, start),
            },
            '!' => match self.bump() {
                Some('=') => self.emit(T::Neq, start),
                other => {
                    let shown = other.map_or("U+FFFD '\u{fffd}'".into(), quote_rune);
                    return self
                        .fail(start, format!("unexpected character after '!': {shown}"))
                        .map(|_| false);
                }
            },
            '<' => match self.peek() {
                Some('=') => {
                    self.bump();
                    self.emit(T::Lte, start);
                }
                Some('/') => {
                    self.bump();
                    self.emit(T::TrimUpper, start);
                }
                _ => self.emit(T::Lss, start),
            },
            '>' => match self.peek() {
                Some('=') => {
                    self.bump();
                    self.emit(T::Gte, start);
                }
                Some('/') => {
                    self.bump();
                    self.emit(T::TrimLower, start);
                }
                _ => self.emit(T::Gtr, start),
            },
            c if c.is_ascii_digit()
                || (c == '.' && self.peek().is_some_and(|n| n.is_ascii_digit())) =>
            {
                self.pos = start;
                self.number_or_duration(start)?;
            }
            '"' | '\'' => self.string(start, c)?,
            '`' => self.raw_string(start)?,
            c if is_alpha(c) || c == ':' => self.identifier(start, true),
            '(' => {
                self.emit(T::LParen, start);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(T::RParen, start);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self
                        .fail(start, "unexpected right parenthesis ')'".into())
                        .map(|_| false);
                }
            }
            '{' => {
                self.emit(T::LBrace, start);
                self.brace_open = true;
            }
            '}' => {
                return self
                    .fail(start, "unexpected right brace '}'".into())
                    .map(|_| false);
            }
            '[' => {
                self.emit(T::LBracket, start);
                self.bracket_open = true;
                self.got_colon = false;
                self.got_duration = false;
            }
            ']' => {
                return self
                    .fail(start, "unexpected right bracket ']'".into())
                    .map(|_| false);
            }
            c => {
                return self
                    .fail(start, format!("unexpected character: {}", quote_rune(c)))
                    .map(|_| false);
            }
        }
        Ok(false)
    }

    fn identifier(&mut self, start: usize, allow_colon: bool) {
        while let Some(c) = self.peek() {
            if is_alnum(c) || (allow_colon && c == ':') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let word = &self.input[start..self.pos];
        let kind = if allow_colon && word.contains(':') {
            TokenKind::MetricIdent
        } else {
            TokenKind::Ident
        };
        // `inf` and `nan` are numbers wherever an identifier could stand.
        let kind = if allow_colon && matches!(word.to_ascii_lowercase().as_str(), "inf" | "nan") {
            TokenKind::Number
        } else {
            kind
        };
        self.emit(kind, start);
    }

    fn inside_braces(&mut self) -> LexResult {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return self.fail(start, "unexpected end of input inside braces".into());
        };
        use TokenKind as T;
        match c {
            '#' => self.skip_comment(),
            c if is_space(c) => {}
            c if is_alpha(c) => self.identifier(start, false),
            ',' => self.emit(T::Comma, start),
            '"' | '\'' => self.string(start, c)?,
            '`' => self.raw_string(start)?,
            '=' => {
                if self.peek() == Some('~') {
                    self.bump();
                    self.emit(T::EqlRegex, start);
                } else {
                    self.emit(T::Assign, start);
                }
            }
            '!' => match self.bump() {
                Some('~') => self.emit(T::NeqRegex, start),
                Some('=') => self.emit(T::Neq, start),
                other => {
                    let shown = other.map_or("U+FFFD '\u{fffd}'".into(), quote_rune);
                    return self.fail(
                        start,
                        format!("unexpected character after '!' inside braces: {shown}"),
                    );
                }
            },
            '{' => return self.fail(start, "unexpected left brace '{'".into()),
            '}' => {
                self.emit(T::RBrace, start);
                self.brace_open = false;
            }
            c => {
                return self.fail(
                    start,
                    format!("unexpected character inside braces: {}", quote_rune(c)),
                );
            }
        }
        Ok(())
    }

    fn duration_expr(&mut self) -> LexResult {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return self.fail(
                start,
                "unexpected end of input in duration expression".into(),
            );
        };
        use TokenKind as T;
        match c {
            ']' => {
                self.emit(T::RBracket, start);
                self.bracket_open = false;
                self.got_colon = false;
            }
            ':' => {
                self.emit(T::Colon, start);
                if !self.got_duration {
                    return self.fail(
                        start,
                        "unexpected colon before duration in duration expression".into(),
                    );
                }
                if self.got_colon {
                    return self.fail(
                        start,
                        "unexpected repeated colon in duration expression".into(),
                    );
                }
                self.got_colon = true;
            }
            '(' => {
                self.emit(T::LParen, start);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(T::RParen, start);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.fail(start, "unexpected right parenthesis ')'".into());
                }
            }
            c if is_space(c) => {}
            '+' => self.emit(T::Add, start),
            '-' => self.emit(T::Sub, start),
            '*' => self.emit(T::Mul, start),
            '/' => self.emit(T::Div, start),
            '%' => self.emit(T::Mod, start),
            '^' => self.emit(T::Pow, start),
            ',' => self.emit(T::Comma, start),
            c if is_alpha(c) => {
                self.identifier(start, false);
                let word = self.input[start..self.pos].to_ascii_lowercase();
                if !matches!(word.as_str(), "step" | "range" | "min_of" | "max_of") {
                    self.pos = start + c.len_utf8();
                    return self.fail(
                        start,
                        format!(
                            "unexpected character in duration expression: {}",
                            quote_rune(c)
                        ),
                    );
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && self.peek().is_some_and(|n| n.is_ascii_digit())) =>
            {
                self.pos = start;
                self.got_duration = true;
                self.number_or_duration(start)?;
            }
            c => {
                return self.fail(
                    start,
                    format!(
                        "unexpected character in duration expression: {}",
                        quote_rune(c)
                    ),
                );
            }
        }
        Ok(())
    }

    fn number_or_duration(&mut self, start: usize) -> LexResult {
        if self.scan_number() {
            self.emit(TokenKind::Number, start);
            return Ok(());
        }
        if self.accept_remaining_duration() {
            self.emit(TokenKind::Duration, start);
            return Ok(());
        }
        let text = self.input[start..self.pos].to_owned();
        self.fail(
            start,
            format!("bad number or duration syntax: {}", go_quote_str(&text)),
        )
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn is_next(&self, valid: &str) -> bool {
        self.peek().is_some_and(|c| valid.contains(c))
    }

    /// Scans `[.][d][d._eE]*` in the manner of upstream's `scanNumber`. Leaves the position
    /// after what was consumed; returns whether it forms a number not followed by a letter.
    fn scan_number(&mut self) -> bool {
        let initial = self.pos;
        let mut digits = "0123456789";
        if self.bytes.get(self.pos) == Some(&b'0')
            && matches!(self.bytes.get(self.pos + 1), Some(b'x' | b'X'))
        {
            self.pos += 2;
            self.accept("_");
            digits = "0123456789abcdefABCDEF";
        }
        self.accept(".");
        self.accept(digits);
        let (mut dot, mut exp) = (false, false);
        while let Some(c) = self.peek() {
            let hex = digits.len() > 10;
            let is_exp = !hex && (c == 'e' || c == 'E');
            if !(digits.contains(c) || c == '.' || c == '_' || is_exp) {
                break;
            }
            if c == '.' {
                if dot || hex {
                    self.pos += 1;
                    return false;
                }
                dot = true;
                self.pos += 1;
                if self.accept("_.") {
                    return false;
                }
                continue;
            }
            if is_exp {
                if exp {
                    self.pos += 1;
                    return false;
                }
                exp = true;
                self.pos += 1;
                self.accept("+-");
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            if c == '_' {
                self.pos += 1;
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            while self.is_next(digits) {
                self.pos += 1;
            }
        }
        if self.pos == initial {
            return false;
        }
        !self.peek().is_some_and(is_alnum)
    }

    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept("smhdwy") {
            return false;
        }
        self.accept("s");
        while self.accept("0123456789") {
            while self.accept("0123456789") {}
            if !self.accept("smhdw") {
                return false;
            }
            self.accept("s");
        }
        !self.peek().is_some_and(is_alnum)
    }

    fn string(&mut self, start: usize, quote: char) -> LexResult {
        loop {
            match self.bump() {
                Some('\\') => {
                    if let Err(msg) = self.escape(quote) {
                        return self.fail(start, msg);
                    }
                }
                None | Some('\n') => {
                    return self.fail(start, "unterminated quoted string".into());
                }
                Some(c) if c == quote => break,
                Some(_) => {}
            }
        }
        self.emit(TokenKind::Str, start);
        Ok(())
    }

    fn escape(&mut self, quote: char) -> Result<(), String> {
        let Some(c) = self.bump() else {
            return Err("escape sequence not terminated".into());
        };
        let (mut n, base, max): (u32, u32, u32) = match c {
            'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' => return Ok(()),
            c if c == quote => return Ok(()),
            '0'..='7' => {
                self.pos -= 1;
                (3, 8, 255)
            }
            'x' => (2, 16, 255),
            'u' => (4, 16, 0x10ffff),
            'U' => (8, 16, 0x10ffff),
            c => {
                return Err(format!(
                    "unknown escape sequence U+{:04X} {}",
                    c as u32,
                    quote_rune(c)
                ));
            }
        };
        let mut x: u32 = 0;
        while n > 0 {
            let Some(c) = self.bump() else {
                return Err("escape sequence not terminated".into());
            };
            let d = c.to_digit(16).unwrap_or(16);
            if d >= base {
                return Err(format!(
                    "illegal character U+{:04X} {} in escape sequence",
                    c as u32,
                    quote_rune(c)
                ));
            }
            x = x.saturating_mul(base).saturating_add(d);
            n -= 1;
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            return Err("escape sequence is an invalid Unicode code point".into());
        }
        Ok(())
    }

    fn raw_string(&mut self, start: usize) -> LexResult {
        loop {
            match self.bump() {
                None => return self.fail(start, "unterminated raw string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(TokenKind::Str, start);
        Ok(())
    }
}

/// Go's `%q` of a string (valid UTF-8).
pub(crate) fn go_quote_str(s: &str) -> String {
    flint_model::quote::go_quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind as T;

    fn kinds(input: &str) -> Vec<TokenKind> {
        lex(input).tokens.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_selectors_and_operators() {
        assert_eq!(
            kinds(r#"sum by (job) (rate(a:b{x=~"y"}[5m])) > bool 2"#),
            vec![
                T::Ident,
                T::Ident,
                T::LParen,
                T::Ident,
                T::RParen,
                T::LParen,
                T::Ident,
                T::LParen,
                T::MetricIdent,
                T::LBrace,
                T::Ident,
                T::EqlRegex,
                T::Str,
                T::RBrace,
                T::LBracket,
                T::Duration,
                T::RBracket,
                T::RParen,
                T::RParen,
                T::Gtr,
                T::Ident,
                T::Number,
                T::Eof
            ]
        );
    }

    #[test]
    fn numbers_and_durations() {
        for n in [
            "1", "1.5", ".5", "1e3", "1E-3", "0x1f", "0755", "1_000", "2.",
        ] {
            assert_eq!(kinds(n), vec![T::Number, T::Eof], "{n}");
        }
        for d in ["5m", "1h30m", "100ms", "1y", "20s500ms"] {
            assert_eq!(kinds(d), vec![T::Duration, T::Eof], "{d}");
        }
        let l = lex("1x");
        assert_eq!(
            l.error.as_deref(),
            Some("bad number or duration syntax: \"1\"")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("(a").error.as_deref(),
            Some("unclosed left parenthesis")
        );
        assert_eq!(
            lex("a{b").error.as_deref(),
            Some("unexpected end of input inside braces")
        );
        assert_eq!(
            lex("\"abc").error.as_deref(),
            Some("unterminated quoted string")
        );
        assert_eq!(
            lex("a ~ b").error.as_deref(),
            Some("unexpected character: '~'")
        );
        assert_eq!(
            lex(r#""\q""#).error.as_deref(),
            Some("unknown escape sequence U+0071 'q'")
        );
    }
}
