//! Integration tests of flint-promql.

mod engine;
mod printer;
mod scripts;
