//! Expressions: the Pratt loop for binary operators, prefix operators, primaries and the
//! postfix modifiers (`[range]`, `[range:step]`, `offset`, `@`, `anchored`, `smoothed`).

use super::ast::*;
use super::functions::function;
use super::lexer::{Token, TokenKind as T};
use super::literals::{parse_duration, parse_number, unquote};
use super::{PResult, Parser};

/// Precedence of `^`, which is also what unary operators apply to.
const POW_PRECEDENCE: u8 = 6;

impl Parser<'_> {
    /// Parses an expression whose binary operators bind at least as tightly as `min_prec`.
    pub(crate) fn parse_expr(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        while let Some(op) = self.peek_binary_op() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.next();
            let (return_bool, matching) = self.parse_bin_modifiers()?;
            let next_min = if op == BinaryOp::Pow { prec } else { prec + 1 };
            let rhs = self.parse_expr(next_min)?;
            lhs = Expr::Binary(BinaryExpr {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                return_bool,
                matching: Some(matching),
            });
        }
        Ok(lhs)
    }

    fn peek_binary_op(&self) -> Option<BinaryOp> {
        let t = self.peek();
        Some(match t.kind {
            T::Add => BinaryOp::Add,
            T::Sub => BinaryOp::Sub,
            T::Mul => BinaryOp::Mul,
            T::Div => BinaryOp::Div,
            T::Mod => BinaryOp::Mod,
            T::Pow => BinaryOp::Pow,
            T::EqlC => BinaryOp::Eql,
            T::Neq => BinaryOp::Neq,
            T::Gtr => BinaryOp::Gtr,
            T::Lss => BinaryOp::Lss,
            T::Gte => BinaryOp::Gte,
            T::Lte => BinaryOp::Lte,
            T::TrimUpper => BinaryOp::TrimUpper,
            T::TrimLower => BinaryOp::TrimLower,
            T::Ident => match self.text(t).to_ascii_lowercase().as_str() {
                "and" => BinaryOp::And,
                "or" => BinaryOp::Or,
                "unless" => BinaryOp::Unless,
                "atan2" => BinaryOp::Atan2,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// `[bool] [on|ignoring (…) [group_left|group_right [(…)]]] [fill…(v)]…`
    fn parse_bin_modifiers(&mut self) -> PResult<(bool, VectorMatching)> {
        let mut m = VectorMatching::default();
        let return_bool = self.peek_word("bool");
        if return_bool {
            self.next();
        }
        if self.peek_word("on") || self.peek_word("ignoring") {
            m.on = self.peek_word("on");
            self.next();
            m.labels = self.parse_grouping_labels()?;
            if self.peek_word("group_left") || self.peek_word("group_right") {
                m.card = if self.peek_word("group_left") {
                    Cardinality::ManyToOne
                } else {
                    Cardinality::OneToMany
                };
                self.next();
                if self.peek().kind == T::LParen {
                    m.include = self.parse_grouping_labels()?;
                }
            }
        }
        loop {
            let (lhs, rhs) = if self.peek_word("fill") {
                (true, true)
            } else if self.peek_word("fill_left") {
                (true, false)
            } else if self.peek_word("fill_right") {
                (false, true)
            } else {
                break;
            };
            if self.peek_n(1).kind != T::LParen {
                break;
            }
            self.next();
            self.next();
            let v = self.parse_signed_number("fill modifier")?;
            let t = self.next();
            if t.kind != T::RParen {
                return Err(self.unexpected(t, "fill modifier", "\")\""));
            }
            if lhs {
                m.fill_lhs = Some(v);
            }
            if rhs {
                m.fill_rhs = Some(v);
            }
        }
        Ok((return_bool, m))
    }

    /// An optionally signed number or duration (in seconds).
    fn parse_signed_number(&mut self, context: &str) -> PResult<f64> {
        let mut sign = 1.0;
        while matches!(self.peek().kind, T::Add | T::Sub) {
            if self.next().kind == T::Sub {
                sign = -sign;
            }
        }
        let t = self.next();
        let v = match t.kind {
            T::Number => parse_number(self.text(t)),
            T::Duration => parse_duration(self.text(t)).map(|ms| ms as f64 / 1000.0),
            _ => return Err(self.unexpected(t, context, "number")),
        };
        v.map(|v| sign * v)
            .map_err(|e| self.error_at(Span::new(t.start, t.end), e))
    }

    /// `( label, "label", … )`, trailing comma allowed.
    pub(crate) fn parse_grouping_labels(&mut self) -> PResult<Vec<String>> {
        let t = self.next();
        if t.kind != T::LParen {
            return Err(self.unexpected(t, "grouping opts", "\"(\""));
        }
        let mut labels = Vec::new();
        loop {
            let t = self.next();
            match t.kind {
                T::RParen => return Ok(labels),
                T::Ident => labels.push(self.text(t).to_owned()),
                T::Str => labels.push(self.string_value(t)?),
                _ => return Err(self.unexpected(t, "grouping opts", "label")),
            }
            let t = self.next();
            match t.kind {
                T::RParen => return Ok(labels),
                T::Comma => {}
                _ => return Err(self.unexpected(t, "grouping opts", "\",\" or \")\"")),
            }
        }
    }

    /// The value of a string token, which must be valid UTF-8.
    pub(crate) fn string_value(&self, t: Token) -> PResult<String> {
        let bytes =
            unquote(self.text(t)).map_err(|e| self.error_at(Span::new(t.start, t.end), e))?;
        String::from_utf8(bytes)
            .map_err(|_| self.error_at(Span::new(t.start, t.end), "invalid UTF-8 rune"))
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        if !matches!(t.kind, T::Add | T::Sub) {
            let e = self.parse_primary()?;
            return self.parse_postfix(e);
        }
        self.next();
        let negate = t.kind == T::Sub;
        let operand = self.parse_expr(POW_PRECEDENCE)?;
        Ok(match operand {
            Expr::Number(mut n) => {
                if negate {
                    n.value = -n.value;
                }
                n.span.start = t.start;
                Expr::Number(n)
            }
            other => Expr::Unary(UnaryExpr {
                negate,
                expr: Box::new(other),
                start: t.start,
            }),
        })
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        let span = Span::new(t.start, t.end);
        match t.kind {
            T::Number => {
                self.next();
                let value = parse_number(self.text(t))
                    .map_err(|e| self.error_at(span, format!("error parsing number: {e}")))?;
                Ok(Expr::Number(NumberLiteral {
                    value,
                    duration: false,
                    span,
                }))
            }
            T::Duration => {
                self.next();
                let ms = parse_duration(self.text(t)).map_err(|e| self.error_at(span, e))?;
                Ok(Expr::Number(NumberLiteral {
                    value: ms as f64 / 1000.0,
                    duration: true,
                    span,
                }))
            }
            T::Str => {
                self.next();
                let bytes = unquote(self.text(t)).map_err(|e| self.error_at(span, e))?;
                Ok(Expr::String(match String::from_utf8(bytes) {
                    Ok(value) => StringLiteral {
                        value,
                        bytes: None,
                        span,
                    },
                    Err(e) => StringLiteral {
                        value: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        bytes: Some(e.into_bytes()),
                        span,
                    },
                }))
            }
            T::LParen => {
                self.next();
                let inner = self.parse_expr(0)?;
                let close = self.next();
                if close.kind != T::RParen {
                    return Err(self.unexpected(close, "paren expression", "\")\""));
                }
                Ok(Expr::Paren(ParenExpr {
                    expr: Box::new(inner),
                    span: Span::new(t.start, close.end),
                }))
            }
            T::LBrace => self.parse_vector_selector(None).map(Expr::Vector),
            T::Ident | T::MetricIdent => {
                let word = self.text(t);
                let next = self.peek_n(1);
                if t.kind == T::Ident {
                    if let Some(op) = AggregateOp::from_name(word) {
                        let opens = next.kind == T::LParen
                            || self.peek_word_n(1, "by")
                            || self.peek_word_n(1, "without");
                        if opens {
                            return self.parse_aggregate(op);
                        }
                    }
                    if next.kind == T::LParen {
                        return self.parse_call();
                    }
                }
                self.next();
                self.parse_vector_selector(Some((word.to_owned(), span)))
                    .map(Expr::Vector)
            }
            _ => Err(self.unexpected(t, "", "")),
        }
    }

    fn parse_aggregate(&mut self, op: AggregateOp) -> PResult<Expr> {
        let op_tok = self.next();
        let mut grouping: Option<(Vec<String>, bool)> = None;
        if self.peek_word("by") || self.peek_word("without") {
            let without = self.peek_word("without");
            self.next();
            grouping = Some((self.parse_grouping_labels()?, without));
        }
        let open = self.peek();
        if open.kind != T::LParen {
            return Err(self.unexpected(open, "aggregation", "\"(\""));
        }
        let (args, close) = self.parse_call_args()?;
        let mut end = close;
        if grouping.is_none() && (self.peek_word("by") || self.peek_word("without")) {
            let without = self.peek_word("without");
            self.next();
            grouping = Some((self.parse_grouping_labels()?, without));
            end = self.tokens_end_of_previous();
        }
        let span = Span::new(op_tok.start, end);
        let desired = if op.has_param() { 2 } else { 1 };
        if args.len() != desired {
            return Err(self.error_at(
                span,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {desired}, got {}",
                    args.len()
                ),
            ));
        }
        let mut args = args.into_iter();
        let param = if op.has_param() {
            args.next().map(Box::new)
        } else {
            None
        };
        let Some(expr) = args.next() else {
            return Err(self.error_at(span, "missing aggregation argument"));
        };
        let (grouping, without) = grouping.unwrap_or_default();
        Ok(Expr::Aggregate(AggregateExpr {
            op,
            expr: Box::new(expr),
            param,
            grouping,
            without,
            span,
        }))
    }

    fn tokens_end_of_previous(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(self.input.len(), |t| t.end)
    }

    /// `( expr, expr, … )`; returns the arguments and the end of the closing parenthesis.
    fn parse_call_args(&mut self) -> PResult<(Vec<Expr>, usize)> {
        self.next();
        let mut args = Vec::new();
        if self.peek().kind == T::RParen {
            return Ok((args, self.next().end));
        }
        loop {
            args.push(self.parse_expr(0)?);
            let t = self.next();
            match t.kind {
                T::RParen => return Ok((args, t.end)),
                T::Comma => {
                    if self.peek().kind == T::RParen {
                        return Err(self.error_at(
                            Span::new(t.start, t.end),
                            "trailing commas not allowed in function call args",
                        ));
                    }
                }
                _ => return Err(self.unexpected(t, "function call", "\",\" or \")\"")),
            }
        }
    }

    fn parse_call(&mut self) -> PResult<Expr> {
        let name_tok = self.next();
        let name = self.text(name_tok);
        let Some(func) = function(name) else {
            // Upstream checks names after the lexer has read the whole call: a lexer
            // error further on (`up(` is "unclosed left parenthesis") is what it reports.
            if let Some(e) = self.pending_lex_error() {
                return Err(e);
            }
            return Err(self.error_at(
                Span::new(name_tok.start, name_tok.end),
                format!(
                    "unknown function with name {}",
                    super::lexer::go_quote_str(name)
                ),
            ));
        };
        let (args, end) = self.parse_call_args()?;
        Ok(Expr::Call(Call {
            func,
            args,
            span: Span::new(name_tok.start, end),
        }))
    }

    fn parse_postfix(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            let t = self.peek();
            e = match t.kind {
                T::LBracket => self.parse_range(e)?,
                T::At => self.parse_at(e)?,
                T::Ident if self.peek_word("offset") => self.parse_offset(e)?,
                T::Ident if self.peek_word("anchored") || self.peek_word("smoothed") => {
                    self.parse_extended(e)?
                }
                _ => return Ok(e),
            };
        }
    }

    fn parse_range(&mut self, e: Expr) -> PResult<Expr> {
        let open = self.next();
        let range = self.parse_duration_expr(0, "subquery or range")?;
        let t = self.next();
        match t.kind {
            T::RBracket => {
                let span = Span::new(open.start, t.end);
                let msg = match &e {
                    Expr::Vector(vs) if vs.offset.is_some() => {
                        "no offset modifiers allowed before range"
                    }
                    Expr::Vector(vs) if vs.at.is_some() => "no @ modifiers allowed before range",
                    Expr::Vector(vs) if vs.smoothed || vs.anchored => {
                        "no smoothed or anchored modifiers allowed before range"
                    }
                    Expr::Vector(_) => "",
                    _ => "ranges only allowed for vector selectors",
                };
                if !msg.is_empty() {
                    return Err(self.error_at(span, msg));
                }
                let Expr::Vector(selector) = e else {
                    return Err(self.error_at(span, "ranges only allowed for vector selectors"));
                };
                Ok(Expr::Matrix(MatrixSelector {
                    selector,
                    range,
                    end: t.end,
                }))
            }
            T::Colon => {
                let step = if self.peek().kind == T::RBracket {
                    None
                } else {
                    Some(self.parse_duration_expr(0, "subquery selector")?)
                };
                let close = self.next();
                if close.kind != T::RBracket {
                    return Err(self.unexpected(close, "subquery selector", "\"]\""));
                }
                Ok(Expr::Subquery(SubqueryExpr {
                    expr: Box::new(e),
                    range,
                    step,
                    offset: None,
                    at: None,
                    end: close.end,
                }))
            }
            _ => Err(self.unexpected(t, "subquery or range", "\":\" or \"]\"")),
        }
    }

    /// Duration arithmetic: `+ - * / % ^`, parentheses, numbers (seconds), durations,
    /// `step()`, `range()`, `min_of(a, b)`, `max_of(a, b)`.
    fn parse_duration_expr(&mut self, min_prec: u8, context: &str) -> PResult<DurationExpr> {
        let mut lhs = self.parse_duration_unary(context)?;
        loop {
            let op = match self.peek().kind {
                T::Add => BinaryOp::Add,
                T::Sub => BinaryOp::Sub,
                T::Mul => BinaryOp::Mul,
                T::Div => BinaryOp::Div,
                T::Mod => BinaryOp::Mod,
                T::Pow => BinaryOp::Pow,
                _ => break,
            };
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.next();
            let next_min = if op == BinaryOp::Pow { prec } else { prec + 1 };
            let rhs = self.parse_duration_expr(next_min, context)?;
            lhs = DurationExpr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    fn parse_duration_unary(&mut self, context: &str) -> PResult<DurationExpr> {
        let t = self.peek();
        if matches!(t.kind, T::Add | T::Sub) {
            self.next();
            let operand = self.parse_duration_expr(POW_PRECEDENCE, context)?;
            return Ok(DurationExpr::Unary {
                negate: t.kind == T::Sub,
                expr: Box::new(operand),
            });
        }
        self.parse_duration_primary(context)
    }

    fn parse_duration_primary(&mut self, context: &str) -> PResult<DurationExpr> {
        let t = self.next();
        let span = Span::new(t.start, t.end);
        match t.kind {
            T::Number => parse_number(self.text(t))
                .map(DurationExpr::Number)
                .map_err(|e| self.error_at(span, format!("error parsing number: {e}"))),
            T::Duration => parse_duration(self.text(t))
                .map(DurationExpr::Literal)
                .map_err(|e| self.error_at(span, e)),
            T::LParen => {
                let inner = self.parse_duration_expr(0, context)?;
                let close = self.next();
                if close.kind != T::RParen {
                    return Err(self.unexpected(close, "duration expression", "\")\""));
                }
                Ok(DurationExpr::Paren(Box::new(inner)))
            }
            T::Ident => {
                let word = self.text(t).to_ascii_lowercase();
                let open = self.next();
                if open.kind != T::LParen {
                    return Err(self.unexpected(open, "duration expression", "\"(\""));
                }
                let e = match word.as_str() {
                    "step" => DurationExpr::Step,
                    "range" => DurationExpr::Range,
                    "min_of" | "max_of" => {
                        let a = self.parse_duration_expr(0, context)?;
                        let comma = self.next();
                        if comma.kind != T::Comma {
                            return Err(self.unexpected(comma, "duration expression", "\",\""));
                        }
                        let b = self.parse_duration_expr(0, context)?;
                        if word == "min_of" {
                            DurationExpr::MinOf(Box::new(a), Box::new(b))
                        } else {
                            DurationExpr::MaxOf(Box::new(a), Box::new(b))
                        }
                    }
                    _ => return Err(self.unexpected(t, context, "duration")),
                };
                let close = self.next();
                if close.kind != T::RParen {
                    return Err(self.unexpected(close, "duration expression", "\")\""));
                }
                Ok(e)
            }
            _ => Err(self.unexpected(t, context, "duration")),
        }
    }

    fn parse_offset(&mut self, mut e: Expr) -> PResult<Expr> {
        let kw = self.next();
        let t = self.peek();
        let offset = if matches!(t.kind, T::Add | T::Sub) {
            self.next();
            let inner = self.parse_duration_primary("offset")?;
            if t.kind == T::Sub {
                DurationExpr::Unary {
                    negate: true,
                    expr: Box::new(inner),
                }
            } else {
                inner
            }
        } else if matches!(t.kind, T::Number | T::Duration | T::LParen | T::Ident) {
            self.parse_duration_primary("offset")?
        } else {
            return Err(self.unexpected(t, "offset", "number, duration, or step()"));
        };
        let end = self.tokens_end_of_previous();
        let span = Span::new(kw.start, end);
        let slot = match &mut e {
            Expr::Vector(vs) => {
                vs.end = end;
                &mut vs.offset
            }
            Expr::Matrix(ms) => {
                ms.end = end;
                &mut ms.selector.offset
            }
            Expr::Subquery(sq) => {
                sq.end = end;
                &mut sq.offset
            }
            _ => {
                return Err(self.error_at(
                    span,
                    "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                ));
            }
        };
        if slot.is_some() {
            return Err(self.error_at(span, "offset may not be set multiple times"));
        }
        *slot = Some(offset);
        Ok(e)
    }

    fn parse_at(&mut self, mut e: Expr) -> PResult<Expr> {
        let at_tok = self.next();
        let at = if self.peek_word("start") || self.peek_word("end") {
            let start = self.peek_word("start");
            let name = self.next();
            let open = self.next();
            let close = self.next();
            if open.kind != T::LParen || close.kind != T::RParen {
                let bad = if open.kind != T::LParen { open } else { close };
                let _ = name;
                return Err(self.unexpected(bad, "@", "\"(\" and \")\""));
            }
            if start {
                AtModifier::Start
            } else {
                AtModifier::End
            }
        } else {
            let first = self.peek();
            if !matches!(first.kind, T::Number | T::Duration | T::Add | T::Sub) {
                return Err(self.unexpected(first, "@", "timestamp"));
            }
            let secs = self.parse_signed_number("@")?;
            if !secs.is_finite() || secs >= i64::MAX as f64 || secs <= i64::MIN as f64 {
                let span = Span::new(at_tok.start, self.tokens_end_of_previous());
                return Err(self.error_at(
                    span,
                    format!("timestamp out of bounds for @ modifier: {secs:.6}"),
                ));
            }
            AtModifier::Timestamp((secs * 1000.0).round() as i64)
        };
        let end = self.tokens_end_of_previous();
        let span = Span::new(at_tok.start, end);
        let slot = match &mut e {
            Expr::Vector(vs) => {
                vs.end = end;
                &mut vs.at
            }
            Expr::Matrix(ms) => {
                ms.end = end;
                &mut ms.selector.at
            }
            Expr::Subquery(sq) => {
                sq.end = end;
                &mut sq.at
            }
            _ => {
                return Err(self.error_at(
                    span,
                    "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                ));
            }
        };
        if slot.is_some() {
            return Err(self.error_at(span, "@ <timestamp> may not be set multiple times"));
        }
        *slot = Some(at);
        Ok(e)
    }

    fn parse_extended(&mut self, mut e: Expr) -> PResult<Expr> {
        let t = self.next();
        let anchored = self.text(t).eq_ignore_ascii_case("anchored");
        let span = Span::new(t.start, t.end);
        let vs = match &mut e {
            Expr::Vector(vs) if !anchored => {
                vs.end = t.end;
                vs
            }
            Expr::Matrix(ms) => {
                ms.end = t.end;
                &mut ms.selector
            }
            _ => {
                let which = if anchored { "anchored" } else { "smoothed" };
                let what = if anchored {
                    "a range vector selector"
                } else {
                    "an instant vector selector or range vector selector"
                };
                return Err(
                    self.error_at(span, format!("{which} modifier must be preceded by {what}"))
                );
            }
        };
        if vs.anchored || vs.smoothed {
            return Err(self.error_at(span, "anchored and smoothed modifiers may only be set once"));
        }
        if anchored {
            vs.anchored = true;
        } else {
            vs.smoothed = true;
        }
        Ok(e)
    }
}
