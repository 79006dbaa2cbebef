//! Vector selectors: `name`, `name{…}`, `{…}` and `{"utf8.name", …}`.

use flint_model::names::METRIC_NAME_LABEL;
use flint_model::{MatchType, Matcher};

use super::ast::{Span, VectorSelector};
use super::lexer::TokenKind as T;
use super::{PResult, Parser};

impl Parser<'_> {
    /// Parses the braces after an optional metric name (already consumed) into a selector.
    pub(crate) fn parse_vector_selector(
        &mut self,
        name: Option<(String, Span)>,
    ) -> PResult<VectorSelector> {
        let start = name.as_ref().map_or(self.peek().start, |(_, s)| s.start);
        let mut end = name.as_ref().map_or(start, |(_, s)| s.end);
        let mut matchers = Vec::new();
        let mut inner_name: Option<String> = None;
        if self.peek().kind == T::LBrace {
            let (m, n, close) = self.parse_label_matchers()?;
            matchers = m;
            inner_name = n;
            end = close;
        }
        let span = Span::new(start, end);
        let name = match (name, inner_name) {
            (Some((outer, _)), Some(inner)) => {
                return Err(self.error_at(
                    span,
                    format!(
                        "metric name must not be set twice: {} or {}",
                        super::lexer::go_quote_str(&outer),
                        super::lexer::go_quote_str(&inner)
                    ),
                ));
            }
            (Some((outer, _)), None) => {
                matchers.push(Matcher::equal(METRIC_NAME_LABEL, outer.clone()));
                Some(outer)
            }
            (None, inner) => inner,
        };
        Ok(VectorSelector {
            name,
            matchers,
            offset: None,
            at: None,
            anchored: false,
            smoothed: false,
            span,
            end,
        })
    }

    /// `{ matcher, … }`; returns the matchers, a lone quoted metric name if one was given,
    /// and the end of the closing brace.
    fn parse_label_matchers(&mut self) -> PResult<(Vec<Matcher>, Option<String>, usize)> {
        self.next();
        let mut matchers = Vec::new();
        let mut name: Option<String> = None;
        loop {
            let t = self.next();
            let label = match t.kind {
                T::RBrace => return Ok((matchers, name, t.end)),
                T::Ident => self.text(t).to_owned(),
                T::Str => self.string_value(t)?,
                _ => {
                    return Err(self.unexpected(t, "label matching", "identifier or \"}\""));
                }
            };
            let op_tok = self.peek();
            let op = match op_tok.kind {
                T::Assign => Some(MatchType::Equal),
                T::Neq => Some(MatchType::NotEqual),
                T::EqlRegex => Some(MatchType::RegexMatch),
                T::NeqRegex => Some(MatchType::RegexNoMatch),
                T::Comma | T::RBrace if t.kind == T::Str => None,
                _ => {
                    return Err(self.unexpected(
                        op_tok,
                        "label matching",
                        "label matching operator",
                    ));
                }
            };
            match op {
                None => {
                    // A lone quoted string is the metric name.
                    if let Some(prev) = &name {
                        return Err(self.error_at(
                            Span::new(t.start, t.end),
                            format!(
                                "metric name must not be set twice: {} or {}",
                                super::lexer::go_quote_str(prev),
                                super::lexer::go_quote_str(&label)
                            ),
                        ));
                    }
                    matchers.push(Matcher::equal(METRIC_NAME_LABEL, label.clone()));
                    name = Some(label);
                }
                Some(op) => {
                    self.next();
                    let v = self.next();
                    if v.kind != T::Str {
                        return Err(self.unexpected(v, "label matching", "string"));
                    }
                    let value = self.string_value(v)?;
                    let m = Matcher::new(op, label, value)
                        .map_err(|e| self.error_at(Span::new(t.start, v.end), e.to_string()))?;
                    matchers.push(m);
                }
            }
            let sep = self.next();
            match sep.kind {
                T::RBrace => return Ok((matchers, name, sep.end)),
                T::Comma => {}
                _ => {
                    return Err(self.unexpected(sep, "label matching", "\",\" or \"}\""));
                }
            }
        }
    }
}
