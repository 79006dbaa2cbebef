//! Prometheus text parser: never panics; accepted bodies survive an encode/parse round trip.
#![no_main]

use flint_expfmt::encode::TextEncoder;
use flint_expfmt::family::encode_families;
use flint_expfmt::{Format, TextParser, parse_families};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for entry in TextParser::new(data) {
        if let Ok(flint_expfmt::Entry::Sample(s)) = entry {
            for _ in s.labels.iter() {}
        }
    }
    if let Ok(families) = parse_families(Format::Text, data) {
        let mut out = Vec::new();
        encode_families(&families, &mut TextEncoder::new(&mut out));
        let _ = parse_families(Format::Text, &out);
    }
});
