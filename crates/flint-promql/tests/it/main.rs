//! Integration tests of flint-promql.

mod scripts;
