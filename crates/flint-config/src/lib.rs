//! Configuration of the Flint server: `prometheus.yml` and rule files.
//!
//! Raw serde types are validated into the forms the components use; every error names
//! file, line and column.
#![deny(missing_docs)]
