//! Go's `text/template` language in Rust, with Prometheus's and Alertmanager's function sets.
//!
//! Templates are parsed once into a [`TemplateSet`] (one namespace of named templates, like a Go
//! `*template.Template` and its associated templates) and executed many times against
//! [`Value`]s. Parse and execution errors carry Go's messages and positions
//! (`template: name:1:3: executing "name" at <.Foo>: map has no entry for key "Foo"`).
//!
//! ```
//! use flint_template::{TemplateSet, Value};
//!
//! let mut set = TemplateSet::new();
//! set.parse("greet", r#"{{ range $i, $n := . }}{{ if $i }}, {{ end }}{{ $n | printf "%q" }}{{ end }}"#)
//!     .unwrap();
//! let out = set.render("greet", &Value::strings(["a", "b"])).unwrap();
//! assert_eq!(out, r#""a", "b""#);
//! ```
#![deny(missing_docs)]

pub mod alertmanager;
mod ast;
mod builtins;
mod common;
mod error;
mod escape;
mod exec;
mod func;
pub mod gofmt;
pub mod gotime;
mod json;
mod lex;
mod parse;
pub mod prometheus;
mod set;
mod value;

pub use builtins::{path_escape, query_escape};
pub use error::{Error, ExecError, FuncError, ParseError, Result};
pub use exec::MissingKey;
pub use func::{Ctx, Func, FuncMap, Param, Signature};
pub use gotime::{Duration, Location, Time};
pub use json::to_json;
pub use set::{Mode, TemplateSet};
pub use value::{Content, List, Map, Object, Struct, Value};
