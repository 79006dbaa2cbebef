//! Implementations of the subcommands.

pub mod agent;
pub mod alertmanager;
pub mod all_in_one;
pub mod check_am_config;
pub mod check_config;
pub mod check_metrics;
pub mod check_rules;
pub mod not_built;
pub mod query;
pub mod query_format;
pub mod query_server;
pub mod server;
pub mod server_alerting;
pub mod server_log;
pub mod server_remote;
pub mod server_web;
pub mod test_rules;
pub mod trim;
pub mod tsdb;
