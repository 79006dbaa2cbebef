//! The PromQL parser: a hand-written lexer and Pratt parser producing an [`Expr`] with source
//! positions.
//!
//! ```
//! use flint_promql::parser::{parse, Expr};
//!
//! let e = parse("sum by (job) (rate(http_requests_total[5m]))")?;
//! assert!(matches!(e, Expr::Aggregate(_)));
//! assert_eq!(e.to_string(), "sum by (job) (rate(http_requests_total[5m]))");
//! let err = parse("rate(foo[5m]").unwrap_err();
//! assert_eq!(err.to_string(), "1:13: parse error: unclosed left parenthesis");
//! # Ok::<(), flint_promql::parser::ParseError>(())
//! ```

mod ast;
mod check;
mod functions;
mod grammar;
mod lexer;
mod literals;
mod matchers;
mod pretty;
mod printer;

pub use ast::*;
pub use functions::{FUNCTIONS, Function, function};
pub use literals::{format_duration, format_float, parse_duration, parse_number, unquote};

use lexer::{Token, TokenKind};

/// A syntax or type error, positioned in the query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: parse error: {message}")]
pub struct ParseError {
    /// Where in the query the problem is.
    pub span: Span,
    /// `line:column` of the start of `span` (1-based).
    pub position: String,
    /// What is wrong, in upstream's words.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(query: &str, span: Span, message: impl Into<String>) -> Self {
        ParseError {
            span,
            position: ast::line_col(query, span.start),
            message: message.into(),
        }
    }
}

/// Parses and type-checks a PromQL expression.
pub fn parse(query: &str) -> Result<Expr, ParseError> {
    let mut p = Parser::new(query);
    let expr = p.parse_query()?;
    check::check(query, &expr)?;
    Ok(expr)
}

/// Parses a series selector such as `up{job="api"}` (as the `match[]` parameters of the HTTP
/// API take), returning its matchers.
pub fn parse_metric_selector(query: &str) -> Result<Vec<flint_model::Matcher>, ParseError> {
    let expr = parse(query)?;
    match expr {
        Expr::Vector(vs) => Ok(vs.matchers),
        other => Err(ParseError::new(
            query,
            other.span(),
            format!("expected a series selector, got {}", other.value_type()),
        )),
    }
}

/// The parser's state: the tokens and a cursor.
pub(crate) struct Parser<'a> {
    pub(crate) input: &'a str,
    tokens: Vec<Token>,
    lex_error: Option<String>,
    pos: usize,
}

/// Result of a grammar rule.
pub(crate) type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        let lexed = lexer::lex(input);
        Parser {
            input,
            tokens: lexed.tokens,
            lex_error: lexed.error,
            pos: 0,
        }
    }

    fn parse_query(&mut self) -> PResult<Expr> {
        if self.peek().kind == TokenKind::Eof {
            return Err(self.error_at(Span::default(), "no expression found in input"));
        }
        let expr = self.parse_expr(0)?;
        let t = self.peek();
        if t.kind != TokenKind::Eof {
            return Err(self.unexpected(t, "", ""));
        }
        Ok(expr)
    }

    pub(crate) fn peek(&self) -> Token {
        self.peek_n(0)
    }

    pub(crate) fn peek_n(&self, n: usize) -> Token {
        let last = self.tokens.len().saturating_sub(1);
        self.tokens
            .get((self.pos + n).min(last))
            .copied()
            .unwrap_or(Token {
                kind: TokenKind::Eof,
                start: self.input.len(),
                end: self.input.len(),
            })
    }

    pub(crate) fn next(&mut self) -> Token {
        let t = self.peek();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    pub(crate) fn text(&self, t: Token) -> &'a str {
        &self.input[t.start..t.end]
    }

    /// Whether the next token is the identifier `word` (case-insensitive).
    pub(crate) fn peek_word(&self, word: &str) -> bool {
        self.peek_word_n(0, word)
    }

    pub(crate) fn peek_word_n(&self, n: usize, word: &str) -> bool {
        let t = self.peek_n(n);
        t.kind == TokenKind::Ident && self.text(t).eq_ignore_ascii_case(word)
    }

    pub(crate) fn error_at(&self, span: Span, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.input, span, msg)
    }

    /// The lexer's error, if it stopped somewhere after the cursor.
    pub(crate) fn pending_lex_error(&self) -> Option<ParseError> {
        self.tokens[self.pos.min(self.tokens.len())..]
            .iter()
            .find(|t| t.kind == TokenKind::Error)
            .map(|t| self.unexpected(*t, "", ""))
    }

    /// Upstream's "unexpected <token> [in <context>][, expected <what>]".
    pub(crate) fn unexpected(&self, t: Token, context: &str, expected: &str) -> ParseError {
        if t.kind == TokenKind::Error {
            let msg = self
                .lex_error
                .clone()
                .unwrap_or_else(|| "invalid input".into());
            return self.error_at(Span::new(t.start, t.end), msg);
        }
        let mut msg = format!("unexpected {}", self.describe(t));
        if !context.is_empty() {
            msg.push_str(" in ");
            msg.push_str(context);
        }
        if !expected.is_empty() {
            msg.push_str(", expected ");
            msg.push_str(expected);
        }
        self.error_at(Span::new(t.start, t.end), msg)
    }

    /// Describes a token as upstream's `Item.desc()` does.
    fn describe(&self, t: Token) -> String {
        use TokenKind as T;
        let text = self.text(t);
        let quoted = || {
            if text.chars().count() > 10 {
                let short: String = text.chars().take(10).collect();
                format!("{}...", lexer::go_quote_str(&short))
            } else {
                lexer::go_quote_str(text)
            }
        };
        match t.kind {
            T::Eof => "end of input".into(),
            T::Error => "error".into(),
            T::Ident => {
                let lower = text.to_ascii_lowercase();
                if AggregateOp::from_name(&lower).is_some() {
                    format!("<aggr:{text}>")
                } else if matches!(lower.as_str(), "and" | "or" | "unless" | "atan2") {
                    format!("<op:{text}>")
                } else if is_keyword(&lower) {
                    format!("<{text}>")
                } else {
                    format!("identifier {}", lexer::go_quote_str(text))
                }
            }
            T::MetricIdent => format!("metric identifier {}", lexer::go_quote_str(text)),
            T::Number => format!("number {}", quoted()),
            T::Duration => format!("duration {}", quoted()),
            T::Str => format!("string {}", quoted()),
            T::LParen
            | T::RParen
            | T::LBrace
            | T::RBrace
            | T::LBracket
            | T::RBracket
            | T::Comma
            | T::Colon
            | T::Assign => lexer::go_quote_str(text),
            _ => format!("<op:{text}>"),
        }
    }
}

/// Words upstream lexes as keywords (outside braces).
fn is_keyword(lower: &str) -> bool {
    matches!(
        lower,
        "offset"
            | "smoothed"
            | "anchored"
            | "by"
            | "without"
            | "on"
            | "ignoring"
            | "group_left"
            | "group_right"
            | "bool"
            | "start"
            | "end"
            | "step"
            | "range"
    )
}

#[cfg(test)]
mod tests;
