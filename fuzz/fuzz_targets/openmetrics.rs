//! OpenMetrics parser: never panics; accepted bodies re-encode and parse again.
#![no_main]

use flint_expfmt::encode::OpenMetricsEncoder;
use flint_expfmt::family::encode_families;
use flint_expfmt::{Format, OpenMetricsParser, parse_families};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for entry in OpenMetricsParser::new(data) {
        if let Ok(flint_expfmt::Entry::Sample(s)) = entry {
            for _ in s.labels.iter() {}
        }
    }
    if let Ok(families) = parse_families(Format::OpenMetrics, data) {
        let mut out = Vec::new();
        encode_families(&families, &mut OpenMetricsEncoder::new(&mut out));
        let _ = parse_families(Format::OpenMetrics, &out);
    }
});
