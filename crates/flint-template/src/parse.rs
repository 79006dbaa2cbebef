//! The parser: turns tokens into trees with Go's grammar and Go's error messages.

mod number;

pub(crate) use number::parse_float as parse_float_literal;

use std::sync::Arc;

use crate::ast::{
    ActionNode, Arg, BranchNode, Command, Node, Pipe, TemplateNode, TextNode, Tree, Variable,
};
use crate::error::ParseError;
use crate::lex::{self, Kind, Token};
use crate::value::Value;

/// What the parser needs to know beyond the text.
pub(crate) struct ParseOptions<'a> {
    pub left_delim: &'a str,
    pub right_delim: &'a str,
    pub keep_comments: bool,
    /// Whether a function of this name exists (user-supplied or builtin).
    pub has_function: &'a dyn Fn(&str) -> bool,
}

/// Parses `text` as template `name`: returns the top-level tree followed by every
/// `{{define}}`d and `{{block}}` tree.
pub(crate) fn parse(
    name: &str,
    text: &str,
    opts: &ParseOptions<'_>,
) -> Result<Vec<Tree>, ParseError> {
    let tokens = lex::lex(text, opts.left_delim, opts.right_delim, opts.keep_comments);
    let text: Arc<str> = Arc::from(text);
    let mut p = Parser {
        tokens,
        at: 0,
        last_line: 1,
        last_pos: 0,
        name: name.to_string(),
        text: text.clone(),
        has_function: opts.has_function,
        vars: vec!["$".to_string()],
        range_depth: 0,
        ids: 0,
        trees: Vec::new(),
        action_line: 0,
    };
    let root = p.parse_top()?;
    let main = Tree {
        name: name.to_string(),
        parse_name: name.to_string(),
        text,
        root,
    };
    let mut trees = vec![main];
    trees.append(&mut p.trees);
    Ok(trees)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    last_line: usize,
    last_pos: usize,
    name: String,
    text: Arc<str>,
    has_function: &'a dyn Fn(&str) -> bool,
    vars: Vec<String>,
    range_depth: usize,
    ids: u32,
    trees: Vec<Tree>,
    /// The line of the action being parsed (0 outside actions), for "started at" messages.
    action_line: usize,
}

type PResult<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with EOF or an error, which is never consumed past.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.at += 1;
        self.last_line = t.line;
        self.last_pos = t.pos;
        t
    }

    fn backup(&mut self) {
        self.at -= 1;
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.kind != Kind::Space {
                return t;
            }
        }
    }

    /// The next non-space token; the spaces before it stay consumed, as in Go.
    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf(&self, message: impl Into<String>) -> ParseError {
        let before = &self.text[..self.last_pos.min(self.text.len())];
        let column = match before.rfind('\n') {
            Some(nl) => self.last_pos - (nl + 1),
            None => self.last_pos,
        };
        ParseError {
            name: self.name.clone(),
            line: self.last_line,
            column,
            message: message.into(),
        }
    }

    fn unexpected(&self, token: &Token, context: &str) -> ParseError {
        if token.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                let at = if token.val.ends_with(" action") {
                    ""
                } else {
                    " in action"
                };
                extra = format!("{at} started at {}:{}", self.name, self.action_line);
            }
            return self.errorf(format!("{}{extra}", token.val));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn id(&mut self) -> u32 {
        self.ids += 1;
        self.ids - 1
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let mark = self.at;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.at = mark;
            }
            match self.text_or_action()? {
                Item::End => return Err(self.errorf("unexpected {{end}}")),
                Item::Else => return Err(self.errorf("unexpected {{else}}")),
                Item::Node(n) => root.push(n),
            }
        }
        Ok(root)
    }

    /// `{{define "name"}} ... {{end}}`, with its own variables and ids.
    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        if t.kind != Kind::String && t.kind != Kind::RawString {
            return Err(self.unexpected(&t, CONTEXT));
        }
        let name = self.unquote(&t.val)?;
        self.expect(Kind::RightDelim, CONTEXT)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_ids = std::mem::replace(&mut self.ids, 0);
        let (list, end) = self.item_list()?;
        if !matches!(end, Item::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), CONTEXT)));
        }
        let tree = Tree {
            name: name.clone(),
            parse_name: self.name.clone(),
            text: self.text.clone(),
            root: list,
        };
        self.vars = saved_vars;
        self.ids = saved_ids;
        self.add_tree(tree)
    }

    fn add_tree(&mut self, tree: Tree) -> PResult<()> {
        if let Some(i) = self.trees.iter().position(|t| t.name == tree.name) {
            if self.trees[i].is_empty() {
                self.trees[i] = tree;
            } else if !tree.is_empty() {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    crate::gofmt::quote(&tree.name)
                )));
            }
            return Ok(());
        }
        self.trees.push(tree);
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
        if let Kind::Error = self.peek().kind {
            let t = self.peek().clone();
            self.next();
            return Err(self.unexpected(&t, "input"));
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => Ok(Item::Node(Node::Text(TextNode {
                id: self.id(),
                pos: t.pos,
                text: Arc::from(t.val.as_str()),
            }))),
            Kind::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            Kind::Comment => Ok(Item::Node(Node::Comment(t.pos, t.val))),
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Block => return self.block_control().map(Item::Node),
            Kind::Break => return self.break_control(t.pos, "break").map(Item::Node),
            Kind::Continue => return self.break_control(t.pos, "continue").map(Item::Node),
            Kind::Else => return self.else_control(),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Kind::If => return self.branch("if").map(Item::Node),
            Kind::Range => return self.branch("range").map(Item::Node),
            Kind::Template => return self.template_control().map(Item::Node),
            Kind::With => return self.branch("with").map(Item::Node),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Item::Node(Node::Action(ActionNode {
            id: self.id(),
            pos,
            pipe,
        })))
    }

    fn break_control(&mut self, pos: usize, word: &str) -> PResult<Node> {
        let t = self.next_non_space();
        if t.kind != Kind::RightDelim {
            return Err(self.unexpected(&t, &format!("{{{{{word}}}}}")));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{{{{{word}}}}} outside {{{{range}}}}")));
        }
        Ok(if word == "break" {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek_non_space();
        if peek.kind == Kind::If || peek.kind == Kind::With {
            // "{{else if ...": the "if" stays pending for the enclosing branch.
            return Ok(Item::Else);
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(Item::Else)
    }

    fn branch(&mut self, context: &str) -> PResult<Node> {
        let nvars = self.vars.len();
        let r = self.branch_inner(context);
        self.vars.truncate(nvars);
        let (pos, pipe, list, else_list) = r?;
        let b = BranchNode {
            pos,
            pipe,
            list,
            else_list,
        };
        Ok(match context {
            "if" => Node::If(b),
            "range" => Node::Range(b),
            _ => Node::With(b),
        })
    }

    #[allow(clippy::type_complexity)]
    fn branch_inner(
        &mut self,
        context: &str,
    ) -> PResult<(usize, Pipe, Vec<Node>, Option<Vec<Node>>)> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        if let Item::Else = next {
            let chained = match self.peek().kind {
                Kind::If if context == "if" => Some("if"),
                Kind::With if context == "with" => Some("with"),
                _ => None,
            };
            if let Some(kw) = chained {
                self.next();
                else_list = Some(vec![self.branch(kw)?]);
            } else {
                let (l, next) = self.item_list()?;
                if !matches!(next, Item::End) {
                    return Err(self.errorf(format!("expected end; found {}", next.describe())));
                }
                else_list = Some(l);
            }
        }
        Ok((pipe.pos, pipe, list, else_list))
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.kind {
            Kind::String | Kind::RawString => self.unquote(&t.val),
            _ => Err(self.unexpected(t, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, Kind::RightDelim)?);
        }
        Ok(Node::Template(TemplateNode {
            id: self.id(),
            pos: t.pos,
            name,
            pipe,
        }))
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Kind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_ids = std::mem::replace(&mut self.ids, 0);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.ids = saved_ids;
        self.range_depth = saved_depth;
        let (list, end) = r?;
        if !matches!(end, Item::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), CONTEXT)));
        }
        self.add_tree(Tree {
            name: name.clone(),
            parse_name: self.name.clone(),
            text: self.text.clone(),
            root: list,
        })?;
        Ok(Node::Template(TemplateNode {
            id: self.id(),
            pos: t.pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let first = self.peek_non_space();
        let mut pipe = Pipe {
            pos: first.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        loop {
            let t = self.next_non_space();
            match t.kind {
                k if k == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    /// `$x :=`, `$x =` and `$i, $e :=` at the start of a pipeline.
    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> PResult<()> {
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                return Ok(());
            }
            let mark = self.at;
            self.next();
            let next = self.peek_non_space();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(Variable {
                        pos: v.pos,
                        ident: vec![v.val.clone()],
                    });
                    self.vars.push(v.val);
                    return Ok(());
                }
                Kind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(Variable {
                        pos: v.pos,
                        ident: vec![v.val.clone()],
                    });
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                            _ => return Err(self.errorf("range can only initialize variables")),
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ => {
                    self.at = mark;
                    return Ok(());
                }
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String(..))
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let t = self.next();
            fields.extend(t.val[1..].split('.').map(str::to_string));
        }
        Ok(Some(match node {
            // Go keeps one field or variable node, positioned where the chain starts.
            Arg::Field(_, mut idents) => {
                idents.extend(fields);
                Arg::Field(chain_pos, idents)
            }
            Arg::Variable(mut v) => {
                v.ident.extend(fields);
                v.pos = chain_pos;
                Arg::Variable(v)
            }
            Arg::Bool(..) | Arg::String(..) | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    crate::gofmt::quote(&node.to_string())
                )));
            }
            other => Arg::Chain(chain_pos, Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.kind {
            Kind::Identifier => {
                if !(self.has_function)(&t.val) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        crate::gofmt::quote(&t.val)
                    )));
                }
                Arg::Identifier(t.pos, t.val)
            }
            Kind::Dot => Arg::Dot(t.pos),
            Kind::Nil => Arg::Nil(t.pos),
            Kind::Variable => {
                let mut ident: Vec<String> = t.val.split('.').map(str::to_string).collect();
                if ident.is_empty() {
                    ident.push(t.val.clone());
                }
                if !self.vars.iter().any(|v| *v == ident[0]) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        crate::gofmt::quote(&ident[0])
                    )));
                }
                Arg::Variable(Variable { pos: t.pos, ident })
            }
            Kind::Field => Arg::Field(t.pos, t.val[1..].split('.').map(str::to_string).collect()),
            Kind::Bool => Arg::Bool(t.pos, t.val == "true"),
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                let n = number::parse(t.pos, &t.val, t.kind).map_err(|m| self.errorf(m))?;
                Arg::Number(Box::new(n))
            }
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            Kind::String | Kind::RawString => {
                let s = self.unquote(&t.val)?;
                Arg::String(t.pos, t.val, Value::from(s))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&self, quoted: &str) -> PResult<String> {
        crate::gofmt::unquote(quoted).ok_or_else(|| self.errorf("invalid syntax"))
    }
}

/// What `text_or_action` found: a node, or the `{{end}}`/`{{else}}` closing a list.
enum Item {
    Node(Node),
    End,
    Else,
}

impl Item {
    fn describe(&self) -> String {
        match self {
            Item::Node(n) => n.to_string(),
            Item::End => "{{end}}".to_string(),
            Item::Else => "{{else}}".to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
