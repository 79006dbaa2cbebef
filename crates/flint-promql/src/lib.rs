//! PromQL: lexer, parser, evaluator and the test-script runner.
#![deny(missing_docs)]

pub mod annotations;
pub mod engine;
pub mod error;
mod eval;
mod functions;
pub mod histogram;
pub mod parser;
pub mod promqltest;

pub use annotations::{Annotation, AnnotationKind, Annotations};
pub use engine::{Engine, EngineOptions, QueryOptions, QueryResult, QueryStats, QueryValue};
pub use error::{Error, ErrorKind, Result};
