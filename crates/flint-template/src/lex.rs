//! The lexer: splits template text into text, delimiters and action tokens, as Go's
//! `text/template/parse` lexer does (same token kinds, trim markers, comments, errors).

/// Token kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Kind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Dot
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Nil
                | Kind::Range
                | Kind::Template
                | Kind::With
        )
    }
}

/// One token: its kind, byte offset, 1-based line and value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub pos: usize,
    pub line: usize,
    pub val: String,
}

impl Token {
    /// The token as Go's parser names it in messages.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Eof => "EOF".to_string(),
            Kind::Error => self.val.clone(),
            k if k.is_keyword() => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", crate::gofmt::quote(&head))
                } else {
                    crate::gofmt::quote(&self.val)
                }
            }
        }
    }
}

fn keyword(word: &str) -> Option<Kind> {
    Some(match word {
        "block" => Kind::Block,
        "break" => Kind::Break,
        "continue" => Kind::Continue,
        "define" => Kind::Define,
        "else" => Kind::Else,
        "end" => Kind::End,
        "if" => Kind::If,
        "range" => Kind::Range,
        "nil" => Kind::Nil,
        "template" => Kind::Template,
        "with" => Kind::With,
        _ => return None,
    })
}

const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

/// Tokenizes `input` completely. The last token is `Eof` or `Error`.
pub(crate) fn lex(input: &str, left: &str, right: &str, keep_comments: bool) -> Vec<Token> {
    let mut l = Lexer {
        input,
        bytes: input.as_bytes(),
        left: if left.is_empty() { "{{" } else { left },
        right: if right.is_empty() { "}}" } else { right },
        keep_comments,
        pos: 0,
        start: 0,
        cursor: (0, 1),
        paren_depth: 0,
        tokens: Vec::new(),
        inside: false,
    };
    l.run();
    l.tokens
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    left: &'a str,
    right: &'a str,
    keep_comments: bool,
    pos: usize,
    start: usize,
    /// (byte offset, line there): where line counting last stopped.
    cursor: (usize, usize),
    paren_depth: i32,
    tokens: Vec<Token>,
    inside: bool,
}

/// The lexer's result for one step: keep going or stop (after EOF or an error).
type Step = Result<(), ()>;

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        loop {
            let r = if self.inside {
                self.inside_action()
            } else {
                self.text()
            };
            if r.is_err() {
                return;
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn backup(&mut self, c: char) {
        self.pos -= c.len_utf8();
    }

    /// The 1-based line of byte offset `pos`; offsets are asked for in increasing order.
    fn line_at(&mut self, pos: usize) -> usize {
        let (at, line) = if pos >= self.cursor.0 {
            self.cursor
        } else {
            (0, 1)
        };
        let line = line + self.bytes[at..pos].iter().filter(|&&b| b == b'\n').count();
        self.cursor = (pos, line);
        line
    }

    fn push(&mut self, kind: Kind, pos: usize, val: String) {
        let line = self.line_at(pos);
        self.tokens.push(Token {
            kind,
            pos,
            line,
            val,
        });
    }

    fn emit(&mut self, kind: Kind) {
        let val = self.input[self.start..self.pos].to_string();
        self.emit_val(kind, val);
    }

    fn emit_val(&mut self, kind: Kind, val: String) {
        self.push(kind, self.start, val);
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, message: String) -> Step {
        self.push(Kind::Error, self.start, message);
        Err(())
    }

    /// Scans text up to the next left delimiter.
    fn text(&mut self) -> Step {
        if let Some(x) = self.input[self.pos..].find(self.left) {
            if x > 0 {
                self.pos += x;
                let mut trim_len = 0;
                let after = &self.bytes[self.pos + self.left.len()..];
                if has_left_trim(after) {
                    trim_len = self.input[self.start..self.pos].len()
                        - self.input[self.start..self.pos]
                            .trim_end_matches([' ', '\t', '\r', '\n'])
                            .len();
                }
                self.pos -= trim_len;
                let val = self.input[self.start..self.pos].to_string();
                if !val.is_empty() {
                    self.push(Kind::Text, self.start, val);
                }
                self.pos += trim_len;
                self.ignore();
            }
            return self.left_delim();
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            let val = self.input[self.start..self.pos].to_string();
            self.push(Kind::Text, self.start, val);
            self.start = self.pos;
        }
        self.emit(Kind::Eof);
        Err(())
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.bytes[self.pos..];
        if has_right_trim(rest) && self.input[self.pos + 2..].starts_with(self.right) {
            return (true, true);
        }
        (self.input[self.pos..].starts_with(self.right), false)
    }

    fn left_delim(&mut self) -> Step {
        self.pos += self.left.len();
        let trim = has_left_trim(&self.bytes[self.pos..]);
        let after_marker = if trim { 2 } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            return self.comment();
        }
        self.emit(Kind::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.inside = true;
        Ok(())
    }

    fn comment(&mut self) -> Step {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.input[self.pos..].find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".to_string());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".to_string());
        }
        if self.keep_comments {
            self.emit(Kind::Comment);
        }
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            self.skip_leading_space();
        }
        self.ignore();
        Ok(())
    }

    fn skip_leading_space(&mut self) {
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    fn right_delim(&mut self, trim: bool) -> Step {
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += self.right.len();
        self.emit(Kind::RightDelim);
        if trim {
            self.skip_leading_space();
            self.ignore();
        }
        self.inside = false;
        Ok(())
    }

    fn inside_action(&mut self) -> Step {
        let (delim, trim) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.right_delim(trim);
            }
            return self.error("unclosed left paren".to_string());
        }
        let Some(c) = self.next() else {
            return self.error("unclosed action".to_string());
        };
        match c {
            c if c.is_ascii() && is_space(c as u8) => {
                self.backup(c);
                return self.space();
            }
            '=' => self.emit(Kind::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".to_string());
                }
                self.emit(Kind::Declare);
            }
            '|' => {
                if self.paren_depth != 0 {
                    // Go allows pipes inside parentheses; they are ordinary pipe tokens.
                }
                self.emit(Kind::Pipe);
            }
            '"' => return self.quote(),
            '`' => return self.raw_quote(),
            '$' => return self.field_or_variable(Kind::Variable),
            '\'' => return self.char_const(),
            '.' => {
                if let Some(n) = self.peek()
                    && !n.is_ascii_digit()
                {
                    return self.field_or_variable(Kind::Field);
                }
                self.backup(c);
                return self.number();
            }
            '+' | '-' | '0'..='9' => {
                self.backup(c);
                return self.number();
            }
            c if is_alnum(c) => {
                self.backup(c);
                return self.identifier();
            }
            c => return self.punctuation(c),
        }
        Ok(())
    }

    /// Parentheses and other single characters inside an action.
    fn punctuation(&mut self, c: char) -> Step {
        match c {
            '(' => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                // Go 1.19 lets the parser report an unbalanced ")".
                self.paren_depth = (self.paren_depth - 1).max(0);
                self.emit(Kind::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Kind::Char),
            c => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    crate::gofmt::unicode_name(c)
                ));
            }
        }
        Ok(())
    }

    fn space(&mut self) -> Step {
        let mut spaces = 0;
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.next();
            spaces += 1;
        }
        // A trim-marked closing delimiter has a minus after a space: leave that space to it.
        if has_right_trim(&self.bytes[self.pos - 1..])
            && self.input[self.pos + 1..].starts_with(self.right)
        {
            let c = self.bytes[self.pos - 1] as char;
            self.backup(c);
            if spaces == 1 {
                return Ok(());
            }
        }
        self.emit(Kind::Space);
        Ok(())
    }

    /// Consumes an alphanumeric run, which must end at a terminator.
    fn word(&mut self) -> Step {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.next();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character {}", crate::gofmt::unicode_name(c)));
        }
        Ok(())
    }

    fn identifier(&mut self) -> Step {
        self.word()?;
        let word = &self.input[self.start..self.pos];
        let kind = if let Some(k) = keyword(word) {
            k
        } else if word.starts_with('.') {
            Kind::Field
        } else if word == "true" || word == "false" {
            Kind::Bool
        } else {
            Kind::Identifier
        };
        self.emit(kind);
        Ok(())
    }

    fn field_or_variable(&mut self, kind: Kind) -> Step {
        if self.at_terminator() {
            if kind == Kind::Variable {
                self.emit(Kind::Variable);
            } else {
                self.emit(Kind::Dot);
            }
            return Ok(());
        }
        self.word()?;
        self.emit(kind);
        Ok(())
    }

    fn at_terminator(&self) -> bool {
        let Some(c) = self.peek() else {
            return true;
        };
        if c.is_ascii() && is_space(c as u8) {
            return true;
        }
        if matches!(c, '.' | ',' | '|' | ':' | ')' | '(') {
            return true;
        }
        self.input[self.pos..].starts_with(self.right)
    }

    fn char_const(&mut self) -> Step {
        self.quoted('\'', Kind::CharConstant, "unterminated character constant")
    }

    /// A quoted literal up to the closing `q`; backslash escapes one character, and a newline
    /// or the end of input is an error.
    fn quoted(&mut self, q: char, kind: Kind, unterminated: &str) -> Step {
        loop {
            match self.next() {
                Some('\\') => {
                    if let Some(c) = self.next()
                        && c != '\n'
                    {
                        continue;
                    }
                    return self.error(unterminated.to_string());
                }
                None | Some('\n') => return self.error(unterminated.to_string()),
                Some(c) if c == q => break,
                Some(_) => {}
            }
        }
        self.emit(kind);
        Ok(())
    }

    fn number(&mut self) -> Step {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.error(format!("bad number syntax: {}", crate::gofmt::quote(&text)));
        }
        if let Some(sign @ ('+' | '-')) = self.peek() {
            // Complex: 1+2i. The imaginary part must follow.
            self.next();
            if !self.scan_number() || self.bytes[self.pos - 1] != b'i' {
                let _ = sign;
                let text = self.input[self.start..self.pos].to_string();
                return self.error(format!("bad number syntax: {}", crate::gofmt::quote(&text)));
            }
            self.emit(Kind::Complex);
        } else {
            self.emit(Kind::Number);
        }
        Ok(())
    }

    fn accept(&mut self, valid: &str) -> bool {
        if let Some(c) = self.peek()
            && valid.contains(c)
        {
            self.next();
            return true;
        }
        false
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 10 + 1 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 16 + 6 + 1 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn quote(&mut self) -> Step {
        self.quoted('"', Kind::String, "unterminated quoted string")
    }

    fn raw_quote(&mut self) -> Step {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".to_string()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::RawString);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, String)> {
        lex(s, "", "", false)
            .into_iter()
            .map(|t| (t.kind, t.val))
            .collect()
    }

    #[test]
    fn text_and_actions() {
        let t = kinds("a {{ .X | f 1 }} b");
        let k: Vec<Kind> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            k,
            vec![
                Kind::Text,
                Kind::LeftDelim,
                Kind::Space,
                Kind::Field,
                Kind::Space,
                Kind::Pipe,
                Kind::Space,
                Kind::Identifier,
                Kind::Space,
                Kind::Number,
                Kind::Space,
                Kind::RightDelim,
                Kind::Text,
                Kind::Eof
            ]
        );
    }

    #[test]
    fn trim_markers() {
        let t = kinds("a  {{- 3 -}}  b");
        assert_eq!(t[0], (Kind::Text, "a".to_string()));
        assert_eq!(t[2], (Kind::Number, "3".to_string()));
        assert_eq!(t[4], (Kind::Text, "b".to_string()));
        // Without a space, "-3" is a number.
        let t = kinds("{{-3}}");
        assert_eq!(t[1], (Kind::Number, "-3".to_string()));
    }

    #[test]
    fn comments() {
        let t = kinds("a {{- /* c */ -}} b");
        assert_eq!(t.len(), 3);
        assert_eq!(t[1], (Kind::Text, "b".to_string()));
        let t = kinds("{{/* c */ x}}");
        assert_eq!(
            t.last().map(|x| x.1.clone()),
            Some("comment ends before closing delimiter".into())
        );
        let t = kinds("{{/* c ");
        assert_eq!(
            t.last().map(|x| x.1.clone()),
            Some("unclosed comment".into())
        );
    }

    #[test]
    fn errors() {
        let last = |s: &str| kinds(s).last().map(|x| x.1.clone()).unwrap_or_default();
        assert_eq!(last("{{"), "unclosed action");
        assert_eq!(last("{{ \"abc }}"), "unterminated quoted string");
        assert_eq!(last("{{ 3x }}"), "bad number syntax: \"3x\"");
        assert_eq!(
            last("{{ \u{a0} }}"),
            "unrecognized character in action: U+00A0"
        );
        assert_eq!(last("{{ ( }}"), "unclosed left paren");
    }

    #[test]
    fn lines() {
        let toks = lex("a\nb{{ x\n }}\nc", "", "", false);
        let ident = toks
            .iter()
            .find(|t| t.kind == Kind::Identifier)
            .map(|t| t.line);
        assert_eq!(ident, Some(2));
        let last_text = toks.iter().rfind(|t| t.kind == Kind::Text).map(|t| t.line);
        assert_eq!(last_text, Some(3));
    }
}
