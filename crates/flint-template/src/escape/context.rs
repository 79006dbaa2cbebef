//! The HTML parsing context and its transitions over template text.

/// Where in an HTML document a point of the output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Context {
    pub state: State,
    pub delim: Delim,
    pub url_part: UrlPart,
    pub attr: Attr,
    pub element: Element,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum State {
    #[default]
    Text,
    Tag,
    AttrName,
    AfterName,
    BeforeValue,
    HtmlCmt,
    Rcdata,
    Attr,
    Url,
    Srcset,
    Js,
    JsDqStr,
    JsSqStr,
    JsTmplLit,
    JsBlockCmt,
    JsLineCmt,
    Css,
    CssDqStr,
    CssSqStr,
    CssBlockCmt,
    CssLineCmt,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Delim {
    #[default]
    None,
    DoubleQuote,
    SingleQuote,
    SpaceOrTagEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum UrlPart {
    #[default]
    None,
    PreQuery,
    QueryOrFrag,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Attr {
    #[default]
    None,
    Script,
    ScriptType,
    Style,
    Url,
    Srcset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Element {
    #[default]
    None,
    Script,
    Style,
    Textarea,
    Title,
}

impl std::fmt::Display for Context {
    /// Go's `%v` of a context: `{stateURL delimDoubleQuote urlPartNone jsCtxRegexp attrURL elementNone <nil>}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Text => "stateText",
            State::Tag => "stateTag",
            State::AttrName => "stateAttrName",
            State::AfterName => "stateAfterName",
            State::BeforeValue => "stateBeforeValue",
            State::HtmlCmt => "stateHTMLCmt",
            State::Rcdata => "stateRCDATA",
            State::Attr => "stateAttr",
            State::Url => "stateURL",
            State::Srcset => "stateSrcset",
            State::Js => "stateJS",
            State::JsDqStr => "stateJSDqStr",
            State::JsSqStr => "stateJSSqStr",
            State::JsTmplLit => "stateJSTmplLit",
            State::JsBlockCmt => "stateJSBlockCmt",
            State::JsLineCmt => "stateJSLineCmt",
            State::Css => "stateCSS",
            State::CssDqStr => "stateCSSDqStr",
            State::CssSqStr => "stateCSSSqStr",
            State::CssBlockCmt => "stateCSSBlockCmt",
            State::CssLineCmt => "stateCSSLineCmt",
            State::Error => "stateError",
        };
        let delim = match self.delim {
            Delim::None => "delimNone",
            Delim::DoubleQuote => "delimDoubleQuote",
            Delim::SingleQuote => "delimSingleQuote",
            Delim::SpaceOrTagEnd => "delimSpaceOrTagEnd",
        };
        let url = match self.url_part {
            UrlPart::None => "urlPartNone",
            UrlPart::PreQuery => "urlPartPreQuery",
            UrlPart::QueryOrFrag => "urlPartQueryOrFrag",
            UrlPart::Unknown => "urlPartUnknown",
        };
        let attr = match self.attr {
            Attr::None => "attrNone",
            Attr::Script => "attrScript",
            Attr::ScriptType => "attrScriptType",
            Attr::Style => "attrStyle",
            Attr::Url => "attrURL",
            Attr::Srcset => "attrSrcset",
        };
        let element = match self.element {
            Element::None => "elementNone",
            Element::Script => "elementScript",
            Element::Style => "elementStyle",
            Element::Textarea => "elementTextarea",
            Element::Title => "elementTitle",
        };
        write!(
            f,
            "{{{state} {delim} {url} jsCtxRegexp {attr} {element} <nil>}}"
        )
    }
}

impl State {
    pub fn is_comment(self) -> bool {
        matches!(
            self,
            State::HtmlCmt
                | State::JsBlockCmt
                | State::JsLineCmt
                | State::CssBlockCmt
                | State::CssLineCmt
        )
    }
}

fn element_content(e: Element) -> State {
    match e {
        Element::None => State::Text,
        Element::Script => State::Js,
        Element::Style => State::Css,
        Element::Textarea | Element::Title => State::Rcdata,
    }
}

pub(crate) fn attr_start(a: Attr) -> State {
    match a {
        Attr::None | Attr::ScriptType => State::Attr,
        Attr::Script => State::Js,
        Attr::Style => State::Css,
        Attr::Url => State::Url,
        Attr::Srcset => State::Srcset,
    }
}

/// The content type of an attribute, by name (Go's `attrType`, abbreviated).
pub(crate) fn attr_kind(name: &str) -> Attr {
    let name = name.strip_prefix("data-").unwrap_or(name);
    let name = match name.split_once(':') {
        Some(("xmlns", _)) => return Attr::Url,
        Some((_, local)) => local,
        None => name,
    };
    match name {
        "action" | "archive" | "background" | "cite" | "classid" | "codebase" | "data"
        | "formaction" | "href" | "icon" | "longdesc" | "manifest" | "poster" | "profile"
        | "src" | "usemap" | "xmlns" => Attr::Url,
        "srcset" => Attr::Srcset,
        "style" => Attr::Style,
        _ if name.starts_with("on") => Attr::Script,
        _ if name.contains("src") || name.contains("uri") || name.contains("url") => Attr::Url,
        _ => Attr::None,
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

fn eat_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

fn eat_tag_name(s: &[u8], i: usize) -> (usize, Element) {
    if i == s.len() || !s[i].is_ascii_alphabetic() {
        return (i, Element::None);
    }
    let mut j = i + 1;
    while j < s.len() && (s[j].is_ascii_alphanumeric() || matches!(s[j], b'-' | b':')) {
        j += 1;
    }
    let name = String::from_utf8_lossy(&s[i..j]).to_ascii_lowercase();
    let e = match name.as_str() {
        "script" => Element::Script,
        "style" => Element::Style,
        "textarea" => Element::Textarea,
        "title" => Element::Title,
        _ => Element::None,
    };
    (j, e)
}

fn eat_attr_name(s: &[u8], i: usize) -> Result<usize, String> {
    let mut j = i;
    while j < s.len() {
        match s[j] {
            b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'=' | b'>' => return Ok(j),
            b'\'' | b'"' | b'<' => {
                return Err(format!(
                    "{} in attribute name: {}",
                    crate::gofmt::quote(&String::from_utf8_lossy(&s[j..j + 1])),
                    crate::gofmt::quote(&String::from_utf8_lossy(&s[..j]))
                ));
            }
            _ => j += 1,
        }
    }
    Ok(s.len())
}

/// One transition: the context after some prefix of `s`, and how many bytes it consumed.
fn transition(c: Context, s: &[u8]) -> (Context, usize) {
    match c.state {
        State::Text => t_text(c, s),
        State::Tag => t_tag(c, s),
        State::AttrName => t_attr_name(c, s),
        State::AfterName => t_after_name(c, s),
        State::BeforeValue => t_before_value(c, s),
        State::HtmlCmt => match find(s, b"-->") {
            Some(i) => (Context::default(), i + 3),
            None => (c, s.len()),
        },
        State::Url => t_url(c, s),
        State::Js => t_js(c, s),
        State::JsDqStr | State::JsSqStr | State::JsTmplLit => t_js_str(c, s),
        State::JsBlockCmt | State::CssBlockCmt => {
            t_comment_end(c, s, find(s, b"*/").map(|i| i + 2))
        }
        State::JsLineCmt | State::CssLineCmt => {
            t_comment_end(c, s, s.iter().position(|&b| b == b'\n' || b == b'\r'))
        }
        State::Css => t_css(c, s),
        State::CssDqStr | State::CssSqStr => {
            let q = if c.state == State::CssDqStr {
                b'"'
            } else {
                b'\''
            };
            match end_of_string(s, q) {
                Some(i) => (with_state(c, State::Css), i),
                None => (c, s.len()),
            }
        }
        State::Rcdata | State::Attr | State::Srcset | State::Error => (c, s.len()),
    }
}

fn with_state(c: Context, state: State) -> Context {
    Context { state, ..c }
}

fn t_attr_name(c: Context, s: &[u8]) -> (Context, usize) {
    match eat_attr_name(s, 0) {
        Ok(i) if i != s.len() => (with_state(c, State::AfterName), i),
        Ok(i) => (c, i),
        Err(_) => (error_ctx(), s.len()),
    }
}

fn t_after_name(c: Context, s: &[u8]) -> (Context, usize) {
    let i = eat_space(s, 0);
    if i == s.len() {
        return (c, s.len());
    }
    if s[i] != b'=' {
        // The tag ends, or the attribute has no value.
        return (with_state(c, State::Tag), i);
    }
    (with_state(c, State::BeforeValue), i + 1)
}

fn t_before_value(c: Context, s: &[u8]) -> (Context, usize) {
    let mut i = eat_space(s, 0);
    if i == s.len() {
        return (c, s.len());
    }
    let mut delim = Delim::SpaceOrTagEnd;
    if s[i] == b'\'' {
        delim = Delim::SingleQuote;
        i += 1;
    } else if s[i] == b'"' {
        delim = Delim::DoubleQuote;
        i += 1;
    }
    let c = Context {
        state: attr_start(c.attr),
        delim,
        ..c
    };
    (c, i)
}

fn t_url(mut c: Context, s: &[u8]) -> (Context, usize) {
    if s.iter().any(|&b| b == b'#' || b == b'?') {
        c.url_part = UrlPart::QueryOrFrag;
    } else if eat_space(s, 0) != s.len() && c.url_part == UrlPart::None {
        c.url_part = UrlPart::PreQuery;
    }
    (c, s.len())
}

/// Leaves a JS or CSS comment at `end` (back to script or style), or stays in it.
fn t_comment_end(c: Context, s: &[u8], end: Option<usize>) -> (Context, usize) {
    let back = if matches!(c.state, State::JsBlockCmt | State::JsLineCmt) {
        State::Js
    } else {
        State::Css
    };
    match end {
        Some(i) => (with_state(c, back), i),
        None => (c, s.len()),
    }
}

fn error_ctx() -> Context {
    Context {
        state: State::Error,
        ..Context::default()
    }
}

fn find(s: &[u8], needle: &[u8]) -> Option<usize> {
    s.windows(needle.len()).position(|w| w == needle)
}

/// Index just past a closing quote `q` (skipping backslash escapes).
fn end_of_string(s: &[u8], q: u8) -> Option<usize> {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b if b == q => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn t_text(c: Context, s: &[u8]) -> (Context, usize) {
    let mut k = 0;
    loop {
        let Some(off) = s[k..].iter().position(|&b| b == b'<') else {
            return (c, s.len());
        };
        let mut i = k + off;
        if i + 1 == s.len() {
            return (c, s.len());
        }
        if s[i..].starts_with(b"<!--") {
            return (
                Context {
                    state: State::HtmlCmt,
                    ..Context::default()
                },
                i + 4,
            );
        }
        i += 1;
        let mut end = false;
        if s[i] == b'/' {
            if i + 1 == s.len() {
                return (c, s.len());
            }
            end = true;
            i += 1;
        }
        let (j, e) = eat_tag_name(s, i);
        if j != i {
            return (
                Context {
                    state: State::Tag,
                    element: if end { Element::None } else { e },
                    ..Context::default()
                },
                j,
            );
        }
        k = j;
    }
}

fn t_tag(c: Context, s: &[u8]) -> (Context, usize) {
    let i = eat_space(s, 0);
    if i == s.len() {
        return (c, s.len());
    }
    if s[i] == b'>' {
        return (
            Context {
                state: element_content(c.element),
                element: c.element,
                ..Context::default()
            },
            i + 1,
        );
    }
    let j = match eat_attr_name(s, i) {
        Ok(j) => j,
        Err(_) => return (error_ctx(), s.len()),
    };
    if i == j {
        return (error_ctx(), s.len());
    }
    let name = String::from_utf8_lossy(&s[i..j]).to_ascii_lowercase();
    let attr = if c.element == Element::Script && name == "type" {
        Attr::ScriptType
    } else {
        attr_kind(&name)
    };
    let state = if j == s.len() {
        State::AttrName
    } else {
        State::AfterName
    };
    (
        Context {
            state,
            element: c.element,
            attr,
            ..Context::default()
        },
        j,
    )
}

fn t_js(c: Context, s: &[u8]) -> (Context, usize) {
    let Some(i) = s
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b'`' | b'/'))
    else {
        return (c, s.len());
    };
    let state = match s[i] {
        b'"' => State::JsDqStr,
        b'\'' => State::JsSqStr,
        b'`' => State::JsTmplLit,
        _ => match s.get(i + 1) {
            Some(b'/') => {
                return (
                    Context {
                        state: State::JsLineCmt,
                        ..c
                    },
                    i + 2,
                );
            }
            Some(b'*') => {
                return (
                    Context {
                        state: State::JsBlockCmt,
                        ..c
                    },
                    i + 2,
                );
            }
            _ => return (c, i + 1),
        },
    };
    (Context { state, ..c }, i + 1)
}

fn t_js_str(c: Context, s: &[u8]) -> (Context, usize) {
    let q = match c.state {
        State::JsDqStr => b'"',
        State::JsSqStr => b'\'',
        _ => b'`',
    };
    match end_of_string(s, q) {
        Some(i) => (
            Context {
                state: State::Js,
                ..c
            },
            i,
        ),
        None => (c, s.len()),
    }
}

fn t_css(c: Context, s: &[u8]) -> (Context, usize) {
    let Some(i) = s.iter().position(|&b| matches!(b, b'"' | b'\'' | b'/')) else {
        return (c, s.len());
    };
    let state = match s[i] {
        b'"' => State::CssDqStr,
        b'\'' => State::CssSqStr,
        _ => match s.get(i + 1) {
            Some(b'/') => {
                return (
                    Context {
                        state: State::CssLineCmt,
                        ..c
                    },
                    i + 2,
                );
            }
            Some(b'*') => {
                return (
                    Context {
                        state: State::CssBlockCmt,
                        ..c
                    },
                    i + 2,
                );
            }
            _ => return (c, i + 1),
        },
    };
    (Context { state, ..c }, i + 1)
}

/// Index of `</element` closing a special element, case-insensitively.
fn special_tag_end(c: Context, s: &[u8]) -> Option<usize> {
    let marker: &[u8] = match c.element {
        Element::Script => b"script",
        Element::Style => b"style",
        Element::Textarea => b"textarea",
        Element::Title => b"title",
        Element::None => return None,
    };
    if c.element == Element::Script
        && (matches!(c.state, State::JsDqStr | State::JsSqStr | State::JsTmplLit)
            || c.state.is_comment())
    {
        return None;
    }
    let mut i = 0;
    while i + 2 + marker.len() <= s.len() {
        if s[i] == b'<' && s[i + 1] == b'/' {
            let name = &s[i + 2..i + 2 + marker.len()];
            let after = s.get(i + 2 + marker.len()).copied();
            if name.eq_ignore_ascii_case(marker)
                && matches!(
                    after,
                    None | Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
                )
            {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// The context after the longest prefix of `s` handled by one step, and its length.
pub(crate) fn after_text(c: Context, s: &[u8]) -> (Context, usize) {
    if c.delim == Delim::None {
        if let Some(i) = special_tag_end(c, s) {
            if i == 0 {
                return (Context::default(), 0);
            }
            return transition(c, &s[..i]);
        }
        return transition(c, s);
    }
    let ends: &[u8] = match c.delim {
        Delim::DoubleQuote => b"\"",
        Delim::SingleQuote => b"'",
        _ => b" \t\n\x0c\r>",
    };
    let i = s.iter().position(|b| ends.contains(b)).unwrap_or(s.len());
    if c.delim == Delim::SpaceOrTagEnd && s[..i].iter().any(|b| b"\"'<=`".contains(b)) {
        return (error_ctx(), s.len());
    }
    if i == s.len() {
        let decoded = crate::escape::escapers::unescape_entities(&String::from_utf8_lossy(s));
        let mut u = decoded.as_bytes();
        let mut c = c;
        while !u.is_empty() {
            let (c1, n) = transition(c, u);
            if n == 0 && c1 == c {
                break;
            }
            c = c1;
            u = &u[n..];
        }
        return (c, s.len());
    }
    let element = c.element;
    let consumed = if c.delim == Delim::SpaceOrTagEnd {
        i
    } else {
        i + 1
    };
    (
        Context {
            state: State::Tag,
            element,
            ..Context::default()
        },
        consumed,
    )
}

/// `nudge`: the context an action really starts in (an action after `<a ` is an attribute
/// name; after `href=` an unquoted value).
pub(crate) fn nudge(c: Context) -> Context {
    match c.state {
        State::Tag => Context {
            state: State::AttrName,
            ..c
        },
        State::BeforeValue => Context {
            state: attr_start(c.attr),
            delim: Delim::SpaceOrTagEnd,
            attr: Attr::None,
            ..c
        },
        State::AfterName => Context {
            state: State::AttrName,
            attr: Attr::None,
            ..c
        },
        _ => c,
    }
}
