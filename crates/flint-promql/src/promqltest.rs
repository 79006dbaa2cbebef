//! A runner for Prometheus's PromQL test-script language (`promql/promqltest`).
//!
//! A script loads series (`load 1m` and lines such as `up{job="a"} 0+1x10`), then evaluates
//! queries (`eval instant at 5m …`, `eval range from 0 to 10m step 1m …`) and checks their
//! results, errors and annotations. Besides what a script states, every instant evaluation
//! is repeated with `@` pinned to the evaluation time at other times, and as a range query,
//! as upstream's runner does.
//!
//! ```
//! let outcomes = flint_promql::promqltest::run_script(
//!     "load 1m\n  up{job=\"a\"} 1 2 3\n\neval instant at 2m up\n  up{job=\"a\"} 3\n",
//! )?;
//! assert!(outcomes.iter().all(|o| o.result.is_ok()));
//! # Ok::<(), flint_promql::promqltest::ScriptError>(())
//! ```

mod compare;
mod histogram_literal;
mod load;
mod runner;
mod script;
mod series;

pub use runner::{EvalOutcome, run_script, run_script_on, test_engine};
pub use script::ScriptError;
pub use series::{SeqValue, SeriesDesc, parse_series, parse_values};
