//! The evaluator: walks a tree with a data value, as Go's `text/template/exec.go` does
//! (same evaluation order, variable scoping, error positions and messages).

mod call;
mod field;

use std::any::Any;
use std::sync::Arc;

use crate::TemplateSet;
use crate::ast::{Arg, At, BranchNode, Command, Node, Pipe, TemplateNode, Tree, Variable};
use crate::error::ExecError;
use crate::escape::{self, Plan};
use crate::gofmt;
use crate::value::Value;

/// How deep `{{template}}` calls may nest before execution stops (Go allows 100000; a Rust
/// stack holds fewer frames).
pub(crate) const MAX_DEPTH: usize = 1000;

/// How much stack nested template calls may use: execution stops with the depth error before a
/// thread's stack (2 MiB for spawned threads) could overflow.
const STACK_BUDGET: usize = 768 * 1024;

/// How deep an execution is: `{{template}}` levels and where its stack started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Nesting {
    pub level: usize,
    base: usize,
}

impl Nesting {
    /// The nesting of a new top-level execution, measured from the caller's stack position.
    pub fn root() -> Self {
        let marker = 0u8;
        Nesting {
            level: 0,
            base: std::ptr::addr_of!(marker) as usize,
        }
    }

    pub fn deeper(self) -> Self {
        Nesting {
            level: self.level + 1,
            ..self
        }
    }

    /// Whether one more level would be too deep (by count, or by stack used so far).
    pub fn exhausted(self) -> bool {
        let marker = 0u8;
        let here = std::ptr::addr_of!(marker) as usize;
        self.level >= MAX_DEPTH || self.base.saturating_sub(here) > STACK_BUDGET
    }
}

/// What a missing map key yields (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default`/`invalid`: no value, printed `<no value>`.
    #[default]
    Invalid,
    /// `missingkey=zero`: the map element type's zero value (`""` for string maps).
    Zero,
    /// `missingkey=error`: execution stops with an error.
    Error,
}

/// Control flow out of a list: normal, or a `{{break}}`/`{{continue}}` unwinding to its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Errors are boxed: results travel through every evaluation step and should stay small.
pub(crate) type R<T> = Result<T, Box<ExecError>>;

pub(crate) struct State<'a> {
    pub set: &'a TemplateSet,
    pub tree: &'a Tree,
    pub at: Option<At<'a>>,
    /// Variables: name, value, and whether the value has Go's static type `interface{}`.
    pub vars: Vec<(&'a str, Value, bool)>,
    /// Whether dot has Go's static type `interface{}` (an element of an `interface{}` container).
    pub dot_iface: bool,
    pub depth: Nesting,
    pub env: Option<&'a dyn Any>,
    pub out: &'a mut String,
    pub plan: Option<Arc<Plan>>,
}

impl<'a> State<'a> {
    /// Runs `tree` with `dot` as data.
    pub fn run(&mut self, dot: &Value) -> R<()> {
        self.vars.push(("$", dot.clone(), false));
        let tree = self.tree;
        self.walk_list(dot, &tree.root).map(|_| ())
    }

    fn at(&mut self, at: At<'a>) {
        self.at = Some(at);
    }

    pub(crate) fn errorf(&self, message: impl Into<String>) -> Box<ExecError> {
        let (location, context) = match self.at {
            Some(at) => (Some(self.tree.location(at.pos())), Some(at.to_string())),
            None => (None, None),
        };
        Box::new(ExecError {
            template: self.tree.name.clone(),
            location,
            context,
            message: message.into(),
        })
    }

    fn walk_list(&mut self, dot: &Value, list: &'a [Node]) -> R<Flow> {
        for n in list {
            let f = self.walk(dot, n)?;
            if f != Flow::Normal {
                return Ok(f);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> R<Flow> {
        self.at(At::Node(node));
        match node {
            Node::Action(a) => {
                // Declarations in a bare action persist to the end of the enclosing list.
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.at(At::Node(node));
                    self.print_action(a.id, &val)?;
                }
            }
            Node::Text(t) => match self.plan.as_ref().and_then(|p| p.text(t.id)) {
                Some(s) => self.out.push_str(s),
                None => self.out.push_str(&t.text),
            },
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t)?,
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
            Node::Comment(..) => {}
        }
        Ok(Flow::Normal)
    }

    fn print_action(&mut self, id: u32, val: &Value) -> R<()> {
        if let Value::Func(_) = val {
            return Err(self.errorf(format!(
                "can't print {} of type {}",
                self.at.map(|a| a.to_string()).unwrap_or_default(),
                val.type_name()
            )));
        }
        if let Some(plan) = &self.plan {
            let esc = plan.action(id);
            escape::apply(esc, val, self.out);
            return Ok(());
        }
        if val.is_nil() {
            self.out.push_str("<no value>");
        } else {
            gofmt::print_one(self.out, val);
        }
        Ok(())
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Value, b: &'a BranchNode) -> R<Flow> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.is_true() {
                if with {
                    let saved = std::mem::replace(&mut self.dot_iface, false);
                    let r = self.walk_list(&val, &b.list);
                    self.dot_iface = saved;
                    r
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, b: &'a BranchNode) -> R<Flow> {
        self.at(At::Pipe(&b.pipe));
        let mark = self.vars.len();
        let r = self.walk_range_inner(dot, b);
        self.vars.truncate(mark);
        r.map(|_| Flow::Normal)
    }

    fn walk_range_inner(&mut self, dot: &Value, b: &'a BranchNode) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let body_mark = self.vars.len();
        let mut iterated = false;
        let saved_iface = self.dot_iface;
        self.dot_iface = field::holds_interfaces(&val);
        let r = self.range_items(b, &val, body_mark, &mut iterated);
        self.dot_iface = saved_iface;
        if !r? {
            return Err(self.errorf(format!(
                "range can't iterate over {}",
                gofmt::sprint(&[val])
            )));
        }
        if !iterated && let Some(e) = &b.else_list {
            self.walk_list(dot, e)?;
        }
        Ok(())
    }

    /// Runs the body for each element; `Ok(false)` when the value cannot be ranged over.
    fn range_items(
        &mut self,
        b: &'a BranchNode,
        val: &Value,
        mark: usize,
        iterated: &mut bool,
    ) -> R<bool> {
        if let Some(items) = val.as_list() {
            for (i, elem) in items.iter().enumerate() {
                *iterated = true;
                if self.one_iteration(b, Value::Int(i as i64), elem, mark)? == Flow::Break {
                    break;
                }
            }
        } else if let Some(m) = val.as_map() {
            for (k, v) in &m.entries {
                *iterated = true;
                if self.one_iteration(b, Value::String(k.clone()), v, mark)? == Flow::Break {
                    break;
                }
            }
        } else {
            match val.basic().as_ref() {
                Value::Nil => {}
                Value::Int(n) if !matches!(val, Value::Duration(_)) => {
                    self.dot_iface = false;
                    for i in 0..(*n).max(0) {
                        *iterated = true;
                        let v = Value::Int(i);
                        if self.one_iteration(b, v.clone(), &v, mark)? == Flow::Break {
                            break;
                        }
                    }
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    fn one_iteration(
        &mut self,
        b: &'a BranchNode,
        index: Value,
        elem: &Value,
        mark: usize,
    ) -> R<Flow> {
        let decl = &b.pipe.decl;
        let iface = self.dot_iface;
        if !decl.is_empty() {
            if b.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone(), false)?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone(), iface)?;
                }
            } else {
                self.set_top_var(1, elem.clone(), iface);
            }
        }
        if decl.len() > 1 {
            if b.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone(), iface)?;
            } else {
                self.set_top_var(2, index, false);
            }
        }
        let r = self.walk_list(elem, &b.list);
        self.vars.truncate(mark);
        match r? {
            Flow::Break => Ok(Flow::Break),
            _ => Ok(Flow::Normal),
        }
    }

    fn walk_template(&mut self, dot: &Value, t: &'a TemplateNode) -> R<()> {
        let Some(tree) = self.set.tree(&t.name) else {
            return Err(self.errorf(format!("template {} not defined", gofmt::quote(&t.name))));
        };
        if self.depth.exhausted() {
            return Err(self.errorf(format!(
                "exceeded maximum template depth ({})",
                self.depth.level
            )));
        }
        let dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Nil,
        };
        let plan = match &self.plan {
            Some(p) => match p.callee(t.id, |c| self.set.html_plan(&t.name, c)) {
                Some(p) => Some(p),
                None => {
                    return Err(self.errorf(format!(
                        "html/template: cannot escape template {}",
                        gofmt::quote(&t.name)
                    )));
                }
            },
            None => None,
        };
        let mut st = State {
            set: self.set,
            tree,
            at: None,
            vars: Vec::with_capacity(4),
            dot_iface: false,
            depth: self.depth.deeper(),
            env: self.env,
            out: &mut *self.out,
            plan,
        };
        st.run(&dot)
    }

    fn set_var(&mut self, name: &str, value: Value, iface: bool) -> R<()> {
        for v in self.vars.iter_mut().rev() {
            if v.0 == name {
                v.1 = value;
                v.2 = iface;
                return Ok(());
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, value: Value, iface: bool) {
        let len = self.vars.len();
        if len >= n {
            self.vars[len - n].1 = value;
            self.vars[len - n].2 = iface;
        }
    }

    fn var_value(&self, name: &str) -> R<(Value, bool)> {
        for v in self.vars.iter().rev() {
            if v.0 == name {
                return Ok((v.1.clone(), v.2));
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &Value, pipe: &'a Pipe) -> R<Value> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for v in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&v.ident[0], value.clone(), false)?;
            } else {
                self.vars.push((v.ident[0].as_str(), value.clone(), false));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Value>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.errorf(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Command, fin: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field(_, idents) => {
                self.at(At::Arg(first));
                let iface = self.dot_iface;
                return self.eval_field_chain(
                    dot,
                    (dot.clone(), iface),
                    first,
                    idents,
                    &cmd.args,
                    fin,
                );
            }
            Arg::Chain(..) => return self.eval_chain(dot, first, &cmd.args, fin),
            Arg::Identifier(_, name) => {
                return self.eval_function(dot, first, name, At::Command(cmd), &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(v) => return self.eval_variable(dot, v, first, &cmd.args, fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.errorf("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(n),
            Arg::String(_, _, v) => Ok(v.clone()),
            _ => Err(self.errorf(format!(
                "can't evaluate command {}",
                gofmt::quote(&first.to_string())
            ))),
        }
    }

    fn eval_variable(
        &mut self,
        dot: &Value,
        v: &'a Variable,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        self.at(At::Var(v));
        let (value, iface) = self.var_value(&v.ident[0])?;
        if v.ident.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, (value, iface), node, &v.ident[1..], args, fin)
    }

    fn eval_chain(
        &mut self,
        dot: &Value,
        chain: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        self.at(At::Arg(chain));
        let Arg::Chain(_, node, fields) = chain else {
            return Err(self.errorf("internal error: not a chain"));
        };
        if let Arg::Nil(_) = node.as_ref() {
            return Err(self.errorf(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg(dot, crate::func::Param::Any, node, true)?;
        self.eval_field_chain(dot, (pipe, false), chain, fields, args, fin)
    }

    fn ideal_constant(&mut self, n: &crate::ast::Number) -> R<Value> {
        if n.is_complex {
            return Err(self.errorf("complex constants are not supported"));
        }
        let looks_float = !n.is_char
            && !n.text.starts_with("0x")
            && !n.text.starts_with("0X")
            && n.text.contains(['.', 'e', 'E', 'p', 'P']);
        if let (Some(f), true) = (n.float, looks_float) {
            return Ok(Value::Float(f));
        }
        if let Some(i) = n.int {
            return Ok(Value::Int(i));
        }
        if n.uint.is_some() {
            return Err(self.errorf(format!("{} overflows int", n.text)));
        }
        Ok(Value::Nil)
    }
}
