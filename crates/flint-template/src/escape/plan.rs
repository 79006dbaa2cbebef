//! The escaping analysis of a template for a starting context, and its result.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::context::{Context, Delim, State, UrlPart, after_text, nudge};
use super::escapers::{Esc, equivalent};
use crate::ast::{Arg, Node, Tree};

/// A `{{template}}` call site: the callee's start context and, once known, its plan.
type Call = (Context, OnceLock<Option<Arc<Plan>>>);

/// What execution in HTML mode does differently for one (template, start context).
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Rewritten text per text-node id (ids are dense per tree).
    texts: Vec<Option<Arc<str>>>,
    actions: Vec<Vec<Esc>>,
    calls: HashMap<u32, Call>,
    /// The context at the end of the template.
    pub end: Context,
}

fn put<T: Default>(v: &mut Vec<T>, id: u32, x: T) {
    let i = id as usize;
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    v[i] = x;
}

impl Plan {
    /// The rewritten text of a text node, when it differs from the source.
    pub fn text(&self, id: u32) -> Option<&str> {
        self.texts.get(id as usize).and_then(|t| t.as_deref())
    }

    /// The escapers of an action.
    pub fn action(&self, id: u32) -> &[Esc] {
        self.actions.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The callee's plan for call `id`, computed by `f` on first use and kept.
    pub fn callee(
        &self,
        id: u32,
        f: impl FnOnce(Context) -> Option<Arc<Plan>>,
    ) -> Option<Arc<Plan>> {
        let (c, cell) = self.calls.get(&id)?;
        cell.get_or_init(|| f(*c)).clone()
    }
}

/// Computes end contexts of called templates (recursively, with caching by the set).
pub(crate) trait Callees {
    /// The end context of template `name` started in `c`, or `None` when it is not defined.
    fn end_context(&self, name: &str, c: Context) -> Result<Option<Context>, String>;
}

/// Analyzes `tree` started in context `c`.
pub(crate) fn analyze(tree: &Tree, c: Context, callees: &dyn Callees) -> Result<Plan, String> {
    let mut a = Analyzer {
        plan: Plan::default(),
        callees,
        tree,
    };
    let end = a.list(c, &tree.root)?;
    a.plan.end = end;
    Ok(a.plan)
}

struct Analyzer<'a> {
    plan: Plan,
    callees: &'a dyn Callees,
    tree: &'a Tree,
}

impl Analyzer<'_> {
    /// Go's `html/template:NAME:LINE:COL: message`.
    fn err(&self, pos: usize, message: impl std::fmt::Display) -> String {
        format!("html/template:{}: {message}", self.tree.location(pos))
    }

    fn list(&mut self, mut c: Context, list: &[Node]) -> Result<Context, String> {
        for n in list {
            c = self.node(c, n)?;
            if c.state == State::Error {
                let pos = crate::ast::At::Node(n).pos();
                return Err(self.err(pos, "the text cannot be parsed as HTML here"));
            }
        }
        Ok(c)
    }

    fn node(&mut self, c: Context, n: &Node) -> Result<Context, String> {
        match n {
            Node::Text(t) => Ok(self.text(c, t.id, &t.text)),
            Node::Action(a) => self
                .action(c, a.id, &a.pipe)
                .map_err(|m| self.err(a.pos, m)),
            Node::If(b) | Node::With(b) => {
                let c0 = self.list(c, &b.list)?;
                let c1 = match &b.else_list {
                    Some(e) => self.list(c, e)?,
                    None => c,
                };
                let name = if matches!(n, Node::If(_)) {
                    "if"
                } else {
                    "with"
                };
                join(c0, c1, name).map_err(|m| self.err(b.pos, m))
            }
            Node::Range(b) => {
                // The body may run again: running it from where it ends must end the same way.
                let c0 = self.list(c, &b.list)?;
                let again = self.list(c0, &b.list)?;
                let c0 = join(c0, again, "range")
                    .map_err(|m| self.err(b.pos, format!("on range loop re-entry: {m}")))?;
                let c1 = match &b.else_list {
                    Some(e) => self.list(c, e)?,
                    None => c,
                };
                join(c0, c1, "range").map_err(|m| self.err(b.pos, m))
            }
            Node::Template(t) => {
                self.plan.calls.insert(t.id, (c, OnceLock::new()));
                Ok(self.callees.end_context(&t.name, c)?.unwrap_or(c))
            }
            Node::Break(_) | Node::Continue(_) | Node::Comment(..) => Ok(c),
        }
    }

    fn action(&mut self, c: Context, id: u32, pipe: &crate::ast::Pipe) -> Result<Context, String> {
        if !pipe.decl.is_empty() {
            return Ok(c);
        }
        let mut c = nudge(c);
        let mut s: Vec<Esc> = Vec::with_capacity(3);
        match c.state {
            State::Error => return Ok(c),
            State::Url | State::CssDqStr | State::CssSqStr => match c.url_part {
                UrlPart::None | UrlPart::PreQuery => {
                    if c.url_part == UrlPart::None {
                        s.push(Esc::UrlFilter);
                    }
                    s.push(if c.state == State::Url {
                        Esc::UrlNormalizer
                    } else {
                        Esc::CssEscaper
                    });
                }
                UrlPart::QueryOrFrag => s.push(Esc::UrlEscaper),
                UrlPart::Unknown => {
                    return Err(format!(
                        "{{{{{pipe}}}}} appears in an ambiguous context within a URL"
                    ));
                }
            },
            State::Js => s.push(Esc::JsVal),
            State::JsDqStr | State::JsSqStr | State::JsTmplLit => s.push(Esc::JsStr),
            State::Css => s.push(Esc::CssValue),
            State::Text => s.push(Esc::Html),
            State::Rcdata => s.push(Esc::Rcdata),
            State::Attr => {}
            State::AttrName | State::Tag => {
                c.state = State::AttrName;
                s.push(Esc::NameFilter);
            }
            State::Srcset => s.push(Esc::Srcset),
            st if st.is_comment() => s.push(Esc::Comment),
            _ => {}
        }
        match c.delim {
            Delim::None => {}
            Delim::SpaceOrTagEnd => s.push(Esc::NoSpace),
            _ => s.push(Esc::Attr),
        }
        predefined(pipe, &mut s)?;
        put(&mut self.plan.actions, id, s);
        Ok(c)
    }

    /// Walks text, stripping comments and escaping `<` that opens no tag.
    fn text(&mut self, mut c: Context, id: u32, text: &str) -> Context {
        let s = text.as_bytes();
        let mut out = String::new();
        let mut written = 0;
        let mut i = 0;
        while i != s.len() {
            let (c1, nread) = after_text(c, &s[i..]);
            let i1 = i + nread;
            if c.state == State::Text || c.state == State::Rcdata {
                let mut end = i1;
                if c1.state != c.state
                    && let Some(j) = s[i..end].iter().rposition(|&b| b == b'<')
                {
                    end = i + j;
                }
                for j in i..end {
                    if s[j] == b'<' && !s[j..].to_ascii_uppercase().starts_with(b"<!DOCTYPE") {
                        out.push_str(&text[written..j]);
                        out.push_str("&lt;");
                        written = j + 1;
                    }
                }
            } else if c.state.is_comment() && c.delim == Delim::None {
                match c.state {
                    State::JsBlockCmt => {
                        if text[written..i1].contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
                            out.push('\n');
                        } else {
                            out.push(' ');
                        }
                    }
                    State::CssBlockCmt => out.push(' '),
                    _ => {}
                }
                written = i1;
            }
            if c.state != c1.state && c1.state.is_comment() && c1.delim == Delim::None {
                let cs = if c1.state == State::HtmlCmt {
                    i1 - 4
                } else {
                    i1 - 2
                };
                out.push_str(&text[written..cs]);
                written = i1;
            }
            if i == i1 && c == c1 {
                // No progress: stop rather than loop (cannot happen for well-formed states).
                break;
            }
            c = c1;
            i = i1;
        }
        if written != 0 && c.state != State::Error {
            if !c.state.is_comment() || c.delim != Delim::None {
                out.push_str(&text[written..]);
            }
            put(&mut self.plan.texts, id, Some(Arc::from(out)));
        }
        c
    }
}

/// A pipeline ending in the predefined `html` or `urlquery` already did that escaping: drop the
/// equivalent escapers. Elsewhere in a pipeline they are an error, as in Go.
fn predefined(pipe: &crate::ast::Pipe, s: &mut Vec<Esc>) -> Result<(), String> {
    let last = pipe.cmds.len().saturating_sub(1);
    for (i, cmd) in pipe.cmds.iter().enumerate() {
        if let Some(Arg::Identifier(_, name)) = cmd.args.first()
            && (name == "html" || name == "urlquery")
        {
            if i < last {
                return Err(format!(
                    "predefined escaper {} disallowed in template",
                    crate::gofmt::quote(name)
                ));
            }
            s.retain(|e| !equivalent(name, *e));
        }
    }
    Ok(())
}

/// The context after two branches; they must agree (up to an ambiguous URL part).
fn join(a: Context, b: Context, node: &str) -> Result<Context, String> {
    if a == b {
        return Ok(a);
    }
    if a.state == State::Error {
        return Ok(a);
    }
    let mut x = a;
    x.url_part = b.url_part;
    if x == b {
        x.url_part = UrlPart::Unknown;
        return Ok(x);
    }
    if nudge(a) == b {
        return Ok(b);
    }
    if nudge(b) == a {
        return Ok(a);
    }
    Err(format!(
        "{{{{{node}}}}} branches end in different contexts: {a}, {b}"
    ))
}
