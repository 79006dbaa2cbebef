//! `html/template`'s contextual autoescaping: which escaper each action gets, decided from the
//! HTML context the action sits in (text, tag, attribute name, quoted or unquoted attribute
//! value, URL part, RCDATA elements like `<title>`, script and style content, comments).
//!
//! Like Go, the analysis runs once per template and starting context, before the first
//! execution, and is cached: a [`Plan`] maps each action to its escapers, each text node to its
//! rewritten text (HTML comments stripped, stray `<` escaped), and each `{{template}}` call to
//! the context the callee starts in. Execution then applies the plan.

mod context;
mod escapers;
mod plan;

pub(crate) use context::Context;
pub(crate) use escapers::apply;
pub(crate) use plan::{Callees, Plan, analyze};
