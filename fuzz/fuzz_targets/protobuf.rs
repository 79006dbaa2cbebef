//! Delimited protobuf parser: never panics; accepted bodies re-encode and decode again.
#![no_main]

use flint_expfmt::encode::ProtobufEncoder;
use flint_expfmt::family::encode_families;
use flint_expfmt::{Format, parse_families};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(families) = parse_families(Format::Protobuf, data) {
        let mut out = Vec::new();
        encode_families(&families, &mut ProtobufEncoder::new(&mut out));
        let _ = parse_families(Format::Protobuf, &out);
    }
});
