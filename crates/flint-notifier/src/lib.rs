//! Sending alerts to Alertmanagers.
#![deny(missing_docs)]
