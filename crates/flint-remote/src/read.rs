//! Remote read, both sides.
//!
//! - [`ReadPlan`]: `/api/v1/read` answered from local storage (the server side), SAMPLES or
//!   streamed XOR chunks.
//! - [`ReadClient`] and [`RemoteReads`]: the `remote_read` entries of the config, each a
//!   [`flint_storage::Queryable`] that sends the query's matchers and range to the endpoint,
//!   merged behind the local storage so PromQL sees remote data as its own.

mod client;
mod serve;
mod storage;

pub use client::ReadClient;
pub use serve::{ReadPlan, STREAMED_CONTENT_TYPE};
pub use storage::{LocalStart, RemoteReads};
