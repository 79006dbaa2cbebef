//! flint-client-derive
