//! Recording and alerting rules.
#![deny(missing_docs)]

pub mod error;
pub mod lint;
pub mod rulefmt;

pub use error::{Error, EvalError, QueryError, Result};
