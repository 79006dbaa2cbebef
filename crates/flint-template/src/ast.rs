//! The parse tree: the node kinds of Go's `text/template/parse`, printed back as template source
//! the way Go prints them in error messages.

use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// A parsed template: its name, the name it was parsed under, its source and its body.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    pub parse_name: String,
    pub text: Arc<str>,
    pub root: Vec<Node>,
}

impl Tree {
    /// `NAME:LINE:COL` of byte offset `pos`, with Go's 0-based column.
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let before = &self.text[..pos];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// Whether the tree holds nothing but space (Go's `IsEmptyTree`).
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(Node::is_empty)
    }
}

/// A node of a template body.
#[derive(Debug)]
pub(crate) enum Node {
    Text(TextNode),
    Action(ActionNode),
    If(BranchNode),
    Range(BranchNode),
    With(BranchNode),
    Template(TemplateNode),
    Break(usize),
    Continue(usize),
    Comment(usize, String),
}

impl Node {
    fn is_empty(&self) -> bool {
        match self {
            Node::Text(t) => t.text.trim().is_empty(),
            Node::Comment(..) => true,
            _ => false,
        }
    }
}

/// Plain text, with an id for per-node tables (HTML escaping plans).
#[derive(Debug)]
pub(crate) struct TextNode {
    pub id: u32,
    pub pos: usize,
    pub text: Arc<str>,
}

/// `{{pipeline}}`.
#[derive(Debug)]
pub(crate) struct ActionNode {
    pub id: u32,
    pub pos: usize,
    pub pipe: Pipe,
}

/// `if`, `range` and `with`: a pipeline, a body and an optional `else` body.
#[derive(Debug)]
pub(crate) struct BranchNode {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

/// `{{template "name" pipeline}}` (also what `block` leaves in place).
#[derive(Debug)]
pub(crate) struct TemplateNode {
    pub id: u32,
    pub pos: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

/// A pipeline with optional variable declarations: `$x := a | b`.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<Variable>,
    pub cmds: Vec<Command>,
}

/// A variable reference with optional field chain: `$x.A.B`.
#[derive(Debug, Clone)]
pub(crate) struct Variable {
    pub pos: usize,
    /// `$x`, then the fields.
    pub ident: Vec<String>,
}

/// One command of a pipeline: an operand followed by arguments.
#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug)]
pub(crate) enum Arg {
    Field(usize, Vec<String>),
    Variable(Variable),
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(Box<Number>),
    /// Position, the quoted source text and the unquoted value.
    String(usize, String, Value),
    Identifier(usize, String),
    Pipe(Box<Pipe>),
    Chain(usize, Box<Arg>, Vec<String>),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field(p, _)
            | Arg::Dot(p)
            | Arg::Nil(p)
            | Arg::Bool(p, _)
            | Arg::String(p, _, _)
            | Arg::Identifier(p, _)
            | Arg::Chain(p, _, _) => *p,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

/// A numeric constant with every interpretation that fits, as Go's `NumberNode`.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub pos: usize,
    pub text: String,
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
    pub is_complex: bool,
    pub is_char: bool,
}

/// Any node that an execution error can point at.
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    Node(&'a Node),
    Pipe(&'a Pipe),
    Command(&'a Command),
    Arg(&'a Arg),
    Var(&'a Variable),
}

impl At<'_> {
    pub fn pos(&self) -> usize {
        match self {
            At::Node(n) => match n {
                Node::Text(t) => t.pos,
                Node::Action(a) => a.pos,
                Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
                Node::Template(t) => t.pos,
                Node::Break(p) | Node::Continue(p) | Node::Comment(p, _) => *p,
            },
            At::Pipe(p) => p.pos,
            At::Command(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Var(v) => v.pos,
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Node(n) => n.fmt(f),
            At::Pipe(p) => p.fmt(f),
            At::Command(c) => c.fmt(f),
            At::Arg(a) => a.fmt(f),
            At::Var(v) => v.fmt(f),
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &[Node]) -> fmt::Result {
    for n in list {
        fmt::Display::fmt(n, f)?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => f.write_str(&t.text),
            Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template(t) => match &t.pipe {
                Some(p) => write!(f, "{{{{template {} {}}}}}", crate::gofmt::quote(&t.name), p),
                None => write!(f, "{{{{template {}}}}}", crate::gofmt::quote(&t.name)),
            },
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
            Node::Comment(_, text) => write!(f, "{{{{{text}}}}}"),
        }
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &BranchNode) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}", b.pipe)?;
    write_list(f, &b.list)?;
    if let Some(e) = &b.else_list {
        f.write_str("{{else}}")?;
        write_list(f, e)?;
    }
    f.write_str("{{end}}")
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                v.fmt(f)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            c.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                a.fmt(f)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident.join("."))
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field(_, idents) => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable(v) => v.fmt(f),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String(_, quoted, _) => f.write_str(quoted),
            Arg::Identifier(_, name) => f.write_str(name),
            Arg::Pipe(p) => p.fmt(f),
            Arg::Chain(_, node, fields) => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    node.fmt(f)?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
        }
    }
}
