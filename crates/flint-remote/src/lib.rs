//! Remote storage: the protobuf messages of remote write 1.0 ([`prompb`]) and 2.0
//! ([`prompb_v2`]), written by hand as prost derives so the build needs no `protoc`; the
//! receiver behind `/api/v1/write` ([`receiver`], both versions) that appends requests to
//! storage with Prometheus's status codes; remote read ([`read`]: `/api/v1/read` answered
//! from storage with SAMPLES or streamed XOR chunks, and the `remote_read` entries as
//! storage merged behind the local one); and the 1.0 sender ([`write`]): one queue per
//! `remote_write` entry that tails the WAL. The 2.0 sender comes next.
#![deny(missing_docs)]

pub mod error;
mod http;
pub mod prompb;
pub mod prompb_v2;
pub mod read;
pub mod receiver;
pub mod write;

pub use error::{ReadError, ReceiveError, RemoteReadError, WriteError};
pub use receiver::{WriteReceiver, WriteStats};
