//! The stale-series experiment, driven by a loop instead of the wall clock.

#[path = "../examples/stale_series.rs"]
mod stale_series;

use stale_series::Experiment;

#[test]
fn labelled_gauges_accumulate_while_a_collector_shows_one_series() {
    let mut exp = Experiment::new();
    for tick in 1..=300 {
        exp.tick();
        if tick % 50 == 0 {
            assert_eq!(
                exp.series("thing_labelled"),
                tick,
                "one stale series per past identity"
            );
            assert_eq!(
                exp.series("thing_collected"),
                1,
                "only the current identity"
            );
        }
    }
    let text = exp.registry.encode_text();
    assert_eq!(text.matches("thing_collected{").count(), 1);
    assert_eq!(text.matches("thing_labelled{").count(), 300);
}
