//! PromQL: lexer, parser, evaluator and the test-script runner.
#![deny(missing_docs)]
