//! Field and method access: `.A.B`, `$x.A`, `(pipe).A`, with Go's lookup order (method first,
//! then struct field or map key) and its messages.

use super::call::Callee;
use super::{MissingKey, R, State};
use crate::ast::{Arg, At};
use crate::error::FuncError;
use crate::func::Signature;
use crate::gotime;
use crate::value::Value;

/// The signature of method `name` on `v`, if it has one.
fn method_of(v: &Value, name: &str) -> Option<Signature> {
    match v {
        Value::Object(o) => o.method(name),
        Value::Time(_) => gotime::time_method(name),
        Value::Duration(_) => gotime::duration_method(name),
        _ => None,
    }
}

/// Calls method `name` on `recv`.
pub(super) fn call_method(recv: &Value, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
    match recv {
        Value::Object(o) => o.call_method(name, args),
        Value::Time(t) => gotime::call_time_method(t, name, &args),
        Value::Duration(d) => gotime::call_duration_method(*d, name, &args),
        _ => Err(FuncError(format!("no method {name}"))),
    }
}

/// Whether the elements of `v` have Go's static type `interface{}`.
pub(super) fn holds_interfaces(v: &Value) -> bool {
    match v {
        Value::Map(m) => m.zero.is_nil() && m.type_name == "map[string]interface {}",
        Value::List(l) => l.type_name == "[]interface {}",
        _ => false,
    }
}

impl<'a> State<'a> {
    /// `.key` on a map: the value, or what the `missingkey` option says.
    fn map_key(&self, m: &crate::value::Map, name: &str) -> R<Value> {
        match m.get(name) {
            Some(v) => Ok(v.clone()),
            None => match self.set.missing_key() {
                MissingKey::Invalid => Ok(Value::Nil),
                MissingKey::Zero => Ok(m.zero.clone()),
                MissingKey::Error => Err(self.errorf(format!(
                    "map has no entry for key {}",
                    crate::gofmt::quote(name)
                ))),
            },
        }
    }

    pub(super) fn eval_field_chain(
        &mut self,
        dot: &Value,
        (mut receiver, mut iface): (Value, bool),
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            let next_iface = holds_interfaces(&receiver);
            receiver = self.eval_field(dot, ident, node, &[], None, receiver, iface)?;
            iface = next_iface;
        }
        self.eval_field(dot, &idents[n - 1], node, args, fin, receiver, iface)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &'a str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
        receiver: Value,
        iface: bool,
    ) -> R<Value> {
        if receiver.is_nil() {
            if self.set.missing_key() == MissingKey::Error {
                return Err(self.errorf(format!(
                    "nil data; no entry for key {}",
                    crate::gofmt::quote(name)
                )));
            }
            return Ok(Value::Nil);
        }
        if let Some(sig) = method_of(&receiver, name) {
            return self.eval_call(
                dot,
                Callee::Method(receiver),
                sig,
                At::Arg(node),
                name,
                args,
                fin,
            );
        }
        let has_args = args.len() > 1 || fin.is_some();
        if let Value::Object(o) = &receiver
            && let Some(v) = o.field(name)
        {
            if has_args {
                return Err(self.errorf(format!(
                    "{name} has arguments but cannot be invoked as function"
                )));
            }
            return Ok(v);
        }
        if let Some(m) = receiver.as_map() {
            if has_args {
                return Err(self.errorf(format!("{name} is not a method but has arguments")));
            }
            return self.map_key(m, name);
        }
        // A value taken out of an interface{} container has that static type in Go's message.
        let type_name = if iface {
            "interface {}".into()
        } else {
            receiver.type_name()
        };
        Err(self.errorf(format!("can't evaluate field {name} in type {type_name}")))
    }
}
