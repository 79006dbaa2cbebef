//! The storage contract every Flint component writes to and reads from.
//!
//! - Writing: an [`Appendable`] hands out [`Appender`]s; an appender buffers samples,
//!   exemplars and metadata and makes them visible together on [`Appender::commit`] (a scrape
//!   commits its whole batch at once). Per-sample conditions (out of order, too old,
//!   duplicate) are returned as [`AppendError`]s that callers count and move past.
//! - Reading: a [`Queryable`] opens a [`Querier`] over a time range; [`Querier::select`] returns
//!   a [`SeriesSet`] of [`Series`], each with a [`SampleIterator`].
//! - [`merge`] combines several queriers (head and blocks, local and remote) into one.
//! - [`memory`] is a small reference implementation for tests of components above storage.
//!
//! The TSDB implements this contract; PromQL, rules and the web API depend only on it.
#![deny(missing_docs)]

pub mod appender;
pub mod error;
pub mod iterator;
pub mod memory;
pub mod merge;
pub mod querier;

pub use appender::{Appendable, Appender, HistogramSample, SeriesRef};
pub use error::{AppendError, Result, StorageError};
pub use iterator::{SampleIterator, SliceIterator, TimedValue, Value, ValueType};
pub use querier::{
    ListSeries, Querier, Queryable, SelectHints, Series, SeriesSet, VecSeriesSet, Warnings,
};
