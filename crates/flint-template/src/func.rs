//! Functions callable from templates: signatures, the function map, and the call context.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, FuncError};
use crate::value::Value;

/// The type of a parameter, as far as argument conversion and checking need it.
///
/// Go converts constants to the declared parameter type (`1` passed to a `float64` parameter
/// becomes `1.0`) and rejects values of the wrong type with `wrong type for value; expected …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`: anything, constants keep their natural type.
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `float64`.
    Float,
    /// `bool`.
    Bool,
    /// `time.Time`.
    Time,
    /// `time.Duration` (an integer constant converts to it).
    Duration,
    /// `[]string`.
    Strings,
}

impl Param {
    /// The Go type name.
    pub fn type_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::String => "string",
            Param::Int => "int",
            Param::Float => "float64",
            Param::Bool => "bool",
            Param::Time => "time.Time",
            Param::Duration => "time.Duration",
            Param::Strings => "[]string",
        }
    }

    pub(crate) fn can_be_nil(self) -> bool {
        matches!(self, Param::Any | Param::Strings)
    }
}

/// A function's or method's parameters: fixed ones, then optionally a variadic tail.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// The fixed parameters.
    pub params: &'static [Param],
    /// The type of the variadic parameters, if the function is variadic.
    pub variadic: Option<Param>,
}

impl Signature {
    /// A function with exactly these parameters.
    pub const fn fixed(params: &'static [Param]) -> Self {
        Signature {
            params,
            variadic: None,
        }
    }

    /// A function with these fixed parameters followed by any number of `rest`.
    pub const fn variadic(params: &'static [Param], rest: Param) -> Self {
        Signature {
            params,
            variadic: Some(rest),
        }
    }

    /// The type of argument `i` (0-based).
    pub(crate) fn param(&self, i: usize) -> Param {
        self.params
            .get(i)
            .copied()
            .or(self.variadic)
            .unwrap_or(Param::Any)
    }
}

type Imp = dyn Fn(&Ctx<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync;

/// A function: its signature and implementation. Cheap to clone.
#[derive(Clone)]
pub struct Func(pub(crate) Arc<FuncInner>);

pub(crate) struct FuncInner {
    pub(crate) sig: Signature,
    imp: Box<Imp>,
}

impl Func {
    /// A function of the arguments alone.
    pub fn new(
        sig: Signature,
        f: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Self {
        Func(Arc::new(FuncInner {
            sig,
            imp: Box::new(move |_, args| f(args)),
        }))
    }

    /// A function that also sees the execution context (its environment, the template set).
    pub fn with_ctx(
        sig: Signature,
        f: impl Fn(&Ctx<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Self {
        Func(Arc::new(FuncInner {
            sig,
            imp: Box::new(f),
        }))
    }

    /// The signature.
    pub fn signature(&self) -> Signature {
        self.0.sig
    }

    pub(crate) fn call(&self, ctx: &Ctx<'_>, args: &[Value]) -> Result<Value, FuncError> {
        (self.0.imp)(ctx, args)
    }
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Func({:?})", self.0.sig)
    }
}

/// Named functions (Go's `template.FuncMap`).
#[derive(Clone, Default)]
pub struct FuncMap {
    map: HashMap<String, Func>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a function.
    pub fn insert(&mut self, name: impl Into<String>, f: Func) -> &mut Self {
        self.map.insert(name.into(), f);
        self
    }

    /// Adds every function of `other`, replacing those of the same name.
    pub fn extend(&mut self, other: &FuncMap) -> &mut Self {
        for (k, v) in &other.map {
            self.map.insert(k.clone(), v.clone());
        }
        self
    }

    /// Looks a function up.
    pub fn get(&self, name: &str) -> Option<&Func> {
        self.map.get(name)
    }

    /// Whether a function of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The names, unordered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

/// What a function sees of the execution it is called from.
pub struct Ctx<'a> {
    pub(crate) set: &'a crate::TemplateSet,
    pub(crate) env: Option<&'a dyn Any>,
    pub(crate) depth: crate::exec::Nesting,
}

impl Ctx<'_> {
    /// The environment value passed to [`crate::TemplateSet::execute_with`], if it is a `T`.
    pub fn env<T: Any>(&self) -> Option<&T> {
        self.env.and_then(|e| e.downcast_ref::<T>())
    }

    /// Executes template `name` of the same set with `data` (what Prometheus's `tmpl` does).
    pub fn execute_template(&self, name: &str, data: &Value) -> Result<String, Error> {
        if self.depth.exhausted() {
            return Err(Error::Exec(crate::error::ExecError {
                template: name.to_string(),
                location: None,
                context: None,
                message: format!("exceeded maximum template depth ({})", self.depth.level),
            }));
        }
        let mut out = String::new();
        self.set
            .execute_nested(name, data, self.env, self.depth.deeper(), &mut out)?;
        Ok(out)
    }
}
