//! The remote-write protocol (1.0): the protobuf messages ([`prompb`], written by hand as
//! prost derives so the build needs no `protoc`) and the receiver behind
//! `/api/v1/write` ([`receiver`]) that appends requests to storage with Prometheus's status
//! codes, remote read ([`read`]: `/api/v1/read` answered from storage with SAMPLES
//! responses, and the `remote_read` entries as storage merged behind the local one), and the
//! sender ([`write`]): one queue per `remote_write` entry that tails the WAL. Streamed chunk
//! responses and protocol 2.0 come next.
#![deny(missing_docs)]

pub mod error;
pub mod prompb;
pub mod read;
pub mod receiver;
pub mod write;

pub use error::{ReadError, ReceiveError, RemoteReadError, WriteError};
pub use receiver::{WriteReceiver, WriteStats};
