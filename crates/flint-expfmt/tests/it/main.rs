//! Integration tests of flint-expfmt (one binary, one module per topic).

mod no_panic;
mod openmetrics_conformance;
mod roundtrip;
mod testdata;
