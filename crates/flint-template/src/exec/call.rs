//! Calling functions and methods: arity checks, argument evaluation and conversion to the
//! declared parameter types, `and`/`or` short-circuiting, and Go's error wording.

use super::{R, State};
use crate::ast::{Arg, At};
use crate::builtins::{self, Builtin};
use crate::func::{Ctx, Param, Signature};
use crate::value::Value;

/// What is being called.
pub(crate) enum Callee<'f> {
    Func(&'f crate::func::Func),
    Builtin(Builtin),
    Method(Value),
}

impl<'a> State<'a> {
    pub(super) fn eval_function(
        &mut self,
        dot: &Value,
        node: &'a Arg,
        name: &'a str,
        cmd: At<'a>,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        self.at(At::Arg(node));
        let set = self.set;
        if let Some(f) = set.funcs().get(name) {
            return self.eval_call(dot, Callee::Func(f), f.signature(), cmd, name, args, fin);
        }
        if let Some(b) = Builtin::lookup(name) {
            return self.eval_call(dot, Callee::Builtin(b), b.signature(), cmd, name, args, fin);
        }
        Err(self.errorf(format!(
            "{} is not a defined function",
            crate::gofmt::quote(name)
        )))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn eval_call(
        &mut self,
        dot: &Value,
        callee: Callee<'_>,
        sig: Signature,
        node: At<'a>,
        name: &str,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let args = if args.is_empty() { args } else { &args[1..] };
        let num_in = args.len() + usize::from(fin.is_some());
        self.check_arity(&sig, name, args.len(), num_in)?;
        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            return self.and_or(dot, b == Builtin::Or, args, fin);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, sig.param(i), a, false)?);
        }
        if let Some(f) = fin {
            let p = sig.param(num_in - 1);
            argv.push(self.validate(f, p)?);
        }
        let ctx = Ctx {
            set: self.set,
            env: self.env,
            depth: self.depth,
        };
        let result = match callee {
            Callee::Func(f) => f.call(&ctx, &argv),
            Callee::Builtin(b) => builtins::call(b, &ctx, argv),
            Callee::Method(recv) => super::field::call_method(&recv, name, argv),
        };
        result.map_err(|e| {
            self.at(node);
            self.errorf(format!("error calling {name}: {e}"))
        })
    }

    /// Go checks the argument count before evaluating any argument.
    fn check_arity(&self, sig: &Signature, name: &str, given: usize, num_in: usize) -> R<()> {
        let fixed = sig.params.len();
        if sig.variadic.is_some() {
            if num_in < fixed {
                return Err(self.errorf(format!(
                    "wrong number of args for {name}: want at least {fixed} got {given}"
                )));
            }
        } else if num_in != fixed {
            return Err(self.errorf(format!(
                "wrong number of args for {name}: want {fixed} got {num_in}"
            )));
        }
        Ok(())
    }

    /// `and`/`or`: evaluate arguments only until the result is known; return that argument.
    fn and_or(&mut self, dot: &Value, or: bool, args: &'a [Arg], fin: Option<Value>) -> R<Value> {
        let mut v = Value::Nil;
        for a in args {
            v = self.eval_arg(dot, Param::Any, a, false)?;
            if v.is_true() == or {
                return Ok(v);
            }
        }
        Ok(fin.unwrap_or(v))
    }

    /// Evaluates an argument for a parameter of type `param` (Go's `evalArg`).
    pub(crate) fn eval_arg(
        &mut self,
        dot: &Value,
        param: Param,
        arg: &'a Arg,
        untyped: bool,
    ) -> R<Value> {
        self.at(At::Arg(arg));
        let one = std::slice::from_ref(arg);
        let v = match arg {
            Arg::Dot(_) => Some(dot.clone()),
            Arg::Nil(_) => {
                if param.can_be_nil() || untyped {
                    return Ok(Value::Nil);
                }
                return Err(self.errorf(format!("cannot assign nil to {}", param.type_name())));
            }
            Arg::Field(_, idents) => Some(self.eval_field_chain(
                dot,
                (dot.clone(), self.dot_iface),
                arg,
                idents,
                one,
                None,
            )?),
            Arg::Variable(v) => Some(self.eval_variable(dot, v, arg, one, None)?),
            Arg::Pipe(p) => Some(self.eval_pipeline(dot, p)?),
            Arg::Identifier(_, name) => {
                Some(self.eval_function(dot, arg, name, At::Arg(arg), one, None)?)
            }
            Arg::Chain(..) => Some(self.eval_chain(dot, arg, one, None)?),
            _ => None,
        };
        if let Some(v) = v {
            return if untyped {
                Ok(v)
            } else {
                self.validate(v, param)
            };
        }
        match (param, arg) {
            (Param::Bool, Arg::Bool(_, b)) => Ok(Value::Bool(*b)),
            (Param::Bool, _) => Err(self.errorf(format!("expected bool; found {arg}"))),
            (Param::Float, Arg::Number(n)) if n.float.is_some() => {
                Ok(Value::Float(n.float.unwrap_or(0.0)))
            }
            (Param::Float, _) => Err(self.errorf(format!("expected float; found {arg}"))),
            (Param::Int, Arg::Number(n)) if n.int.is_some() => Ok(Value::Int(n.int.unwrap_or(0))),
            (Param::Duration, Arg::Number(n)) if n.int.is_some() => {
                Ok(Value::Duration(crate::gotime::Duration(n.int.unwrap_or(0))))
            }
            (Param::Int | Param::Duration, _) => {
                Err(self.errorf(format!("expected integer; found {arg}")))
            }
            (Param::String, Arg::String(_, _, v)) => Ok(v.clone()),
            (Param::String, _) => Err(self.errorf(format!("expected string; found {arg}"))),
            (Param::Any, Arg::Bool(_, b)) => Ok(Value::Bool(*b)),
            (Param::Any, Arg::Number(n)) => self.ideal_constant(n),
            (Param::Any, Arg::String(_, _, v)) => Ok(v.clone()),
            _ => Err(self.errorf(format!(
                "can't handle {arg} for arg of type {}",
                param.type_name()
            ))),
        }
    }

    /// Checks that an evaluated value fits a parameter (Go's `validateType`).
    pub(crate) fn validate(&self, v: Value, param: Param) -> R<Value> {
        if v.is_nil() {
            if param.can_be_nil() {
                return Ok(v);
            }
            return Err(self.errorf(format!("invalid value; expected {}", param.type_name())));
        }
        let ok = match param {
            Param::Any => true,
            Param::String => matches!(v, Value::String(_)),
            Param::Int => matches!(v, Value::Int(_)),
            Param::Float => matches!(v, Value::Float(_)),
            Param::Bool => matches!(v, Value::Bool(_)),
            Param::Time => matches!(v, Value::Time(_)),
            Param::Duration => matches!(v, Value::Duration(_)),
            Param::Strings => v
                .as_list()
                .is_some_and(|l| l.iter().all(|x| matches!(x, Value::String(_)))),
        };
        if ok {
            return Ok(v);
        }
        Err(self.errorf(format!(
            "wrong type for value; expected {}; got {}",
            param.type_name(),
            v.type_name()
        )))
    }
}
