//! flint-client
