//! Malformed input never panics, and errors name a position.
#![allow(clippy::unwrap_used)] // Test helpers: a panic is a test failure.

use flint_expfmt::{Format, OpenMetricsParser, TextParser, Validation, parse_families_with};
use proptest::prelude::*;

const SEED: &str = "# HELP a Some help.\n# TYPE a counter\na_total{x=\"1\",y=\"\\\"q\"} 3 1000\n\
# TYPE h histogram\nh_bucket{le=\"0.5\"} 1 # {t=\"x\"} 0.2 1.5\nh_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n\
{\"my.metric\",\"la.bel\"=\"v\"} NaN\n# EOF\n";

fn check_all(input: &[u8]) {
    for e in TextParser::new(input).flatten() {
        let _ = format!("{e:?}");
    }
    for v in [Validation::Strict, Validation::Lenient] {
        for e in OpenMetricsParser::with_validation(input, v) {
            if let Err(e) = e {
                assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
        }
        for f in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
            if let Err(e) = parse_families_with(f, input, v) {
                assert!(e.line >= 1 && e.column >= 1, "{e}");
                assert!(!e.message.is_empty());
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_all(&input);
    }

    #[test]
    fn mutated_bodies(edits in proptest::collection::vec((0usize..400, any::<u8>(), 0u8..3), 1..6)) {
        let mut body = SEED.as_bytes().to_vec();
        for (pos, byte, op) in edits {
            let pos = pos % (body.len() + 1);
            match op {
                0 => body.insert(pos, byte),
                1 if pos < body.len() => { body.remove(pos); }
                _ if pos < body.len() => body[pos] = byte,
                _ => {}
            }
        }
        check_all(&body);
    }

    #[test]
    fn mutated_text_chars(edits in proptest::collection::vec((0usize..400, "[ {}=\",#\\\\\na-z0-9.+-]"), 1..6)) {
        let mut body = SEED.to_owned();
        for (pos, s) in edits {
            let mut pos = pos % (body.len() + 1);
            while !body.is_char_boundary(pos) {
                pos -= 1;
            }
            body.insert_str(pos, &s);
        }
        check_all(body.as_bytes());
    }
}

#[test]
fn seed_is_valid() {
    assert_eq!(
        parse_families_with(Format::OpenMetrics, SEED.as_bytes(), Validation::Strict)
            .unwrap()
            .len(),
        3
    );
    assert!(parse_families_with(Format::Text, SEED.as_bytes(), Validation::Strict).is_err());
}
