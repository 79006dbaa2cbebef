//! The server's HTTP side: Prometheus HTTP API v1, lifecycle endpoints, `/metrics`.
#![deny(missing_docs)]
