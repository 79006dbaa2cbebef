//! The remote-write protocol (1.0): the protobuf messages ([`prompb`], written by hand as
//! prost derives so the build needs no `protoc`) and the receiver behind
//! `/api/v1/write` ([`receiver`]) that appends requests to storage with Prometheus's status
//! codes, and `/api/v1/read` answered from storage ([`read`], SAMPLES responses). The sender
//! (queues tailing the WAL) and streamed chunk responses come next.
#![deny(missing_docs)]

pub mod error;
pub mod prompb;
pub mod read;
pub mod receiver;

pub use error::{ReadError, ReceiveError};
pub use receiver::{WriteReceiver, WriteStats};
