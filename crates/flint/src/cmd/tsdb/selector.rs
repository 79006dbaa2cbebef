//! Series selectors for `--match` (`up`, `{job="api"}`, `http_requests_total{code=~"5.."}`).
//!
//! A small parser for the selector subset of PromQL, until the binary uses the PromQL
//! crate's: an optional metric name, then `{name op "value", …}` with `=`, `!=`, `=~`, `!~`
//! and strings in double, single or back quotes (`\\`, `\"`, `\'`, `\n`, `\t` escapes).

use anyhow::{Context, bail};
use flint_model::Matcher;

pub fn parse_selector(s: &str) -> anyhow::Result<Vec<Matcher>> {
    let mut p = Cursor { s, pos: 0 };
    let mut out = Vec::new();
    p.skip_ws();
    let name = p.ident();
    if !name.is_empty() {
        out.push(Matcher::equal("__name__", name));
    }
    p.skip_ws();
    if p.eat("{") {
        loop {
            p.skip_ws();
            if p.eat("}") {
                break;
            }
            let label = p.ident();
            if label.is_empty() {
                bail!("invalid selector {s:?}: expected a label name at {}", p.pos);
            }
            p.skip_ws();
            let op = ["=~", "!~", "!=", "="]
                .into_iter()
                .find(|op| p.eat(op))
                .with_context(|| format!("invalid selector {s:?}: expected an operator"))?;
            p.skip_ws();
            let value = p.string()?;
            out.push(match op {
                "=" => Matcher::equal(label, value),
                "!=" => Matcher::not_equal(label, value),
                "=~" => Matcher::regex_match(label, value)?,
                _ => Matcher::regex_no_match(label, value)?,
            });
            p.skip_ws();
            if !p.eat(",") {
                p.skip_ws();
                if !p.eat("}") {
                    bail!("invalid selector {s:?}: expected , or }}");
                }
                break;
            }
        }
    }
    p.skip_ws();
    if p.pos != s.len() || out.is_empty() {
        bail!("invalid selector {s:?}");
    }
    Ok(out)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
    }

    fn eat(&mut self, tok: &str) -> bool {
        let hit = self.rest().starts_with(tok);
        if hit {
            self.pos += tok.len();
        }
        hit
    }

    fn ident(&mut self) -> &'a str {
        let rest = self.rest();
        let n = rest
            .char_indices()
            .find(|(i, c)| {
                !(c.is_ascii_alphabetic()
                    || *c == '_'
                    || *c == ':'
                    || (*i > 0 && c.is_ascii_digit()))
            })
            .map_or(rest.len(), |(i, _)| i);
        self.pos += n;
        &rest[..n]
    }

    fn string(&mut self) -> anyhow::Result<String> {
        let mut chars = self.rest().char_indices();
        let Some((_, quote)) = chars.next().filter(|(_, c)| matches!(c, '"' | '\'' | '`')) else {
            bail!("invalid selector {:?}: expected a quoted string", self.s);
        };
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.pos += i + c.len_utf8();
                    return Ok(out);
                }
                '\\' if quote != '`' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(e @ ('\\' | '"' | '\'')) => out.push(e),
                    other => bail!("invalid escape {other:?} in {:?}", self.s),
                },
                c => out.push(c),
            }
        }
        bail!("invalid selector {:?}: unterminated string", self.s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_selectors() {
        let m = parse_selector(r#"up{job="api", code=~'5..',x!="a\"b",}"#).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].value(), "up");
        assert_eq!(m[3].value(), "a\"b");
        assert_eq!(parse_selector("{__name__=~'(?s:.*)'}").unwrap().len(), 1);
        for bad in ["", "{}", "up{", "up{a}", "up{a=b}", "up{a=\"b\"", "1up"] {
            assert!(parse_selector(bad).is_err(), "{bad}");
        }
    }
}
