//! The escaping functions `html/template` inserts into pipelines.

use crate::gofmt;
use crate::value::{Content, Value};

/// One escaper (Go's `_html_template_*` functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Esc {
    Html,
    Rcdata,
    Attr,
    NoSpace,
    NameFilter,
    UrlFilter,
    UrlNormalizer,
    UrlEscaper,
    JsVal,
    JsStr,
    CssValue,
    CssEscaper,
    Comment,
    Srcset,
}

/// `html/template`'s failsafe output for values rejected in a context.
const FAILSAFE: &str = "ZgotmplZ";

/// The string and content type of a value (Go's `stringify`; nil prints as nothing).
fn stringify(v: &Value) -> (std::borrow::Cow<'_, str>, Option<Content>) {
    match v {
        Value::Nil => ("".into(), None),
        Value::String(s) => (s.as_ref().into(), None),
        Value::Safe(c, s) => (s.as_ref().into(), Some(*c)),
        other => (gofmt::sprint(std::slice::from_ref(other)).into(), None),
    }
}

/// Applies an escaper chain to an action's value and appends the result.
pub(crate) fn apply(chain: &[Esc], v: &Value, out: &mut String) {
    let Some((first, rest)) = chain.split_first() else {
        // No escaper (a predefined `html`/`urlquery` already ran): print as text/template does,
        // except that no value prints as nothing.
        if !v.is_nil() {
            gofmt::print_one(out, v);
        }
        return;
    };
    if rest.is_empty() && *first != Esc::JsVal {
        // The common case (one escaper): escape straight into the output.
        let (s, ct) = stringify(v);
        match (*first, ct) {
            (Esc::Html, None) | (Esc::Rcdata, None) | (Esc::Attr, None) => {
                return replace_into(out, &s, false, false);
            }
            (Esc::Html, Some(Content::Html)) => return out.push_str(&s),
            _ => return out.push_str(&run(*first, &s, ct)),
        }
    }
    let mut cur = if *first == Esc::JsVal {
        js_val(v)
    } else {
        let (s, ct) = stringify(v);
        run(*first, &s, ct)
    };
    for e in rest {
        cur = run(*e, &cur, None);
    }
    out.push_str(&cur);
}

fn run(e: Esc, s: &str, ct: Option<Content>) -> String {
    match e {
        Esc::Html => match ct {
            Some(Content::Html) => s.to_string(),
            _ => replace(s, false, false),
        },
        Esc::Rcdata => replace(s, ct == Some(Content::Html), false),
        Esc::Attr => match ct {
            Some(Content::Html) => replace(&strip_tags(s), true, false),
            _ => replace(s, false, false),
        },
        Esc::NoSpace => match ct {
            Some(Content::Html) => replace(&strip_tags(s), true, true),
            _ => replace(s, false, true),
        },
        Esc::NameFilter => name_filter(s, ct),
        Esc::UrlFilter => {
            if ct == Some(Content::Url) || is_safe_url(s) {
                s.to_string()
            } else {
                format!("#{FAILSAFE}")
            }
        }
        Esc::UrlNormalizer => process_url(s, true),
        Esc::UrlEscaper => process_url(s, ct == Some(Content::Url)),
        Esc::JsVal => js_val(&match ct {
            Some(c) => Value::Safe(c, std::sync::Arc::from(s)),
            None => Value::from(s),
        }),
        Esc::JsStr => match ct {
            Some(Content::Js) => s.to_string(),
            _ => js_str(s),
        },
        Esc::CssValue => css_value(s, ct),
        Esc::CssEscaper => css_escape(s),
        Esc::Comment => String::new(),
        Esc::Srcset => process_url(s, true),
    }
}

/// HTML entity escaping with Go's tables: `norm` leaves `&` alone (content already HTML),
/// `nospace` also escapes what ends an unquoted attribute.
fn replace(s: &str, norm: bool, nospace: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    replace_into(&mut out, s, norm, nospace);
    out
}

fn replace_into(out: &mut String, s: &str, norm: bool, nospace: bool) {
    if !s.bytes().any(|b| {
        matches!(b, b'\0' | b'"' | b'&' | b'\'' | b'+' | b'<' | b'>')
            || (nospace && (b <= b' ' || b == b'=' || b == b'`'))
    }) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        let r = match c {
            '\0' => {
                if nospace {
                    "&#xfffd;"
                } else {
                    "\u{FFFD}"
                }
            }
            '"' => "&#34;",
            '&' if !norm => "&amp;",
            '\'' => "&#39;",
            '+' => "&#43;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\t' if nospace => "&#9;",
            '\n' if nospace => "&#10;",
            '\x0b' if nospace => "&#11;",
            '\x0c' if nospace => "&#12;",
            '\r' if nospace => "&#13;",
            ' ' if nospace => "&#32;",
            '=' if nospace => "&#61;",
            '`' if nospace => "&#96;",
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(r);
    }
}

/// Removes tags from an HTML fragment, keeping text (approximates Go's `stripTags`).
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (in_tag, quote, c) {
            (false, _, '<') => in_tag = true,
            (false, _, c) => out.push(c),
            (true, None, '>') => in_tag = false,
            (true, None, '"' | '\'') => quote = Some(c),
            (true, Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    out
}

fn name_filter(s: &str, ct: Option<Content>) -> String {
    if ct == Some(Content::HtmlAttr) {
        return s.to_string();
    }
    let lower = s.to_ascii_lowercase();
    if lower.is_empty()
        || super::context::attr_kind(&lower) != super::context::Attr::None
        || !lower.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return FAILSAFE.to_string();
    }
    lower
}

fn is_safe_url(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return true;
    };
    if s[..colon].contains('/') {
        return true;
    }
    let scheme = s[..colon].to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto")
}

/// Go's `processURLOnto`: percent-encodes bytes; `norm` keeps reserved characters and valid
/// escapes (normalizing a URL) instead of encoding them (escaping a query component).
fn process_url(s: &str, norm: bool) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in b.iter().enumerate() {
        let keep = match c {
            b'!' | b'#' | b'$' | b'&' | b'*' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?'
            | b'@' | b'[' | b']' => norm,
            b'-' | b'.' | b'_' | b'~' => true,
            b'%' => {
                norm && i + 2 < b.len()
                    && b[i + 1].is_ascii_hexdigit()
                    && b[i + 2].is_ascii_hexdigit()
            }
            c => c.is_ascii_alphanumeric(),
        };
        if keep {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02x}"));
        }
    }
    out
}

fn js_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\u0000"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\u000b"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\u0022"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '+' => out.push_str("\\u002b"),
            '/' => out.push_str("\\/"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\u0060"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `jsValEscaper`: the value as JSON (a JS expression), padded with spaces when it
/// could run into a neighbouring identifier.
fn js_val(v: &Value) -> String {
    let json = match v {
        Value::Safe(Content::Js, s) => return s.to_string(),
        Value::Time(_) | Value::Duration(_) => {
            crate::json::to_json(&Value::from(gofmt::sprint(std::slice::from_ref(v))))
        }
        Value::Object(o) if o.to_go_string().is_some() => {
            crate::json::to_json(&Value::from(o.to_go_string().unwrap_or_default()))
        }
        _ => crate::json::to_json(v),
    };
    let b = match json {
        Ok(b) => b,
        Err(e) => return format!(" /* {} */null ", e.0.replace("*/", "* /")),
    };
    if b.is_empty() {
        return " null ".to_string();
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let pad = b.chars().next().is_some_and(ident) || b.chars().last().is_some_and(ident);
    let b = b
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    if pad { format!(" {b} ") } else { b }
}

fn css_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || (c as u32) > 0x7f || c == '-' || c == '_' || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", c as u32));
        }
    }
    out
}

fn css_value(s: &str, ct: Option<Content>) -> String {
    if ct == Some(Content::Css) {
        return s.to_string();
    }
    let ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '#' | ' ' | '%' | ','));
    if ok && !s.to_ascii_lowercase().contains("expression") {
        s.to_string()
    } else {
        FAILSAFE.to_string()
    }
}

/// Decodes the HTML entities Go's `html.UnescapeString` handles most often.
pub(crate) fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => ent
                    .strip_prefix("#x")
                    .or(ent.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether escaper `e` is what the predefined `html` or `urlquery` already guarantees.
pub(crate) fn equivalent(predefined: &str, e: Esc) -> bool {
    match predefined {
        "html" => matches!(e, Esc::Attr | Esc::Html | Esc::Rcdata),
        "urlquery" => matches!(e, Esc::UrlEscaper | Esc::UrlNormalizer),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapers() {
        assert_eq!(
            run(Esc::Html, "<b>&'\"+", None),
            "&lt;b&gt;&amp;&#39;&#34;&#43;"
        );
        assert_eq!(run(Esc::Html, "<b>", Some(Content::Html)), "<b>");
        assert_eq!(
            run(Esc::Attr, "<b>x</b>&amp;", Some(Content::Html)),
            "x&amp;"
        );
        assert_eq!(run(Esc::NoSpace, "a b=c", None), "a&#32;b&#61;c");
        assert_eq!(
            run(Esc::UrlFilter, "javascript:alert(1)", None),
            "#ZgotmplZ"
        );
        assert_eq!(run(Esc::UrlFilter, "https://x/y", None), "https://x/y");
        assert_eq!(
            run(Esc::UrlNormalizer, "http://a/b c?d=%3D&e=é", None),
            "http://a/b%20c?d=%3D&e=%c3%a9"
        );
        assert_eq!(run(Esc::UrlEscaper, "a b&c", None), "a%20b%26c");
        assert_eq!(
            unescape_entities("a&amp;b&#34;&#x41;&bogus;"),
            "a&b\"A&bogus;"
        );
    }
}
