//! The shared exposition test data parses with the counts its README gives, and malformed
//! input fails with a position instead of panicking.
#![allow(clippy::unwrap_used)] // Test helpers: a panic is a test failure.

use flint_expfmt::{
    Entry, Format, OpenMetricsParser, TextParser, Validation, parse_families, parse_families_with,
};
use flint_model::MetricType;
use flint_testkit::testdata::testdata_path;

fn read(name: &str) -> Vec<u8> {
    std::fs::read(testdata_path(&format!("expfmt/{name}"))).unwrap()
}

fn count_samples(format: Format, input: &[u8]) -> usize {
    let entries: Vec<_> = match format {
        Format::Text => TextParser::new(input).collect::<Result<_, _>>().unwrap(),
        _ => OpenMetricsParser::with_validation(input, Validation::Lenient)
            .collect::<Result<_, _>>()
            .unwrap(),
    };
    entries
        .iter()
        .filter(|e| matches!(e, Entry::Sample(_)))
        .count()
}

#[test]
fn alltypes_prom_text() {
    let fams = parse_families(Format::Text, &read("alltypes.237mfs.prom.txt")).unwrap();
    assert_eq!(fams.len(), 237);
    let count = |t| fams.iter().filter(|f| f.metric_type == t).count();
    assert_eq!(count(MetricType::Counter), 112);
    assert_eq!(count(MetricType::Gauge), 97);
    assert_eq!(count(MetricType::Histogram), 15);
    assert_eq!(count(MetricType::Summary), 13);
    let with_meta = count_samples(Format::Text, &read("alltypes.237mfs.prom.txt"));
    let no_meta = count_samples(Format::Text, &read("alltypes.237mfs.nometa.prom.txt"));
    assert_eq!(with_meta, no_meta);
    assert!(with_meta > 1_500);
}

#[test]
fn openmetrics_files() {
    let body = read("alltypes.5mfs.om.txt");
    // Real client_golang output: a histogram with negative buckets and a `_sum`, which the
    // OpenMetrics 1.0 spec forbids (conformance case bad_counter_values_9). Strict parsing
    // rejects it; Prometheus-compatible (lenient) parsing accepts it.
    let err = parse_families(Format::OpenMetrics, &body).unwrap_err();
    assert_eq!(err.line, 33, "{err}");
    let fams = parse_families_with(Format::OpenMetrics, &body, Validation::Lenient).unwrap();
    assert_eq!(fams.len(), 5);
    // Counters are named after their `_total` samples, as in the text format.
    assert_eq!(fams[1].name, "promhttp_metric_handler_errors_total");
    assert_eq!(fams[1].metric_type, MetricType::Counter);
    assert_eq!(fams[1].metrics.len(), 2);
    let exemplars: usize = fams
        .iter()
        .flat_map(|f| &f.metrics)
        .map(|m| match &m.value {
            flint_expfmt::family::MetricValue::Counter { exemplar, .. } => {
                usize::from(exemplar.is_some())
            }
            flint_expfmt::family::MetricValue::Histogram(h) => {
                h.buckets.iter().filter(|b| b.exemplar.is_some()).count()
            }
            _ => 0,
        })
        .sum();
    assert_eq!(exemplars, 6);
    let fams = parse_families(Format::OpenMetrics, &read("1histogram.om.txt")).unwrap();
    assert_eq!(fams.len(), 1);
    assert_eq!(fams[0].metric_type, MetricType::Histogram);
}

#[test]
fn malformed_input_reports_positions() {
    let body = read("alltypes.237mfs.prom.txt");
    // Truncate and corrupt at many places: never panics; errors carry line:column.
    for cut in (0..body.len()).step_by(997) {
        let mut b = body[..cut].to_vec();
        b.extend_from_slice(b"{\"x\n");
        for f in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
            if let Err(e) = parse_families(f, &b) {
                assert!(e.line >= 1 && e.column >= 1);
                assert!(
                    e.to_string()
                        .starts_with(&format!("{}:{}: ", e.line, e.column))
                );
            }
        }
    }
    let err = parse_families(Format::Text, b"a 1\nb{c=\"d\" 2\n").unwrap_err();
    assert_eq!(err.line, 2);
}
