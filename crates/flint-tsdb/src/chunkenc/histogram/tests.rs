use super::*;
use flint_model::Span;

/// Bytes from a bit string written out field by field (spaces ignored), padded with zeros.
pub(crate) fn bits(s: &str) -> Vec<u8> {
    let bits: Vec<bool> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c == '1')
        .collect();
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, bit)| b | (u8::from(*bit) << (7 - i)))
        })
        .collect()
}

fn h(count: u64, sum: f64, deltas: &[i64]) -> Histogram {
    Histogram {
        schema: 0,
        zero_threshold: 2f64.powi(-128),
        zero_count: 1,
        count,
        sum,
        positive_spans: vec![Span {
            offset: 0,
            length: deltas.len() as u32,
        }],
        positive_deltas: deltas.to_vec(),
        ..Histogram::default()
    }
}

#[test]
fn two_samples_byte_for_byte() {
    let mut a = HistogramAppender::start(1000, &h(4, 10.0, &[2, -1]), None);
    let one = [
        "0",                                                                // schema 0
        "10 001 10 010 0",    // one positive span: length 2, offset 0
        "0",                  // no negative span
        "11110 001111101000", // t = 1000 (12-bit bucket)
        "10 100",             // count 4
        "10 001",             // zero count 1
        "0100000000100100000000000000000000000000000000000000000000000000", // sum 10.0
        "10 010 10 111",      // buckets: 2, then delta -1
    ]
    .concat();
    let mut want = vec![0, 1, 0, 116];
    want.extend(bits(&one));
    assert_eq!(a.bytes(), want.as_slice());

    let mut second = h(6, 13.0, &[3, -1]);
    assert!(matches!(
        a.append(2000, &mut second),
        HistogramAppend::Appended
    ));
    let two = [
        one.as_str(),
        "11110 001111101000",  // t dod = 1000
        "10 010",              // count dod 2
        "0",                   // zero count dod 0
        "11 01100 000011 111", // sum XOR: new window, 12 leading zeros, 3 significant bits
        "10 001 0",            // bucket dods 1, 0
    ]
    .concat();
    let mut want = vec![0, 2, 0, 116];
    want.extend(bits(&two));
    assert_eq!(a.bytes(), want.as_slice());

    let mut it = HistogramIterator::new(a.bytes());
    assert!(it.advance().unwrap());
    let first = it.histogram();
    assert_eq!(
        (it.t(), first.count, first.positive_deltas.clone()),
        (1000, 4, vec![2, -1])
    );
    assert_eq!(first.counter_reset_hint, CounterResetHint::Unknown);
    assert!(it.advance().unwrap());
    let got = it.histogram();
    assert_eq!(got.counter_reset_hint, CounterResetHint::NotCounterReset);
    assert_eq!(
        (it.t(), got.sum, got.positive_deltas),
        (2000, 13.0, vec![3, -1])
    );
    assert!(!it.advance().unwrap());
}

#[test]
fn resets_and_new_buckets() {
    let mut a = HistogramAppender::start(0, &h(4, 10.0, &[2, -1]), None);
    // A new bucket: the chunk is rewritten with the wider layout.
    let mut wider = h(7, 12.0, &[2, 0, 1]);
    assert!(matches!(a.append(1, &mut wider), HistogramAppend::Appended));
    let mut it = HistogramIterator::new(a.bytes());
    it.advance().unwrap();
    assert_eq!(it.histogram().positive_deltas, vec![2, -1, -1]);
    assert_eq!(it.histogram().positive_spans[0].length, 3);
    // Fewer observations: a counter reset, so a new chunk with the reset header.
    let mut reset = h(1, 1.0, &[1, -1, 0]);
    match a.append(2, &mut reset) {
        HistogramAppend::NewChunk(n) => {
            assert_eq!(n.header(), CounterResetHeader::CounterReset);
            assert_eq!(n.num_samples(), 1);
        }
        HistogramAppend::Appended => panic!("a reset must cut a chunk"),
    }
    // A missing empty bucket is filled in from the chunk's layout.
    let mut missing = Histogram {
        positive_spans: vec![Span {
            offset: 0,
            length: 2,
        }],
        positive_deltas: vec![2, 0],
        count: 8,
        ..h(8, 12.0, &[])
    };
    let mut b = HistogramAppender::start(0, &h(4, 10.0, &[2, -2, 0]), None);
    assert!(matches!(
        b.append(1, &mut missing),
        HistogramAppend::Appended
    ));
    assert_eq!(missing.positive_deltas, vec![2, 0, -2]);
}

#[test]
fn stale_markers_end_a_chunk() {
    let mut a = HistogramAppender::start(0, &h(4, 10.0, &[2, -1]), None);
    let mut stale = Histogram {
        sum: flint_model::STALE_NAN,
        ..Histogram::default()
    };
    assert!(matches!(a.append(1, &mut stale), HistogramAppend::Appended));
    let mut next = h(5, 11.0, &[2, -1]);
    match a.append(2, &mut next) {
        HistogramAppend::NewChunk(n) => assert_eq!(n.header(), CounterResetHeader::Unknown),
        HistogramAppend::Appended => panic!("a sample after a stale marker starts a chunk"),
    }
    let mut it = HistogramIterator::new(a.bytes());
    it.advance().unwrap();
    it.advance().unwrap();
    assert!(flint_model::is_stale_nan(it.histogram().sum));
}

#[test]
fn gauge_histograms_keep_one_chunk() {
    let mut g = h(4, 10.0, &[2, -1]);
    g.counter_reset_hint = CounterResetHint::Gauge;
    let mut a = HistogramAppender::start(0, &g, None);
    assert_eq!(a.header(), CounterResetHeader::Gauge);
    let mut lower = h(1, 1.0, &[0, 1]);
    lower.counter_reset_hint = CounterResetHint::Gauge;
    lower.positive_spans = vec![Span {
        offset: 1,
        length: 2,
    }];
    assert!(matches!(a.append(1, &mut lower), HistogramAppend::Appended));
    let mut it = HistogramIterator::new(a.bytes());
    it.advance().unwrap();
    it.advance().unwrap();
    let got = it.histogram();
    assert_eq!(got.counter_reset_hint, CounterResetHint::Gauge);
    assert_eq!(
        got.positive_spans,
        vec![Span {
            offset: 0,
            length: 3
        }]
    );
    assert_eq!(got.positive_deltas, vec![0, 0, 1]);
}

#[test]
fn garbage_never_panics() {
    for seed in 0..200u32 {
        let bytes: Vec<u8> = (0..(seed % 60))
            .map(|i| (seed.wrapping_mul(2654435761).wrapping_add(i * 97) >> 7) as u8)
            .collect();
        let mut it = HistogramIterator::new(&bytes);
        while let Ok(true) = it.advance() {
            let _ = it.histogram();
        }
    }
}
